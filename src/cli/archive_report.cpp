// SPDX-License-Identifier: Apache-2.0
#include "cli/archive_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ringsnap/text_table.hpp>

namespace ringsnap::cli {

namespace {

std::size_t files_of(const NodeEntry& node)
{
    std::size_t files = 0;
    for (const auto& table : node.tables) {
        files += table.files.size();
    }
    return files;
}

std::string throughput(std::uint64_t bytes, Duration duration)
{
    auto ms = duration.count();
    return ms <= 0 ? "-" : format_bytes(bytes * 1000 / static_cast<std::uint64_t>(ms)) + "/s";
}

std::string summary(const ops::ArchiveOutcome& outcome)
{
    const auto& manifest = outcome.manifest;
    const auto& archive = *manifest.archive;
    if (archive.status == ManifestStatus::complete && archive.blobs == 0) {
        return fmt::format("{} recorded no file: nothing to archive.\n", manifest.tag);
    }
    std::string verdict = archive.status == ManifestStatus::complete  ? "archived"
                          : archive.status == ManifestStatus::partial ? "PARTLY archived"
                                                                      : "NOT archived";
    return fmt::format("{} {} to {}: {} distinct file contents ({}); sent {} ({}), {} already there; {:.1f} s, "
                       "{}.\n",
                       manifest.tag, verdict, fmt::join(archive.remotes, ", "), archive.blobs,
                       format_bytes(archive.bytes), archive.blobs_sent, format_bytes(archive.bytes_sent),
                       archive.blobs - std::min(archive.blobs, archive.blobs_sent),
                       static_cast<double>(outcome.duration.count()) / 1000.0,
                       throughput(archive.bytes_sent, outcome.duration));
}

} // namespace

std::string render_archive(const ops::ArchiveOutcome& outcome)
{
    TextTable table({"DC", "HOST", "FILES", "SENT", "BYTES SENT", "ARCHIVE"});
    for (const auto& node : outcome.manifest.nodes) {
        if (node.tables.empty()) {
            continue;
        }
        const auto& archive = node.archive;
        std::string result = !archive                            ? "-"
                             : archive->status == NodeStatus::ok ? "ok"
                                                                 : "FAILED: " + archive->error.value_or("");
        table.add_row({node.datacenter, node.host, std::to_string(files_of(node)),
                       archive ? std::to_string(archive->files_sent) : "-",
                       archive ? format_bytes(archive->bytes_sent) : "-", result});
    }
    std::string text = table.render() + "\n" + summary(outcome);
    for (const auto& skipped : outcome.skipped) {
        text += "skipped " + skipped + "\n";
    }
    for (const auto& note : outcome.notes) {
        text += "note: " + note + "\n";
    }
    return text;
}

nlohmann::json archive_json(const ops::ArchiveOutcome& outcome)
{
    const auto& archive = *outcome.manifest.archive;
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& node : outcome.manifest.nodes) {
        if (node.tables.empty() || !node.archive) {
            continue;
        }
        nodes.push_back({{"host", node.host},
                         {"datacenter", node.datacenter},
                         {"status", to_string(node.archive->status)},
                         {"error", node.archive->error ? nlohmann::json(*node.archive->error) : nlohmann::json()},
                         {"remote", node.archive->remote},
                         {"files", files_of(node)},
                         {"files_sent", node.archive->files_sent},
                         {"bytes_sent", node.archive->bytes_sent}});
    }
    return {{"status", to_string(archive.status)},
            {"remotes", archive.remotes},
            {"blobs", archive.blobs},
            {"bytes", archive.bytes},
            {"blobs_sent", archive.blobs_sent},
            {"bytes_sent", archive.bytes_sent},
            {"duration_ms", outcome.duration.count()},
            {"notes", outcome.notes},
            {"skipped", outcome.skipped},
            {"nodes", nodes}};
}

} // namespace ringsnap::cli
