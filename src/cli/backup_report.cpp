// SPDX-License-Identifier: Apache-2.0
#include "cli/backup_report.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/text_table.hpp>

namespace ringsnap::cli {

namespace {

double seconds(std::int64_t milliseconds)
{
    return static_cast<double>(milliseconds) / 1000.0;
}

std::string summary_line(const Manifest& manifest)
{
    const auto& totals = manifest.totals;
    std::string what = fmt::format("Snapshot {}", manifest.tag);
    if (manifest.kind == BackupKind::incremental) {
        what = fmt::format("Incremental {} (base {}, parent {})", manifest.tag, manifest.base.value_or("?"),
                           manifest.parent.value_or("none"));
    }
    std::string spread;
    if (manifest.snapshot_spread) {
        spread = fmt::format(", spread {} ms between nodes", manifest.snapshot_spread->spread().count());
    }
    return fmt::format("{} {} in {:.1f} s: {} of {} nodes ({} failed), {} tables, {} files, {} recorded, {} hashed{}",
                       what, to_string(manifest.status), seconds((manifest.finished_at - manifest.started_at).count()),
                       totals.nodes_ok, totals.nodes, totals.nodes - totals.nodes_ok, totals.tables, totals.files,
                       format_bytes(totals.bytes), format_bytes(totals.bytes_hashed), spread);
}

} // namespace

Result<Catalog> open_catalog(Context& context)
{
    auto cluster = context.cluster();
    if (!cluster) {
        return cluster.error();
    }
    return Catalog::open(*cluster);
}

Result<CatalogSelection> select_with_catalog(Context& context)
{
    auto selection = context.load_and_select();
    if (!selection) {
        return selection.error();
    }
    auto catalog = Catalog::open(selection->cluster);
    if (!catalog) {
        return catalog.error();
    }
    return CatalogSelection{std::move(*selection), std::move(*catalog)};
}

std::string render_backup(const Manifest& manifest, const std::optional<std::filesystem::path>& manifest_path)
{
    TextTable table({"DC", "HOST", "STATUS", "TABLES", "FILES", "SIZE", "TIME", "ERROR"});
    for (const auto& node : manifest.nodes) {
        std::uint64_t files = 0, bytes = 0;
        for (const auto& entry : node.tables) {
            files += entry.files.size();
            for (const auto& file : entry.files) {
                bytes += file.size;
            }
        }
        table.add_row({node.datacenter, node.host, to_string(node.status), std::to_string(node.tables.size()),
                       std::to_string(files), format_bytes(bytes),
                       fmt::format("{:.1f}s", seconds(node.duration_ms.value_or(0))), node.error.value_or("")});
    }
    std::string saved = manifest_path ? "Manifest: " + manifest_path->string()
                                      : "No manifest saved: no node recorded anything, so the tag stays free.";
    return table.render() + "\n" + summary_line(manifest) + "\n" + saved + "\n";
}

nlohmann::json manifest_path_json(const std::optional<std::filesystem::path>& manifest_path)
{
    return manifest_path ? nlohmann::json(manifest_path->string()) : nlohmann::json();
}

nlohmann::json totals_json(const ManifestTotals& totals)
{
    return {{"nodes", totals.nodes}, {"nodes_ok", totals.nodes_ok}, {"tables", totals.tables},
            {"files", totals.files}, {"bytes", totals.bytes},       {"bytes_hashed", totals.bytes_hashed}};
}

} // namespace ringsnap::cli
