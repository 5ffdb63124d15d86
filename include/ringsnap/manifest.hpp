// SPDX-License-Identifier: Apache-2.0
#pragma once

// The manifest (design.md, "Manifest"; docs/manifest.md): one JSON document per backup that says
// which files of which tables each node holds, with their sizes and SHA-256. It is the contract
// between a backup and everything that reads it later (list, verify, clear, restore). This header
// holds the types and what is derived from them (status, totals, spread); the JSON mapping, written
// out by hand one key at a time, is in manifest_json.hpp.
//
// Versioning: format_version only grows. A reader reads every version up to its own and refuses
// a newer one; within a version, keys are only ever added (readers ignore keys they do not know
// and accept documents that lack optional keys).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ringsnap/result.hpp>
#include <ringsnap/timestamp.hpp>

namespace ringsnap {

// The manifest is written with its keys in a fixed, readable order ("format" first, "nodes"
// last), which plain nlohmann::json (sorted keys) would lose.
using ManifestJson = nlohmann::ordered_json;

inline constexpr const char* k_manifest_format = "ringsnap-manifest";
inline constexpr int k_manifest_format_version = 1; // the newest version this build reads and writes

enum class BackupKind { snapshot, incremental };
// `running`: the run that writes the manifest has not finished. It is saved so at its start and
// again as nodes finish, so that a run that dies leaves a record of what it did; one whose run
// no longer holds the catalog lock was interrupted (`list` says so). Such a backup is no link of
// a chain and nothing restores or verifies it; `clear --tag` removes what it left on the nodes.
enum class ManifestStatus { complete, partial, failed, running };
// `running`: the node's job had not ended when the manifest was last saved.
enum class NodeStatus { ok, failed, running };

const char* to_string(BackupKind kind);
const char* to_string(ManifestStatus status);
const char* to_string(NodeStatus status);

// Whether a backup of this status holds something to restore, verify, archive or build on:
// complete or partial (not failed, not running).
inline bool is_usable(ManifestStatus status)
{
    return status == ManifestStatus::complete || status == ManifestStatus::partial;
}

// One file of a table's backup on one node.
struct FileEntry
{
    // Path relative to the table's snapshot directory (`snapshots/<tag>/`) or, for incrementals,
    // its `backups/` directory. Files of secondary indexes keep their subdirectory:
    // ".invoices_by_customer/nb-1-big-Data.db".
    std::string name;
    std::uint64_t size = 0;
    std::string sha256; // lowercase hex, computed on the node

    // The file's identity on the node, so that a later run can reuse the hash of an unchanged,
    // immutable SSTable (hash_index.hpp). Absent in documents that did not record them.
    std::optional<std::uint64_t> inode;
    std::optional<std::int64_t> mtime_ns; // modification time, nanoseconds since the Unix epoch

    bool operator==(const FileEntry&) const = default;
};

// One table on one node.
struct TableEntry
{
    std::string keyspace;
    std::string table;
    std::string table_id;  // the 32 hex digits of the table directory's name
    std::string directory; // the table directory on the node: <data_dir>/<ks>/<table>-<id>
    std::vector<FileEntry> files;
    // Cassandra's own manifest.json of the snapshot, verbatim, and its schema.cql; absent when
    // the snapshot has none (incrementals, or versions that do not write them).
    std::optional<ManifestJson> cassandra_manifest;
    std::optional<std::string> schema_cql;

    bool operator==(const TableEntry&) const = default;
};

// Where one node's files of a backup went in the archive (docs/archive.md).
struct NodeArchive
{
    std::string remote;                     // the archive root: "<remote>/<cluster>" (no secret: remotes are names)
    NodeStatus status = NodeStatus::failed; // ok: every file's blob is confirmed there with its size
    std::optional<Timestamp> archived_at;
    std::optional<std::string> error;
    std::uint64_t files_sent = 0; // blobs this node uploaded; the others were there already or
    std::uint64_t bytes_sent = 0; // came from another node holding the same content
    bool operator==(const NodeArchive&) const = default;
};

// One selected node, whether it succeeded or not: a failed node keeps its entry with its error.
struct NodeEntry
{
    std::string host; // as the cluster file names it (what ssh connects to)
    std::string datacenter;
    std::string rack;
    // What the node said about itself; absent when it could not be asked (unreachable node).
    std::optional<std::string> host_id;
    std::optional<std::string> cassandra_version;
    std::vector<std::string> tokens;
    NodeStatus status = NodeStatus::failed;
    std::optional<std::string> error;        // why it failed; absent when ok
    std::optional<std::string> failed_step;  // the step that failed ("nodetool snapshot")
    std::optional<Timestamp> snapshot_at;    // when `nodetool snapshot` returned on this node
    std::optional<Timestamp> flush_at;       // incrementals: when the node's flush returned
    std::optional<Timestamp> pruned_at;      // incrementals: when --prune deleted the files from the node
    std::optional<std::int64_t> duration_ms; // the node's whole job
    std::optional<NodeArchive> archive;      // absent until the backup is archived
    std::vector<TableEntry> tables;

    bool operator==(const NodeEntry&) const = default;
};

// What the run was asked to back up (the command line's selection). Empty lists: everything.
struct Selection
{
    std::vector<std::string> keyspaces;   // -k
    std::vector<std::string> tables;      // -t, "ks.table"
    std::vector<std::string> datacenters; // --dc
    std::vector<std::string> hosts;       // --hosts

    bool operator==(const Selection&) const = default;
};

struct ManifestTotals
{
    std::uint64_t nodes = 0; // node entries, failed ones included
    std::uint64_t nodes_ok = 0;
    std::uint64_t tables = 0; // table entries over all nodes
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;        // sum of the recorded file sizes
    std::uint64_t bytes_hashed = 0; // bytes actually read to hash; the rest reused earlier hashes

    bool operator==(const ManifestTotals&) const = default;
};

// The cluster snapshot is eventually consistent: each node takes its own at its own moment.
// first/last are the earliest and latest node time (snapshot_at, or flush_at for a node without one).
struct SnapshotSpread
{
    Timestamp first{};
    Timestamp last{};
    std::chrono::milliseconds spread() const { return last - first; }

    bool operator==(const SnapshotSpread&) const = default;
};

// The backup in the archive, over all its nodes.
struct ManifestArchive
{
    ManifestStatus status = ManifestStatus::failed; // complete: every node that holds files has them archived
    Timestamp archived_at{};
    std::vector<std::string> remotes; // archive roots, one per remote the nodes use
    std::uint64_t blobs = 0;          // distinct contents the backup references
    std::uint64_t bytes = 0;          // ... and their bytes
    std::uint64_t blobs_sent = 0;     // uploaded by the last archive run; the rest were there
    std::uint64_t bytes_sent = 0;
    bool operator==(const ManifestArchive&) const = default;
};

struct Manifest
{
    int format_version = k_manifest_format_version; // as read; always the newest when written
    std::string cluster;
    BackupKind kind = BackupKind::snapshot;
    std::string tag;
    std::optional<std::string> base;   // incremental: the tag of the snapshot it builds on
    std::optional<std::string> parent; // incremental: the previous incremental, if any
    ManifestStatus status = ManifestStatus::failed;
    Timestamp started_at{};
    Timestamp finished_at{};
    std::string ringsnap_version; // the version of ringsnap that wrote it
    std::string run_id;           // this_run_id() of the run that took it; empty in older documents
    Selection selection;
    ManifestTotals totals;
    std::optional<SnapshotSpread> snapshot_spread;
    std::optional<ManifestArchive> archive; // absent: never archived
    std::optional<Timestamp> cleared_at;    // `clear` removed it from the nodes; it lives on in the archive
    std::optional<Timestamp> expires_at;    // snapshot --ttl: from then on Cassandra removes it from the nodes
    std::vector<NodeEntry> nodes;

    bool operator==(const Manifest&) const = default;
};

// What `list` shows of a manifest, read without its nodes (read_manifest_summary).
struct ManifestSummary
{
    std::string cluster;
    std::string tag;
    BackupKind kind = BackupKind::snapshot;
    ManifestStatus status = ManifestStatus::failed;
    Timestamp started_at{};
    Timestamp finished_at{};
    std::optional<std::string> base;
    std::optional<std::string> parent;
    ManifestTotals totals;
    std::optional<SnapshotSpread> snapshot_spread;
    std::optional<ManifestArchive> archive;
    std::optional<Timestamp> cleared_at;
    std::optional<Timestamp> expires_at;
    std::string run_id;

    bool operator==(const ManifestSummary&) const = default;
};

ManifestSummary summary_of(const Manifest& manifest);

// complete when every node is ok, failed when none is (or there are no nodes), partial otherwise.
ManifestStatus derive_status(const std::vector<NodeEntry>& nodes);

// Counts nodes, tables, files and bytes. bytes_hashed is left at 0: only the run knows it.
ManifestTotals count_totals(const std::vector<NodeEntry>& nodes);

// The earliest and latest node time; absent when no node has one.
std::optional<SnapshotSpread> compute_spread(const std::vector<NodeEntry>& nodes);

// Sets status, totals (keeping totals.bytes_hashed) and snapshot_spread from the nodes, and
// ringsnap_version to this build's when empty. Call once every node is in, before saving.
void finish_manifest(Manifest& manifest);

} // namespace ringsnap
