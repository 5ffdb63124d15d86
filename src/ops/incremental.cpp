// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/incremental.hpp>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/hash_index.hpp>
#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/pairing.hpp>
#include <ringsnap/ops/survey.hpp>
#include <ringsnap/ops/table_files.hpp>
#include <ringsnap/remote_files.hpp>

namespace ringsnap::ops {

std::vector<std::string> flush_arguments(const std::vector<std::string>& keyspaces)
{
    if (keyspaces.size() == 1) {
        return {"flush", "--", keyspaces.front()};
    }
    return {"flush"};
}

namespace {

const char* switch_argument(BackupSwitch action)
{
    return action == BackupSwitch::enable ? "enablebackup" : "disablebackup";
}

// statusbackup and version, together, and the node's cassandra.yaml when asked (the switch).
Status read_backup_state(RemoteShell& shell, NodeBackupState& state, bool with_config)
{
    NodeFacts facts;
    auto status = survey_node(shell, SurveyParts{.backup_state = true, .config = with_config}, facts);
    state.version = facts.version;
    state.running = facts.backups_running;
    state.config_problem = facts.config_problem;
    if (facts.config) {
        auto setting = incremental_backups_setting(*facts.config);
        if (setting) {
            state.configured = *setting;
        } else {
            state.config_problem = setting.error().message;
        }
    }
    return status;
}

using Recorded = std::set<std::string>; // "<table directory>/<name>" of one node

void add_recorded(Recorded& recorded, const Manifest& manifest, const std::string& host)
{
    for (const auto& node : manifest.nodes) {
        if (node.host == host) {
            for (const auto& table : node.tables) {
                for (const auto& file : table.files) {
                    recorded.insert(table.directory + "/" + file.name);
                }
            }
        }
    }
}

// Keeps only the files no manifest of the chain recorded for the node; drops tables left empty.
void keep_new_files(std::vector<TableEntry>& tables, const Recorded& recorded)
{
    for (auto& table : tables) {
        std::erase_if(table.files,
                      [&](const FileEntry& file) { return recorded.count(table.directory + "/" + file.name); });
    }
    std::erase_if(tables, [](const TableEntry& table) { return table.files.empty(); });
}

Status collect_node(RemoteShell& shell, const Chain& chain, const std::vector<std::string>& keyspaces,
                    const HashIndex& hashes, const NodeFacts& state, NodeEntry& entry, std::uint64_t& hashed)
{
    entry.cassandra_version = state.version->text;
    if (!*state.backups_running) {
        return make_error(ErrorKind::command, "incremental backups are off on this node (nodetool statusbackup: not "
                                              "running); `ringsnap incremental enable` switches them on");
    }
    if (auto flushed = run_checked(shell, "nodetool flush", nodetool_command(shell.node(), flush_arguments(keyspaces)));
        !flushed) {
        return flushed.error();
    }
    entry.flush_at = now_utc();
    auto listing = run_checked(shell, "list backups", list_backup_files_command(shell.node(), keyspaces));
    if (!listing) {
        return listing.error();
    }
    auto files = parse_file_listing(listing->out);
    if (!files) {
        return files.error();
    }
    Recorded recorded;
    add_recorded(recorded, chain.base, entry.host);
    for (const auto& incremental : chain.incrementals) {
        add_recorded(recorded, incremental, entry.host);
    }
    entry.tables = group_by_table(*files, k_backups_subdir);
    keep_new_files(entry.tables, recorded);
    auto bytes = hash_table_files(shell, entry.tables, k_backups_subdir, hashes);
    if (!bytes) {
        return bytes.error();
    }
    hashed = *bytes;
    return {};
}

// A node's entry, with who it is taken from its entry in the base: who a node is does not
// change along a chain.
std::vector<NodeEntry> entries_for(const std::vector<Node>& nodes, const Chain& chain, const Pairing& with_base)
{
    std::vector<NodeEntry> entries;
    for (const auto& node : nodes) {
        NodeEntry entry;
        entry.host = node.host;
        entry.datacenter = node.datacenter;
        entry.rack = node.rack;
        entries.push_back(std::move(entry));
    }
    for (const auto& pair : with_base.pairs) {
        entries[pair.node].host_id = chain.base.nodes[pair.entry].host_id;
        entries[pair.node].tokens = chain.base.nodes[pair.entry].tokens;
    }
    return entries;
}

struct IncrementalPhase
{
    Manifest manifest;
    std::vector<NodeRun> runs;
    std::uint64_t bytes_hashed = 0;
};

// Phase one: whether backups run, per node; releases from one node per data center, matched by
// the host ids the base recorded. A node that does not answer fails here; the others are running.
IncrementalPhase survey_incremental(Executor& executor, const std::vector<Node>& nodes, const Chain& chain,
                                    const Pairing& with_base, Survey& survey, Observer& observer)
{
    IncrementalPhase result;
    result.manifest.kind = BackupKind::incremental;
    result.manifest.base = chain.base.tag;
    if (!chain.incrementals.empty()) {
        result.manifest.parent = chain.incrementals.back().tag;
    }
    result.manifest.nodes = entries_for(nodes, chain, with_base);
    SurveyParts parts{.release = SurveyParts::Release::gossip, .backup_state = true};
    for (const auto& entry : result.manifest.nodes) {
        if (entry.host_id) {
            parts.known_host_ids.emplace(entry.host, *entry.host_id);
        }
    }
    {
        Phase phase(observer, "survey", nodes, Observer::Lines::none);
        survey = survey_nodes(executor, nodes, parts);
    }
    result.runs = survey.runs;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (survey.runs[i].ok()) {
            result.manifest.nodes[i].status = NodeStatus::running;
        } else {
            record_outcome(result.manifest.nodes[i], survey.runs[i]);
        }
    }
    return result;
}

// Phase two, on the nodes that answered: flush, list, hash (with the survey, two nodetool runs on
// most nodes), each node's entry put on record as it ends.
void collect_incremental(Executor& executor, IncrementalPhase& result, const std::vector<Node>& nodes,
                         const Chain& chain, const Survey& survey, Observer& observer, RunRecord& record)
{
    auto keyspaces = chain_keyspaces(chain);
    std::vector<std::uint64_t> hashed(nodes.size(), 0);
    HashIndex nothing_known; // backups/ files are new by definition
    std::vector<Node> surveyed;
    std::vector<std::size_t> index_of;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (survey.runs[i].ok()) {
            surveyed.push_back(nodes[i]);
            index_of.push_back(i);
        }
    }
    auto& entries = result.manifest.nodes;
    {
        Phase phase(observer, "incremental", surveyed);
        auto job = [&](RemoteShell& shell, std::size_t index) {
            auto i = index_of[index];
            return collect_node(shell, chain, keyspaces, nothing_known, survey.nodes[i], entries[i], hashed[i]);
        };
        // From the thread that ran the node: its entry is its own until then.
        auto finished = [&](std::size_t index, const NodeRun& run) {
            record_outcome(entries[index_of[index]], run);
            record.node_finished(index_of[index], entries[index_of[index]]);
        };
        auto runs = executor.run_on_nodes(surveyed, job, {}, finished);
        for (std::size_t k = 0; k < runs.size(); ++k) {
            result.runs[index_of[k]].then(runs[k]);
        }
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        record_outcome(entries[i], result.runs[i]);
        result.bytes_hashed += hashed[i];
    }
}

// Deletes from each node's backups/ exactly the files `manifest` recorded for it; nothing else.
// Nodes whose entry failed are skipped.
bool archived(const NodeEntry& entry)
{
    return entry.archive && entry.archive->status == NodeStatus::ok;
}

std::vector<PruneResult> prune_recorded_files(Executor& executor, const std::vector<Node>& nodes,
                                              const Manifest& manifest)
{
    std::vector<Node> pruned;
    std::vector<std::vector<std::string>> paths;
    auto pairing = pair_entries(manifest, nodes);
    if (!pairing) {
        std::vector<PruneResult> refused;
        for (const auto& node : nodes) {
            refused.push_back({node.host, pairing.error()});
        }
        return refused;
    }
    for (const auto& pair : pairing->pairs) {
        const auto& entry = manifest.nodes[pair.entry];
        if (entry.status != NodeStatus::ok || (manifest.archive && !archived(entry))) {
            continue; // with an archive, only files it holds leave the nodes
        }
        pruned.push_back(nodes[pair.node]);
        paths.emplace_back();
        for (const auto& table : entry.tables) {
            for (const auto& file : table.files) {
                paths.back().push_back(table_file_path(table, k_backups_subdir, file.name));
            }
        }
    }
    auto runs = executor.run_on_nodes(pruned, [&](RemoteShell& shell, std::size_t index) -> Status {
        for (const auto& command : remove_files_commands(shell.node(), paths[index])) {
            if (auto removed = run_checked(shell, "prune backups", command); !removed) {
                return removed.error();
            }
        }
        return {};
    });
    std::vector<PruneResult> results;
    for (const auto& run : runs) {
        results.push_back({run.node.host, run.error});
    }
    return results;
}

// Prunes once the manifest is safe, then records in it which nodes were pruned (verify then
// knows their files are meant to be gone).
// --archive: the incremental just saved goes to the archive; its manifest then says what is there.
void archive_gathered(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                      IncrementalOutcome& outcome, Observer& observer)
{
    auto archived_now = archive_manifest(executor, catalog, nodes, outcome.manifest, observer);
    if (!archived_now) {
        spdlog::error("the incremental backup was gathered but could not be archived: {}",
                      archived_now.error().message);
        outcome.status = outcome.status == RunStatus::ok ? RunStatus::partial : outcome.status;
        return;
    }
    outcome.status = with_archive(outcome.status, *archived_now);
    outcome.manifest = archived_now->manifest;
    outcome.archive = std::move(*archived_now);
}

void prune(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes, IncrementalOutcome& outcome)
{
    outcome.pruned = true;
    outcome.prunes = prune_recorded_files(executor, nodes, outcome.manifest);
    auto pruned_at = now_utc();
    for (const auto& result : outcome.prunes) {
        if (result.error && outcome.status == RunStatus::ok) {
            outcome.status = RunStatus::partial;
        }
        for (auto& entry : outcome.manifest.nodes) {
            if (!result.error && entry.host == result.host) {
                entry.pruned_at = pruned_at;
            }
        }
    }
    if (auto saved = catalog.save(outcome.manifest, SaveMode::replace); !saved) {
        spdlog::error("the files were pruned but the manifest could not record it: {}", saved.error().message);
        outcome.status = RunStatus::partial;
    }
}

} // namespace

SwitchResult switch_incremental_backups(Executor& executor, const std::vector<Node>& nodes, BackupSwitch action)
{
    SwitchResult result;
    result.states.resize(nodes.size());
    result.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
        if (action != BackupSwitch::status) {
            auto switched = run_checked(shell, std::string("nodetool ") + switch_argument(action),
                                        nodetool_command(shell.node(), {switch_argument(action)}));
            if (!switched) {
                return switched.error();
            }
        }
        return read_backup_state(shell, result.states[index], true);
    });
    return result;
}

Result<bool> incremental_backups_setting(const std::string& cassandra_yaml)
{
    try {
        auto value = YAML::Load(cassandra_yaml)["incremental_backups"];
        return value ? value.as<bool>() : false;
    } catch (const YAML::Exception& e) {
        return make_error(ErrorKind::parse, fmt::format("cassandra.yaml: incremental_backups: {}", e.what()));
    }
}

Result<IncrementalOutcome> run_incremental(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                           const IncrementalRequest& request, Observer& observer)
{
    if (request.prune && !request.archive && !request.force) {
        return make_error(ErrorKind::usage, "--prune deletes the nodes' only copy of the incremental files: add "
                                            "--archive to copy them off the nodes first, or --force to prune anyway");
    }
    if (request.archive) {
        if (auto ready = check_archive_ready(nodes); !ready) {
            return ready.error();
        }
    }
    auto lock = lock_catalog(catalog, request.command);
    if (!lock) {
        return lock.error();
    }
    if (auto free = check_tag_free(catalog, request.tag); !free) {
        return free.error();
    }
    auto listing = catalog.list();
    if (!listing) {
        return listing.error();
    }
    auto base = choose_base(*listing, request.base);
    if (!base) {
        return base.error();
    }
    auto chain = load_chain(catalog, *listing, *base);
    if (!chain) {
        return chain.error();
    }
    auto with_base = pair_entries(chain->base, nodes);
    if (!with_base) {
        return with_base.error();
    }
    auto started = now_utc();
    Survey survey;
    auto phase = survey_incremental(executor, nodes, *chain, *with_base, survey, observer);
    Selection selection{chain_keyspaces(*chain), {}, request.datacenters, request.hosts};
    auto record =
        RunRecord::start(catalog, phase.manifest, BackupStamp{catalog.cluster(), request.tag, started, selection});
    if (!record) {
        return record.error();
    }
    collect_incremental(executor, phase, nodes, *chain, survey, observer, **record);
    auto saved = (*record)->finish(phase.manifest, phase.bytes_hashed);
    if (!saved) {
        return make_error(ErrorKind::io, fmt::format("the incremental backup was gathered but its manifest could not "
                                                     "be written (nothing was pruned): {}",
                                                     saved.error().message));
    }
    IncrementalOutcome outcome;
    outcome.status = status_of(phase.manifest.status);
    outcome.manifest = std::move(phase.manifest);
    outcome.manifest_path = *saved;
    outcome.runs = std::move(phase.runs);
    if (request.archive && outcome.manifest_path && !cancel_requested()) {
        archive_gathered(executor, catalog, nodes, outcome, observer);
    }
    if (request.prune && outcome.manifest_path && is_usable(outcome.manifest.status)) {
        prune(executor, catalog, nodes, outcome);
    }
    return outcome;
}

} // namespace ringsnap::ops
