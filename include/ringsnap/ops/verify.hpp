// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap verify TAG`: the nodes' files of a backup (snapshot or incremental) against its manifest.

#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/outcome.hpp>

namespace ringsnap::ops {

struct Mismatch
{
    std::string host;
    std::string path;   // <table directory>/snapshots/<tag>/<name>, or .../backups/<name>
    std::string reason; // "missing", "size 10 instead of 12", "SHA-256 differs", "not in the manifest"
};

struct VerifyResult
{
    std::vector<NodeRun> runs; // one per node checked
    std::vector<std::size_t> files_checked;
    std::vector<Mismatch> mismatches;
};

// Where a backup's files are on a node: a snapshot alone in snapshots/<tag>/, an incremental's
// among others in backups/.
struct BackupPlace
{
    std::string subdir;  // under the table directory
    bool only_its_files; // whether any other file there is a mismatch
};
BackupPlace place_of(const Manifest& manifest);

// Compares one node's files, as found now (hashed), with its manifest entry.
std::vector<Mismatch> compare_node(const NodeEntry& recorded, const std::vector<TableEntry>& found,
                                   const BackupPlace& place);

// Every `nodes[i]` is checked against `recorded[i]` (an entry of `manifest`): the backup's files
// listed and hashed on the node (all of them: verification must read what is there), then
// compared.
VerifyResult verify_backup(Executor& executor, const std::vector<Node>& nodes, const std::vector<NodeEntry>& recorded,
                           const Manifest& manifest);

struct VerifyOutcome
{
    RunStatus status = RunStatus::failed;
    int exit_code = exit_code::failed; // 4 when a file does not match
    VerifyResult result;
    std::size_t files_recorded = 0;   // files of the nodes that were to be checked
    std::vector<std::string> skipped; // "host: why", for recorded nodes not checked
};

// The whole verb: the manifest of `tag`, its node entries paired with the selected nodes, and
// each paired node that recorded its part checked. Nodes whose files were pruned on purpose are
// skipped and said so. ErrorKind::usage when no selected node holds a part of the backup.
[[nodiscard]] Result<VerifyOutcome> run_verify(Executor& executor, const Catalog& catalog,
                                               const std::vector<Node>& nodes, const std::string& tag,
                                               Observer& observer);

} // namespace ringsnap::ops
