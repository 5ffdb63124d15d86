// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the verbs on backups share: the selection with its catalog, the catalog lock, and for those
// that write one (snapshot, incremental) the per-node table and summary of a manifest and the run
// status its status gives.

#include <string>

#include <nlohmann/json.hpp>

#include <ringsnap/catalog.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/outcome.hpp>

#include "cli/context.hpp"

namespace ringsnap::cli {

// The nodes the command line selects and the catalog of their cluster: what every verb that reads
// or writes backups starts from. Errors are for Context::refuse.
struct CatalogSelection {
    Context::Selection selection;
    Catalog catalog;
};
[[nodiscard]] Result<CatalogSelection> select_with_catalog(Context& context);

// CatalogLock::acquire, warning when it takes over the lock of a run that died holding it.
[[nodiscard]] Result<CatalogLock> lock_catalog(const Catalog& catalog, const std::string& command);

// One row per node (status, tables, files, size, time, error), then a summary line.
std::string render_backup(const Manifest& manifest, const std::string& manifest_path);

nlohmann::json totals_json(const ManifestTotals& totals);

// complete -> ok, partial -> partial, failed -> failed; interrupted after Ctrl-C.
RunStatus status_of(ManifestStatus status);

} // namespace ringsnap::cli
