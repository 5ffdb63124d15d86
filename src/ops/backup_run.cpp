// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/backup_run.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/run_id.hpp>

namespace ringsnap::ops {

Result<CatalogLock> lock_catalog(const Catalog& catalog, const std::string& command)
{
    auto lock = CatalogLock::acquire(catalog, command);
    if (lock && lock->taken_over()) {
        spdlog::warn("taking over the lock of a run that is gone: {}", describe(*lock->taken_over()));
    }
    return lock;
}

Result<std::optional<CatalogLock>> lock_unless_dry_run(const Catalog& catalog, const std::string& command, bool dry_run)
{
    if (dry_run) {
        return std::optional<CatalogLock>();
    }
    auto lock = lock_catalog(catalog, command);
    if (!lock) {
        return lock.error();
    }
    return std::optional<CatalogLock>(std::move(*lock));
}

Status check_tag_free(const Catalog& catalog, const std::string& tag)
{
    if (catalog.exists(tag)) {
        return make_error(ErrorKind::usage, fmt::format("tag {} is already in the catalog ({}); choose another", tag,
                                                        catalog.directory().string()));
    }
    return {};
}

bool may_hold_backup(const NodeEntry& node)
{
    if (node.pruned_at) {
        return false;
    }
    return node.status != NodeStatus::failed || node.snapshot_at.has_value() || node.failed_step == "nodetool snapshot";
}

bool worth_saving(const Manifest& manifest)
{
    return std::any_of(manifest.nodes.begin(), manifest.nodes.end(), may_hold_backup);
}

namespace {

// A second between saves: a record at most that late, and at 256 nodes no more than one
// manifest written a second however fast the nodes finish.
constexpr auto k_save_interval = std::chrono::seconds(1);

void stamp(Manifest& manifest, const BackupStamp& backup)
{
    manifest.cluster = backup.cluster;
    manifest.tag = backup.tag;
    manifest.started_at = backup.started_at;
    manifest.selection = backup.selection;
    manifest.expires_at = backup.expires_at;
    manifest.run_id = this_run_id();
}

// The running document: finished_at says when it was last saved.
void mark_running(Manifest& manifest)
{
    manifest.finished_at = now_utc();
    auto bytes_hashed = manifest.totals.bytes_hashed;
    finish_manifest(manifest);
    manifest.totals.bytes_hashed = bytes_hashed;
    manifest.status = ManifestStatus::running;
}

} // namespace

Result<std::unique_ptr<RunRecord>> RunRecord::start(const Catalog& catalog, Manifest manifest,
                                                    const BackupStamp& backup)
{
    stamp(manifest, backup);
    mark_running(manifest);
    if (auto saved = catalog.save(manifest); !saved) {
        return make_error(saved.error().kind, fmt::format("nothing was done: the manifest cannot be put on record: {}",
                                                          saved.error().message));
    }
    return std::unique_ptr<RunRecord>(new RunRecord(catalog, backup, std::move(manifest)));
}

RunRecord::RunRecord(const Catalog& catalog, BackupStamp backup, Manifest manifest)
    : m_catalog(catalog), m_stamp(std::move(backup)), m_manifest(std::move(manifest)),
      m_saver([this](std::stop_token stop) { save_while_running(stop); })
{
}

RunRecord::~RunRecord() = default; // m_saver, the last member, is stopped and joined first

void RunRecord::node_finished(std::size_t index, const NodeEntry& entry)
{
    std::lock_guard lock(m_mutex);
    if (index < m_manifest.nodes.size()) {
        m_manifest.nodes[index] = entry;
        m_dirty = true;
    }
    m_changed.notify_one();
}

void RunRecord::save_while_running(std::stop_token stop)
{
    bool warned = false;
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_changed.wait(lock, stop, [&] { return m_dirty; });
        if (stop.stop_requested()) {
            return;
        }
        m_dirty = false;
        mark_running(m_manifest);
        Manifest copy = m_manifest;
        lock.unlock();
        if (auto saved = m_catalog.save(copy, SaveMode::replace); !saved && !warned) {
            spdlog::warn("the record of this run could not be updated: {}", saved.error().message);
            warned = true;
        }
        lock.lock();
        m_changed.wait_for(lock, stop, k_save_interval, [] { return false; }); // a pause; a stop cuts it short
    }
}

Result<std::optional<std::filesystem::path>> RunRecord::finish(Manifest& manifest, std::uint64_t bytes_hashed)
{
    m_saver.request_stop();
    m_saver.join();
    stamp(manifest, m_stamp);
    manifest.finished_at = now_utc();
    manifest.totals.bytes_hashed = bytes_hashed;
    finish_manifest(manifest);
    if (!worth_saving(manifest)) {
        if (auto removed = m_catalog.remove(manifest.tag); !removed) {
            return removed.error();
        }
        return std::optional<std::filesystem::path>();
    }
    auto saved = m_catalog.save(manifest, SaveMode::replace);
    if (!saved) {
        return saved.error();
    }
    return std::optional(*saved);
}

std::vector<InterruptedRun> interrupted_runs(const Catalog& catalog, const CatalogListing& listing,
                                             const std::optional<LockHolder>& holder)
{
    std::vector<InterruptedRun> runs;
    for (const auto& backup : listing.manifests) {
        bool its_run_holds_the_lock = holder && !backup.run_id.empty() && holder->run_id == backup.run_id;
        if (backup.status != ManifestStatus::running || its_run_holds_the_lock) {
            continue;
        }
        auto manifest = catalog.load(backup.tag);
        if (!manifest) {
            continue;
        }
        InterruptedRun run{backup.tag, manifest->finished_at, {}, {}, {}};
        for (const auto& node : manifest->nodes) {
            auto& hosts = node.status == NodeStatus::ok       ? run.done
                          : node.status == NodeStatus::failed ? run.failed
                                                              : run.unfinished;
            hosts.push_back(node.host);
        }
        runs.push_back(std::move(run));
    }
    return runs;
}

RunStatus status_of(ManifestStatus status)
{
    if (cancel_requested()) {
        return RunStatus::interrupted;
    }
    switch (status) {
    case ManifestStatus::complete:
        return RunStatus::ok;
    case ManifestStatus::partial:
        return RunStatus::partial;
    case ManifestStatus::failed:
    case ManifestStatus::running:
        break;
    }
    return RunStatus::failed;
}

void record_outcome(NodeEntry& entry, const NodeRun& run)
{
    entry.status = run.ok() ? NodeStatus::ok : NodeStatus::failed;
    entry.duration_ms = run.duration.count();
    if (run.error) {
        entry.error = run.error->message;
        entry.failed_step = run.failed_step;
        entry.tables.clear();
    }
}

} // namespace ringsnap::ops
