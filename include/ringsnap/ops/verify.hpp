// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap verify TAG`: the nodes' snapshot files against the backup's manifest.

#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/manifest.hpp>

namespace ringsnap::ops {

struct Mismatch {
    std::string host;
    std::string path;    // <table directory>/snapshots/<tag>/<name>
    std::string reason;  // "missing", "size 10 instead of 12", "SHA-256 differs", "not in the manifest"
};

struct VerifyResult {
    std::vector<NodeRun> runs;          // one per node checked
    std::vector<std::size_t> files_checked;
    std::vector<Mismatch> mismatches;
};

// Compares one node's files, as found now (hashed), with its manifest entry.
std::vector<Mismatch> compare_node(const NodeEntry& recorded, const std::vector<TableEntry>& found,
                                   const std::string& tag);

// Every `nodes[i]` is checked against `recorded[i]`: the snapshot's files listed and hashed on
// the node (all of them: verification must read what is there), then compared.
VerifyResult verify_snapshot(Executor& executor, const std::vector<Node>& nodes,
                             const std::vector<NodeEntry>& recorded, const std::string& tag);

} // namespace ringsnap::ops
