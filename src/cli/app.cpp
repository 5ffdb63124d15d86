// SPDX-License-Identifier: Apache-2.0
#include "cli/app.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/logging.hpp>
#include <ringsnap/outcome.hpp>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"

namespace ringsnap::cli {

namespace {

constexpr const char* k_exit_codes_help =
    "Exit codes: 0 everything succeeded; 1 partial (some nodes failed, the rest is recorded);\n"
    "2 usage or configuration error, nothing was touched; 3 failed, nothing usable produced;\n"
    "4 verification found a mismatch; 130 interrupted.";

// First Ctrl-C / SIGTERM: stop starting nodes, kill what runs, report. A second one: leave now.
void on_signal(int signal)
{
    if (cancel_requested()) {
        std::signal(signal, SIG_DFL);
        std::raise(signal);
        return;
    }
    request_cancel();
}

void install_signal_handlers()
{
    struct sigaction action
    {
    };
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN); // a node that drops its connection must not kill us
}

void add_global_options(CLI::App& app, GlobalOptions& options)
{
    app.add_option("-c,--cluster", options.cluster_file, "Cluster file (YAML); default $RINGSNAP_CLUSTER")
        ->type_name("FILE")
        ->envname("RINGSNAP_CLUSTER");
    app.add_option("--dc", options.datacenters, "Only these data centers")->type_name("DC")->delimiter(',');
    app.add_option("--hosts", options.hosts, "Only these hosts")->type_name("HOST")->delimiter(',');
    app.add_option("--seed", options.seed,
                   "Read the topology from `nodetool status` on this host (verbs that touch no node\n"
                   "never connect to it)")
        ->type_name("HOST");
    app.add_option("-j,--parallel", options.parallel, "Nodes worked on at once")
        ->type_name("N")
        ->check(whole_number(1, 4096))
        ->capture_default_str();
    app.add_option("--per-dc", options.per_dc, "Nodes worked on at once per data center (0: no limit)")
        ->type_name("N")
        ->check(whole_number(0, 4096))
        ->capture_default_str();
    app.add_flag("--json", options.json, "Print one JSON object on stdout instead of tables");
    app.add_flag("-q,--quiet", options.quiet, "Only warnings and errors on stderr");
    app.add_flag("-v,--verbose", options.verbose, "More detail on stderr (-vv: SSH protocol too)");
    app.add_option("--log-file", options.log_file,
                   "Also append a debug log to this file (its directory must exist; a write error is\n"
                   "reported, and a run that otherwise succeeded exits 1)")
        ->type_name("FILE");
    app.add_option("--log-max-size", options.log_max_size,
                   "Rotate the log file before it grows past this size (10M, 1G; 0: never): FILE\n"
                   "becomes FILE.1, FILE.1 FILE.2, and so on")
        ->transform(CLI::AsSizeValue(false))
        ->default_str("0");
    app.add_option("--log-keep", options.log_keep, "Rotated log files kept (FILE.1 to FILE.N)")
        ->type_name("N")
        ->check(whole_number(1, 1000))
        ->capture_default_str();
    app.add_option("--log-format", options.log_format,
                   "text, or json: one object per line (time, level, run_id, host, message) on stderr\n"
                   "and in the log file, for log shippers")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_option("--metrics-file", options.metrics_file,
                   "After the run, write Prometheus metrics to this file for node_exporter's textfile\n"
                   "collector (default: the cluster file's metrics_file; none without it)")
        ->type_name("FILE");
    app.add_option("--pre-hook", options.pre_hook,
                   "Run this shell command on this host before the verb (default: the cluster file's\n"
                   "hooks.pre); if it fails, nothing is done and the exit code is 2")
        ->type_name("COMMAND");
    app.add_option("--post-hook", options.post_hook,
                   "Run this shell command after the verb, with RINGSNAP_VERB, _STATUS, _EXIT_CODE,\n"
                   "_TAG, _MANIFEST, _CLUSTER and _RUN_ID set (default: the cluster file's hooks.post);\n"
                   "if it fails, a run that succeeded exits 1")
        ->type_name("COMMAND");
    app.add_flag("--accept-new-host-keys", options.accept_new_host_keys,
                 "Record host keys not yet in known_hosts (a changed key is always refused)");
}

Verbosity verbosity_of(const GlobalOptions& options)
{
    if (options.quiet) {
        return Verbosity::quiet;
    }
    if (options.verbose >= 2) {
        return Verbosity::trace;
    }
    return options.verbose == 1 ? Verbosity::verbose : Verbosity::normal;
}

// Help and version are asked for: exit 0, as text, or inside the one JSON object of --json.
int print_help_or_version(const CLI::App& app, const CLI::ParseError& request, bool json)
{
    if (!json) {
        return app.exit(request);
    }
    std::ostringstream text;
    app.exit(request, text, text);
    bool version = dynamic_cast<const CLI::CallForVersion*>(&request) != nullptr;
    std::cout << nlohmann::json{{"status", "ok"},
                                {"exit_code", exit_code::ok},
                                {version ? "version" : "help", text.str()},
                                {"nodes", nlohmann::json::array()}}
                     .dump(2)
              << std::endl;
    return exit_code::ok;
}

} // namespace

int run(int argc, char** argv)
{
    install_signal_handlers(); // first: an interrupt in any phase, parsing included, ends in 130
    std::vector<std::string> args(argv + 1, argv + argc);
    GlobalOptions options;
    Action action;
    CLI::App app{"ringsnap: back up and restore every node of a Cassandra cluster over SSH", "ringsnap"};
    app.set_version_flag("--version", std::string("ringsnap ") + RINGSNAP_VERSION);
    app.footer(k_exit_codes_help);
    app.require_subcommand(1);
    app.fallthrough(); // global options may also follow the verb: `ringsnap check --json`
    add_global_options(app, options);
    add_check_command(app, action);
    add_exec_command(app, action);
    add_snapshot_command(app, action);
    add_incremental_command(app, action);
    add_verify_command(app, action);
    add_list_command(app, action);
    add_clear_command(app, action);
    add_restore_command(app, action);
    add_archive_command(app, action);
    add_catalog_command(app, action);
    add_complete_command(app, action);
    refuse_empty_values(app);

    Context context(options);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        options.json = asks_for_json(args); // parsing stopped before it could set it
        if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            return print_help_or_version(app, error, options.json);
        }
        return context.finish(context.refuse(make_error(ErrorKind::usage, describe_parse_error(error, app, args))));
    }

    LogSettings logging{verbosity_of(options), std::nullopt, options.log_max_size, options.log_keep,
                        options.log_format == "json" ? LogFormat::json : LogFormat::text};
    if (!options.log_file.empty()) {
        logging.file = options.log_file;
    }
    if (auto status = init_logging(logging); !status) {
        return context.finish(context.refuse(status.error()));
    }
    context.set_verb(app.get_subcommands().front()->get_name());
    if (auto ready = context.run_pre_hook(); !ready) {
        return context.finish(context.refuse(ready.error()));
    }
    try {
        return context.finish(action(context));
    } catch (const std::exception& error) {
        return context.finish(
            context.refuse(make_error(ErrorKind::internal, fmt::format("internal error: {}", error.what()))));
    }
}

} // namespace ringsnap::cli
