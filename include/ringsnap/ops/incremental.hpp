// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap incremental`: Cassandra's incremental backups (hard links of every flushed SSTable
// in each table's backups/ directory) turned into a chain of manifests: a base snapshot, then
// incrementals that each record the files no earlier manifest of the chain recorded.
// `incremental enable | disable | status` switches the nodes' runtime setting.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/archive.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/outcome.hpp>

namespace ringsnap::ops {

// ---- enable | disable | status

enum class BackupSwitch { enable, disable, status };

struct NodeBackupState
{
    std::optional<CassandraVersion> version;
    std::optional<bool> running;    // `nodetool statusbackup`, after the change
    std::optional<bool> configured; // incremental_backups in the node's cassandra.yaml
    std::string config_problem;     // why `configured` is absent ("cannot read ...")
};

struct SwitchResult
{
    std::vector<NodeRun> runs;
    std::vector<NodeBackupState> states;
};

// Runs enablebackup / disablebackup (not for status), then reads statusbackup, the version and
// the node's cassandra.yaml, all together.
SwitchResult switch_incremental_backups(Executor& executor, const std::vector<Node>& nodes, BackupSwitch action);

// `incremental_backups` of a cassandra.yaml: false when the key is absent (Cassandra's default).
// ErrorKind::parse when the text is not YAML or the value is not a boolean.
[[nodiscard]] Result<bool> incremental_backups_setting(const std::string& cassandra_yaml);

// ---- taking an incremental backup

// The `nodetool flush` arguments of one node's incremental: one call, of the chain's keyspace
// when it has one, else of every keyspace (flush takes a single keyspace; without one it
// flushes them all), rather than a JVM per keyspace.
std::vector<std::string> flush_arguments(const std::vector<std::string>& keyspaces);

struct IncrementalRequest
{
    std::string tag;  // validated
    std::string base; // validated; "" for the newest complete snapshot
    bool prune = false;
    bool archive = false;                 // --archive: copy it to the archive once gathered (before any prune)
    bool force = false;                   // --force: prune files no archive holds (the nodes' only copy)
    std::vector<std::string> datacenters; // --dc and --hosts, recorded in the manifest
    std::vector<std::string> hosts;
    std::string command = "ringsnap incremental"; // recorded in the catalog lock
};

// One node's --prune.
struct PruneResult
{
    std::string host;
    std::optional<Error> error; // none: its recorded files are gone from backups/
};

struct IncrementalOutcome
{
    RunStatus status = RunStatus::failed;
    Manifest manifest;
    std::optional<std::filesystem::path> manifest_path; // none: no node recorded it (worth_saving)
    std::vector<NodeRun> runs;
    bool pruned = false; // --prune ran (after the manifest was saved)
    std::vector<PruneResult> prunes;
    std::optional<ArchiveOutcome> archive; // --archive
};

// The whole verb: lock the catalog, refuse a taken tag or a missing base (ErrorKind::usage,
// nothing touched) or an impossible chain (ErrorKind::catalog, chain.hpp), then on every node: statusbackup (a node
// with incremental backups off fails, saying so), one flush (flush_arguments; recorded as flush_at), then the
// files of their tables' backups/ directories that no manifest of the chain recorded for that node (the base snapshot's
// files included: an SSTable flushed before the snapshot is in both), hashed on the node. The manifest is saved when
// some node recorded its part (worth_saving); then, with prune, exactly its recorded files leave the nodes' backups/
// and the manifest records when.
[[nodiscard]] Result<IncrementalOutcome> run_incremental(Executor& executor, const Catalog& catalog,
                                                         const std::vector<Node>& nodes,
                                                         const IncrementalRequest& request, Observer& observer);

} // namespace ringsnap::ops
