// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the verbs that write a backup (snapshot, incremental) share: taking the catalog lock, the
// per-node table and summary of a manifest, and the run status a manifest's status gives.

#include <string>

#include <nlohmann/json.hpp>

#include <ringsnap/catalog.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/outcome.hpp>

namespace ringsnap::cli {

// CatalogLock::acquire, warning when it takes over the lock of a run that died holding it.
[[nodiscard]] Result<CatalogLock> lock_catalog(const Catalog& catalog, const std::string& command);

// One row per node (status, tables, files, size, time, error), then a summary line.
std::string render_backup(const Manifest& manifest, const std::string& manifest_path);

nlohmann::json totals_json(const ManifestTotals& totals);

// complete -> ok, partial -> partial, failed -> failed; interrupted after Ctrl-C.
RunStatus status_of(ManifestStatus status);

} // namespace ringsnap::cli
