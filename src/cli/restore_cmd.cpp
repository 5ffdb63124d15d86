// SPDX-License-Identifier: Apache-2.0
// `ringsnap restore TAG [--until TIME] [-k KS]... [-t KS.TABLE]...
//                  [--method auto|import|refresh|restart|sstableloader] [--rolling] [--start-timeout D]
//                  [--cleanup] [--target FILE [--host-map FILE]] [--throttle MBITS] [--loaders-per-dc N]
//                  [--replication DC:RF,..]
//                  [--truncate] [--keep-truncate-snapshots] [--count-rows] [--compare-source]
//                  [--from-archive] [--dry-run] [--yes] [--resume]`
// `ringsnap restore --undo RESTORE_ID [--target FILE] [--yes]` and
// `ringsnap restore --cleanup RESTORE_ID [--target FILE]`

#include <iostream>

#include <fmt/format.h>
#include <unistd.h>

#include <ringsnap/host_map.hpp>
#include <ringsnap/local_file.hpp>
#include <ringsnap/ops/restore.hpp>
#include <ringsnap/shell.hpp>

#include "cli/backup_report.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/restore_report.hpp"

namespace ringsnap::cli {

namespace {

struct RestoreOptions
{
    std::string tag;
    std::string until;
    std::vector<std::string> keyspaces;
    std::vector<std::string> tables;
    std::string method = "auto";
    bool rolling = false;
    std::string start_timeout = "10m";
    CLI::Option* cleanup = nullptr; // --cleanup [RESTORE_ID]
    std::string cleanup_id;
    std::string undo_id;
    std::string target;     // a second cluster file: sstableloader's, or --host-map's
    std::string host_map;   // import/restart node for node into --target
    int throttle_mbits = 0; // 0: not limited
    int loaders_per_dc = 1;
    std::string replication;
    bool truncate = false;
    bool keep_truncate_snapshots = false;
    bool from_archive = false;
    bool count_rows = false;
    bool compare_source = false;
    bool dry_run = false;
    bool yes = false;
    bool resume = false;
};

Result<Timestamp> parse_until(const std::string& text)
{
    if (auto time = parse_timestamp(text)) {
        return *time;
    }
    if (auto ago = parse_duration(text)) {
        return std::chrono::floor<std::chrono::milliseconds>(now_utc() - *ago);
    }
    return make_error(ErrorKind::usage, fmt::format("--until {}: expected a UTC time like 2026-11-23T02:00:00Z or a "
                                                    "duration ago like 2h",
                                                    quote_for_message(text)));
}

Result<ops::LoadMethod> parse_method(const std::string& method)
{
    for (auto known : {ops::LoadMethod::automatic, ops::LoadMethod::import, ops::LoadMethod::refresh,
                       ops::LoadMethod::restart, ops::LoadMethod::sstableloader}) {
        if (method == ops::to_string(known)) {
            return known;
        }
    }
    return make_error(ErrorKind::usage, fmt::format("--method {}: expected auto, import, refresh, restart or "
                                                    "sstableloader",
                                                    quote_for_message(method)));
}

Result<Duration> start_timeout_of(const RestoreOptions& options)
{
    auto timeout = parse_duration(options.start_timeout);
    if (!timeout || *timeout <= Duration::zero()) {
        return make_error(ErrorKind::usage, fmt::format("--start-timeout {}: expected a duration like 10m or 90s",
                                                        quote_for_message(options.start_timeout)));
    }
    return *timeout;
}

// The options of a restore into another cluster (--target): by sstableloader, or node for node
// with --host-map; the files they name are read later.
Status add_target_options(const RestoreOptions& options, ops::RestoreRequest& request)
{
    bool loader = request.method == ops::LoadMethod::sstableloader;
    bool mapped = !options.host_map.empty();
    bool loader_only =
        (!options.target.empty() && !mapped) || options.throttle_mbits != 0 || options.loaders_per_dc != 1;
    if (loader_only && !loader && !options.resume) {
        return make_error(ErrorKind::usage, "--target (without --host-map), --throttle and --loaders-per-dc go with "
                                            "--method sstableloader");
    }
    if (mapped && (options.target.empty() || loader)) {
        return make_error(ErrorKind::usage, "--host-map restores node for node into another cluster by import, "
                                            "refresh or restart: give that cluster's file with --target FILE, and "
                                            "no --method sstableloader");
    }
    if (options.compare_source && (options.target.empty() || mapped) && !options.resume) {
        return make_error(ErrorKind::usage, "--compare-source counts the rows of the cluster the backup came from "
                                            "against the target's: it goes with --method sstableloader --target "
                                            "FILE");
    }
    if (options.throttle_mbits < 0 || options.loaders_per_dc < 1) {
        return make_error(ErrorKind::usage, "--throttle is megabits per second (0: no limit) and --loaders-per-dc at "
                                            "least 1");
    }
    request.throttle_mbits = options.throttle_mbits > 0 ? std::optional(options.throttle_mbits) : std::nullopt;
    request.loaders_per_dc = options.loaders_per_dc;
    return {};
}

// Checks every name before any node is touched.
Result<ops::RestoreRequest> make_request(const RestoreOptions& options, const GlobalOptions& global)
{
    ops::RestoreRequest request;
    if (options.tag.empty() && !options.resume) {
        return make_error(ErrorKind::usage, "say which backup to restore: ringsnap restore TAG (or --resume)");
    }
    if (!options.tag.empty()) {
        if (auto valid = validate_tag(options.tag); !valid) {
            return valid.error();
        }
    }
    request.tag = options.tag;
    bool asked_more = !options.until.empty() || !options.keyspaces.empty() || !options.tables.empty() ||
                      options.method != "auto" || options.truncate || options.keep_truncate_snapshots ||
                      options.rolling;
    if (options.resume && asked_more) {
        return make_error(ErrorKind::usage, "--resume continues a restore as it was first asked: give it no --until, "
                                            "-k, -t, --method, --rolling or --truncate");
    }
    if (!options.until.empty()) {
        auto until = parse_until(options.until);
        if (!until) {
            return until.error();
        }
        request.until = *until;
    }
    for (const auto& keyspace : options.keyspaces) {
        if (auto valid = validate_cql_identifier(keyspace, "keyspace"); !valid) {
            return valid.error();
        }
    }
    request.keyspaces = options.keyspaces;
    for (const auto& text : options.tables) {
        auto table = parse_keyspace_table(text);
        if (!table) {
            return table.error();
        }
        request.tables.push_back(*table);
    }
    auto method = parse_method(options.method);
    if (!method) {
        return method.error();
    }
    request.method = *method;
    auto timeout = start_timeout_of(options);
    if (!timeout) {
        return timeout.error();
    }
    request.start_timeout = *timeout;
    bool restart_only = options.rolling || options.cleanup->count() > 0;
    if (restart_only && request.method != ops::LoadMethod::restart && !options.resume) {
        return make_error(ErrorKind::usage, "--rolling and --cleanup go with --method restart");
    }
    request.rolling = options.rolling;
    request.remove_quarantine = options.cleanup->count() > 0;
    if (auto target = add_target_options(options, request); !target) {
        return target.error();
    }
    if (options.keep_truncate_snapshots && !options.truncate) {
        return make_error(ErrorKind::usage, "--keep-truncate-snapshots goes with --truncate");
    }
    request.truncate = options.truncate;
    request.keep_truncate_snapshots = options.keep_truncate_snapshots;
    request.from_archive = options.from_archive;
    request.replication = options.replication;
    request.count_rows = options.count_rows || options.compare_source;
    request.compare_source = options.compare_source;
    request.dry_run = options.dry_run;
    request.resume = options.resume;
    request.datacenters = global.datacenters;
    request.hosts = global.hosts;
    if (!options.dry_run && !options.yes && !isatty(STDIN_FILENO)) {
        return make_error(ErrorKind::usage,
                          "restore changes data on the nodes: pass --yes to confirm when stdin is not a "
                          "terminal (or --dry-run to see the plan)");
    }
    return request;
}

// The CQL password of cassandra.cql_password_file (first line), when a CQL user is set.
Result<std::string> cql_password(const std::vector<Node>& nodes)
{
    for (const auto& node : nodes) {
        if (!node.cassandra.cql_user) {
            continue;
        }
        if (!node.cassandra.cql_password_file) {
            return make_error(ErrorKind::config, fmt::format("{}: cassandra.cql_user is set but not "
                                                             "cassandra.cql_password_file",
                                                             node.host));
        }
        auto text = read_local_file(*node.cassandra.cql_password_file, k_secret_file);
        if (!text) {
            return make_error(ErrorKind::config, fmt::format("cassandra.cql_password_file: {}", text.error().message));
        }
        if (text->empty()) {
            return make_error(ErrorKind::config, fmt::format("cassandra.cql_password_file: {} is empty",
                                                             *node.cassandra.cql_password_file));
        }
        return text->substr(0, text->find('\n'));
    }
    return std::string();
}

// --target FILE: the cluster a restore loads into, with its CQL password.
Result<std::optional<ops::TargetCluster>> read_target(const std::string& path)
{
    if (path.empty()) {
        return std::optional<ops::TargetCluster>();
    }
    auto cluster = load_cluster_file(path);
    if (!cluster) {
        return make_error(cluster.error().kind, fmt::format("--target: {}", cluster.error().message));
    }
    if (cluster->nodes.empty()) {
        return make_error(ErrorKind::usage, fmt::format("--target {}: the file lists no nodes (datacenters:), and "
                                                        "a target cannot be discovered from a seed",
                                                        quote_for_message(path)));
    }
    auto password = cql_password(cluster->nodes);
    if (!password) {
        return make_error(password.error().kind, fmt::format("--target: {}", password.error().message));
    }
    return std::optional(ops::TargetCluster{cluster->name, cluster->nodes, *password});
}

// The nodes an --undo or --cleanup acts on: those of --target's cluster file when given (a
// restore node for node into another cluster, whose name goes into the request), else the
// selected ones of this cluster.
Result<std::vector<Node>> restarted_cluster(const std::string& target_file, const std::vector<Node>& selected,
                                            const GlobalOptions& global, ops::QuarantineRequest& request)
{
    if (target_file.empty()) {
        return selected;
    }
    if (!global.hosts.empty() || !global.datacenters.empty()) {
        return make_error(ErrorKind::usage, "--hosts and --dc select nodes of this cluster: with --target, --undo and "
                                            "--cleanup act on every node the restore restarted in that cluster");
    }
    auto target = load_cluster_file(target_file);
    if (!target) {
        return make_error(target.error().kind, fmt::format("--target: {}", target.error().message));
    }
    request.target = target->name;
    return target->nodes;
}

bool ask(const std::string& question)
{
    std::cerr << question << " Type yes to go on: ";
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "yes" || answer == "y";
}

std::string question_for(const ops::RestorePlan& plan, const ops::RestoreRequest& request)
{
    std::string how = request.truncate ? ", emptying them first with TRUNCATE everywhere" : "";
    if (request.method == ops::LoadMethod::restart) {
        how = request.rolling ? ", stopping and starting one node at a time" : ", stopping every one of them first";
    }
    if (plan.loader) {
        return fmt::format("Stream {} table(s) from {} node(s) into {} with sstableloader{}?", plan.tables.size(),
                           plan.nodes.size(), request.target ? "cluster " + request.target->name : "this cluster",
                           request.truncate ? ", emptying them there first with TRUNCATE" : "");
    }
    std::string where = request.target ? " of cluster " + request.target->name : "";
    return fmt::format("Restore {} table(s) on {} node(s){}{}?", plan.tables.size(), plan.nodes.size(), where, how);
}

// `--undo RESTORE_ID` / `--cleanup RESTORE_ID`: nothing else of a restore goes with them.
int run_quarantine_action(Context& context, const RestoreOptions& options)
{
    bool undo = !options.undo_id.empty();
    ops::QuarantineRequest request;
    request.restore_id = undo ? options.undo_id : options.cleanup_id;
    request.action = undo ? ops::QuarantineAction::undo : ops::QuarantineAction::remove;
    bool restore_options = !options.until.empty() || !options.keyspaces.empty() || !options.tables.empty() ||
                           options.method != "auto" || options.rolling || options.truncate ||
                           options.keep_truncate_snapshots || !options.host_map.empty() ||
                           !options.replication.empty() || options.count_rows || options.compare_source;
    if (!options.tag.empty() || !options.cleanup_id.empty() == undo || options.resume || options.dry_run ||
        restore_options) {
        return context.refuse(make_error(ErrorKind::usage,
                                         "--undo RESTORE_ID and --cleanup RESTORE_ID go alone (no TAG or other restore "
                                         "options but --target, nor each other); in a restore, give --cleanup after "
                                         "TAG with no value"));
    }
    if (auto valid = validate_tag(request.restore_id); !valid) {
        return context.refuse(valid.error());
    }
    auto timeout = start_timeout_of(options);
    if (!timeout) {
        return context.refuse(timeout.error());
    }
    request.start_timeout = *timeout;
    if (undo && !options.yes &&
        (!isatty(STDIN_FILENO) || !ask(fmt::format("Stop each node of {}, put back the files it replaced and start it "
                                                   "again?",
                                                   request.restore_id)))) {
        return context.refuse(make_error(ErrorKind::usage, "--undo stops nodes: not confirmed (pass --yes when stdin "
                                                           "is not a terminal); nothing was changed"));
    }
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    // A restore into another cluster (--host-map) restarted that cluster's nodes.
    auto restarted = restarted_cluster(options.target, selection.nodes, context.options(), request);
    if (!restarted) {
        return context.refuse(restarted.error());
    }
    ProgressObserver observer(context.executor());
    auto outcome = ops::run_quarantine_action(context.executor(), catalog, *restarted, request, observer);
    if (!outcome) {
        return context.refuse(outcome.error());
    }
    if (context.options().json) {
        context.emit({}, quarantine_action_json(*outcome, request, context.options().verbose > 0));
    } else {
        context.emit(render_quarantine_action(*outcome, request), {});
    }
    return outcome->exit_code;
}

int run_restore(Context& context, const RestoreOptions& options)
{
    if (!options.undo_id.empty() || !options.cleanup_id.empty()) {
        return run_quarantine_action(context, options);
    }
    auto request = make_request(options, context.options());
    if (!request) {
        return context.refuse(request.error());
    }
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    auto password = cql_password(selection.nodes);
    if (!password) {
        return context.refuse(password.error());
    }
    request->cql_password = *password;
    auto loaded_into = read_target(options.target);
    if (!loaded_into) {
        return context.refuse(loaded_into.error());
    }
    request->target = *loaded_into;
    if (!options.host_map.empty()) {
        auto map = load_host_map(options.host_map);
        if (!map) {
            return context.refuse(make_error(map.error().kind, fmt::format("--host-map: {}", map.error().message)));
        }
        request->host_map = std::move(*map);
    }
    bool verbose = context.options().verbose > 0;
    bool plan_shown = false;
    if (!options.yes) {
        request->confirm = [&](const ops::RestorePlan& plan) {
            if (!context.options().json) {
                std::cout << render_restore_plan(plan, *request, verbose) << std::flush;
                plan_shown = true;
            }
            return ask(question_for(plan, *request));
        };
    }
    ProgressObserver observer(context.executor());
    auto outcome = ops::run_restore(context.executor(), catalog, selection.nodes, *request, observer);
    if (!outcome) {
        return context.refuse(outcome.error());
    }
    // Only what will be printed is built: a large plan's JSON costs as much as planning it.
    if (context.options().json) {
        context.emit({}, restore_json(*outcome, *request, verbose));
    } else {
        context.emit(render_restore(*outcome, *request, verbose, plan_shown), {});
    }
    return outcome->exit_code;
}

} // namespace

void add_restore_command(CLI::App& app, Action& action)
{
    auto options = std::make_shared<RestoreOptions>();
    auto* restore =
        app.add_subcommand("restore", "Restore a backup into the nodes it came from (import, refresh or restart), or "
                                      "into any cluster with sstableloader");
    restore
        ->add_option("tag", options->tag,
                     "The backup: a snapshot, or an incremental (with its base and the chain up to it)")
        ->type_name("TAG");
    restore
        ->add_option("--until", options->until,
                     "Point in time: the base and every incremental flushed at or before TIME\n"
                     "(2026-11-23T02:00:00Z, or a duration ago like 2h)")
        ->type_name("TIME");
    restore->add_option("-k,--keyspace", options->keyspaces, "Only this keyspace (repeatable)")->type_name("KEYSPACE");
    restore->add_option("-t,--table", options->tables, "Only this table, KEYSPACE.TABLE (repeatable)")
        ->type_name("KEYSPACE.TABLE");
    restore
        ->add_option("--method", options->method,
                     "auto (import on 4.0+, refresh on 3.11), import, refresh, restart (stop the nodes,\n"
                     "swap the tables' files, start them again), or sstableloader (stream into a cluster of\n"
                     "any shape: this one, or --target)")
        ->type_name("METHOD")
        ->capture_default_str();
    restore
        ->add_option("--target", options->target,
                     "The cluster file of another cluster to load into (a scratch cluster, another topology):\n"
                     "with --method sstableloader, or node for node with --host-map; its missing tables are\n"
                     "created from the backup's schema.cql first. With --undo/--cleanup: the cluster restarted")
        ->type_name("FILE");
    restore
        ->add_option("--host-map", options->host_map,
                     "With --target and --from-archive: a file of lines `BACKUP_HOST TARGET_HOST` restoring\n"
                     "each backup node into the target node that takes its place (same tokens), by import,\n"
                     "refresh or restart; a backup node left out is refused (or leave it out with --hosts/--dc)")
        ->type_name("FILE");
    restore
        ->add_option("--throttle", options->throttle_mbits,
                     "sstableloader: megabits per second per loader (sstableloader -t; 0: no limit)")
        ->type_name("MBITS")
        ->capture_default_str();
    restore
        ->add_option("--loaders-per-dc", options->loaders_per_dc,
                     "sstableloader: source nodes loading at once in each data center")
        ->type_name("N")
        ->capture_default_str();
    restore
        ->add_option("--replication", options->replication,
                     "Replication of a keyspace created for a missing table, DC:RF,... (default: each data\n"
                     "center with min(3, its nodes))")
        ->type_name("DC:RF,...");
    restore->add_flag("--rolling", options->rolling,
                      "restart: one node at a time instead of every node stopped before any starts (the others\n"
                      "keep serving, and hand newer data back: a merge, not a rollback)");
    restore
        ->add_option("--start-timeout", options->start_timeout,
                     "restart: how long a node may take to stop, and to be UN after its start")
        ->type_name("DURATION")
        ->capture_default_str();
    options->cleanup = restore
                           ->add_option("--cleanup", options->cleanup_id,
                                        "restart: remove the quarantined files once the nodes are up; with a\n"
                                        "RESTORE_ID alone, those of that earlier restore")
                           ->type_name("[RESTORE_ID]")
                           ->expected(0, 1);
    restore
        ->add_option("--undo", options->undo_id,
                     "RESTORE_ID of a restore by restart: stop each of its nodes (--hosts narrows them), put\n"
                     "back the files it replaced, start it again")
        ->type_name("RESTORE_ID");
    restore->add_flag("--truncate", options->truncate,
                      "Empty each table cluster-wide with CQL TRUNCATE first, so the result is the backup's rows\n"
                      "exactly (without it, later deletes and overwrites win); needs every node up");
    restore->add_flag("--keep-truncate-snapshots", options->keep_truncate_snapshots,
                      "Keep the truncated-* snapshots Cassandra takes on TRUNCATE (default: removed)");
    restore->add_flag("--from-archive", options->from_archive,
                      "Download the files from the archive (each node from its own) instead of taking them from the "
                      "nodes' snapshots: for a wiped disk, a replaced node or a cleared snapshot");
    restore->add_flag("--count-rows", options->count_rows,
                      "Afterwards, SELECT COUNT(*) at consistency ALL of every restored table, in the report");
    restore->add_flag("--compare-source", options->compare_source,
                      "With --method sstableloader --target: count the rows on this cluster too; a difference\n"
                      "exits 4 (for tables not written since the backup)");
    restore->add_flag("--dry-run", options->dry_run, "Print the plan; change nothing");
    restore->add_flag("-y,--yes", options->yes, "Do not ask for confirmation (required when stdin is not a terminal)");
    restore->add_flag("--resume", options->resume,
                      "Continue the newest unfinished restore (rerunning the same command does too)");
    restore->footer("Per node: hard links from its own snapshots/TAG and backups/ into a staging directory beside the\n"
                    "data directory, every staged file's SHA-256 checked against the manifest (one mismatch anywhere\n"
                    "stops everything before any node loads), tables dropped since the backup created again from\n"
                    "its schema.cql, optional TRUNCATE, then one nodetool import (refresh on 3.11) per table,\n"
                    "checked: every SSTable must be live afterwards. Nodes are matched to the backup by host id,\n"
                    "then tokens, then host name. System keyspaces are not restored. --method restart drains and\n"
                    "stops the nodes (cluster file: stop_command, start_command), moves the tables' live files\n"
                    "(and, for a whole restore, the commit log) into a quarantine, puts the staged files in place\n"
                    "and starts the nodes seeds first, each waited for until UN. --method sstableloader runs\n"
                    "sstableloader on each node over its verified staging, pointed at the target's nodes, after\n"
                    "creating the tables the target lacks; a loader the target would not accept is refused in\n"
                    "the plan. --target with --host-map restores each backup node into the node of another\n"
                    "cluster that took its place (same tokens), downloading its files from the archive. A\n"
                    "restore record in the catalog (`ringsnap list --restores`) makes a rerun finish\n"
                    "what is left.\n"
                    "Exit 0 all loaded, 1 some nodes failed, 2 refused before touching anything, 3 nothing loaded,\n"
                    "4 a staged file did not match the manifest (nothing loaded) or row counts differ, 130\n"
                    "interrupted.");
    restore->callback(
        [options, &action] { action = [options](Context& context) { return run_restore(context, *options); }; });
}

} // namespace ringsnap::cli
