// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap clear`: which backups of the catalog go (by tag, by age, by count), and clearing
// them on every node that may hold a part: a snapshot with `nodetool clearsnapshot -t TAG` and a
// check that nothing of it is left there, an incremental by deleting exactly its recorded files
// from backups/. Then the manifest leaves the catalog.
//
// Backups form chains: a snapshot (the base), then incrementals, each naming its base and its
// parent. A restore to a point in time needs the base and every incremental before it, so a
// backup that a kept backup names as base or parent is never cleared unless forced.
//
// An archived backup (docs/archive.md) outlives its clearing from the nodes: its manifest stays
// in the catalog, marked cleared_at, so it can still be restored --from-archive. `--archive`
// removes it from the archive too, then sweeps the blobs no manifest left references.

#include <optional>
#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/duration.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/ops/archive.hpp>
#include <ringsnap/ops/backup_run.hpp> // may_hold_backup
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/outcome.hpp>

namespace ringsnap::ops {

// What to clear: one tag, or retention (older_than and/or keep).
struct RetentionRule
{
    std::optional<std::string> tag{};     // --tag
    std::optional<Duration> older_than{}; // --older-than: backups started longer ago than this
    std::optional<int> keep{};            // --keep: the N newest complete snapshots (and their
                                          // incrementals) stay whatever their age
    bool force = false;                   // --force: clear even what a kept backup depends on
    bool archive = false;                 // --archive: from the archive too (without it, a backup
                                          // already cleared from the nodes is not chosen again)
};

struct KeptBackup
{
    ManifestSummary backup;
    std::string reason; // "base of kept incremental inc-2", "one of the 3 newest complete snapshots"
};

struct ClearPlan
{
    std::vector<ManifestSummary> to_clear;      // oldest first
    std::vector<KeptBackup> protected_by_chain; // selected by the rule, kept for a chain
};

// Chooses what `rule` clears among `backups` (a catalog listing, oldest first) at time `now`.
// ErrorKind::usage for a --tag not in the catalog, one a kept backup depends on (without
// force), or one already cleared from the nodes (without --archive). With retention, a backup a kept one depends on is
// moved to protected_by_chain, and so, in turn, is whatever it depends on.
[[nodiscard]] Result<ClearPlan> plan_clear(const std::vector<ManifestSummary>& backups, const RetentionRule& rule,
                                           Timestamp now);

// The `nodetool clearsnapshot` arguments for one tag: the same in 3.11 to 5.0. Always with -t:
// without it, 3.11 deletes every snapshot of the node.
std::vector<std::string> clearsnapshot_arguments(const std::string& tag);

// One backup's clearing on one node.
struct NodeClear
{
    std::string tag;
    std::string host;
    std::optional<Error> error; // none: cleared and checked gone
};

struct ClearResult
{
    std::vector<NodeRun> runs;     // one per selected node that may hold some backup
    std::vector<NodeClear> clears; // one per (backup, node that may hold it)
};

// Clears every manifest's backup on the nodes of `selected` that may hold it (one session per
// node, backups in the given order). A node that may hold a part but is not in `selected` (not
// chosen with --dc/--hosts, or gone from the cluster file) gets a failed NodeClear: the backup
// is then not wholly cleared. Refuses them all, before anything runs, when one manifest recorded
// a directory outside its node's data_dirs (pair_entries).
Result<ClearResult> clear_backups(Executor& executor, const std::vector<Node>& selected,
                                  const std::vector<Manifest>& backups);

// Whether `tag` is gone from every node that held it (so its manifest may leave the catalog).
bool wholly_cleared(const ClearResult& result, const std::string& tag);

// What became of one backup.
struct Removal
{
    std::string tag;
    std::size_t nodes = 0;        // nodes that may hold it
    std::size_t cleared = 0;      // of those, cleared and checked
    bool removed = false;         // its manifest left the catalog
    bool kept_in_archive = false; // cleared from the nodes; the manifest stays, cleared_at, for the archive's copy
    bool unarchived = false;      // --archive: its manifest left the archive
    std::string note;             // the first problem
};

struct ClearOutcome
{
    RunStatus status = RunStatus::ok;
    ClearPlan plan;
    std::vector<Manifest> backups;    // the backups to clear (dry run: that would be cleared)
    ClearResult result;               // empty for a dry run or when nothing is to clear
    std::vector<Removal> removals;    // one per backup, after the run
    std::vector<ArchiveSweep> sweeps; // --archive: one per archive root, after the removals
};

// The whole verb: lock the catalog (not for a dry run), plan with `rule` (refused, ErrorKind::catalog,
// when a manifest cannot be read or a chain is impossible (chain_problems) and retention could
// then not tell what a chain needs, unless --tag or force; and when the manifest of --tag itself
// cannot be read), clear on the nodes, and remove the manifests of the backups wholly cleared
// (all of them with force): an archived one keeps its manifest, marked cleared_at, unless
// --archive removes it from the archive first; --archive then sweeps the archive. A dry run
// stops after the plan.
[[nodiscard]] Result<ClearOutcome> run_clear(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                             const RetentionRule& rule, bool dry_run, Observer& observer);

} // namespace ringsnap::ops
