// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/snapshot.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/ops/table_files.hpp>
#include <ringsnap/remote_files.hpp>

namespace ringsnap::ops {

namespace {

const std::set<std::string> k_left_out_keyspaces{"system",        "system_auth",  "system_distributed",
                                                 "system_traces", "system_views", "system_virtual_schema"};

bool contains(const std::vector<std::string>& list, const std::string& value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

// The surveys of the nodes that answered, with their hosts.
std::vector<std::pair<const NodeRun*, const NodeFacts*>> answered(const Survey& survey)
{
    std::vector<std::pair<const NodeRun*, const NodeFacts*>> nodes;
    for (std::size_t i = 0; i < survey.runs.size(); ++i) {
        if (survey.runs[i].ok()) {
            nodes.emplace_back(&survey.runs[i], &survey.nodes[i]);
        }
    }
    return nodes;
}

Status check_request_against(const NodeRun& run, const NodeFacts& node, const SnapshotRequest& request)
{
    const std::string& host = run.node.host;
    if (!node.data_dirs->tag_dirs.empty()) {
        return make_error(ErrorKind::usage,
                          fmt::format("tag {} already exists on {} (see nodetool listsnapshots there); "
                                      "choose another tag or clear that snapshot first",
                                      request.tag, host));
    }
    if (request.ttl && !node.version->at_least(4, 1)) {
        return make_error(ErrorKind::usage,
                          fmt::format("--ttl needs Cassandra 4.1 or newer; {} runs {}", host, node.version->text));
    }
    for (const auto& keyspace : request.keyspaces) {
        if (!contains(node.data_dirs->keyspaces, keyspace)) {
            return make_error(ErrorKind::usage, fmt::format("keyspace {} does not exist on {}", keyspace, host));
        }
    }
    for (const auto& table : request.tables) {
        if (!node.table(table.keyspace, table.table)) {
            return make_error(ErrorKind::usage,
                              fmt::format("table {}.{} does not exist on {}", table.keyspace, table.table, host));
        }
    }
    return {};
}

// Reads Cassandra's manifest.json and schema.cql of every table into the entries.
Status read_cassandra_files(RemoteShell& shell, std::vector<TableEntry>& tables, const std::string& tag)
{
    std::vector<SizedPath> files;
    for (const auto& table : tables) {
        for (const auto& file : table.files) {
            if (file.name == "manifest.json" || file.name == "schema.cql") {
                files.push_back({table_file_path(table, snapshot_subdir(tag), file.name), file.size});
            }
        }
    }
    std::string out;
    for (const auto& command : read_files_commands(shell.node(), files)) {
        auto output = run_checked(shell, "read manifest.json and schema.cql", command);
        if (!output) {
            return output.error();
        }
        out += output->out;
    }
    auto contents = split_contents(out, files);
    if (!contents) {
        return contents.error();
    }
    for (auto& table : tables) {
        if (auto it = contents->find(table_file_path(table, snapshot_subdir(tag), "manifest.json"));
            it != contents->end()) {
            table.cassandra_manifest = ManifestJson::parse(it->second, nullptr, false);
            if (table.cassandra_manifest->is_discarded()) {
                table.cassandra_manifest.reset();
            }
        }
        if (auto it = contents->find(table_file_path(table, snapshot_subdir(tag), "schema.cql"));
            it != contents->end()) {
            table.schema_cql = it->second;
        }
    }
    return {};
}

bool is_ready(const Survey& survey, std::size_t index)
{
    return survey.runs[index].ok() && survey.nodes[index].up_and_normal();
}

std::uint64_t recorded_bytes(const std::vector<RemoteFile>& files)
{
    std::uint64_t bytes = 0;
    for (const auto& file : files) {
        bytes += file.size;
    }
    return bytes;
}

NodeEntry entry_for(const NodeRun& run, const NodeFacts& survey)
{
    NodeEntry entry;
    entry.host = run.node.host;
    entry.datacenter = run.node.datacenter;
    entry.rack = run.node.rack;
    if (survey.info) {
        entry.host_id = survey.info->host_id;
        entry.tokens = survey.info->tokens;
    }
    if (survey.version) {
        entry.cassandra_version = survey.version->text;
    }
    return entry;
}

} // namespace

bool is_system_keyspace_left_out(const std::string& keyspace)
{
    return k_left_out_keyspaces.count(keyspace) > 0;
}

Result<std::vector<std::string>> keyspaces_to_snapshot(const Survey& survey, const SnapshotRequest& request)
{
    auto nodes = answered(survey);
    if (nodes.empty()) {
        return make_error(ErrorKind::connect, "no node answered: nothing to snapshot");
    }
    for (const auto& [run, node] : nodes) {
        if (auto status = check_request_against(*run, *node, request); !status) {
            return status.error();
        }
    }
    std::set<std::string> keyspaces;
    if (!request.tables.empty()) {
        for (const auto& table : request.tables) {
            keyspaces.insert(table.keyspace);
        }
    } else if (!request.keyspaces.empty()) {
        keyspaces.insert(request.keyspaces.begin(), request.keyspaces.end());
    } else {
        for (const auto& keyspace : nodes.front().second->data_dirs->keyspaces) {
            if (!is_system_keyspace_left_out(keyspace)) {
                keyspaces.insert(keyspace);
            }
        }
    }
    return std::vector<std::string>(keyspaces.begin(), keyspaces.end());
}

std::vector<std::string> snapshot_arguments(const SnapshotRequest& request, const std::vector<std::string>& keyspaces)
{
    std::vector<std::string> args{"snapshot", "-t", request.tag};
    if (request.skip_flush) {
        args.push_back("-sf");
    }
    if (request.ttl) {
        args.insert(args.end(), {"--ttl", format_duration(*request.ttl)});
    }
    if (!request.tables.empty()) {
        std::vector<std::string> names;
        for (const auto& table : request.tables) {
            names.push_back(table.keyspace + "." + table.table);
        }
        args.insert(args.end(), {"-kt", fmt::format("{}", fmt::join(names, ","))});
    } else {
        args.push_back("--");
        args.insert(args.end(), keyspaces.begin(), keyspaces.end());
    }
    return args;
}

namespace {

std::vector<Node> ready_nodes(const std::vector<Node>& nodes, const Survey& survey)
{
    std::vector<Node> ready;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (is_ready(survey, i)) {
            ready.push_back(nodes[i]);
        }
    }
    return ready;
}

// On one ready node: snapshot, list, read Cassandra's own files, hash.
Status snapshot_node(RemoteShell& shell, NodeEntry& entry, const std::vector<std::string>& keyspaces,
                     const SnapshotRequest& request, const HashIndex& hashes, Observer& observer, std::uint64_t& hashed)
{
    auto snapshot =
        run_checked(shell, "nodetool snapshot", nodetool_command(shell.node(), snapshot_arguments(request, keyspaces)));
    if (!snapshot) {
        return snapshot.error();
    }
    entry.snapshot_at = now_utc();
    auto listing =
        run_checked(shell, "list snapshot files", list_snapshot_files_command(shell.node(), keyspaces, request.tag));
    if (!listing) {
        return listing.error();
    }
    auto files = parse_file_listing(listing->out);
    if (!files) {
        return files.error();
    }
    entry.tables = group_by_table(*files, snapshot_subdir(request.tag));
    observer.add_bytes(recorded_bytes(*files));
    if (auto status = read_cassandra_files(shell, entry.tables, request.tag); !status) {
        return status;
    }
    auto bytes = hash_table_files(shell, entry.tables, snapshot_subdir(request.tag), hashes);
    if (!bytes) {
        return bytes.error();
    }
    hashed = *bytes;
    return {};
}

struct SnapshotPhase
{
    Manifest manifest;
    std::vector<NodeRun> runs;
    std::uint64_t bytes_hashed = 0;
};

// Every node's entry and run before the snapshot: a ready node's entry is running; a node that
// is not ready (it did not answer, or is not up and normal) fails and is left untouched.
SnapshotPhase before_snapshot(const std::vector<Node>& nodes, const Survey& survey)
{
    SnapshotPhase phase;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        NodeEntry entry = entry_for(survey.runs[i], survey.nodes[i]);
        NodeRun run = survey.runs[i];
        if (is_ready(survey, i)) {
            entry.status = NodeStatus::running;
        } else {
            if (run.ok()) { // answered, but not up and normal
                run.error =
                    make_error(ErrorKind::command, "the node is not up and normal (UN) in its own nodetool status");
                run.failed_step = "nodetool status";
            }
            record_outcome(entry, run);
        }
        phase.manifest.nodes.push_back(std::move(entry));
        phase.runs.push_back(std::move(run));
    }
    return phase;
}

// Phase two: snapshot, list, hash on the ready nodes, each node's entry put on record as it ends.
void take_snapshot(Executor& executor, SnapshotPhase& phase, const std::vector<Node>& nodes, const Survey& survey,
                   const std::vector<std::string>& keyspaces, const SnapshotRequest& request, const HashIndex& hashes,
                   Observer& observer, RunRecord& record)
{
    std::vector<Node> ready = ready_nodes(nodes, survey);
    std::vector<std::size_t> ready_index;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (is_ready(survey, i)) {
            ready_index.push_back(i);
        }
    }
    auto& entries = phase.manifest.nodes;
    std::vector<std::uint64_t> hashed(ready.size(), 0);
    std::vector<NodeRun> runs;
    {
        Phase shown(observer, "snapshot", ready);
        auto job = [&](RemoteShell& shell, std::size_t index) -> Status {
            return snapshot_node(shell, entries[ready_index[index]], keyspaces, request, hashes, observer,
                                 hashed[index]);
        };
        // From the thread that ran the node: its entry is its own until then.
        auto finished = [&](std::size_t index, const NodeRun& run) {
            record_outcome(entries[ready_index[index]], run);
            record.node_finished(ready_index[index], entries[ready_index[index]]);
        };
        runs = executor.run_on_nodes(ready, job, {}, finished);
    }
    for (std::size_t k = 0; k < ready.size(); ++k) {
        record_outcome(entries[ready_index[k]], runs[k]); // nodes never started are told here
        phase.bytes_hashed += hashed[k];
        phase.runs[ready_index[k]] = std::move(runs[k]);
    }
}

// A few manifests suffice (SSTables a nightly snapshot holds were nearly all in the last one),
// and loading every kept manifest would cost seconds each on a large cluster.
constexpr int k_manifests_for_hash_reuse = 3;

// --archive: the snapshot just saved goes to the archive; its manifest then says what is there.
void archive_taken(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes, SnapshotOutcome& outcome,
                   Observer& observer)
{
    auto archived = archive_manifest(executor, catalog, nodes, *outcome.manifest, observer);
    if (!archived) {
        spdlog::error("the snapshot was taken but could not be archived: {}", archived.error().message);
        outcome.status = outcome.status == RunStatus::ok ? RunStatus::partial : outcome.status;
        return;
    }
    outcome.status = with_archive(outcome.status, *archived);
    outcome.manifest = archived->manifest;
    outcome.archive = std::move(*archived);
}

} // namespace

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

Result<SnapshotOutcome> run_snapshot(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                     const SnapshotRequest& request, Observer& observer)
{
    auto lock = lock_unless_dry_run(catalog, request.command, request.dry_run);
    if (!lock) {
        return lock.error();
    }
    if (auto free = check_tag_free(catalog, request.tag); !free) {
        return free.error();
    }
    if (request.archive) {
        if (auto ready = check_archive_ready(nodes); !ready) {
            return ready.error();
        }
    }
    auto started = now_utc();
    auto survey = [&] {
        Phase phase(observer, "survey", nodes, Observer::Lines::none);
        // Per node its identity (info -T) and files; releases and the ring from one node per
        // data center: with the snapshot itself, two nodetool runs on most nodes.
        return survey_nodes(executor, nodes,
                            SurveyParts{.release = SurveyParts::Release::gossip,
                                        .tokens = true,
                                        .ring = true,
                                        .data_dirs = true,
                                        .tag = request.tag});
    }();
    auto keyspaces = keyspaces_to_snapshot(survey, request);
    if (!keyspaces) {
        return keyspaces.error();
    }
    SnapshotOutcome outcome;
    outcome.keyspaces = *keyspaces;
    if (request.dry_run) {
        outcome.runs = survey.runs;
        outcome.status = RunStatus::ok;
        return outcome;
    }
    auto hashes = earlier_hashes(catalog);
    auto phase = before_snapshot(nodes, survey);
    // Each node's snapshot expires its ttl after the node took it: not before the run started.
    auto expires_at = request.ttl ? std::optional<Timestamp>(started + *request.ttl) : std::nullopt;
    auto record = RunRecord::start(catalog, phase.manifest,
                                   BackupStamp{catalog.cluster(), request.tag, started, request.selection, expires_at});
    if (!record) {
        return record.error();
    }
    take_snapshot(executor, phase, nodes, survey, *keyspaces, request, hashes, observer, **record);
    auto saved = (*record)->finish(phase.manifest, phase.bytes_hashed);
    if (!saved) {
        return make_error(
            ErrorKind::io,
            fmt::format("the snapshots were taken but the manifest could not be written: {}", saved.error().message));
    }
    outcome.status = status_of(phase.manifest.status);
    outcome.runs = std::move(phase.runs);
    outcome.manifest = std::move(phase.manifest);
    outcome.manifest_path = *saved;
    if (request.archive && outcome.manifest_path && !cancel_requested()) {
        archive_taken(executor, catalog, nodes, outcome, observer);
    }
    return outcome;
}

} // namespace ringsnap::ops
