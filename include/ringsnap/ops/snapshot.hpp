// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap snapshot`: `nodetool snapshot` on every selected node, then each node's snapshot
// files with size and SHA-256 (computed on the node), recorded in one manifest.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/hash_index.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/ops/archive.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/ops/survey.hpp>
#include <ringsnap/outcome.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::ops {

// Keyspaces a snapshot leaves out unless asked for by name: node-local or replicated system
// data that a restore does not bring back (system_schema is kept: it is the schema).
bool is_system_keyspace_left_out(const std::string& keyspace);

struct SnapshotRequest
{
    std::string tag;                    // validated
    std::vector<std::string> keyspaces; // -k, validated; with tables: none
    std::vector<KeyspaceTable> tables;  // -t
    bool skip_flush = false;
    std::optional<Duration> ttl; // Cassandra 4.1+
    bool dry_run = false;
    bool archive = false;                      // --archive: copy it to the archive once taken
    Selection selection;                       // the command line's, recorded in the manifest
    std::string command = "ringsnap snapshot"; // recorded in the catalog lock
};

struct SnapshotOutcome
{
    RunStatus status = RunStatus::failed;
    std::vector<NodeRun> runs;                          // the snapshot phase (or the survey, for a node that failed it)
    std::vector<std::string> keyspaces;                 // what was (or, dry run, would be) snapshotted
    std::optional<Manifest> manifest;                   // absent for a dry run
    std::optional<std::filesystem::path> manifest_path; // none: dry run, or no node holds it (worth_saving)
    std::optional<ArchiveOutcome> archive;              // --archive
};

// The whole verb: lock the catalog (not for a dry run), survey every node, refuse before
// anything is changed when the run must not start (tag in the catalog or on a node, unknown
// keyspace or table, --ttl on a node older than 4.1, no node reachable: ErrorKind::usage or
// connect), then snapshot, list and hash on the nodes that are up and normal (the others keep a
// failed entry), and save the manifest when some node may hold a part (worth_saving). `hashes` lets unchanged files
// keep earlier hashes.
[[nodiscard]] Result<SnapshotOutcome> run_snapshot(Executor& executor, const Catalog& catalog,
                                                   const std::vector<Node>& nodes, const SnapshotRequest& request,
                                                   Observer& observer);

// The keyspaces a request covers on the nodes a survey reached, or the refusal.
[[nodiscard]] Result<std::vector<std::string>> keyspaces_to_snapshot(const Survey& survey,
                                                                     const SnapshotRequest& request);

// The `nodetool snapshot` arguments of a request; the same syntax serves 3.11 to 5.0 (--ttl: 4.1+).
std::vector<std::string> snapshot_arguments(const SnapshotRequest& request, const std::vector<std::string>& keyspaces);

// Hashes of the newest manifests of the catalog, so unchanged files keep their hashes.
HashIndex earlier_hashes(const Catalog& catalog);

} // namespace ringsnap::ops
