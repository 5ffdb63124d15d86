// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/table_files.hpp>

#include <map>

#include <fmt/format.h>

namespace ringsnap::ops {

std::string snapshot_subdir(const std::string& tag)
{
    return "snapshots/" + tag;
}

std::string table_file_path(const TableEntry& table, const std::string& subdir, const std::string& name)
{
    return table.directory + "/" + subdir + "/" + name;
}

std::vector<TableEntry> group_by_table(const std::vector<RemoteFile>& files, const std::string& subdir)
{
    std::map<std::string, TableEntry> tables; // by table directory
    std::string marker = "/" + subdir + "/";
    for (const auto& file : files) {
        auto at = file.path.find(marker);
        auto slash = file.path.find('/');
        if (at == std::string::npos || slash == std::string::npos || slash >= at) {
            continue; // not a file of that directory of a table: nothing to record
        }
        std::string keyspace = file.path.substr(0, slash);
        std::string table_dir_name = file.path.substr(slash + 1, at - slash - 1);
        auto dash = table_dir_name.rfind('-');
        std::string directory = file.data_dir + "/" + file.path.substr(0, at);
        auto& table = tables[directory];
        if (table.directory.empty()) {
            table.keyspace = keyspace;
            table.table = table_dir_name.substr(0, dash);
            table.table_id = dash == std::string::npos ? "" : table_dir_name.substr(dash + 1);
            table.directory = directory;
        }
        table.files.push_back(
            FileEntry{file.path.substr(at + marker.size()), file.size, "", file.inode, file.mtime_ns});
    }
    std::vector<TableEntry> result;
    for (auto& [directory, table] : tables) {
        result.push_back(std::move(table));
    }
    return result;
}

Result<std::uint64_t> hash_table_files(RemoteShell& shell, std::vector<TableEntry>& tables, const std::string& subdir,
                                       const HashIndex& hashes)
{
    const std::string& host = shell.node().host;
    std::vector<std::string> to_hash;
    std::uint64_t bytes = 0;
    for (auto& table : tables) {
        for (auto& file : table.files) {
            auto known = hashes.find(FileIdentity{host, table.directory, file.name, file.size, file.inode.value_or(0),
                                                  file.mtime_ns.value_or(0)});
            if (known) {
                file.sha256 = *known;
            } else {
                to_hash.push_back(table_file_path(table, subdir, file.name));
                bytes += file.size;
            }
        }
    }
    auto computed = hash_files(shell, to_hash, "sha256sum");
    if (!computed) {
        return computed.error();
    }
    for (auto& table : tables) {
        for (auto& file : table.files) {
            if (!file.sha256.empty()) {
                continue;
            }
            auto path = table_file_path(table, subdir, file.name);
            auto it = computed->find(path);
            if (it == computed->end()) {
                return make_error(ErrorKind::parse, fmt::format("sha256sum gave no hash for {}", path));
            }
            file.sha256 = it->second;
        }
    }
    return bytes;
}

} // namespace ringsnap::ops
