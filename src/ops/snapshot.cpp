// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/snapshot.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/nodetool.hpp>
#include <ringsnap/remote_files.hpp>

namespace ringsnap::ops {

namespace {

const std::set<std::string> k_left_out_keyspaces{"system", "system_auth", "system_distributed", "system_traces",
                                                  "system_views", "system_virtual_schema"};

// Parses one part's output, or says which nodetool call failed and why.
template <class T, class Parser>
Result<T> parsed_part(const std::string& step, const CommandOutput& output, Parser parse)
{
    if (auto status = check_succeeded(step, output); !status) {
        return status.error();
    }
    auto parsed = parse(output.out);
    if (!parsed) {
        return make_error(ErrorKind::parse, fmt::format("{}: {}", step, parsed.error().message));
    }
    return std::move(*parsed);
}

// Version, info with tokens, status and a look at the data directories, all at once: on a real
// node each nodetool call is a JVM start, and a survey must not cost more than the snapshot.
Status survey_node(RemoteShell& shell, NodeSurvey& survey, const std::string& tag)
{
    const Node& node = shell.node();
    auto parts = run_together(shell, "survey (nodetool version, info, status; data directories)",
                              {nodetool_command(node, {"version"}), nodetool_command(node, {"info", "-T"}),
                               nodetool_command(node, {"status"}), survey_data_dirs_command(node, tag)});
    if (!parts) {
        return parts.error();
    }
    auto version = parsed_part<CassandraVersion>("nodetool version", (*parts)[0], parse_version);
    auto info = parsed_part<NodeInfo>("nodetool info", (*parts)[1], parse_info);
    auto ring = parsed_part<std::vector<StatusRow>>("nodetool status", (*parts)[2], parse_status);
    auto dirs = parsed_part<DataDirSurvey>("data directories", (*parts)[3], parse_data_dir_survey);
    if (!version || !info || !ring || !dirs) {
        return !version ? version.error() : !info ? info.error() : !ring ? ring.error() : dirs.error();
    }
    survey.version = *version;
    survey.info = *info;
    auto self = std::find_if(ring->begin(), ring->end(), [&](const StatusRow& row) { return row.host_id == info->host_id; });
    survey.up_and_normal = self != ring->end() && self->status == 'U' && self->state == 'N';
    survey.keyspaces = dirs->keyspaces;
    survey.tables = dirs->tables;
    survey.tag_exists = !dirs->tag_dirs.empty();
    return {};
}

bool contains(const std::vector<std::string>& list, const std::string& value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

// The surveys of the nodes that answered, with their hosts.
std::vector<std::pair<const NodeRun*, const NodeSurvey*>> answered(const Survey& survey)
{
    std::vector<std::pair<const NodeRun*, const NodeSurvey*>> nodes;
    for (std::size_t i = 0; i < survey.runs.size(); ++i) {
        if (survey.runs[i].ok()) {
            nodes.emplace_back(&survey.runs[i], &survey.nodes[i]);
        }
    }
    return nodes;
}

Status check_request_against(const NodeRun& run, const NodeSurvey& node, const SnapshotRequest& request)
{
    const std::string& host = run.node.host;
    if (node.tag_exists) {
        return make_error(ErrorKind::usage, fmt::format("tag {} already exists on {} (see nodetool listsnapshots there); "
                                                        "choose another tag or clear that snapshot first",
                                                        request.tag, host));
    }
    if (request.ttl && !node.version->at_least(4, 1)) {
        return make_error(ErrorKind::usage, fmt::format("--ttl needs Cassandra 4.1 or newer; {} runs {}", host,
                                                        node.version->text));
    }
    for (const auto& keyspace : request.keyspaces) {
        if (!contains(node.keyspaces, keyspace)) {
            return make_error(ErrorKind::usage, fmt::format("keyspace {} does not exist on {}", keyspace, host));
        }
    }
    for (const auto& table : request.tables) {
        std::string name = table.keyspace + "." + table.table;
        if (!contains(node.tables, name)) {
            return make_error(ErrorKind::usage, fmt::format("table {} does not exist on {}", name, host));
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
        if (auto it = contents->find(table_file_path(table, snapshot_subdir(tag), "manifest.json")); it != contents->end()) {
            table.cassandra_manifest = ManifestJson::parse(it->second, nullptr, false);
            if (table.cassandra_manifest->is_discarded()) {
                table.cassandra_manifest.reset();
            }
        }
        if (auto it = contents->find(table_file_path(table, snapshot_subdir(tag), "schema.cql")); it != contents->end()) {
            table.schema_cql = it->second;
        }
    }
    return {};
}

bool is_ready(const Survey& survey, std::size_t index)
{
    return survey.runs[index].ok() && survey.nodes[index].up_and_normal;
}

std::uint64_t recorded_bytes(const std::vector<RemoteFile>& files)
{
    std::uint64_t bytes = 0;
    for (const auto& file : files) {
        bytes += file.size;
    }
    return bytes;
}

NodeEntry entry_for(const NodeRun& run, const NodeSurvey& survey)
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

void record_outcome(NodeEntry& entry, const NodeRun& run)
{
    entry.status = run.ok() ? NodeStatus::ok : NodeStatus::failed;
    entry.duration_ms = run.duration.count();
    if (run.error) {
        entry.error = run.error->message;
        entry.failed_step = run.failed_step;
        entry.tables.clear();
    }
}

bool is_system_keyspace_left_out(const std::string& keyspace)
{
    return k_left_out_keyspaces.count(keyspace) > 0;
}

Survey survey_nodes(Executor& executor, const std::vector<Node>& nodes, const SnapshotRequest& request)
{
    Survey survey;
    survey.nodes.resize(nodes.size());
    survey.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) {
        return survey_node(shell, survey.nodes[index], request.tag);
    });
    return survey;
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
        for (const auto& keyspace : nodes.front().second->keyspaces) {
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

SnapshotResult take_snapshot(Executor& executor, const std::vector<Node>& nodes, const Survey& survey,
                             const std::vector<std::string>& keyspaces, const SnapshotRequest& request,
                             const HashIndex& hashes, const std::function<void(std::uint64_t)>& on_bytes_listed)
{
    SnapshotResult result;
    result.keyspaces = keyspaces;
    std::vector<Node> ready = ready_nodes(nodes, survey);
    std::vector<std::size_t> ready_index;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        result.manifest.nodes.push_back(entry_for(survey.runs[i], survey.nodes[i]));
        if (is_ready(survey, i)) {
            ready_index.push_back(i);
        }
    }
    std::vector<std::uint64_t> hashed(ready.size(), 0);
    auto runs = executor.run_on_nodes(ready, [&](RemoteShell& shell, std::size_t index) -> Status {
        auto& entry = result.manifest.nodes[ready_index[index]];
        auto snapshot = run_checked(shell, "nodetool snapshot",
                                    nodetool_command(shell.node(), snapshot_arguments(request, keyspaces)));
        if (!snapshot) {
            return snapshot.error();
        }
        entry.snapshot_at = now_utc();
        auto listing = run_checked(shell, "list snapshot files", list_snapshot_files_command(shell.node(), keyspaces, request.tag));
        if (!listing) {
            return listing.error();
        }
        auto files = parse_file_listing(listing->out);
        if (!files) {
            return files.error();
        }
        entry.tables = group_by_table(*files, snapshot_subdir(request.tag));
        if (on_bytes_listed) {
            on_bytes_listed(recorded_bytes(*files));
        }
        if (auto status = read_cassandra_files(shell, entry.tables, request.tag); !status) {
            return status;
        }
        auto bytes = hash_table_files(shell, entry.tables, snapshot_subdir(request.tag), hashes);
        if (!bytes) {
            return bytes.error();
        }
        hashed[index] = *bytes;
        return {};
    });
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        auto position = std::find(ready_index.begin(), ready_index.end(), i);
        if (position != ready_index.end()) {
            auto index = static_cast<std::size_t>(position - ready_index.begin());
            record_outcome(result.manifest.nodes[i], runs[index]);
            result.bytes_hashed += hashed[index];
            result.runs.push_back(std::move(runs[index]));
            continue;
        }
        NodeRun run = survey.runs[i];
        if (run.ok()) {  // answered, but not up and normal: left untouched
            run.error = make_error(ErrorKind::command, "the node is not up and normal (UN) in its own nodetool status");
            run.failed_step = "nodetool status";
        }
        record_outcome(result.manifest.nodes[i], run);
        result.runs.push_back(std::move(run));
    }
    return result;
}

} // namespace ringsnap::ops
