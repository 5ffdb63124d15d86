// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap incremental`: Cassandra's incremental backups (hard links of every flushed SSTable
// in each table's backups/ directory) turned into a chain of manifests: a base snapshot, then
// incrementals that each record the files no earlier manifest of the chain recorded.
// `incremental enable | disable | status` switches the nodes' runtime setting.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/hash_index.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/nodetool.hpp>

namespace ringsnap::ops {

// ---- enable | disable | status

enum class BackupSwitch { enable, disable, status };

struct NodeBackupState {
    std::optional<CassandraVersion> version;
    std::optional<bool> running;     // `nodetool statusbackup`, after the change
    std::optional<bool> configured;  // incremental_backups in the node's cassandra.yaml
    std::string config_problem;      // why `configured` is absent ("cannot read ...")
};

struct SwitchResult {
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

// A base snapshot and the incrementals already built on it, oldest first.
struct Chain {
    Manifest base;
    std::vector<Manifest> incrementals;
};

// The keyspaces an incremental of `chain` covers: those of its base snapshot.
std::vector<std::string> chain_keyspaces(const Chain& chain);

struct IncrementalResult {
    Manifest manifest;  // kind, base, parent and nodes set; the caller adds the rest
    std::vector<NodeRun> runs;
    std::uint64_t bytes_hashed = 0;
};

// On every node: statusbackup (a node with incremental backups off fails, saying so), flush of
// the chain's keyspaces (recorded as flush_at), then the files of their tables' backups/
// directories that no manifest of the chain recorded for that node (the base snapshot's files
// included: an SSTable flushed before the snapshot is in both), hashed on the node unless
// `hashes` knows them.
IncrementalResult take_incremental(Executor& executor, const std::vector<Node>& nodes, const Chain& chain,
                                   const HashIndex& hashes);

// Deletes from each node's backups/ exactly the files `manifest` recorded for it; nothing else.
// Nodes whose entry failed are skipped. One NodeRun per node pruned.
std::vector<NodeRun> prune_recorded_files(Executor& executor, const std::vector<Node>& nodes, const Manifest& manifest);

} // namespace ringsnap::ops
