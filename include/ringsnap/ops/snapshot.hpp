// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap snapshot`: `nodetool snapshot` on every selected node, then each node's snapshot
// files with size and SHA-256 (computed on the node), recorded in one manifest.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/hash_index.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/table_files.hpp>
#include <ringsnap/remote_files.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::ops {

// Keyspaces a snapshot leaves out unless asked for by name: node-local or replicated system
// data that a restore does not bring back (system_schema is kept: it is the schema).
bool is_system_keyspace_left_out(const std::string& keyspace);

struct SnapshotRequest {
    std::string tag;                       // validated
    std::vector<std::string> keyspaces;    // -k, validated; with tables: none
    std::vector<KeyspaceTable> tables;     // -t
    bool skip_flush = false;
    std::optional<Duration> ttl;           // Cassandra 4.1+
    bool dry_run = false;
};

// What the first phase learnt from a node, before anything was changed on it.
struct NodeSurvey {
    std::optional<CassandraVersion> version;
    std::optional<NodeInfo> info;
    std::vector<std::string> keyspaces;   // keyspace directories in its data directories
    std::vector<std::string> tables;      // "ks.table" of the requested keyspaces
    bool tag_exists = false;              // some table already has snapshots/<tag>
    bool up_and_normal = false;           // UN in its own `nodetool status`
};

struct SnapshotResult {
    Manifest manifest;
    std::vector<NodeRun> runs;             // the snapshot phase (or the survey, for a node that failed it)
    std::vector<std::string> keyspaces;    // what was snapshotted
    std::uint64_t bytes_hashed = 0;
};

// Phase one, on every node: version, info with tokens, status, keyspace and table directories,
// and whether the tag is already there. Returns the refusal (ErrorKind::usage) when the run must
// not start: a tag already on a node, an unknown keyspace or table, --ttl on a node older than
// 4.1, no node reachable.
struct Survey {
    std::vector<NodeRun> runs;
    std::vector<NodeSurvey> nodes;
};
Survey survey_nodes(Executor& executor, const std::vector<Node>& nodes, const SnapshotRequest& request);
Result<std::vector<std::string>> keyspaces_to_snapshot(const Survey& survey, const SnapshotRequest& request);

// The nodes a survey found ready for the snapshot: they answered and are up and normal.
std::vector<Node> ready_nodes(const std::vector<Node>& nodes, const Survey& survey);

// Phase two: snapshot, list, hash (reusing `hashes` for unchanged files) on the ready nodes;
// the others keep their entry as failed. `on_bytes_listed`, when given, hears each node's
// recorded bytes as soon as its files are listed (for progress), from that node's thread.
SnapshotResult take_snapshot(Executor& executor, const std::vector<Node>& nodes, const Survey& survey,
                             const std::vector<std::string>& keyspaces, const SnapshotRequest& request,
                             const HashIndex& hashes,
                             const std::function<void(std::uint64_t)>& on_bytes_listed = {});

// Sets a node entry's status, duration and, when its run failed, error and failed step (and no
// tables: a failed node records nothing). Shared with incrementals.
void record_outcome(NodeEntry& entry, const NodeRun& run);

// The `nodetool snapshot` arguments of a request; the same syntax serves 3.11 to 5.0 (--ttl: 4.1+).
std::vector<std::string> snapshot_arguments(const SnapshotRequest& request, const std::vector<std::string>& keyspaces);

} // namespace ringsnap::ops
