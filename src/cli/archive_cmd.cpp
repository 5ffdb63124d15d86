// SPDX-License-Identifier: Apache-2.0
// `ringsnap archive TAG`

#include <ringsnap/ops/archive.hpp>
#include <ringsnap/shell.hpp>

#include "cli/archive_report.hpp"
#include "cli/backup_report.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace ringsnap::cli {

namespace {

int run_archive(Context& context, const std::string& tag)
{
    if (auto valid = validate_tag(tag); !valid) {
        return context.refuse(valid.error());
    }
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    ProgressObserver observer(context.executor());
    const auto& options = context.options();
    bool narrowed = !options.datacenters.empty() || !options.hosts.empty();
    ops::ArchiveRequest request{tag, "ringsnap archive " + tag,
                                narrowed ? ops::ArchiveScope::selected : ops::ArchiveScope::every_node};
    auto outcome = ops::run_archive(context.executor(), catalog, selection.nodes, request, observer);
    if (!outcome) {
        return context.refuse(outcome.error());
    }
    auto json = run_summary_json(outcome->status, outcome->runs, context.options().verbose > 0);
    json["tag"] = tag;
    json["manifest"] = manifest_path_json(outcome->manifest_path);
    json["archive"] = archive_json(*outcome);
    json["nodes"] = json["archive"]["nodes"];
    context.emit(render_archive(*outcome), json);
    return exit_code_for(outcome->status);
}

} // namespace

void add_archive_command(CLI::App& app, Action& action)
{
    auto tag = std::make_shared<std::string>();
    auto* archive = app.add_subcommand("archive", "Copy a backup off the nodes into the archive");
    archive->add_option("tag", *tag, "The backup's tag")->type_name("TAG")->required();
    archive->footer("Each node uploads its files of the backup with rclone to the archive the cluster file names\n"
                    "(archive: remote), content-addressed by their SHA-256: a content already in the archive (from an\n"
                    "earlier backup, or another node) is not sent again. Every file is then checked there at its\n"
                    "recorded size before the node's part is recorded as archived, and the manifest is written to\n"
                    "the archive beside the blobs. A rerun sends only what is still missing.\n"
                    "With --dc/--hosts only the selected nodes' parts are archived; the others are skipped and\n"
                    "said so, and the backup's archive stays partial until a run archives them.\n"
                    "Exit 0 every (selected) node archived, 1 some, 3 none.");
    archive->callback([tag, &action] { action = [tag](Context& context) { return run_archive(context, *tag); }; });
}

} // namespace ringsnap::cli
