// SPDX-License-Identifier: Apache-2.0
// `ringsnap snapshot [-k KS]... [-t KS.TABLE]... [--tag TAG] [--skip-flush] [--ttl DUR] [--dry-run]`

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/catalog.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/snapshot.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/backup_report.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace ringsnap::cli {

namespace {

struct SnapshotOptions {
    std::vector<std::string> keyspaces;
    std::vector<std::string> tables;
    std::string tag;
    bool skip_flush = false;
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
            return make_error(ErrorKind::usage, fmt::format("--ttl {}: expected a duration of at least 60s, like 2h or 7d",
                                                            options.ttl));
        }
        request.ttl = *ttl;
    }
    request.skip_flush = options.skip_flush;
    request.dry_run = options.dry_run;
    return request;
}

// Hashes of the newest manifests of the cluster, so unchanged files keep their hashes. A few
// suffice (SSTables a nightly snapshot holds were nearly all in the last one), and loading every
// kept manifest would cost seconds each on a large cluster.
constexpr int k_manifests_for_hash_reuse = 3;

HashIndex earlier_hashes(const Catalog& catalog)
{
    HashIndex index;
    auto listing = catalog.list();
    if (!listing) {
        spdlog::warn("cannot read the catalog to reuse hashes: {}", listing.error().message);
        return index;
    }
    int loaded = 0;
    for (auto it = listing->manifests.rbegin(); it != listing->manifests.rend() && loaded < k_manifests_for_hash_reuse;
         ++it) {
        if (auto manifest = catalog.load(it->tag)) {
            index.add(*manifest);
            ++loaded;
        }
    }
    return index;
}

std::string render_plan(const std::vector<Node>& nodes, const ops::SnapshotRequest& request,
                        const std::vector<std::string>& keyspaces)
{
    std::string text = fmt::format("Dry run: nothing was changed. Tag {}, keyspaces: {}\n\n", request.tag,
                                   fmt::join(keyspaces, ", "));
    TextTable table({"DC", "HOST", "WOULD RUN"});
    for (const auto& node : nodes) {
        table.add_row({node.datacenter, node.host, nodetool_command(node, ops::snapshot_arguments(request, keyspaces))});
    }
    return text + table.render() + "then list the snapshot's files on each node and hash the new ones there.\n";
}

int run_snapshot(Context& context, const SnapshotOptions& options, const std::string& command_line)
{
    auto request = make_request(options);
    if (!request) {
        return context.refuse(request.error());
    }
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    auto lock = lock_catalog(catalog, command_line);
    if (!lock) {
        return context.refuse(lock.error());
    }
    if (catalog.exists(request->tag)) {
        return context.refuse(make_error(ErrorKind::usage, fmt::format("tag {} is already in the catalog ({}); choose another",
                                                                       request->tag, catalog.directory().string())));
    }
    auto started = now_utc();
    auto survey = [&] {
        Progress progress(context.executor(), "survey", selection.nodes, Progress::Lines::none);
        return ops::survey_nodes(context.executor(), selection.nodes, *request);
    }();
    auto keyspaces = ops::keyspaces_to_snapshot(survey, *request);
    if (!keyspaces) {
        return context.refuse(keyspaces.error());
    }
    if (request->dry_run) {
        context.emit(render_plan(selection.nodes, *request, *keyspaces),
                     nlohmann::json{{"status", "ok"}, {"exit_code", 0}, {"dry_run", true}, {"tag", request->tag},
                                    {"keyspaces", *keyspaces}, {"nodes", nodes_json(survey.runs, false)}});
        return exit_code::ok;
    }
    auto hashes = earlier_hashes(catalog);
    auto result = [&] {
        Progress progress(context.executor(), "snapshot", ops::ready_nodes(selection.nodes, survey));
        return ops::take_snapshot(context.executor(), selection.nodes, survey, *keyspaces, *request, hashes,
                                  [&](std::uint64_t bytes) { progress.add_bytes(bytes); });
    }();
    auto& manifest = result.manifest;
    manifest.cluster = selection.cluster.name;
    manifest.kind = BackupKind::snapshot;
    manifest.tag = request->tag;
    manifest.started_at = started;
    manifest.finished_at = now_utc();
    manifest.selection = Selection{options.keyspaces, options.tables, context.options().datacenters,
                                   context.options().hosts};
    manifest.totals.bytes_hashed = result.bytes_hashed;
    finish_manifest(manifest);
    auto saved = catalog.save(manifest);
    if (!saved) {
        spdlog::error("the snapshots were taken but the manifest could not be written: {}", saved.error().message);
        return exit_code::failed;
    }
    auto status = status_of(manifest.status);
    auto json = run_summary_json(status, result.runs, context.options().verbose > 0);
    json["manifest"] = saved->string();
    json["tag"] = manifest.tag;
    json["totals"] = totals_json(manifest.totals);
    context.emit(render_backup(manifest, saved->string()), json);
    return exit_code_for(status);
}

} // namespace

void add_snapshot_command(CLI::App& app, Action& action)
{
    auto options = std::make_shared<SnapshotOptions>();
    auto* snapshot = app.add_subcommand("snapshot", "Take a snapshot of every selected node and record it in a manifest");
    snapshot->add_option("-k,--keyspace", options->keyspaces, "Only this keyspace (repeatable)");
    snapshot->add_option("-t,--table", options->tables, "Only this table, KEYSPACE.TABLE (repeatable)");
    snapshot->add_option("--tag", options->tag, "Snapshot name (default ringsnap-<UTC time>)");
    snapshot->add_flag("--skip-flush", options->skip_flush, "Do not flush memtables first (nodetool snapshot -sf)");
    snapshot->add_option("--ttl", options->ttl, "Let Cassandra remove the snapshot after this long (4.1+, >= 60s)");
    snapshot->add_flag("--dry-run", options->dry_run, "Show what would run where; change nothing");
    snapshot->footer("Without -k or -t: every keyspace except the node-local and replicated system ones\n"
                     "(system, system_auth, system_distributed, system_traces); system_schema is included.\n"
                     "Name a system keyspace with -k to include it. The manifest is written to the catalog\n"
                     "last. Exit 0 all nodes, 1 some nodes failed (recorded), 2 refused before touching\n"
                     "anything, 3 no node produced a snapshot.");
    snapshot->callback([options, &action] {
        action = [options](Context& context) { return run_snapshot(context, *options, "ringsnap snapshot"); };
    });
}

} // namespace ringsnap::cli
