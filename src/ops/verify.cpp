// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/verify.hpp>

#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/pairing.hpp>
#include <ringsnap/ops/table_files.hpp>
#include <ringsnap/remote_files.hpp>

namespace ringsnap::ops {

namespace {

using FilesByPath = std::map<std::string, const FileEntry*>;

FilesByPath by_path(const std::vector<TableEntry>& tables, const std::string& subdir)
{
    FilesByPath files;
    for (const auto& table : tables) {
        for (const auto& file : table.files) {
            files[table_file_path(table, subdir, file.name)] = &file;
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

// Drops the files found that `recorded` does not hold: backups/ is shared by every incremental
// and by flushes since, so only the recorded files are the backup's.
void keep_recorded(std::vector<TableEntry>& found, const NodeEntry& recorded)
{
    auto expected = by_path(recorded.tables, k_backups_subdir);
    for (auto& table : found) {
        std::erase_if(table.files, [&](const FileEntry& file) {
            return !expected.count(table_file_path(table, k_backups_subdir, file.name));
        });
    }
}

} // namespace

BackupPlace place_of(const Manifest& manifest)
{
    if (manifest.kind == BackupKind::incremental) {
        return {k_backups_subdir, false};
    }
    return {snapshot_subdir(manifest.tag), true};
}

std::vector<Mismatch> compare_node(const NodeEntry& recorded, const std::vector<TableEntry>& found,
                                   const BackupPlace& place)
{
    std::vector<Mismatch> mismatches;
    auto expected = by_path(recorded.tables, place.subdir);
    auto actual = by_path(found, place.subdir);
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
        if (place.only_its_files && !expected.count(path)) {
            mismatches.push_back({recorded.host, path, "not in the manifest"});
        }
    }
    return mismatches;
}

VerifyResult verify_backup(Executor& executor, const std::vector<Node>& nodes, const std::vector<NodeEntry>& recorded,
                           const Manifest& manifest)
{
    VerifyResult result;
    auto place = place_of(manifest);
    std::vector<std::vector<Mismatch>> per_node(nodes.size());
    result.files_checked.assign(nodes.size(), 0);
    HashIndex nothing_known;
    result.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
        auto keyspaces = keyspaces_of(recorded[index]);
        auto command = place.only_its_files ? list_snapshot_files_command(shell.node(), keyspaces, manifest.tag)
                                            : list_backup_files_command(shell.node(), keyspaces);
        auto listing = run_checked(shell, "list the backup's files", command);
        if (!listing) {
            return listing.error();
        }
        auto files = parse_file_listing(listing->out);
        if (!files) {
            return files.error();
        }
        auto found = group_by_table(*files, place.subdir);
        if (!place.only_its_files) {
            keep_recorded(found, recorded[index]);
        }
        if (auto hashed = hash_table_files(shell, found, place.subdir, nothing_known); !hashed) {
            return hashed.error();
        }
        per_node[index] = compare_node(recorded[index], found, place);
        for (const auto& table : found) {
            result.files_checked[index] += table.files.size();
        }
        return {};
    });
    for (auto& mismatches : per_node) {
        result.mismatches.insert(result.mismatches.end(), mismatches.begin(), mismatches.end());
    }
    return result;
}

Result<VerifyOutcome> run_verify(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                 const std::string& tag, Observer& observer)
{
    auto manifest = catalog.load(tag);
    if (!manifest) {
        return manifest.error();
    }
    if (auto usable = check_usable(summary_of(*manifest), "verify"); !usable) {
        return usable.error();
    }
    if (auto why = off_the_nodes(summary_of(*manifest), now_utc())) {
        return make_error(ErrorKind::usage, fmt::format("{} {}: verify its archive copy with --archive", tag, *why));
    }
    VerifyOutcome outcome;
    std::vector<Node> checked;
    std::vector<NodeEntry> recorded;
    auto pairing = pair_entries(*manifest, nodes);
    if (!pairing) {
        return pairing.error();
    }
    for (std::size_t e = 0; e < manifest->nodes.size(); ++e) {
        const auto& entry = manifest->nodes[e];
        const auto* pair = pairing->for_entry(e);
        if (entry.status != NodeStatus::ok) {
            continue; // it recorded nothing
        }
        if (entry.pruned_at) {
            outcome.skipped.push_back(
                fmt::format("{}: its files were pruned at {}", entry.host, format_timestamp(*entry.pruned_at)));
        } else if (!pair) {
            outcome.skipped.push_back(fmt::format("{}: not among the selected nodes", entry.host));
        } else {
            checked.push_back(nodes[pair->node]);
            recorded.push_back(entry);
            for (const auto& table : entry.tables) {
                outcome.files_recorded += table.files.size();
            }
        }
    }
    if (checked.empty()) {
        return make_error(ErrorKind::usage, fmt::format("no selected node holds a part of {} (nodes whose files were "
                                                        "pruned are not checked)",
                                                        tag));
    }
    {
        Phase phase(observer, "verify", checked);
        outcome.result = verify_backup(executor, checked, recorded, *manifest);
    }
    outcome.status = summarize(outcome.result.runs, cancel_requested());
    bool mismatch = !outcome.result.mismatches.empty() && outcome.status != RunStatus::interrupted;
    outcome.exit_code = mismatch ? exit_code::mismatch : exit_code_for(outcome.status);
    return outcome;
}

} // namespace ringsnap::ops
