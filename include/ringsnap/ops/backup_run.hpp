// SPDX-License-Identifier: Apache-2.0
#pragma once

// What snapshots and incrementals share around their work on the nodes: the catalog lock, the
// refusals before anything is touched, the manifest's last touches and its saving, and the run
// status a manifest's status gives.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/outcome.hpp>

namespace ringsnap::ops {

// CatalogLock::acquire, warning when it takes over the lock of a run that died holding it.
[[nodiscard]] Result<CatalogLock> lock_catalog(const Catalog& catalog, const std::string& command);

// The lock for a run that changes things; none for a dry run, which writes nothing (not even the
// lock file).
[[nodiscard]] Result<std::optional<CatalogLock>> lock_unless_dry_run(const Catalog& catalog, const std::string& command,
                                                                     bool dry_run);

// ErrorKind::usage when `tag` is already in the catalog.
[[nodiscard]] Status check_tag_free(const Catalog& catalog, const std::string& tag);

// Who the backup is of and what the command line selected, stamped on its manifest.
struct BackupStamp
{
    std::string cluster;
    std::string tag;
    Timestamp started_at{};
    Selection selection;
    std::uint64_t bytes_hashed = 0;
};

// Whether a node's entry may have left files on the node: it succeeded, or failed at or after
// `nodetool snapshot` (a node that failed before never ran it); and they were not pruned.
bool may_hold_backup(const NodeEntry& node);

// Whether a backup is worth a manifest: some node may hold a part of it (may_hold_backup), which
// a restore can use or `clear` must find. A backup no node holds (every node failed before
// recording anything, or the run was interrupted first) would only take its tag and pass for a
// link of a chain: it is not saved, for snapshots and incrementals alike.
bool worth_saving(const Manifest& manifest);

// Stamps the manifest (cluster, tag, times, selection, bytes hashed; finished now), derives its
// status and totals, and saves it to the catalog when worth_saving. Returns the manifest's path,
// or nothing when it was not saved.
[[nodiscard]] Result<std::optional<std::filesystem::path>> finish_and_save(const Catalog& catalog, Manifest& manifest,
                                                                           const BackupStamp& stamp);

// complete -> ok, partial -> partial, failed -> failed; interrupted after Ctrl-C whatever it says.
RunStatus status_of(ManifestStatus status);

// Sets a node entry's status, duration and, when its run failed, error and failed step (and no
// tables: a failed node records nothing).
void record_outcome(NodeEntry& entry, const NodeRun& run);

} // namespace ringsnap::ops
