// SPDX-License-Identifier: Apache-2.0
// `ringsnap catalog sync [--dry-run]`

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ringsnap/ops/archive.hpp>

#include "cli/backup_report.hpp"
#include "cli/commands.hpp"

namespace ringsnap::cli {

namespace {

std::string render_sync(const ops::CatalogSync& sync, bool dry_run)
{
    std::string text = fmt::format("Archive: {}\n", fmt::join(sync.roots, ", "));
    if (!sync.added.empty()) {
        text += fmt::format("{} the catalog: {}\n", dry_run ? "Would add to" : "Added to", fmt::join(sync.added, ", "));
    }
    if (!sync.present.empty()) {
        text += fmt::format("Already in the catalog (left as they are): {}\n", fmt::join(sync.present, ", "));
    }
    for (const auto& problem : sync.problems) {
        text += "Problem: " + problem + "\n";
    }
    if (sync.added.empty() && sync.present.empty() && sync.problems.empty()) {
        text += "The archive holds no manifest.\n";
    }
    return text;
}

int run_sync(Context& context, bool dry_run)
{
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    auto sync = ops::sync_catalog(context.executor(), catalog, selection.nodes, dry_run);
    if (!sync) {
        return context.refuse(sync.error());
    }
    int exit = exit_code_for(sync->status);
    nlohmann::json json{{"status", to_string(sync->status)},
                        {"exit_code", exit},
                        {"dry_run", dry_run},
                        {"archive", sync->roots},
                        {"added", sync->added},
                        {"present", sync->present},
                        {"problems", sync->problems},
                        {"nodes", nlohmann::json::array()}}; // the archive's roots are reported, not nodes
    context.emit(render_sync(*sync, dry_run), json);
    return exit;
}

} // namespace

void add_catalog_command(CLI::App& app, Action& action)
{
    auto* catalog = app.add_subcommand("catalog", "Keep the catalog of backups on this host in step with the archive");
    catalog->require_subcommand(1);
    auto dry_run = std::make_shared<bool>(false);
    auto* sync = catalog->add_subcommand("sync", "Copy into the catalog the manifests the archive holds and it lacks");
    sync->add_flag("--dry-run", *dry_run, "Say which manifests would be added; change nothing");
    sync->footer("Reads manifests/ in every archive root the selected nodes use (through rclone on one of\n"
                 "them), checks each manifest the catalog lacks (this cluster's, under its own tag) and saves\n"
                 "it. Manifests already in the catalog are never replaced. The way back when the operator\n"
                 "host and its catalog were lost: then `ringsnap restore TAG --from-archive`.\n"
                 "Exit 0 every manifest read, 1 some refused or a root unreadable, 3 nothing could be read.");
    sync->callback(
        [dry_run, &action] { action = [dry_run](Context& context) { return run_sync(context, *dry_run); }; });
}

} // namespace ringsnap::cli
