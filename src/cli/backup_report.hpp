// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the verbs on backups share: the selection with its catalog, and for those that write a
// manifest (snapshot, incremental) its per-node table and summary.

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <ringsnap/catalog.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/outcome.hpp>

#include "cli/context.hpp"

namespace ringsnap::cli {

// The nodes the command line selects and the catalog of their cluster: what every verb that reads
// or writes backups starts from. Errors are for Context::refuse.
struct CatalogSelection
{
    Context::Selection selection;
    Catalog catalog;
};
[[nodiscard]] Result<CatalogSelection> select_with_catalog(Context& context);

// The catalog alone, for verbs (and modes) that touch no node: no node is selected and --seed is
// never reached.
[[nodiscard]] Result<Catalog> open_catalog(Context& context);

// One row per node (status, tables, files, size, time, error), then a summary line and where the
// manifest is (or that none was saved: no node recorded anything).
std::string render_backup(const Manifest& manifest, const std::optional<std::filesystem::path>& manifest_path);

// The manifest's path for --json, null when none was saved.
nlohmann::json manifest_path_json(const std::optional<std::filesystem::path>& manifest_path);

nlohmann::json totals_json(const ManifestTotals& totals);

} // namespace ringsnap::cli
