// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/backup_run.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>

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
    return node.status == NodeStatus::ok || node.snapshot_at.has_value() || node.failed_step == "nodetool snapshot";
}

bool worth_saving(const Manifest& manifest)
{
    return std::any_of(manifest.nodes.begin(), manifest.nodes.end(), may_hold_backup);
}

Result<std::optional<std::filesystem::path>> finish_and_save(const Catalog& catalog, Manifest& manifest,
                                                             const BackupStamp& stamp)
{
    manifest.cluster = stamp.cluster;
    manifest.tag = stamp.tag;
    manifest.started_at = stamp.started_at;
    manifest.finished_at = now_utc();
    manifest.selection = stamp.selection;
    manifest.totals.bytes_hashed = stamp.bytes_hashed;
    finish_manifest(manifest);
    if (!worth_saving(manifest)) {
        return std::optional<std::filesystem::path>();
    }
    auto saved = catalog.save(manifest);
    if (!saved) {
        return saved.error();
    }
    return std::optional(*saved);
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
