// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap restore TAG`: a backup loaded back into the live nodes it came from (Cassandra stays
// up): `nodetool import` on 4.0+, files placed in the table directory then `nodetool refresh` on
// 3.11. One plan, computed first and shown whole, says per node and table which files come from
// which backup, where they are staged, and the exact commands. Then:
//
//   stage   hard links from the node's own snapshots/<tag>/ and backups/ into a staging directory
//           beside the data directory (same filesystem), shaped <stage>/<ks>/<table>/;
//   verify  every staged file's size and SHA-256, computed on the node, against the manifest:
//           one mismatch anywhere stops the restore before any node loads anything;
//   truncate (--truncate) each table once, cluster-wide, through cqlsh on one node, and check
//           that no node holds a live SSTable of it any more;
//   load    one import (or refresh) per table per node, then a check that the node really took
//           every SSTable (import can exit 0 having loaded nothing);
//   clean   staging removed once a node loaded everything; kept on failure, and reported.
//
// A restore record in the catalog follows every phase, so a rerun (or --resume) skips what is
// done. The other methods are planned from the same plan: restart (restore_restart.hpp) and
// sstableloader (restore_loader.hpp), which streams each node's verified staging into a cluster
// of any shape, this one or another (--target). With --target and --host-map, import or restart
// run on the nodes of another cluster built with the backup's tokens, each loading its backup
// node's files from the archive. Tables the cluster loaded into lacks are created from the
// backup's schema.cql first, whatever the method.

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/duration.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/ops/pairing.hpp>
#include <ringsnap/ops/survey.hpp>
#include <ringsnap/outcome.hpp>
#include <ringsnap/restore_record.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::ops {

// How the files get loaded. `restart`: the nodes are drained and stopped, their live files of
// the tables moved into a quarantine, the backup's put in their place, and the nodes started
// again (seeds first, data center by data center), each waited for until it is UN.
// `sstableloader`: each node streams its staging to the target cluster's replicas, whatever
// their tokens.
enum class LoadMethod { automatic, import, refresh, restart, sstableloader };
const char* to_string(LoadMethod method);

// The cluster a restore loads into when it is not the backup's (--target FILE): streamed into by
// sstableloader, or with --host-map restored node for node.
struct TargetCluster
{
    std::string name;
    std::vector<Node> nodes;
    std::string cql_password; // its cassandra.cql_password_file, read by the caller
};

struct RestoreRequest
{
    std::string tag;                    // validated
    std::optional<Timestamp> until;     // --until: incrementals flushed at or before it
    std::vector<std::string> keyspaces; // -k, validated
    std::vector<KeyspaceTable> tables;  // -t
    LoadMethod method = LoadMethod::automatic;
    bool rolling = false;                              // restart: one node at a time
    Duration start_timeout = std::chrono::minutes(10); // restart: stop, and start until UN
    bool remove_quarantine = false;                    // restart: --cleanup after a good start
    std::optional<TargetCluster> target;               // sstableloader or --host-map: another cluster
    HostMap host_map;                                  // --host-map: backup host -> target host
    std::optional<int> throttle_mbits;                 // sstableloader -t, per loader
    int loaders_per_dc = 1;                            // sstableloader runs at once per data center
    std::string replication;     // keyspaces created for missing tables: "dc1:3,dc2:2"; "" = min(3, nodes) per DC
    bool count_rows = false;     // SELECT COUNT(*) at ALL of every restored table afterwards
    bool compare_source = false; // ... on the source cluster too; a difference is exit 4
    bool from_archive = false;   // the files come from the archive (docs/archive.md), not the nodes' disks
    bool truncate = false;
    bool keep_truncate_snapshots = false;
    bool dry_run = false;
    bool resume = false;                  // --resume: continue the newest unfinished restore
    std::vector<std::string> datacenters; // --dc, --hosts: recorded, and which backup nodes count
    std::vector<std::string> hosts;
    std::string cql_password; // from cassandra.cql_password_file, read by the caller
    std::string command = "ringsnap restore";
    // Asked once the plan is made, before anything changes; false stops the run (nothing was
    // touched). Not asked for a dry run.
    std::function<bool(const struct RestorePlan&)> confirm;
};

// One file to bring back.
struct PlannedFile
{
    std::string name; // as recorded: "nb-3-big-Data.db"
    std::uint64_t size = 0;
    std::string sha256;
    std::string backup; // the tag of the backup that recorded it
    std::string source; // absolute path on the node: .../snapshots/<tag>/<name> or .../backups/<name>
    std::string staged; // absolute path in the staging directory
};

struct TablePlan
{
    std::string keyspace;
    std::string table;
    std::string backup_id;               // the table id the files were recorded under
    std::string live_id;                 // the table's id on the node now ("" when ambiguous)
    std::vector<std::string> live_dirs;  // its table directories now, one per data directory
    std::vector<std::string> stage_dirs; // <stage>/<ks>/<table>, one per backup and data directory
    std::vector<PlannedFile> files;
    std::uint64_t bytes = 0;
    std::uint64_t sstables = 0;        // Data.db files
    std::uint64_t left_out = 0;        // incremental SSTables flushed before the base snapshot
    std::vector<std::string> commands; // what the load runs (for the plan; refresh generations
                                       // are chosen when it runs); sstableloader: one per stage dir
};

struct NodePlan
{
    Node node;
    std::string source_host; // the manifest entry it restores
    PairedBy paired_by = PairedBy::host;
    std::string pairing_note;
    std::string host_id; // the node's, now
    std::string version; // Cassandra's, as the node said
    LoadMethod method = LoadMethod::import;
    bool seed = false;                        // restart: a seed in its cassandra.yaml (started first)
    std::optional<std::string> commitlog_dir; // restart of all its tables: its commit log goes to quarantine
    std::vector<std::string> quarantine;      // restart: where its live files go
    std::vector<std::string> commands;        // restart: drain, stop, wait, start, wait (tables have the rest)
    std::vector<std::string> staging_roots;   // <parent of data dir>/ringsnap-restore/<id>, per data dir
    std::string archive_root;                 // --from-archive: where its files are downloaded from
    std::vector<TablePlan> tables;
    std::uint64_t bytes = 0;
    std::vector<std::uint64_t> free_bytes;  // per data directory, as df saw it
    std::optional<std::string> unreachable; // the node could not be surveyed: it will fail
};

// Where an sstableloader restore streams to.
struct LoaderTarget
{
    std::string cluster;                // the target cluster's name
    std::vector<std::string> addresses; // -d: its nodes, as Cassandra knows them
};

struct RestorePlan
{
    std::string id;
    std::vector<std::string> backups; // base, then incrementals, in order
    std::vector<NodePlan> nodes;
    std::vector<std::string> tables; // "ks.table" restored
    std::vector<std::string> warnings;
    std::vector<std::string> refusals;          // non-empty: the restore must not start
    std::optional<std::string> cql_host;        // target node where cqlsh runs TRUNCATE, schema, row counts
    std::optional<std::string> source_cql_host; // --compare-source: where the source's rows are counted
    std::optional<LoaderTarget> loader;         // sstableloader
    std::vector<std::string> created;           // "ks.table" the target lacks, created from the backup's schema first
    std::vector<std::string> schema;            // the CQL that creates them (keyspaces first)
    std::vector<std::string> start_order;       // restart: hosts, seeds first, data center by data center
    bool from_archive = false;                  // files downloaded from the archive into staging
    std::uint64_t bytes = 0;
    std::uint64_t files = 0;
};

struct NodeRestore
{
    std::string host;
    std::string datacenter;
    RunStatus status = RunStatus::failed;
    std::optional<std::string> error;
    std::vector<RestoreTable> tables;
    std::int64_t duration_ms = 0;
};

struct Mismatch; // verify.hpp

struct RestoreOutcome
{
    RunStatus status = RunStatus::failed;
    int exit_code = exit_code::failed;
    RestorePlan plan;
    std::optional<RestoreRecord> record; // absent for a dry run
    std::filesystem::path record_path;
    std::vector<NodeRun> runs;           // the last phase each node reached
    std::vector<std::string> mismatches; // "host: path: reason" from verification, row counts
    std::vector<std::string> notes;      // what the operator should know after the run
    bool resumed = false;
};

// Everything a plan is made from, gathered from the nodes (exposed for tests).
struct DiskFacts
{
    struct DataDir
    {
        std::string path;
        std::string device;        // st_dev of the data directory
        std::string parent_device; // ... and of its parent, where staging goes
        std::uint64_t free_bytes = 0;
        std::string owner; // "uid:gid"
    };
    std::vector<DataDir> data_dirs;
    std::vector<std::string> marked_dropped;     // table directories holding a dropped-* snapshot
    std::vector<std::string> truncate_snapshots; // <table dir>/snapshots/truncated-* found

    // Whether a table directory is a dropped table's (not live, though it is still on disk).
    bool dropped(const std::string& table_dir) const
    {
        return std::find(marked_dropped.begin(), marked_dropped.end(), table_dir) != marked_dropped.end();
    }
};

struct RestoreFacts
{
    NodeFacts node;
    DiskFacts disk;
};

// "ks.table" -> column -> type (lowercase, no spaces), as a cluster's schema says.
using TableColumns = std::map<std::string, std::map<std::string, std::string>>;

// A cluster as the survey found it: one `runs` and `facts` per node.
struct SurveyedCluster
{
    const std::vector<Node>& nodes;
    const std::vector<NodeRun>& runs;
    const std::vector<RestoreFacts>& facts;
    const TableColumns* columns = nullptr; // sstableloader: its tables' columns, read through cqlsh
};

// The plan, from the backups, the nodes and what they said. `target` is the cluster the data
// goes into: the same one, or for sstableloader --target another. Pure: no node is touched.
// Refusals and warnings are filled in; nothing is thrown away silently.
RestorePlan plan_restore(const Chain& chain, const SurveyedCluster& source, const SurveyedCluster& target,
                         const RestoreRequest& request, const std::string& id, Timestamp now);
// The same, into the nodes the backup came from.
RestorePlan plan_restore(const Chain& chain, const std::vector<Node>& nodes, const std::vector<NodeRun>& runs,
                         const std::vector<RestoreFacts>& facts, const RestoreRequest& request, const std::string& id,
                         Timestamp now);

// The whole verb: lock, plan, confirm, stage and verify, truncate, load, check, clean, with the
// restore record kept up to date. Errors are refusals before anything was touched (usage: a bad
// request or a plan that refuses; connect: no node answered).
[[nodiscard]] Result<RestoreOutcome> run_restore(Executor& executor, const Catalog& catalog,
                                                 const std::vector<Node>& nodes, const RestoreRequest& request,
                                                 Observer& observer);

// What to do with the quarantine a restore by restart left on the nodes.
enum class QuarantineAction {
    remove, // --cleanup RESTORE_ID: the restore went well; the replaced files go
    undo,   // --undo RESTORE_ID: stop each node, put the replaced files back, start it again
};

struct QuarantineRequest
{
    std::string restore_id; // validated
    QuarantineAction action = QuarantineAction::remove;
    std::string target; // the cluster the nodes given are of, when not the backup's (--target)
    Duration start_timeout = std::chrono::minutes(10);
    std::string command = "ringsnap restore";
};

// `--cleanup` / `--undo` of an earlier restore by restart, on the nodes of its record among
// `nodes` (--hosts / --dc narrow it; paths are recomputed from the cluster file and the restore
// id, never read back from the record).
// Cleanup leaves alone, and reports, a node that did not start after the restore: its
// quarantine is its way back.
[[nodiscard]] Result<RestoreOutcome> run_quarantine_action(Executor& executor, const Catalog& catalog,
                                                           const std::vector<Node>& nodes,
                                                           const QuarantineRequest& request, Observer& observer);

} // namespace ringsnap::ops
