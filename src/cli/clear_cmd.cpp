// SPDX-License-Identifier: Apache-2.0
// `ringsnap clear (--tag TAG | --older-than DUR [--keep N]) [--archive] [--dry-run] [--force]`

#include <algorithm>

#include <fmt/format.h>

#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/clear.hpp>
#include <ringsnap/shell.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/backup_report.hpp"
#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace ringsnap::cli {

namespace {

constexpr int k_max_keep = 1000000;

struct ClearOptions
{
    std::string tag;
    std::string older_than;
    int keep = -1; // -1: not given
    bool archive = false;
    bool dry_run = false;
    bool force = false;
};

Result<ops::RetentionRule> make_rule(const ClearOptions& options)
{
    ops::RetentionRule rule;
    rule.force = options.force;
    rule.archive = options.archive;
    bool retention = !options.older_than.empty() || options.keep >= 0;
    if (options.tag.empty() && !retention) {
        return make_error(ErrorKind::usage, "say what to clear: --tag TAG for one backup, or --older-than DUR "
                                            "and/or --keep N to choose backups by age and count");
    }
    if (!options.tag.empty() && retention) {
        return make_error(ErrorKind::usage, "--tag clears one backup, --older-than and --keep choose backups by "
                                            "age and count: give --tag alone, or leave it out");
    }
    if (!options.tag.empty()) {
        if (auto valid = validate_tag(options.tag); !valid) {
            return valid.error();
        }
        rule.tag = options.tag;
    }
    if (!options.older_than.empty()) {
        auto age = parse_duration(options.older_than, true);
        if (!age) {
            return make_error(ErrorKind::usage, fmt::format("--older-than: {}", age.error().message));
        }
        rule.older_than = *age;
    }
    if (options.keep == 0 && options.older_than.empty()) {
        return make_error(ErrorKind::usage, "--keep 0 without --older-than would clear every backup: give "
                                            "--older-than DUR, or --keep N with N of at least 1 (--tag clears "
                                            "one backup)");
    }
    if (options.keep >= 0) {
        rule.keep = options.keep;
    }
    return rule;
}

std::string render_kept(const ops::ClearPlan& plan)
{
    std::string text;
    for (const auto& kept : plan.protected_by_chain) {
        text += fmt::format("kept {}: {}\n", kept.backup.tag, kept.reason);
    }
    return text;
}

// What clearing `backup` does on the nodes, then to its manifest.
std::string planned_action(const Manifest& backup, bool archive)
{
    std::string action;
    if (backup.cleared_at) {
        action = "nothing left on the nodes";
    } else if (backup.kind == BackupKind::snapshot) {
        action = fmt::format("nodetool {}", fmt::join(ops::clearsnapshot_arguments(backup.tag), " "));
    } else {
        action = fmt::format("rm its {} recorded files from backups/", backup.totals.files);
    }
    if (archive && backup.archive) {
        action += "; its manifest leaves the archive";
    } else if (ops::in_archive(summary_of(backup))) {
        action += "; kept in the archive";
    }
    return action;
}

std::string render_plan(const std::vector<Manifest>& backups, const ops::ClearPlan& plan, bool archive)
{
    TextTable table({"TAG", "KIND", "STARTED", "NODES", "WOULD RUN"});
    for (const auto& backup : backups) {
        auto nodes =
            backup.cleared_at ? 0 : std::count_if(backup.nodes.begin(), backup.nodes.end(), ops::may_hold_backup);
        table.add_row({backup.tag, to_string(backup.kind), format_timestamp(backup.started_at), std::to_string(nodes),
                       planned_action(backup, archive)});
    }
    std::string sweep = archive ? "Then the archive is swept: blobs no manifest left references are deleted.\n" : "";
    return "Dry run: nothing was changed.\n\n" + table.render() + render_kept(plan) + sweep;
}

std::string manifest_fate(const ops::Removal& removal)
{
    if (removal.removed) {
        return removal.unarchived ? "removed (catalog and archive)" : "removed";
    }
    return removal.kept_in_archive ? "kept: in the archive" : "kept (run clear again)";
}

std::string render_sweeps(const std::vector<ops::ArchiveSweep>& sweeps)
{
    std::string text;
    for (const auto& sweep : sweeps) {
        if (sweep.error) {
            text += fmt::format("Sweep of {}: not done: {}\n", sweep.root, *sweep.error);
        } else {
            text += fmt::format("Sweep of {}: {} blob(s) deleted ({}), {} kept.\n", sweep.root, sweep.deleted,
                                format_bytes(sweep.bytes_deleted), sweep.kept);
        }
    }
    return text;
}

std::string render_result(const std::vector<ops::Removal>& removals, const ops::ClearPlan& plan,
                          const std::vector<ops::ArchiveSweep>& sweeps)
{
    if (removals.empty()) {
        return render_kept(plan) + render_sweeps(sweeps); // clear --archive with nothing chosen: a sweep alone
    }
    TextTable table({"TAG", "NODES CLEARED", "MANIFEST", "PROBLEM"});
    for (const auto& removal : removals) {
        table.add_row(
            {removal.tag, fmt::format("{}/{}", removal.cleared, removal.nodes), manifest_fate(removal), removal.note});
    }
    auto settled = std::count_if(removals.begin(), removals.end(),
                                 [](const ops::Removal& r) { return r.removed || r.kept_in_archive; });
    std::string summary = fmt::format("\nCleared {} of {} backup(s).", settled, removals.size());
    if (settled < static_cast<long>(removals.size())) {
        summary += " The others keep their manifest: run clear again once their nodes (and archive) answer.";
    }
    return table.render() + render_kept(plan) + render_sweeps(sweeps) + summary + "\n";
}

nlohmann::json sweeps_json(const std::vector<ops::ArchiveSweep>& sweeps)
{
    auto json = nlohmann::json::array();
    for (const auto& sweep : sweeps) {
        json.push_back({{"root", sweep.root},
                        {"blobs", sweep.blobs},
                        {"kept", sweep.kept},
                        {"deleted", sweep.deleted},
                        {"bytes_deleted", sweep.bytes_deleted},
                        {"error", sweep.error ? nlohmann::json(*sweep.error) : nlohmann::json()}});
    }
    return json;
}

nlohmann::json kept_json(const ops::ClearPlan& plan)
{
    auto json = nlohmann::json::array();
    for (const auto& kept : plan.protected_by_chain) {
        json.push_back({{"tag", kept.backup.tag}, {"reason", kept.reason}});
    }
    return json;
}

int run_clear(Context& context, const ClearOptions& options)
{
    auto rule = make_rule(options);
    if (!rule) {
        return context.refuse(rule.error());
    }
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    ProgressObserver observer(context.executor());
    auto outcome = ops::run_clear(context.executor(), catalog, selection.nodes, *rule, options.dry_run, observer);
    if (!outcome) {
        return context.refuse(outcome.error());
    }
    nlohmann::json json{{"status", "ok"}, {"exit_code", 0}, {"kept", kept_json(outcome->plan)}};
    if (outcome->backups.empty() && outcome->sweeps.empty()) {
        json["nodes"] = nlohmann::json::array();
        json["cleared"] = nlohmann::json::array();
        context.emit("Nothing to clear.\n" + render_kept(outcome->plan), json);
        return exit_code::ok;
    }
    if (options.dry_run) {
        json["dry_run"] = true;
        json["nodes"] = nlohmann::json::array();
        json["would_clear"] = nlohmann::json::array();
        for (const auto& backup : outcome->backups) {
            json["would_clear"].push_back(backup.tag);
        }
        context.emit(render_plan(outcome->backups, outcome->plan, options.archive), json);
        return exit_code::ok;
    }
    json = run_summary_json(outcome->status, outcome->result.runs, context.options().verbose > 0);
    json["kept"] = kept_json(outcome->plan);
    json["cleared"] = nlohmann::json::array();
    for (const auto& removal : outcome->removals) {
        json["cleared"].push_back({{"tag", removal.tag},
                                   {"nodes", removal.nodes},
                                   {"nodes_cleared", removal.cleared},
                                   {"manifest_removed", removal.removed},
                                   {"kept_in_archive", removal.kept_in_archive},
                                   {"removed_from_archive", removal.unarchived},
                                   {"problem", removal.note}});
    }
    json["sweeps"] = sweeps_json(outcome->sweeps);
    context.emit(render_result(outcome->removals, outcome->plan, outcome->sweeps), json);
    return exit_code_for(outcome->status);
}

} // namespace

void add_clear_command(CLI::App& app, Action& action)
{
    auto options = std::make_shared<ClearOptions>();
    auto* clear =
        app.add_subcommand("clear", "Clear backups by tag, age or count, keeping what incremental chains need");
    clear->add_option("--tag", options->tag, "Clear this backup")->type_name("TAG");
    clear->add_option("--older-than", options->older_than, "Clear backups started longer ago than this (e.g. 7d)")
        ->type_name("DURATION");
    clear
        ->add_option("--keep", options->keep,
                     "Keep the N newest complete snapshots whatever their age (no default). Without\n"
                     "--older-than every other backup is cleared, so --keep 0 needs --older-than")
        ->type_name("N")
        ->check(whole_number(0, k_max_keep));
    clear->add_flag("--archive", options->archive,
                    "Remove the backups from the archive too, then delete the blobs no manifest left references");
    clear->add_flag("--dry-run", options->dry_run, "Show what would be cleared; change nothing");
    clear->add_flag("--force", options->force,
                    "Also clear backups that kept incrementals depend on, and drop manifests from the catalog\n"
                    "even when some node could not be cleared");
    clear->footer("Runs `nodetool clearsnapshot -t TAG` on every node that holds a part of each snapshot and\n"
                  "checks that nothing of it is left there; deletes exactly an incremental's recorded files\n"
                  "from backups/. Then the manifest leaves the catalog. A backup a\n"
                  "node could not clear keeps its manifest, so a later clear finishes the job. Snapshots the\n"
                  "catalog does not know are never touched (`ringsnap list --live` shows them).\n"
                  "An archived backup keeps its manifest, marked cleared from the nodes, and can still be\n"
                  "restored --from-archive. With --archive its manifest leaves the archive too, and the\n"
                  "archive is swept: every blob no manifest left (catalog or archive) references is deleted,\n"
                  "unless a backup is being archived at that moment (the sweep then waits for another run).\n"
                  "Exit 0 all cleared (or nothing to clear), 1 some nodes not cleared, 2 refused before\n"
                  "touching anything, 3 nothing could be cleared.");
    clear->callback(
        [options, &action] { action = [options](Context& context) { return run_clear(context, *options); }; });
}

} // namespace ringsnap::cli
