// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap list --live`: the snapshots each node holds, from `nodetool listsnapshots`, against
// the catalog: snapshots no manifest knows, and catalog snapshots gone from a node.

#include <optional>
#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/outcome.hpp>

namespace ringsnap::ops {

struct LiveSnapshots
{
    std::vector<NodeRun> runs;                          // one per node asked
    std::vector<std::vector<ListedSnapshot>> snapshots; // per node, as listsnapshots printed them
};

// `nodetool listsnapshots` on every node: its only nodetool run.
LiveSnapshots read_live_snapshots(Executor& executor, const std::vector<Node>& nodes);

// Whether `nodetool listsnapshots` of `version` shows snapshots of `keyspace`: 3.11 leaves out
// the local system keyspaces (system, system_schema); 4.0 and later show every keyspace. The
// release a manifest recorded is used, not the node's now: a node only moves up, and an upgraded
// one shows more, never less. Unknown: as 3.11 (nothing is expected that it might not show).
bool listsnapshots_shows(const std::optional<CassandraVersion>& version, const std::string& keyspace);

// Where a catalog snapshot is, among the nodes that answered.
struct BackupPresence
{
    std::string tag;
    std::vector<std::string> holding; // hosts whose listing shows every expected table of it
    std::vector<std::string> gone;    // "host" or "host (2 of 5 tables)": recorded, not listed now
    std::string refused;              // why its node entries could not be trusted ("" when they could)
    bool expired = false;             // snapshot --ttl ran out: Cassandra removes it, so gone is no problem
};

// A snapshot name the nodes hold that no manifest of the catalog knows (taken by hand, by
// another tool, or by Cassandra itself before a truncate or drop), one per name whatever the
// number of nodes holding it.
struct UnknownSnapshot
{
    std::string tag;
    std::vector<std::string> hosts;  // the nodes listing it, in the order of the nodes
    std::vector<std::string> tables; // "ks.table" on any of them, sorted
};

struct LiveComparison
{
    std::vector<BackupPresence> backups;  // one per snapshot manifest, in the order given
    std::vector<UnknownSnapshot> unknown; // by tag
};

// Compares the catalog's snapshot manifests (incrementals are not snapshots and are skipped)
// with what the nodes listed. A node is expected to hold a backup when its entry is ok; only
// tables its version's listsnapshots shows are expected. `catalog_tags` holds every tag of the
// catalog (incrementals and unreadable manifests included), so none of them is called unknown.
LiveComparison compare_live(const std::vector<Manifest>& manifests, const std::vector<std::string>& catalog_tags,
                            const LiveSnapshots& live);

// What --live found, ready to show next to the catalog.
struct LiveView
{
    LiveSnapshots nodes;
    LiveComparison comparison;
    std::size_t answered = 0;
    RunStatus status = RunStatus::failed;
    int exit_code = exit_code::failed; // 4 when a catalog snapshot is gone from a node (and not expired)
};

// The whole of `list --live`: every snapshot manifest of `listing` loaded, every node asked, the
// two compared.
[[nodiscard]] Result<LiveView> run_list_live(Executor& executor, const Catalog& catalog, const CatalogListing& listing,
                                             const std::vector<Node>& nodes, Observer& observer);

} // namespace ringsnap::ops
