// SPDX-License-Identifier: Apache-2.0
// `ringsnap snapshot [-k KS]... [-t KS.TABLE]... [--tag TAG] [--skip-flush] [--ttl DUR] [--dry-run]`

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/snapshot.hpp>
#include <ringsnap/shell.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/archive_report.hpp"
#include "cli/backup_report.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace ringsnap::cli {

namespace {

struct SnapshotOptions
{
    std::vector<std::string> keyspaces;
    std::vector<std::string> tables;
    std::string tag;
    bool skip_flush = false;
    bool archive = false;
    std::string ttl;
    bool dry_run = false;
};

// "ringsnap-20261123T020000Z": sortable, and only characters every Cassandra version accepts.
std::string default_tag()
{
    return fmt::format("ringsnap-{:%Y%m%dT%H%M%SZ}", std::chrono::floor<std::chrono::seconds>(now_utc()));
}

// Checks every name before any node is touched.
Result<ops::SnapshotRequest> make_request(const SnapshotOptions& options)
{
    ops::SnapshotRequest request;
    request.tag = options.tag.empty() ? default_tag() : options.tag;
    if (auto status = validate_tag(request.tag); !status) {
        return status.error();
    }
    for (const auto& keyspace : options.keyspaces) {
        if (auto status = validate_cql_identifier(keyspace, "keyspace"); !status) {
            return status.error();
        }
    }
    for (const auto& text : options.tables) {
        auto table = parse_keyspace_table(text);
        if (!table) {
            return table.error();
        }
        request.tables.push_back(*table);
    }
    if (!request.tables.empty() && !options.keyspaces.empty()) {
        return make_error(ErrorKind::usage, "use either -k or -t: nodetool snapshots tables of one list or keyspaces");
    }
    request.keyspaces = options.keyspaces;
    if (!options.ttl.empty()) {
        auto ttl = parse_duration(options.ttl);
        if (!ttl || *ttl < std::chrono::seconds(60)) {
            return make_error(ErrorKind::usage,
                              fmt::format("--ttl {}: expected a duration of at least 60s, like 2h or 7d",
                                          quote_for_message(options.ttl)));
        }
        request.ttl = *ttl;
    }
    request.skip_flush = options.skip_flush;
    request.archive = options.archive;
    request.dry_run = options.dry_run;
    return request;
}

std::string render_plan(const std::vector<Node>& nodes, const ops::SnapshotRequest& request,
                        const std::vector<std::string>& keyspaces)
{
    std::string text =
        fmt::format("Dry run: nothing was changed. Tag {}, keyspaces: {}\n\n", request.tag, fmt::join(keyspaces, ", "));
    TextTable table({"DC", "HOST", "WOULD RUN"});
    for (const auto& node : nodes) {
        table.add_row(
            {node.datacenter, node.host, nodetool_command(node, ops::snapshot_arguments(request, keyspaces))});
    }
    return text + table.render() + "then list the snapshot's files on each node and hash the new ones there.\n";
}

int run_snapshot(Context& context, const SnapshotOptions& options)
{
    auto request = make_request(options);
    if (!request) {
        return context.refuse(request.error());
    }
    request->selection =
        Selection{options.keyspaces, options.tables, context.options().datacenters, context.options().hosts};
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    ProgressObserver observer(context.executor());
    auto outcome = ops::run_snapshot(context.executor(), catalog, selection.nodes, *request, observer);
    if (!outcome) {
        return context.refuse(outcome.error());
    }
    if (!outcome->manifest) {
        context.emit(render_plan(selection.nodes, *request, outcome->keyspaces),
                     nlohmann::json{{"status", "ok"},
                                    {"exit_code", 0},
                                    {"dry_run", true},
                                    {"tag", request->tag},
                                    {"keyspaces", outcome->keyspaces},
                                    {"nodes", nodes_json(outcome->runs, false)}});
        return exit_code::ok;
    }
    const auto& manifest = *outcome->manifest;
    auto json = run_summary_json(outcome->status, outcome->runs, context.options().verbose > 0);
    json["manifest"] = manifest_path_json(outcome->manifest_path);
    json["tag"] = manifest.tag;
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

void add_snapshot_command(CLI::App& app, Action& action)
{
    auto options = std::make_shared<SnapshotOptions>();
    auto* snapshot =
        app.add_subcommand("snapshot", "Take a snapshot of every selected node and record it in a manifest");
    snapshot->add_option("-k,--keyspace", options->keyspaces, "Only this keyspace (repeatable)")->type_name("KEYSPACE");
    snapshot->add_option("-t,--table", options->tables, "Only this table, KEYSPACE.TABLE (repeatable)")
        ->type_name("KEYSPACE.TABLE");
    snapshot->add_option("--tag", options->tag, "Snapshot name (default ringsnap-<UTC time>)")->type_name("TAG");
    snapshot->add_flag("--skip-flush", options->skip_flush, "Do not flush memtables first (nodetool snapshot -sf)");
    snapshot
        ->add_option("--ttl", options->ttl,
                     "Let Cassandra remove the snapshot after this long (4.1+, >= 60s); the manifest\n"
                     "records when (expires_at), and the backup is shown expired from then on")
        ->type_name("DURATION");
    snapshot->add_flag("--archive", options->archive,
                       "Then copy it to the archive the cluster file names (as `ringsnap archive TAG`)");
    snapshot->add_flag("--dry-run", options->dry_run, "Show what would run where; change nothing");
    snapshot->footer("Without -k or -t: every keyspace except the node-local and replicated system ones\n"
                     "(system, system_auth, system_distributed, system_traces); system_schema is included.\n"
                     "Name a system keyspace with -k to include it. The manifest is written to the catalog\n"
                     "last. Exit 0 all nodes, 1 some nodes failed (recorded), 2 refused before touching\n"
                     "anything, 3 no node produced a snapshot.");
    snapshot->callback(
        [options, &action] { action = [options](Context& context) { return run_snapshot(context, *options); }; });
}

} // namespace ringsnap::cli
