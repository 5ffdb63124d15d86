// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/live.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace ringsnap::ops {

namespace {

Status read_node(RemoteShell& shell, std::optional<CassandraVersion>& version, std::vector<ListedSnapshot>& listed)
{
    const Node& node = shell.node();
    auto parts = run_together(shell, "nodetool version, listsnapshots",
                              {nodetool_command(node, {"version"}), nodetool_command(node, {"listsnapshots"})});
    if (!parts) {
        return parts.error();
    }
    for (const auto& [step, part] : {std::pair{"nodetool version", &(*parts)[0]}, {"nodetool listsnapshots", &(*parts)[1]}}) {
        if (auto status = check_succeeded(step, *part); !status) {
            return status;
        }
    }
    auto parsed_version = parse_version((*parts)[0].out);
    if (!parsed_version) {
        return make_error(ErrorKind::parse, "nodetool version: " + parsed_version.error().message);
    }
    auto snapshots = parse_listsnapshots((*parts)[1].out);
    if (!snapshots) {
        return make_error(ErrorKind::parse, "nodetool listsnapshots: " + snapshots.error().message);
    }
    version = std::move(*parsed_version);
    listed = std::move(*snapshots);
    return {};
}

using TablesByTag = std::map<std::string, std::set<std::string>>;  // tag -> "ks.table"

TablesByTag by_tag(const std::vector<ListedSnapshot>& listed)
{
    TablesByTag tags;
    for (const auto& snapshot : listed) {
        tags[snapshot.tag].insert(snapshot.keyspace + "." + snapshot.table);
    }
    return tags;
}

// Where one manifest's snapshot is among the nodes that answered.
BackupPresence presence_of(const Manifest& manifest, const LiveSnapshots& live, const std::vector<TablesByTag>& listed)
{
    BackupPresence presence{manifest.tag, {}, {}};
    for (std::size_t i = 0; i < live.runs.size(); ++i) {
        const auto& host = live.runs[i].node.host;
        auto entry = std::find_if(manifest.nodes.begin(), manifest.nodes.end(),
                                  [&](const NodeEntry& node) { return node.host == host; });
        if (!live.runs[i].ok() || entry == manifest.nodes.end() || entry->status != NodeStatus::ok) {
            continue;
        }
        auto tables = listed[i].find(manifest.tag);
        std::size_t expected = 0, found = 0;
        for (const auto& table : entry->tables) {
            if (listsnapshots_shows(*live.versions[i], table.keyspace)) {
                ++expected;
                found += tables != listed[i].end() && tables->second.count(table.keyspace + "." + table.table);
            }
        }
        if (found == expected) {
            presence.holding.push_back(host);
        } else {
            presence.gone.push_back(found == 0 ? host : fmt::format("{} ({} of {} tables)", host, found, expected));
        }
    }
    return presence;
}

} // namespace

LiveSnapshots read_live_snapshots(Executor& executor, const std::vector<Node>& nodes)
{
    LiveSnapshots live;
    live.versions.resize(nodes.size());
    live.snapshots.resize(nodes.size());
    live.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) {
        return read_node(shell, live.versions[index], live.snapshots[index]);
    });
    return live;
}

bool listsnapshots_shows(const CassandraVersion& version, const std::string& keyspace)
{
    return version.at_least(4, 0) || (keyspace != "system" && keyspace != "system_schema");
}

LiveComparison compare_live(const std::vector<Manifest>& manifests, const std::vector<std::string>& catalog_tags,
                            const LiveSnapshots& live)
{
    std::vector<TablesByTag> listed;
    for (const auto& snapshots : live.snapshots) {
        listed.push_back(by_tag(snapshots));
    }
    LiveComparison comparison;
    for (const auto& manifest : manifests) {
        if (manifest.kind == BackupKind::snapshot) {
            comparison.backups.push_back(presence_of(manifest, live, listed));
        }
    }
    std::set<std::string> known(catalog_tags.begin(), catalog_tags.end());
    for (std::size_t i = 0; i < listed.size(); ++i) {
        for (const auto& [tag, tables] : listed[i]) {
            if (!known.count(tag)) {
                comparison.unknown.push_back({live.runs[i].node.host, tag, {tables.begin(), tables.end()}});
            }
        }
    }
    return comparison;
}

} // namespace ringsnap::ops
