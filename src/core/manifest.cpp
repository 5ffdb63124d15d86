// SPDX-License-Identifier: Apache-2.0
// The manifest's enumerations as the document spells them, and what is derived from the nodes:
// the status, the totals and the snapshot spread. The JSON mapping is in manifest_writer.cpp and
// manifest_reader.cpp.

#include <ringsnap/manifest.hpp>

#include <algorithm>

namespace ringsnap {

// --- Enumerations ---

const char* to_string(BackupKind kind)
{
    return kind == BackupKind::incremental ? "incremental" : "snapshot";
}

const char* to_string(ManifestStatus status)
{
    switch (status) {
    case ManifestStatus::complete:
        return "complete";
    case ManifestStatus::partial:
        return "partial";
    case ManifestStatus::failed:
        return "failed";
    case ManifestStatus::running:
        return "running";
    }
    return "failed";
}

const char* to_string(NodeStatus status)
{
    switch (status) {
    case NodeStatus::ok:
        return "ok";
    case NodeStatus::failed:
        return "failed";
    case NodeStatus::running:
        return "running";
    }
    return "failed";
}

// --- Derived values ---

ManifestStatus derive_status(const std::vector<NodeEntry>& nodes)
{
    auto ok =
        std::count_if(nodes.begin(), nodes.end(), [](const NodeEntry& node) { return node.status == NodeStatus::ok; });
    if (ok == 0) {
        return ManifestStatus::failed;
    }
    return ok == static_cast<std::ptrdiff_t>(nodes.size()) ? ManifestStatus::complete : ManifestStatus::partial;
}

ManifestTotals count_totals(const std::vector<NodeEntry>& nodes)
{
    ManifestTotals totals;
    totals.nodes = nodes.size();
    for (const auto& node : nodes) {
        totals.nodes_ok += node.status == NodeStatus::ok ? 1 : 0;
        totals.tables += node.tables.size();
        for (const auto& table : node.tables) {
            totals.files += table.files.size();
            for (const auto& file : table.files) {
                totals.bytes += file.size;
            }
        }
    }
    return totals;
}

std::optional<SnapshotSpread> compute_spread(const std::vector<NodeEntry>& nodes)
{
    std::optional<SnapshotSpread> spread;
    for (const auto& node : nodes) {
        auto time = node.snapshot_at ? node.snapshot_at : node.flush_at;
        if (!time) {
            continue;
        }
        if (!spread) {
            spread = SnapshotSpread{*time, *time};
        }
        spread->first = std::min(spread->first, *time);
        spread->last = std::max(spread->last, *time);
    }
    return spread;
}

void finish_manifest(Manifest& manifest)
{
    manifest.status = derive_status(manifest.nodes);
    auto bytes_hashed = manifest.totals.bytes_hashed;
    manifest.totals = count_totals(manifest.nodes);
    manifest.totals.bytes_hashed = bytes_hashed;
    manifest.snapshot_spread = compute_spread(manifest.nodes);
    if (manifest.ringsnap_version.empty()) {
        manifest.ringsnap_version = RINGSNAP_VERSION;
    }
}

ManifestSummary summary_of(const Manifest& manifest)
{
    return ManifestSummary{
        manifest.cluster,     manifest.tag,        manifest.kind,       manifest.status, manifest.started_at,
        manifest.finished_at, manifest.base,       manifest.parent,     manifest.totals, manifest.snapshot_spread,
        manifest.archive,     manifest.cleared_at, manifest.expires_at, manifest.run_id};
}

} // namespace ringsnap
