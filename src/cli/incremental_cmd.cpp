// SPDX-License-Identifier: Apache-2.0
// `ringsnap incremental [--tag TAG] [--base TAG] [--prune]` and
// `ringsnap incremental enable | disable | status`

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/ops/incremental.hpp>
#include <ringsnap/shell.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/archive_report.hpp"
#include "cli/backup_report.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace ringsnap::cli {

namespace {

struct IncrementalOptions
{
    std::string action; // enable, disable, status; empty: take an incremental backup
    std::string tag;
    std::string base;
    bool prune = false;
    bool archive = false;
    bool force = false;
};

// ---- enable | disable | status

std::string yes_no(std::optional<bool> value, const char* yes, const char* no)
{
    return value ? (*value ? yes : no) : "?";
}

std::string render_switch(const ops::SwitchResult& result, ops::BackupSwitch action)
{
    TextTable table({"DC", "HOST", "VERSION", "BACKUPS", "CASSANDRA.YAML", "NOTE"});
    bool lost_on_restart = false;
    for (std::size_t i = 0; i < result.runs.size(); ++i) {
        const auto& run = result.runs[i];
        const auto& state = result.states[i];
        std::string note = run.error ? describe(*run.error) : state.config_problem;
        if (state.running && state.configured && *state.running != *state.configured) {
            note = *state.running ? "lost at the next restart" : "back on at the next restart";
            lost_on_restart = lost_on_restart || *state.running;
        }
        table.add_row({run.node.datacenter, run.node.host, state.version ? state.version->text : "?",
                       yes_no(state.running, "running", "not running"),
                       yes_no(state.configured, "incremental_backups: true", "false or absent"), note});
    }
    std::string text = table.render();
    if (action == ops::BackupSwitch::enable && lost_on_restart) {
        text += "\nnodetool enablebackup lasts until the node restarts: set `incremental_backups: true` in "
                "cassandra.yaml to keep it.\n";
    }
    return text;
}

int run_switch(Context& context, ops::BackupSwitch action)
{
    auto selection = context.load_and_select();
    if (!selection) {
        return context.refuse(selection.error());
    }
    auto result = ops::switch_incremental_backups(context.executor(), selection->nodes, action);
    auto status = summarize(result.runs, cancel_requested());
    auto json = run_summary_json(status, result.runs, context.options().verbose > 0);
    for (std::size_t i = 0; i < result.runs.size(); ++i) {
        const auto& state = result.states[i];
        json["nodes"][i]["backups_running"] = state.running ? nlohmann::json(*state.running) : nlohmann::json();
        json["nodes"][i]["backups_in_config"] = state.configured ? nlohmann::json(*state.configured) : nlohmann::json();
    }
    context.emit(render_switch(result, action), json);
    return exit_code_for(status);
}

// ---- taking an incremental backup

std::string default_tag()
{
    return fmt::format("ringsnap-inc-{:%Y%m%dT%H%M%SZ}", std::chrono::floor<std::chrono::seconds>(now_utc()));
}

nlohmann::json prune_json(const ops::IncrementalOutcome& outcome)
{
    auto json = nlohmann::json::array();
    for (const auto& result : outcome.prunes) {
        json.push_back({{"host", result.host},
                        {"pruned", !result.error},
                        {"error", result.error ? nlohmann::json(result.error->message) : nlohmann::json()}});
    }
    return json;
}

int run_incremental(Context& context, const IncrementalOptions& options)
{
    ops::IncrementalRequest request;
    request.tag = options.tag.empty() ? default_tag() : options.tag;
    request.base = options.base;
    request.prune = options.prune;
    request.archive = options.archive;
    request.force = options.force;
    request.datacenters = context.options().datacenters;
    request.hosts = context.options().hosts;
    for (const auto& name : {request.tag, request.base}) {
        if (auto valid = validate_tag(name); !name.empty() && !valid) {
            return context.refuse(valid.error());
        }
    }
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    ProgressObserver observer(context.executor());
    auto outcome = ops::run_incremental(context.executor(), catalog, selection.nodes, request, observer);
    if (!outcome) {
        return context.refuse(outcome.error());
    }
    const auto& manifest = outcome->manifest;
    auto json = run_summary_json(outcome->status, outcome->runs, context.options().verbose > 0);
    if (outcome->pruned) {
        json["pruned"] = prune_json(*outcome);
    }
    json["manifest"] = manifest_path_json(outcome->manifest_path);
    json["tag"] = manifest.tag;
    json["base"] = manifest.base.value_or("");
    json["parent"] = manifest.parent ? nlohmann::json(*manifest.parent) : nlohmann::json();
    json["totals"] = totals_json(manifest.totals);
    std::string text = render_backup(manifest, outcome->manifest_path);
    if (outcome->archive) {
        json["archive"] = archive_json(*outcome->archive);
        text += "\n" + render_archive(*outcome->archive);
    }
    context.emit(text, json);
    return exit_code_for(outcome->status);
}

} // namespace

void add_incremental_command(CLI::App& app, Action& action)
{
    auto options = std::make_shared<IncrementalOptions>();
    auto* incremental = app.add_subcommand(
        "incremental", "Take an incremental backup chained to a snapshot; enable|disable|status switch them");
    incremental->add_option("action", options->action, "enable, disable or status (none: take a backup)")
        ->type_name("ACTION")
        ->check(CLI::IsMember({"enable", "disable", "status"}));
    incremental->add_option("--tag", options->tag, "Name of the incremental (default ringsnap-inc-<UTC time>)")
        ->type_name("TAG");
    incremental->add_option("--base", options->base, "The snapshot to build on (default: the newest complete one)")
        ->type_name("TAG");
    incremental->add_flag("--archive", options->archive,
                          "Then copy it to the archive the cluster file names (as `ringsnap archive TAG`)");
    incremental->add_flag("--prune", options->prune,
                          "After the manifest is written, delete the files it recorded from the nodes' backups/\n"
                          "directories: with --archive, only on nodes whose files reached the archive");
    incremental->add_flag("--force", options->force,
                          "With --prune and no --archive: prune anyway (the nodes held the only copy)");
    incremental->footer(
        "Per node: nodetool statusbackup (a node with incremental backups off fails, saying so), flush,\n"
        "then the files of backups/ in the base's keyspaces that no manifest of the chain recorded, with\n"
        "size and SHA-256; each node's flush time is recorded. --prune removes exactly those files\n"
        "and nothing else, and needs --archive (or --force: pruned files are then gone for good).\n"
        "`enable` lasts until the node restarts unless cassandra.yaml says incremental_backups: true;\n"
        "`status` shows both. Exit codes as for snapshot.");
    incremental->callback([options, &action] {
        action = [options](Context& context) {
            if (options->action.empty()) {
                return run_incremental(context, *options);
            }
            if (!options->tag.empty() || !options->base.empty() || options->prune || options->archive ||
                options->force) {
                return context.refuse(make_error(ErrorKind::usage, fmt::format("incremental {} takes no --tag, --base, "
                                                                               "--archive, --prune or --force",
                                                                               options->action)));
            }
            auto which = options->action == "enable"    ? ops::BackupSwitch::enable
                         : options->action == "disable" ? ops::BackupSwitch::disable
                                                        : ops::BackupSwitch::status;
            return run_switch(context, which);
        };
    });
}

} // namespace ringsnap::cli
