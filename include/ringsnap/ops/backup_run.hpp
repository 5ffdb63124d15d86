// SPDX-License-Identifier: Apache-2.0
#pragma once

// What snapshots and incrementals share around their work on the nodes: the catalog lock, the
// refusals before anything is touched, the manifest on record from the run's start to its end,
// and the run status a manifest's status gives.

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
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
    std::optional<Timestamp> expires_at{}; // snapshot --ttl
};

// Whether a node's entry may have left files on the node: it succeeded, was still running when
// last recorded, or failed at or after `nodetool snapshot` (a node that failed before never ran
// it); and they were not pruned.
bool may_hold_backup(const NodeEntry& node);

// Whether a backup is worth a manifest: some node may hold a part of it (may_hold_backup), which
// a restore can use or `clear` must find. A backup no node holds (every node failed before
// recording anything, or the run was interrupted first) would only take its tag and pass for a
// link of a chain: it is not kept, for snapshots and incrementals alike.
bool worth_saving(const Manifest& manifest);

// A backup's manifest while its run goes on (docs/manifest.md, "A run on record"). It is saved
// with status `running` before any node is touched, then again as nodes finish, at most once a
// second and from a thread of its own, so that a run killed with SIGKILL, or whose operator host
// is lost, leaves a record of what it did on which nodes. finish() saves the final document in
// its place.
class RunRecord
{
  public:
    // Saves `manifest` as it stands (every node's entry: running, or failed with its error),
    // stamped, with status running. ErrorKind::usage when the tag is taken, ErrorKind::io when
    // the catalog cannot be written: the run must stop then, before touching a node.
    [[nodiscard]] static Result<std::unique_ptr<RunRecord>> start(const Catalog& catalog, Manifest manifest,
                                                                  const BackupStamp& stamp);
    ~RunRecord();
    RunRecord(const RunRecord&) = delete;
    RunRecord& operator=(const RunRecord&) = delete;

    // Node entry `index` has its final value (ok or failed): it is saved with the next save.
    // Called from the executor's threads.
    void node_finished(std::size_t index, const NodeEntry& entry);

    // Stops the saving, stamps `manifest` (finished now, bytes hashed), derives its status and
    // totals, and saves it in the running document's place when worth_saving; otherwise removes
    // that document. Returns the manifest's path, or nothing when it was not kept.
    [[nodiscard]] Result<std::optional<std::filesystem::path>> finish(Manifest& manifest, std::uint64_t bytes_hashed);

  private:
    RunRecord(const Catalog& catalog, BackupStamp backup, Manifest manifest);
    void save_while_running(std::stop_token stop);

    Catalog m_catalog;
    BackupStamp m_stamp;
    std::mutex m_mutex;
    std::condition_variable_any m_changed;
    Manifest m_manifest; // the document as last known, under m_mutex
    bool m_dirty = false;
    std::jthread m_saver;
};

// A backup whose run ended without finishing its manifest: it was killed, or its operator host
// was lost. What each node had done by the last save.
struct InterruptedRun
{
    std::string tag;
    Timestamp last_recorded{};           // the running manifest's last save
    std::vector<std::string> done;       // hosts whose part was recorded whole
    std::vector<std::string> failed;     // hosts that failed (with nothing recorded)
    std::vector<std::string> unfinished; // hosts still at work: they may hold part of it
};

// The backups of `listing` still `running` whose run no longer holds the catalog lock (`holder`,
// from CatalogLock::holder: no holder, or another run). Manifests that cannot be loaded are left
// out (list reports them as problems of the catalog).
std::vector<InterruptedRun> interrupted_runs(const Catalog& catalog, const CatalogListing& listing,
                                             const std::optional<LockHolder>& holder);

// complete -> ok, partial -> partial, failed -> failed; interrupted after Ctrl-C whatever it says.
RunStatus status_of(ManifestStatus status);

// Sets a node entry's status, duration and, when its run failed, error and failed step (and no
// tables: a failed node records nothing).
void record_outcome(NodeEntry& entry, const NodeRun& run);

} // namespace ringsnap::ops
