// SPDX-License-Identifier: Apache-2.0
#pragma once

// What `archive`, and `snapshot --archive` / `incremental --archive` after their own report,
// print of an archive run: per node what it sent and whether its part is confirmed, then what
// the archive now holds of the backup against what had to travel (the deduplication).

#include <string>

#include <nlohmann/json.hpp>

#include <ringsnap/ops/archive.hpp>

namespace ringsnap::cli {

std::string render_archive(const ops::ArchiveOutcome& outcome);
// {"status", "remotes", "blobs", "bytes", "blobs_sent", "bytes_sent", "duration_ms", "nodes": [...]}
nlohmann::json archive_json(const ops::ArchiveOutcome& outcome);

} // namespace ringsnap::cli
