// SPDX-License-Identifier: Apache-2.0
#pragma once

// --metrics-file: what each run leaves for Prometheus, in the text format that node_exporter's
// textfile collector reads (docs/automation.md). One file holds every verb of every cluster that
// writes to it: a run replaces its own verb's samples and keeps the others', so one file can
// serve cron's snapshots, incrementals and clears alike.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <ringsnap/result.hpp>

namespace ringsnap::cli {

// One finished run, as its metrics say it.
struct RunMetrics
{
    std::string cluster;
    std::string verb;
    int exit_code = 0;
    double ended_at = 0; // Unix time, seconds
    double duration_seconds = 0;
    std::optional<std::uint64_t> nodes_ok{}; // absent when the run reached no node
    std::optional<std::uint64_t> nodes_failed{};
    std::optional<std::uint64_t> files{}; // backups: files and bytes recorded, bytes read to hash
    std::optional<std::uint64_t> bytes{};
    std::optional<std::uint64_t> bytes_hashed{};
    std::optional<std::uint64_t> bytes_archived{}; // bytes the run sent to the archive
};

// The facts a run's report (the object --json prints) holds: nodes by status, totals, archive.
void add_report(RunMetrics& metrics, const nlohmann::json& report);

// The metrics file's new text: `previous` (the file as it was, maybe empty) with this run's
// verb and cluster replaced, their last success time kept when this run did not succeed.
std::string metrics_text(const RunMetrics& run, std::string_view previous);

// Reads the file, writes the new text beside it and renames it into place (readers never see
// half a file). ErrorKind::io naming the path.
Status write_metrics_file(const std::filesystem::path& path, const RunMetrics& run);

} // namespace ringsnap::cli
