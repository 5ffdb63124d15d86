// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/incremental.hpp>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <ringsnap/ops/snapshot.hpp>
#include <ringsnap/ops/table_files.hpp>
#include <ringsnap/remote_files.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::ops {

namespace {

const char* switch_argument(BackupSwitch action)
{
    return action == BackupSwitch::enable ? "enablebackup" : "disablebackup";
}

// statusbackup and version, together.
Status read_backup_state(RemoteShell& shell, NodeBackupState& state, bool with_config)
{
    const Node& node = shell.node();
    std::vector<std::string> commands{nodetool_command(node, {"version"}), nodetool_command(node, {"statusbackup"})};
    if (with_config) {
        commands.push_back(with_sudo("cat -- " + shell_quote(node.config_file()), node.ssh.sudo));
    }
    auto parts = run_together(shell, "nodetool version, statusbackup", commands);
    if (!parts) {
        return parts.error();
    }
    for (std::size_t i = 0; i < 2; ++i) {
        if (auto status = check_succeeded(i == 0 ? "nodetool version" : "nodetool statusbackup", (*parts)[i]); !status) {
            return status;
        }
    }
    auto version = parse_version((*parts)[0].out);
    auto running = parse_statusbackup((*parts)[1].out);
    if (!version || !running) {
        return !version ? version.error() : running.error();
    }
    state.version = *version;
    state.running = *running;
    if (with_config) {
        auto config = check_succeeded("read " + node.config_file(), (*parts)[2]);
        auto setting = config ? incremental_backups_setting((*parts)[2].out) : Result<bool>(config.error());
        if (setting) {
            state.configured = *setting;
        } else {
            state.config_problem = setting.error().message;
        }
    }
    return {};
}

using Recorded = std::set<std::string>;  // "<table directory>/<name>" of one node

void add_recorded(Recorded& recorded, const Manifest& manifest, const std::string& host)
{
    for (const auto& node : manifest.nodes) {
        if (node.host == host) {
            for (const auto& table : node.tables) {
                for (const auto& file : table.files) {
                    recorded.insert(table.directory + "/" + file.name);
                }
            }
        }
    }
}

// Keeps only the files no manifest of the chain recorded for the node; drops tables left empty.
void keep_new_files(std::vector<TableEntry>& tables, const Recorded& recorded)
{
    for (auto& table : tables) {
        std::erase_if(table.files, [&](const FileEntry& file) { return recorded.count(table.directory + "/" + file.name); });
    }
    std::erase_if(tables, [](const TableEntry& table) { return table.files.empty(); });
}

// `nodetool flush` takes one keyspace (further words are its tables): one call per keyspace, all
// at once.
Status flush_keyspaces(RemoteShell& shell, const std::vector<std::string>& keyspaces)
{
    std::vector<std::string> commands;
    for (const auto& keyspace : keyspaces) {
        commands.push_back(nodetool_command(shell.node(), {"flush", "--", keyspace}));
    }
    auto parts = run_together(shell, "nodetool flush", commands);
    if (!parts) {
        return parts.error();
    }
    for (std::size_t i = 0; i < parts->size(); ++i) {
        if (auto status = check_succeeded("nodetool flush " + keyspaces[i], (*parts)[i]); !status) {
            return status;
        }
    }
    return {};
}

Status collect_node(RemoteShell& shell, const Chain& chain, const std::vector<std::string>& keyspaces,
                    const HashIndex& hashes, NodeEntry& entry, std::uint64_t& hashed)
{
    NodeBackupState state;
    if (auto status = read_backup_state(shell, state, false); !status) {
        return status;
    }
    entry.cassandra_version = state.version->text;
    if (!*state.running) {
        return make_error(ErrorKind::command, "incremental backups are off on this node (nodetool statusbackup: not "
                                              "running); `ringsnap incremental enable` switches them on");
    }
    if (auto flushed = flush_keyspaces(shell, keyspaces); !flushed) {
        return flushed;
    }
    entry.flush_at = now_utc();
    auto listing = run_checked(shell, "list backups", list_backup_files_command(shell.node(), keyspaces));
    if (!listing) {
        return listing.error();
    }
    auto files = parse_file_listing(listing->out);
    if (!files) {
        return files.error();
    }
    Recorded recorded;
    add_recorded(recorded, chain.base, entry.host);
    for (const auto& incremental : chain.incrementals) {
        add_recorded(recorded, incremental, entry.host);
    }
    entry.tables = group_by_table(*files, k_backups_subdir);
    keep_new_files(entry.tables, recorded);
    auto bytes = hash_table_files(shell, entry.tables, k_backups_subdir, hashes);
    if (!bytes) {
        return bytes.error();
    }
    hashed = *bytes;
    return {};
}

NodeEntry entry_of(const Node& node, const Chain& chain)
{
    NodeEntry entry;
    entry.host = node.host;
    entry.datacenter = node.datacenter;
    entry.rack = node.rack;
    for (const auto& base_node : chain.base.nodes) {
        if (base_node.host == node.host) {  // who the node is does not change along a chain
            entry.host_id = base_node.host_id;
            entry.tokens = base_node.tokens;
        }
    }
    return entry;
}

} // namespace

SwitchResult switch_incremental_backups(Executor& executor, const std::vector<Node>& nodes, BackupSwitch action)
{
    SwitchResult result;
    result.states.resize(nodes.size());
    result.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
        if (action != BackupSwitch::status) {
            auto switched = run_checked(shell, std::string("nodetool ") + switch_argument(action),
                                        nodetool_command(shell.node(), {switch_argument(action)}));
            if (!switched) {
                return switched.error();
            }
        }
        return read_backup_state(shell, result.states[index], true);
    });
    return result;
}

Result<bool> incremental_backups_setting(const std::string& cassandra_yaml)
{
    try {
        auto value = YAML::Load(cassandra_yaml)["incremental_backups"];
        return value ? value.as<bool>() : false;
    } catch (const YAML::Exception& e) {
        return make_error(ErrorKind::parse, fmt::format("cassandra.yaml: incremental_backups: {}", e.what()));
    }
}

std::vector<std::string> chain_keyspaces(const Chain& chain)
{
    std::set<std::string> keyspaces;
    for (const auto& node : chain.base.nodes) {
        for (const auto& table : node.tables) {
            keyspaces.insert(table.keyspace);
        }
    }
    return {keyspaces.begin(), keyspaces.end()};
}

IncrementalResult take_incremental(Executor& executor, const std::vector<Node>& nodes, const Chain& chain,
                                   const HashIndex& hashes)
{
    IncrementalResult result;
    result.manifest.kind = BackupKind::incremental;
    result.manifest.base = chain.base.tag;
    if (!chain.incrementals.empty()) {
        result.manifest.parent = chain.incrementals.back().tag;
    }
    for (const auto& node : nodes) {
        result.manifest.nodes.push_back(entry_of(node, chain));
    }
    auto keyspaces = chain_keyspaces(chain);
    std::vector<std::uint64_t> hashed(nodes.size(), 0);
    result.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) {
        return collect_node(shell, chain, keyspaces, hashes, result.manifest.nodes[index], hashed[index]);
    });
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        record_outcome(result.manifest.nodes[i], result.runs[i]);
        result.bytes_hashed += hashed[i];
    }
    return result;
}

std::vector<NodeRun> prune_recorded_files(Executor& executor, const std::vector<Node>& nodes, const Manifest& manifest)
{
    std::vector<Node> pruned;
    std::vector<std::vector<std::string>> paths;
    for (const auto& entry : manifest.nodes) {
        auto node = std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) { return n.host == entry.host; });
        if (entry.status != NodeStatus::ok || node == nodes.end()) {
            continue;
        }
        pruned.push_back(*node);
        paths.emplace_back();
        for (const auto& table : entry.tables) {
            for (const auto& file : table.files) {
                paths.back().push_back(table_file_path(table, k_backups_subdir, file.name));
            }
        }
    }
    return executor.run_on_nodes(pruned, [&](RemoteShell& shell, std::size_t index) -> Status {
        for (const auto& command : remove_files_commands(shell.node(), paths[index])) {
            if (auto removed = run_checked(shell, "prune backups", command); !removed) {
                return removed.error();
            }
        }
        return {};
    });
}

} // namespace ringsnap::ops
