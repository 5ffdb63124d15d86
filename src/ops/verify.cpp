// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/verify.hpp>

#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/ops/snapshot.hpp>
#include <ringsnap/remote_files.hpp>

namespace ringsnap::ops {

namespace {

using FilesByPath = std::map<std::string, const FileEntry*>;

FilesByPath by_path(const std::vector<TableEntry>& tables, const std::string& tag)
{
    FilesByPath files;
    for (const auto& table : tables) {
        for (const auto& file : table.files) {
            files[table.directory + "/snapshots/" + tag + "/" + file.name] = &file;
        }
    }
    return files;
}

std::vector<std::string> keyspaces_of(const NodeEntry& node)
{
    std::set<std::string> keyspaces;
    for (const auto& table : node.tables) {
        keyspaces.insert(table.keyspace);
    }
    return {keyspaces.begin(), keyspaces.end()};
}

} // namespace

std::vector<Mismatch> compare_node(const NodeEntry& recorded, const std::vector<TableEntry>& found,
                                   const std::string& tag)
{
    std::vector<Mismatch> mismatches;
    auto expected = by_path(recorded.tables, tag);
    auto actual = by_path(found, tag);
    for (const auto& [path, file] : expected) {
        auto there = actual.find(path);
        if (there == actual.end()) {
            mismatches.push_back({recorded.host, path, "missing"});
        } else if (there->second->size != file->size) {
            mismatches.push_back(
                {recorded.host, path, fmt::format("size {} instead of {}", there->second->size, file->size)});
        } else if (there->second->sha256 != file->sha256) {
            mismatches.push_back({recorded.host, path, "SHA-256 differs"});
        }
    }
    for (const auto& [path, file] : actual) {
        if (!expected.count(path)) {
            mismatches.push_back({recorded.host, path, "not in the manifest"});
        }
    }
    return mismatches;
}

VerifyResult verify_snapshot(Executor& executor, const std::vector<Node>& nodes,
                             const std::vector<NodeEntry>& recorded, const std::string& tag)
{
    VerifyResult result;
    std::vector<std::vector<Mismatch>> per_node(nodes.size());
    result.files_checked.assign(nodes.size(), 0);
    HashIndex nothing_known;
    result.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
        auto listing = run_checked(shell, "list snapshot files",
                                   list_snapshot_files_command(shell.node(), keyspaces_of(recorded[index]), tag));
        if (!listing) {
            return listing.error();
        }
        auto files = parse_file_listing(listing->out);
        if (!files) {
            return files.error();
        }
        auto found = snapshot_tables(*files, tag);
        if (auto hashed = hash_snapshot_files(shell, found, tag, nothing_known); !hashed) {
            return hashed.error();
        }
        per_node[index] = compare_node(recorded[index], found, tag);
        result.files_checked[index] = files->size();
        return {};
    });
    for (auto& mismatches : per_node) {
        result.mismatches.insert(result.mismatches.end(), mismatches.begin(), mismatches.end());
    }
    return result;
}

} // namespace ringsnap::ops
