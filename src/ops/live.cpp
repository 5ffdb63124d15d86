// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/live.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/ops/pairing.hpp>

namespace ringsnap::ops {

namespace {

Status read_node(RemoteShell& shell, std::vector<ListedSnapshot>& listed)
{
    auto output = run_checked(shell, "nodetool listsnapshots", nodetool_command(shell.node(), {"listsnapshots"}));
    if (!output) {
        return output.error();
    }
    auto snapshots = parse_listsnapshots(output->out);
    if (!snapshots) {
        return make_error(ErrorKind::parse, "nodetool listsnapshots: " + snapshots.error().message);
    }
    listed = std::move(*snapshots);
    return {};
}

using TablesByTag = std::map<std::string, std::set<std::string>>; // tag -> "ks.table"

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
    BackupPresence presence{manifest.tag, {}, {}, {}};
    std::vector<Node> asked;
    for (const auto& run : live.runs) {
        asked.push_back(run.node);
    }
    auto paired = pair_entries(manifest, asked);
    if (!paired) {
        presence.refused = paired.error().message;
        return presence;
    }
    const auto& pairing = *paired;
    for (std::size_t i = 0; i < live.runs.size(); ++i) {
        const auto& host = live.runs[i].node.host;
        const auto* pair = pairing.for_node(i);
        const NodeEntry* entry = pair ? &manifest.nodes[pair->entry] : nullptr;
        if (!live.runs[i].ok() || !entry || entry->status != NodeStatus::ok) {
            continue;
        }
        auto tables = listed[i].find(manifest.tag);
        auto recorded_release =
            entry->cassandra_version ? parse_release(*entry->cassandra_version) : std::optional<CassandraVersion>();
        std::size_t expected = 0, found = 0;
        for (const auto& table : entry->tables) {
            if (listsnapshots_shows(recorded_release, table.keyspace)) {
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
    live.snapshots.resize(nodes.size());
    live.runs = executor.run_on_nodes(
        nodes, [&](RemoteShell& shell, std::size_t index) { return read_node(shell, live.snapshots[index]); });
    return live;
}

bool listsnapshots_shows(const std::optional<CassandraVersion>& version, const std::string& keyspace)
{
    return (version && version->at_least(4, 0)) || (keyspace != "system" && keyspace != "system_schema");
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
    std::map<std::string, std::pair<std::vector<std::string>, std::set<std::string>>> unknown; // tag -> hosts, tables
    for (std::size_t i = 0; i < listed.size(); ++i) {
        for (const auto& [tag, tables] : listed[i]) {
            if (!known.count(tag)) {
                auto& [hosts, all_tables] = unknown[tag];
                hosts.push_back(live.runs[i].node.host);
                all_tables.insert(tables.begin(), tables.end());
            }
        }
    }
    for (auto& [tag, found] : unknown) {
        comparison.unknown.push_back({tag, std::move(found.first), {found.second.begin(), found.second.end()}});
    }
    return comparison;
}

Result<LiveView> run_list_live(Executor& executor, const Catalog& catalog, const CatalogListing& listing,
                               const std::vector<Node>& nodes, Observer& observer)
{
    std::vector<Manifest> snapshots;
    for (const auto& backup : listing.manifests) {
        if (backup.kind == BackupKind::snapshot) {
            auto manifest = catalog.load(backup.tag);
            if (!manifest) {
                return manifest.error();
            }
            snapshots.push_back(std::move(*manifest));
        }
    }
    std::vector<std::string> tags;
    for (const auto& backup : listing.manifests) {
        tags.push_back(backup.tag);
    }
    for (const auto& problem : listing.problems) {
        tags.push_back(problem.path.stem().string()); // an unreadable manifest still names its tag
    }
    LiveView view;
    {
        Phase phase(observer, "listsnapshots", nodes, Observer::Lines::none);
        view.nodes = read_live_snapshots(executor, nodes);
    }
    view.comparison = compare_live(snapshots, tags, view.nodes);
    auto now = now_utc();
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
        view.comparison.backups[i].expired = snapshots[i].expires_at && now >= *snapshots[i].expires_at;
    }
    view.answered = static_cast<std::size_t>(
        std::count_if(view.nodes.runs.begin(), view.nodes.runs.end(), [](const NodeRun& run) { return run.ok(); }));
    view.status = summarize(view.nodes.runs, cancel_requested());
    bool gone =
        std::any_of(view.comparison.backups.begin(), view.comparison.backups.end(), [](const BackupPresence& presence) {
            return (!presence.gone.empty() && !presence.expired) || !presence.refused.empty();
        });
    view.exit_code = gone && view.status != RunStatus::interrupted ? exit_code::mismatch : exit_code_for(view.status);
    return view;
}

} // namespace ringsnap::ops
