// SPDX-License-Identifier: Apache-2.0
// The restore's phases on the nodes, and the restore record that follows them.

#include <ringsnap/ops/restore.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/archive.hpp>
#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/remote_files.hpp>
#include <ringsnap/sstable_name.hpp>

#include "ops/archive_steps.hpp"
#include "ops/loader_steps.hpp"
#include "ops/restore_cql.hpp"
#include "ops/restore_loader.hpp"
#include "ops/restore_record_keeper.hpp"
#include "ops/restore_restart.hpp"
#include "ops/restore_steps.hpp"

namespace ringsnap::ops {

namespace {

namespace steps = restore_steps;

// Generations given to SSTables placed for a 3.11 refresh: far above anything the node used, so
// a flush between placing and refreshing (which writes counter+1 without looking) cannot land
// on them; refresh renames them down at once.
constexpr std::uint64_t k_refresh_generation_gap = 100000;

std::string new_restore_id(const Catalog& catalog)
{
    auto base = fmt::format("restore-{:%Y%m%dT%H%M%SZ}", std::chrono::floor<std::chrono::seconds>(now_utc()));
    std::string id = base;
    for (int n = 2; catalog.restore_exists(id); ++n) {
        id = fmt::format("{}-{}", base, n);
    }
    return id;
}

RestoreRecord record_for(const Catalog& catalog, const RestorePlan& plan, const RestoreRequest& request)
{
    RestoreRecord record;
    record.id = plan.id;
    record.cluster = catalog.cluster();
    record.tag = request.tag;
    record.backups = plan.backups;
    record.until = request.until;
    record.method = to_string(request.method);
    record.target = request.target ? request.target->name : "";
    record.host_map = request.host_map;
    record.rolling = request.rolling;
    record.truncate = request.truncate;
    record.keep_truncate_snapshots = request.keep_truncate_snapshots;
    record.keyspaces = request.keyspaces;
    for (const auto& table : request.tables) {
        record.tables.push_back(table.keyspace + "." + table.table);
    }
    record.datacenters = request.datacenters;
    record.hosts = request.hosts;
    record.started_at = now_utc();
    for (const auto& node : plan.nodes) {
        RestoreNode entry;
        entry.host = node.node.host;
        entry.datacenter = node.node.datacenter;
        entry.rack = node.node.rack;
        entry.source_host = node.source_host;
        entry.host_id = node.host_id;
        entry.version = node.version;
        entry.method = to_string(node.unreachable ? request.method : node.method);
        entry.staging = node.staging_roots;
        entry.quarantine = node.quarantine;
        for (const auto& table : node.tables) {
            entry.tables.push_back({table.keyspace, table.table, TableState::planned, table.files.size(),
                                    table.sstables, table.bytes, std::nullopt, std::nullopt});
        }
        if (node.unreachable) { // its tables are owed all the same: a rerun loads them
            entry.error = *node.unreachable;
            for (const auto& name : plan.tables) {
                auto table = parse_keyspace_table(name);
                entry.tables.push_back(
                    {table->keyspace, table->table, TableState::planned, 0, 0, 0, std::nullopt, std::nullopt});
            }
        }
        record.nodes.push_back(std::move(entry));
    }
    return record;
}

// Keeps what an earlier run of the same restore achieved: tables loaded stay loaded, truncation
// is never repeated.
RestoreRecord merge_earlier(RestoreRecord fresh, const RestoreRecord& earlier)
{
    fresh.started_at = earlier.started_at;
    fresh.truncated = earlier.truncated;
    for (auto& node : fresh.nodes) {
        auto found = std::find_if(earlier.nodes.begin(), earlier.nodes.end(),
                                  [&](const RestoreNode& n) { return n.host == node.host; });
        if (found == earlier.nodes.end()) {
            continue;
        }
        node.restart = found->restart;
        node.quarantine = found->quarantine.empty() ? node.quarantine : found->quarantine;
        node.quarantine_removed = found->quarantine_removed;
        if (node.host_id.empty()) { // down since the earlier run: what it knew
            node.host_id = found->host_id;
            node.version = found->version;
        }
        for (auto& table : node.tables) {
            for (const auto& done : found->tables) {
                if (done.keyspace == table.keyspace && done.table == table.table && done.state == TableState::loaded) {
                    table = done;
                }
            }
        }
    }
    return fresh;
}

// ---- survey

// Nodes an earlier run of this restore stopped (restart) and did not start again: they cannot
// answer nodetool, so what that run knew of them stands in for it.
std::map<std::string, RestoreNode> stopped_earlier(const std::optional<RestoreRecord>& earlier)
{
    std::map<std::string, RestoreNode> stopped;
    for (const auto& node : earlier ? earlier->nodes : std::vector<RestoreNode>{}) {
        if (node.restart >= RestartStep::stopped && node.restart < RestartStep::started && !node.host_id.empty()) {
            stopped.emplace(node.host, node);
        }
    }
    return stopped;
}

// A node stopped by an earlier run, as that run knew it: host id and release from the record,
// tokens from the backup node it restores (the pairing checked they were the same).
void known_from_record(const RestoreNode& entry, const Manifest& base, NodeFacts& facts)
{
    facts.version = parse_release(entry.version);
    NodeInfo info;
    info.host_id = entry.host_id;
    for (const auto& node : base.nodes) {
        if (node.host == entry.source_host) {
            info.tokens = node.tokens;
        }
    }
    facts.info = std::move(info);
}

// Who each node is and what it has. Releases come from one `nodetool gossipinfo` per data center
// rather than a `nodetool version` (a JVM start on a real node) per node; the ring (`nodetool
// status`) is asked only when the restore needs it. Nodes in `stopped` get their files surveyed
// only.
std::vector<NodeRun> survey_for_restore(Executor& executor, const std::vector<Node>& nodes,
                                        const std::vector<std::string>& keyspaces, bool with_ring,
                                        const std::map<std::string, RestoreNode>& stopped, const Manifest& base,
                                        std::vector<RestoreFacts>& facts)
{
    SurveyParts parts{
        .release = SurveyParts::Release::gossip, .tokens = true, .ring = with_ring, .data_dirs = true, .config = true};
    parts.extra_command = [&](const Node& node) { return steps::disk_facts_command(node, keyspaces); };
    SurveyParts files_only{.release = SurveyParts::Release::none, .data_dirs = true, .config = true};
    files_only.extra_command = parts.extra_command;
    std::vector<Node> up, down;
    for (const auto& node : nodes) {
        (stopped.count(node.host) ? down : up).push_back(node);
    }
    auto surveyed_up = ops::survey_nodes(executor, up, parts);
    auto surveyed_down = ops::survey_nodes(executor, down, files_only);
    std::vector<NodeRun> runs;
    facts.assign(nodes.size(), RestoreFacts{});
    std::size_t next_up = 0, next_down = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        bool is_down = stopped.count(nodes[i].host) > 0;
        auto& survey = is_down ? surveyed_down : surveyed_up;
        auto at = is_down ? next_down++ : next_up++;
        runs.push_back(std::move(survey.runs[at]));
        facts[i].node = std::move(survey.nodes[at]);
        if (is_down) {
            known_from_record(stopped.at(nodes[i].host), base, facts[i].node);
        }
        if (!runs[i].ok()) {
            continue;
        }
        auto disk = steps::parse_disk_facts(facts[i].node.extra.value_or(""));
        if (!disk) {
            runs[i].error = disk.error();
            runs[i].failed_step = k_survey_step;
            continue;
        }
        facts[i].disk = std::move(*disk);
    }
    return runs;
}

std::vector<std::string> keyspaces_of(const Chain& chain)
{
    return chain_keyspaces(chain);
}

// ---- stage and verify

std::vector<const TablePlan*> tables_to_do(RecordKeeper& record, const NodePlan& node)
{
    std::vector<const TablePlan*> tables;
    for (const auto& table : node.tables) {
        if (record.state_of(node.node.host, table) != TableState::loaded) {
            tables.push_back(&table);
        }
    }
    return tables;
}

// Compares what is staged with the plan: the exact set of files, their sizes and SHA-256.
std::vector<std::string> compare_staged(const NodePlan& node, const std::vector<const TablePlan*>& tables,
                                        const std::vector<steps::FoundFile>& found,
                                        const std::map<std::string, std::string>& hashes)
{
    std::vector<std::string> mismatches;
    std::map<std::string, const steps::FoundFile*> by_path;
    for (const auto& file : found) {
        by_path[file.path] = &file;
    }
    std::set<std::string> planned;
    std::set<std::string> stage_dirs;
    for (const auto* table : tables) {
        stage_dirs.insert(table->stage_dirs.begin(), table->stage_dirs.end());
        for (const auto& file : table->files) {
            planned.insert(file.staged);
            auto there = by_path.find(file.staged);
            auto hash = hashes.find(file.staged);
            if (there == by_path.end()) {
                mismatches.push_back(fmt::format("{}: {}: missing after staging", node.node.host, file.staged));
            } else if (there->second->size != file.size) {
                mismatches.push_back(fmt::format("{}: {}: size {} instead of {} ({} of backup {})", node.node.host,
                                                 file.source, there->second->size, file.size, file.name, file.backup));
            } else if (hash == hashes.end() || hash->second != file.sha256) {
                mismatches.push_back(fmt::format("{}: {}: SHA-256 differs from the manifest ({} of backup {})",
                                                 node.node.host, file.source, file.name, file.backup));
            }
        }
    }
    for (const auto& file : found) {
        auto dir = file.path.substr(0, file.path.rfind('/'));
        if (stage_dirs.count(dir) && !planned.count(file.path)) {
            mismatches.push_back(fmt::format("{}: {}: in staging but not in the plan", node.node.host, file.path));
        }
    }
    return mismatches;
}

// --from-archive: the staging directories, then per staging root one download of the blobs its
// files need, each linked under its staged name. A blob the archive lacks fails the node.
Status stage_from_archive(RemoteShell& shell, const NodePlan& node, const std::vector<const TablePlan*>& tables,
                          const std::string& rclone_config)
{
    for (const auto& command : steps::stage_directory_commands(shell.node(), node, tables)) {
        if (auto made = run_checked(shell, "create staging directories", command); !made) {
            return made.error();
        }
    }
    std::vector<std::string> payloads(node.staging_roots.size());
    for (const auto* table : tables) {
        for (const auto& file : table->files) {
            for (std::size_t i = 0; i < node.staging_roots.size(); ++i) {
                if (file.staged.rfind(node.staging_roots[i] + "/", 0) == 0) {
                    payloads[i] += file.sha256 + " " + file.staged + "\n";
                }
            }
        }
    }
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        if (payloads[i].empty()) {
            continue;
        }
        auto command =
            archive_steps::download_command(shell.node(), node.archive_root, node.staging_roots[i] + "/.blobs");
        auto output = shell.run_with_input("rclone copy (download)", command,
                                           archive_steps::rclone_input(rclone_config, payloads[i]), std::nullopt);
        if (!output) {
            return output.error();
        }
        auto log = archive_steps::parse_upload_log(output->out, output->err);
        if (!log.missing.empty()) {
            return make_error(ErrorKind::command,
                              fmt::format("{} blob(s) missing from the archive {} (first: {})", log.missing.size(),
                                          node.archive_root, log.missing.front()));
        }
        if (!output->succeeded()) {
            return make_error(ErrorKind::command,
                              fmt::format("download from {}: {}", node.archive_root,
                                          archive_steps::describe_failure(output->exit_status, output->err)));
        }
    }
    return {};
}

Status stage_and_verify(RemoteShell& shell, const NodePlan& node, const std::vector<const TablePlan*>& tables,
                        std::vector<std::string>& mismatches, Observer& observer, const RcloneConfigs& configs)
{
    if (!node.archive_root.empty()) {
        if (auto downloaded = stage_from_archive(shell, node, tables, rclone_config_of(configs, shell.node()));
            !downloaded) {
            // rclone compares what it read with the storage's own MD5 (S3, GCS, Azure): a blob
            // altered there is a mismatch like any other, found before anything loads.
            if (downloaded.error().message.find("corrupted on transfer") == std::string::npos) {
                return downloaded.error();
            }
            mismatches.push_back(fmt::format("{}: {}", node.node.host, downloaded.error().message));
            return {};
        }
    } else {
        for (const auto& command : steps::stage_commands(shell.node(), node, tables)) {
            if (auto staged = run_checked(shell, "stage (hard links)", command); !staged) {
                return staged.error();
            }
        }
    }
    std::vector<std::string> stage_dirs;
    std::uint64_t bytes = 0;
    for (const auto* table : tables) {
        stage_dirs.insert(stage_dirs.end(), table->stage_dirs.begin(), table->stage_dirs.end());
        for (const auto& file : table->files) {
            bytes += file.size;
        }
    }
    auto staged =
        run_parsed(shell, "list and hash staged files",
                   steps::verify_staged_command(shell.node(), node.staging_roots, stage_dirs), steps::parse_staged);
    if (!staged) {
        return staged.error();
    }
    observer.add_bytes(bytes);
    mismatches = compare_staged(node, tables, staged->files, staged->hashes);
    return {};
}

// ---- load

// The Data.db files of one table: live in its directories (backups/ aside) and left in staging.
struct TableFiles
{
    std::set<std::uint64_t> live_inodes;
    std::vector<steps::FoundFile> live; // with backups/, for the highest generation
    std::vector<steps::FoundFile> staged;
};

using FilesByTable = std::map<const TablePlan*, TableFiles>;

// One listing for every table of a node: what is live, what is still staged.
Result<FilesByTable> look_at(RemoteShell& shell, const std::vector<const TablePlan*>& tables)
{
    std::vector<std::string> dirs;
    for (const auto* table : tables) {
        dirs.insert(dirs.end(), table->live_dirs.begin(), table->live_dirs.end());
        dirs.insert(dirs.end(), table->stage_dirs.begin(), table->stage_dirs.end());
    }
    auto found = run_parsed(shell, "list live and staged SSTables", steps::list_data_files_command(shell.node(), dirs),
                            steps::parse_found_files);
    if (!found) {
        return found.error();
    }
    FilesByTable files;
    for (const auto* table : tables) {
        auto& mine = files[table];
        for (const auto& file : *found) {
            auto dir = steps::parent_of(file.path);
            bool in_backups = dir.ends_with("/backups");
            auto table_dir = in_backups ? steps::parent_of(dir) : dir;
            if (std::find(table->live_dirs.begin(), table->live_dirs.end(), table_dir) != table->live_dirs.end()) {
                mine.live.push_back(file);
                if (!in_backups) {
                    mine.live_inodes.insert(file.inode);
                }
            } else if (std::find(table->stage_dirs.begin(), table->stage_dirs.end(), dir) != table->stage_dirs.end()) {
                mine.staged.push_back(file);
            }
        }
    }
    return files;
}

std::string staged_prefix(const steps::FoundFile& data_file)
{
    return data_file.path.substr(0, data_file.path.size() - std::string("Data.db").size());
}

// Staged SSTables whose Data.db is already live (the same inode: loaded by an earlier run, or
// never gone since the backup) leave staging: loading them again would duplicate them.
Status drop_already_live(RemoteShell& shell, FilesByTable& files)
{
    std::vector<std::string> paths;
    for (auto& [table, mine] : files) {
        for (const auto& staged : mine.staged) {
            if (!mine.live_inodes.count(staged.inode)) {
                continue;
            }
            for (const auto& file : table->files) {
                if (file.staged.rfind(staged_prefix(staged), 0) == 0) {
                    paths.push_back(file.staged);
                }
            }
        }
        std::erase_if(mine.staged, [&](const steps::FoundFile& f) { return mine.live_inodes.count(f.inode) > 0; });
    }
    for (const auto& command : remove_files_commands(shell.node(), paths)) {
        if (auto removed = run_checked(shell, "drop staged SSTables already live", command); !removed) {
            return removed.error();
        }
    }
    return {};
}

// The live names for a refresh: generations above everything in the table directory and
// backups/, plus a wide gap.
std::vector<std::pair<std::string, std::string>> refresh_links(const TablePlan& table, const TableFiles& files)
{
    std::uint64_t highest = 0;
    for (const auto& file : files.live) {
        auto name = parse_sstable_name(file.path.substr(file.path.rfind('/') + 1));
        if (name && name->generation()) {
            highest = std::max(highest, *name->generation());
        }
    }
    std::uint64_t next = highest + k_refresh_generation_gap;
    std::vector<std::pair<std::string, std::string>> links;
    for (const auto& staged : files.staged) {
        auto prefix = staged_prefix(staged);
        auto generation = next++;
        for (const auto& file : table.files) {
            auto name = parse_sstable_name(file.name);
            if (file.staged.rfind(prefix, 0) == 0 && name) {
                name->id = std::to_string(generation);
                links.emplace_back(file.staged, table.live_dirs.front() + "/" + name->file_name());
            }
        }
    }
    return links;
}

// Whether a table took every SSTable it was given: each one's Data.db inode is live now.
Status check_loaded(const TablePlan& table, const TableFiles& before, const TableFiles& after, const CommandOutput& run,
                    const std::string& how)
{
    if (auto status = check_succeeded(how, run); !status) {
        return status;
    }
    std::size_t missing = 0;
    for (const auto& staged : before.staged) {
        missing += after.live_inodes.count(staged.inode) ? 0 : 1;
    }
    if (missing == 0) {
        return {};
    }
    return make_error(ErrorKind::command,
                      fmt::format("{} exited 0 but loaded {} of {} SSTables of {}.{}: the node skipped the others "
                                  "without a word (an SSTable version it cannot read, or, before 4.0.13 / 4.1.5, a "
                                  "staging directory not named <keyspace>/<table>); they are still in {}",
                                  how, before.staged.size() - missing, before.staged.size(), table.keyspace,
                                  table.table, fmt::join(table.stage_dirs, ", ")));
}

// The command that loads one table's staged SSTables.
std::string load_command(const Node& node, const NodePlan& plan, const TablePlan& table, const TableFiles& files)
{
    if (plan.method == LoadMethod::refresh) {
        return steps::refresh_command(node, table);
    }
    std::set<std::string> dirs;
    for (const auto& staged : files.staged) {
        dirs.insert(steps::parent_of(staged.path));
    }
    return steps::import_command(node, table, {dirs.begin(), dirs.end()});
}

// ---- truncate

Status check_truncated(RemoteShell& shell, const std::vector<std::string>& live_dirs)
{
    auto files = run_parsed(shell, "look for live SSTables after TRUNCATE",
                            steps::list_data_files_command(shell.node(), live_dirs), steps::parse_found_files);
    if (!files) {
        return files.error();
    }
    for (const auto& file : *files) {
        if (file.path.find("/backups/") == std::string::npos) {
            return make_error(ErrorKind::command, fmt::format("TRUNCATE left a live SSTable: {}", file.path));
        }
    }
    return {};
}

// Removes the truncated-* snapshots TRUNCATE took that were not there before.
Status clear_truncate_snapshots(RemoteShell& shell, const std::vector<std::string>& keyspaces,
                                const std::vector<std::string>& before)
{
    auto facts = run_parsed(shell, "find TRUNCATE's snapshots", steps::disk_facts_command(shell.node(), keyspaces),
                            steps::parse_disk_facts);
    if (!facts) {
        return facts.error();
    }
    std::set<std::pair<std::string, std::string>> snapshots; // (tag, keyspace)
    for (const auto& path : facts->truncate_snapshots) {
        if (std::find(before.begin(), before.end(), path) != before.end()) {
            continue;
        }
        auto tag = path.substr(path.rfind('/') + 1);
        auto table_dir = path.substr(0, path.find("/snapshots/"));
        auto keyspace_dir = table_dir.substr(0, table_dir.rfind('/'));
        auto keyspace = keyspace_dir.substr(keyspace_dir.rfind('/') + 1);
        if (validate_tag(tag) && validate_cql_identifier(keyspace, "keyspace")) {
            snapshots.emplace(tag, keyspace);
        }
    }
    for (const auto& [tag, keyspace] : snapshots) {
        auto cleared = run_checked(shell, "nodetool clearsnapshot " + tag,
                                   nodetool_command(shell.node(), {"clearsnapshot", "-t", tag, "--", keyspace}));
        if (!cleared) {
            return cleared.error();
        }
    }
    return {};
}

// The table directories of `tables` on a node, from its survey (dropped tables' left out).
std::vector<std::string> live_dirs_of(const RestoreFacts& facts, const std::vector<std::string>& tables)
{
    std::vector<std::string> dirs;
    if (!facts.node.data_dirs) {
        return dirs;
    }
    for (const auto& dir : facts.node.data_dirs->tables) {
        if (std::find(tables.begin(), tables.end(), dir.keyspace + "." + dir.table) != tables.end() &&
            !facts.disk.dropped(dir.path())) {
            dirs.push_back(dir.path());
        }
    }
    return dirs;
}

// ---- the run

// One restore from plan to end: the phases in order, each over the nodes that are still in it.
class RestoreRun
{
  public:
    RestoreRun(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
               const RestoreRequest& request, Observer& observer)
        : m_executor(executor), m_catalog(catalog), m_nodes(nodes), m_request(request), m_observer(observer)
    {
    }

    Result<RestoreOutcome> run(const std::optional<RestoreRecord>& earlier)
    {
        auto chain = load_restore_chain(m_catalog, m_request.tag, m_request.until);
        if (!chain) {
            return chain.error();
        }
        if (m_request.from_archive) {
            auto configs = read_rclone_configs(m_nodes);
            if (!configs) {
                return configs.error();
            }
            m_rclone_configs = std::move(*configs);
        }
        m_keyspaces = keyspaces_of(*chain);
        std::string id = earlier ? earlier->id : new_restore_id(m_catalog);
        auto survey = survey_nodes(stopped_earlier(earlier), chain->base, ring_wanted());
        if (streams_elsewhere()) {
            Phase phase(m_observer, "survey the target", m_request.target->nodes, Observer::Lines::none);
            m_target_runs = survey_for_restore(m_executor, m_request.target->nodes, m_keyspaces, true, {}, chain->base,
                                               m_target_facts);
        }
        if (cancel_requested()) {
            m_outcome.runs = survey;
            m_outcome.status = RunStatus::interrupted;
            m_outcome.exit_code = exit_code::interrupted;
            return m_outcome; // nothing was changed yet
        }
        auto answered = [](const std::vector<NodeRun>& runs) {
            return std::any_of(runs.begin(), runs.end(), [](const NodeRun& run) { return run.ok(); });
        };
        if (!answered(survey)) {
            return make_error(ErrorKind::connect, "no node answered: nothing can be restored");
        }
        if (streams_elsewhere() && !answered(m_target_runs)) {
            return make_error(ErrorKind::connect, fmt::format("no node of the target cluster {} answered: nothing can "
                                                              "be restored there",
                                                              m_request.target->name));
        }
        SurveyedCluster source{m_nodes, survey, m_facts};
        SurveyedCluster into = streams_elsewhere() ? target() : source;
        std::optional<std::string> columns_unread;
        if (m_request.method == LoadMethod::sstableloader) {
            columns_unread = read_columns(into);
            into.columns = &m_target_columns;
        }
        m_outcome.plan = plan_restore(*chain, source, into, m_request, id, now_utc());
        if (columns_unread) {
            m_outcome.plan.warnings.push_back(fmt::format("the target's columns could not be read, so they are not "
                                                          "compared with the backup's: {}",
                                                          *columns_unread));
        }
        if (!m_outcome.plan.schema.empty() && !streams_elsewhere() && !ring_wanted()) {
            // A table to create needs cqlsh on a node known UN, at its own address: the ring.
            survey = survey_nodes(stopped_earlier(earlier), chain->base, true);
            m_outcome.plan = plan_restore(*chain, source, source, m_request, id, now_utc());
        }
        m_outcome.runs = survey;
        m_outcome.resumed = earlier.has_value();
        if (!m_outcome.plan.refusals.empty()) {
            m_outcome.exit_code = exit_code::usage;
            return m_outcome;
        }
        if (m_request.dry_run) {
            m_outcome.status = RunStatus::ok;
            m_outcome.exit_code = exit_code::ok;
            return m_outcome;
        }
        if (m_request.confirm && !m_request.confirm(m_outcome.plan)) {
            return make_error(ErrorKind::usage, "not confirmed: nothing was changed");
        }
        auto record = record_for(m_catalog, m_outcome.plan, m_request);
        m_record.emplace(m_catalog, earlier ? merge_earlier(std::move(record), *earlier) : std::move(record));
        m_record->save();
        execute();
        finish();
        return m_outcome;
    }

  private:
    // The columns of the backup's keyspaces in the cluster loaded into, for the plan to compare
    // with the backup's schema; why they could not be read, if so.
    std::optional<std::string> read_columns(const SurveyedCluster& into)
    {
        auto endpoint = cql_endpoint(into, cql_host_of(into), target_password());
        if (!endpoint) {
            return std::nullopt; // the plan refuses: no node to run cqlsh on
        }
        std::vector<std::string> statements;
        for (const auto& keyspace : m_keyspaces) {
            statements.push_back(loader_steps::columns_statement(keyspace));
        }
        auto outputs = run_cql(m_executor, *endpoint, "cqlsh system_schema.columns", statements, NoteRun{});
        if (!outputs) {
            return outputs.error().message;
        }
        for (std::size_t i = 0; i < outputs->size(); ++i) {
            auto ran = check_succeeded("cqlsh system_schema.columns", (*outputs)[i]);
            auto columns = ran ? loader_steps::parse_columns(m_keyspaces[i], (*outputs)[i].out)
                               : Result<TableColumns>(ran.error());
            if (!columns) {
                return columns.error().message;
            }
            m_target_columns.merge(*columns);
        }
        return std::nullopt;
    }

    // The ring gives each node's own address and state: for cqlsh, and the seeds of a restart.
    bool ring_wanted() const
    {
        return m_request.truncate || m_request.count_rows || m_request.method == LoadMethod::restart ||
               m_request.method == LoadMethod::sstableloader;
    }

    std::vector<NodeRun> survey_nodes(const std::map<std::string, RestoreNode>& stopped, const Manifest& base,
                                      bool with_ring)
    {
        Phase phase(m_observer, "survey", m_nodes, Observer::Lines::none);
        return survey_for_restore(m_executor, m_nodes, m_keyspaces, with_ring, stopped, base, m_facts);
    }

    void execute()
    {
        auto staged = stage_everywhere();
        if (!m_outcome.mismatches.empty()) {
            abandon_staging("a staged file does not match the manifest");
            m_outcome.exit_code = exit_code::mismatch;
            return;
        }
        // The plan refuses what needs cqlsh on the target when no node there can run it.
        auto target_cql = cql_endpoint(target(), m_outcome.plan.cql_host, target_password()).value_or(CqlEndpoint{});
        if (!create_missing_tables(target_cql, staged)) {
            return;
        }
        if (m_request.truncate && !truncate_everywhere(staged)) {
            return;
        }
        if (m_request.method == LoadMethod::restart) {
            RestartContext restart{m_executor,     m_outcome.plan, m_request,
                                   *m_record,      m_observer,     [this](const NodeRun& run) { note_run(run); },
                                   m_outcome.notes};
            restart_nodes(restart, staged);
        } else if (m_outcome.plan.loader) {
            LoaderContext loader{m_executor, m_outcome.plan, m_request, *m_record, m_observer, note_runs(), target_cql};
            load_with_sstableloader(loader, staged);
        } else {
            load_everywhere(staged);
        }
        if (m_request.count_rows && !cancel_requested()) {
            count_everywhere(target_cql);
        }
        clean_everywhere();
    }

    // Whether the cluster loaded into is surveyed apart from the nodes of this run: sstableloader
    // streaming into --target. With --host-map, the target's nodes are this run's nodes.
    bool streams_elsewhere() const { return m_request.target && m_request.host_map.empty(); }

    // The cluster loaded into: --target's, or the nodes of this run.
    SurveyedCluster target() const
    {
        if (streams_elsewhere()) {
            return {m_request.target->nodes, m_target_runs, m_target_facts};
        }
        return {m_nodes, m_outcome.runs, m_facts};
    }

    const std::string& target_password() const
    {
        return m_request.target ? m_request.target->cql_password : m_request.cql_password;
    }

    NoteRun note_runs()
    {
        return [this](const NodeRun& run) { note_run(run); };
    }

    // The tables the target lacks (dropped since the backup, or never created there), created
    // before anything is loaded (and before TRUNCATE, which needs them).
    bool create_missing_tables(const CqlEndpoint& target_cql, const std::vector<std::size_t>& staged)
    {
        if (m_outcome.plan.schema.empty()) {
            return true;
        }
        if (staged.size() < m_outcome.plan.nodes.size() || cancel_requested()) {
            m_outcome.notes.push_back("the missing tables were not created: not every node staged and verified its "
                                      "files; nothing was loaded (staging is kept: rerun the same command once the "
                                      "nodes are fixed)");
            return false;
        }
        if (auto created = create_schema(m_executor, target_cql, m_outcome.plan, *m_record, note_runs()); !created) {
            m_outcome.notes.push_back(
                fmt::format("creating the missing tables failed, nothing was loaded: {}", created.error().message));
            return false;
        }
        return true;
    }

    // Rows read back at consistency ALL; with --compare-source, a difference is a mismatch.
    void count_everywhere(const CqlEndpoint& target_cql)
    {
        std::optional<CqlEndpoint> source;
        if (m_request.compare_source) {
            source = cql_endpoint({m_nodes, m_outcome.runs, m_facts}, m_outcome.plan.source_cql_host,
                                  m_request.cql_password);
        }
        // Not noted per node: a count's run would hide the outcome of that node's load.
        auto counts = count_rows(m_executor, target_cql, source, m_outcome.plan.tables, NoteRun{});
        for (const auto& count : counts) {
            if (count.differs()) {
                m_outcome.mismatches.push_back(fmt::format("{}: {} rows on the target, {} on the source", count.table,
                                                           *count.target, *count.source));
                m_outcome.exit_code = exit_code::mismatch;
            }
            if (count.error) {
                m_outcome.notes.push_back(fmt::format("{}: rows not counted: {}", count.table, *count.error));
            }
        }
        m_record->update([&](RestoreRecord& record) { record.row_counts = counts; });
    }

    // Nodes (indexes into the plan) that staged and verified everything they still have to load.
    std::vector<std::size_t> stage_everywhere()
    {
        std::vector<const NodePlan*> plans;
        std::vector<Node> nodes;
        for (const auto& node : m_outcome.plan.nodes) {
            if (node.unreachable) {
                m_record->update(
                    [&](RestoreRecord& record) { record.node(node.node.host)->error = *node.unreachable; });
                continue;
            }
            plans.push_back(&node);
            nodes.push_back(node.node);
        }
        std::vector<std::vector<std::string>> mismatches(plans.size());
        std::vector<std::vector<RecordKeeper::TableUpdate>> updates(plans.size());
        std::vector<NodeRun> runs;
        {
            Phase phase(m_observer, "stage and verify", nodes);
            runs = m_executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
                auto tables = tables_to_do(*m_record, *plans[index]);
                auto status =
                    stage_and_verify(shell, *plans[index], tables, mismatches[index], m_observer, m_rclone_configs);
                bool verified = status && mismatches[index].empty();
                for (const auto* table : tables) {
                    updates[index].push_back({table, verified ? TableState::verified : TableState::failed,
                                              status ? std::nullopt : std::optional(status.error().message)});
                }
                return status;
            });
        }
        // Recorded once for all nodes: nothing is loaded yet, so a crash here only costs a re-check.
        m_record->set_tables(plans, updates);
        std::vector<std::size_t> ready;
        for (std::size_t i = 0; i < plans.size(); ++i) {
            m_outcome.mismatches.insert(m_outcome.mismatches.end(), mismatches[i].begin(), mismatches[i].end());
            note_run(runs[i]);
            if (runs[i].ok()) {
                ready.push_back(static_cast<std::size_t>(plans[i] - m_outcome.plan.nodes.data()));
            }
        }
        return ready;
    }

    // A verification failure stops everything before any load: staging (hard links only) goes,
    // so the nodes are as they were.
    void abandon_staging(const std::string& why)
    {
        std::vector<const NodePlan*> plans;
        for (const auto& node : m_outcome.plan.nodes) {
            if (!node.unreachable) {
                plans.push_back(&node);
            }
        }
        remove_staging(plans);
        m_record->update([&](RestoreRecord& record) {
            for (auto& node : record.nodes) {
                node.cleaned = true;
            }
        });
        m_outcome.notes.push_back(
            fmt::format("{}: this run loaded nothing on any node, and its staging was removed", why));
    }

    bool truncate_everywhere(const std::vector<std::size_t>& staged)
    {
        auto record = m_record->snapshot();
        std::vector<std::string> todo;
        for (const auto& table : m_outcome.plan.tables) {
            if (std::find(record.truncated.begin(), record.truncated.end(), table) == record.truncated.end()) {
                todo.push_back(table);
            }
        }
        if (todo.empty()) {
            return true; // an earlier run of this restore truncated them: never again
        }
        if (staged.size() < m_outcome.plan.nodes.size() || cancel_requested()) {
            m_outcome.notes.push_back("TRUNCATE was not run: not every node staged and verified its files; nothing "
                                      "was loaded (staging is kept: rerun the same command once the nodes are fixed)");
            return false;
        }
        auto truncated = run_truncate(todo);
        if (!truncated) {
            m_outcome.notes.push_back(
                fmt::format("TRUNCATE failed, nothing was loaded: {}", truncated.error().message));
            return false;
        }
        m_record->update([&](RestoreRecord& r) { r.truncated.insert(r.truncated.end(), todo.begin(), todo.end()); });
        return true;
    }

    Status run_truncate(const std::vector<std::string>& tables)
    {
        auto cluster = target();
        auto endpoint = cql_endpoint(cluster, m_outcome.plan.cql_host, target_password());
        if (!endpoint) {
            return make_error(ErrorKind::command, "no node is up and normal to run TRUNCATE on");
        }
        auto outputs =
            run_cql(m_executor, *endpoint, "cqlsh TRUNCATE", {steps::truncate_statements(tables)}, note_runs());
        if (!outputs) {
            return outputs.error();
        }
        if (auto truncated = check_succeeded("cqlsh TRUNCATE", outputs->front()); !truncated) {
            return truncated;
        }
        return check_and_clear_truncation(cluster, tables);
    }

    // Every node must now hold no live SSTable of the tables; TRUNCATE's own snapshots go unless kept.
    Status check_and_clear_truncation(const SurveyedCluster& cluster, const std::vector<std::string>& tables)
    {
        Phase phase(m_observer, "check TRUNCATE", cluster.nodes, Observer::Lines::none);
        auto runs = m_executor.run_on_nodes(cluster.nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
            const auto& facts = cluster.facts[index];
            if (auto clean = check_truncated(shell, live_dirs_of(facts, tables)); !clean) {
                return clean;
            }
            if (m_request.keep_truncate_snapshots) {
                return {};
            }
            return clear_truncate_snapshots(shell, m_keyspaces, facts.disk.truncate_snapshots);
        });
        for (const auto& run : runs) {
            if (!run.ok()) {
                return make_error(run.error->kind, fmt::format("{}: {}", run.node.host, run.error->message));
            }
        }
        return {};
    }

    void load_everywhere(const std::vector<std::size_t>& staged)
    {
        std::vector<Node> nodes;
        for (auto index : staged) {
            nodes.push_back(m_outcome.plan.nodes[index].node);
        }
        std::vector<NodeRun> runs;
        {
            Phase phase(m_observer, "load", nodes);
            runs = m_executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
                return load_node(shell, m_outcome.plan.nodes[staged[index]]);
            });
        }
        for (const auto& run : runs) {
            note_run(run);
        }
    }

    // One look at every table, the loads one after the other in one remote command, one look
    // again to check: a node's tables cost three SSH channels and one nodetool call each.
    Status load_node(RemoteShell& shell, const NodePlan& node)
    {
        auto tables = tables_to_do(*m_record, node);
        auto before = look_at(shell, tables);
        if (!before) {
            return before.error();
        }
        if (auto dropped = drop_already_live(shell, *before); !dropped) {
            return dropped;
        }
        std::vector<const TablePlan*> to_load;
        std::vector<RecordKeeper::TableUpdate> updates;
        std::vector<std::string> commands;
        std::vector<std::pair<std::string, std::string>> links;
        for (const auto* table : tables) {
            const auto& files = (*before)[table];
            if (files.staged.empty()) {
                updates.push_back({table, TableState::loaded}); // live already
                continue;
            }
            to_load.push_back(table);
            updates.push_back({table, TableState::loading});
            if (node.method == LoadMethod::refresh) {
                auto placed = refresh_links(*table, files);
                links.insert(links.end(), placed.begin(), placed.end());
            }
            commands.push_back(load_command(shell.node(), node, *table, files));
        }
        m_record->set_tables(node.node.host, updates);
        if (to_load.empty()) {
            return {};
        }
        for (const auto& command : steps::place_commands(shell.node(), links)) {
            if (auto placed = run_checked(shell, "place SSTables for refresh", command); !placed) {
                return placed.error();
            }
        }
        std::string how = node.method == LoadMethod::import ? "nodetool import" : "nodetool refresh";
        auto runs = run_in_turn(shell, how + " (one per table)", commands);
        if (!runs) {
            return runs.error(); // the tables stay `loading`: a rerun looks at what got live
        }
        auto after = look_at(shell, to_load);
        if (!after) {
            return after.error();
        }
        Status first;
        updates.clear();
        for (std::size_t i = 0; i < to_load.size(); ++i) {
            const auto* table = to_load[i];
            auto loaded = check_loaded(*table, (*before)[table], (*after)[table], (*runs)[i], how);
            updates.push_back({table, loaded ? TableState::loaded : TableState::failed,
                               loaded ? std::nullopt : std::optional(loaded.error().message),
                               (*runs)[i].duration.count()});
            m_observer.add_bytes(loaded ? table->bytes : 0);
            if (!loaded && first) {
                first = loaded;
            }
        }
        m_record->set_tables(node.node.host, updates);
        return first;
    }

    // Staging goes from the nodes that loaded everything; elsewhere it stays for a rerun.
    void clean_everywhere()
    {
        auto record = m_record->snapshot();
        std::vector<const NodePlan*> plans;
        for (const auto& node : m_outcome.plan.nodes) {
            const auto* entry = record.node(node.node.host);
            bool done = entry && std::all_of(entry->tables.begin(), entry->tables.end(),
                                             [](const RestoreTable& t) { return t.state == TableState::loaded; });
            if (done && !node.unreachable) {
                plans.push_back(&node);
            }
        }
        auto runs = remove_staging(plans);
        m_record->update([&](RestoreRecord& r) { // one write for every node
            for (const auto& run : runs) {
                r.node(run.node.host)->cleaned = run.ok();
            }
        });
    }

    std::vector<NodeRun> remove_staging(const std::vector<const NodePlan*>& plans)
    {
        std::vector<Node> nodes;
        for (const auto* plan : plans) {
            nodes.push_back(plan->node);
        }
        return m_executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
            auto removed = run_checked(shell, "remove staging",
                                       steps::cleanup_command(shell.node(), *plans[index], m_outcome.plan.id));
            return removed ? Status{} : Status(removed.error());
        });
    }

    // Keeps each node's latest outcome for the report (with the steps of every phase), and its
    // error in the record.
    void note_run(const NodeRun& run)
    {
        auto found = std::find_if(m_outcome.runs.begin(), m_outcome.runs.end(),
                                  [&](const NodeRun& r) { return r.node.host == run.node.host; });
        if (found != m_outcome.runs.end()) { // the latest phase's outcome, every phase's steps
            auto steps = std::move(found->steps);
            auto duration = found->duration;
            *found = run;
            steps.insert(steps.end(), run.steps.begin(), run.steps.end());
            found->steps = std::move(steps);
            found->duration += duration;
        } else {
            m_outcome.runs.push_back(run);
        }
        auto error = run.error ? std::optional(run.error->message) : std::nullopt;
        auto current = m_record->snapshot();
        auto* known = current.node(run.node.host);
        if (known && known->error != error) { // a write of the record only for news
            m_record->update([&](RestoreRecord& record) { record.node(run.node.host)->error = error; });
        }
    }

    void finish()
    {
        auto record = m_record->snapshot();
        std::size_t loaded = 0, total = 0;
        for (const auto& node : record.nodes) {
            for (const auto& table : node.tables) {
                ++total;
                loaded += table.state == TableState::loaded ? 1 : 0;
            }
        }
        RestoreStatus status = loaded == total ? RestoreStatus::complete
                               : loaded > 0    ? RestoreStatus::partial
                                               : RestoreStatus::failed;
        if (cancel_requested()) {
            status = RestoreStatus::interrupted;
        }
        m_record->update([&](RestoreRecord& r) {
            r.status = status;
            r.finished_at = now_utc();
        });
        m_outcome.record = m_record->snapshot();
        m_outcome.record_path = m_record->path();
        m_outcome.status = status == RestoreStatus::complete      ? RunStatus::ok
                           : status == RestoreStatus::partial     ? RunStatus::partial
                           : status == RestoreStatus::interrupted ? RunStatus::interrupted
                                                                  : RunStatus::failed;
        if (m_outcome.exit_code != exit_code::mismatch) {
            m_outcome.exit_code = exit_code_for(m_outcome.status);
        }
        for (const auto& node : record.nodes) {
            if (!node.cleaned) {
                m_outcome.notes.push_back(
                    fmt::format("{}: staging kept in {} for a rerun", node.host, fmt::join(node.staging, ", ")));
            }
        }
    }

    Executor& m_executor;
    const Catalog& m_catalog;
    const std::vector<Node>& m_nodes;
    const RestoreRequest& m_request;
    Observer& m_observer;
    RcloneConfigs m_rclone_configs; // --from-archive
    std::vector<std::string> m_keyspaces;
    std::vector<RestoreFacts> m_facts;
    std::vector<NodeRun> m_target_runs; // --target: its survey
    std::vector<RestoreFacts> m_target_facts;
    TableColumns m_target_columns; // sstableloader: the target's, from its schema
    std::optional<RecordKeeper> m_record;
    RestoreOutcome m_outcome;
};

// The unfinished restore this request continues, if any: with --resume the newest unfinished
// one, else the newest unfinished one asked for the same thing.
Result<std::optional<RestoreRecord>> earlier_restore(const Catalog& catalog, const RestoreRecord& asked, bool resume)
{
    auto listing = catalog.list_restores();
    if (!listing) {
        return listing.error();
    }
    for (auto it = listing->records.rbegin(); it != listing->records.rend(); ++it) {
        bool wanted = resume ? asked.tag.empty() || it->tag == asked.tag : it->same_request(asked);
        bool finished = it->status == RestoreStatus::complete || it->status == RestoreStatus::undone;
        if (!finished && wanted) {
            return std::optional(*it);
        }
    }
    if (resume) {
        return make_error(ErrorKind::usage, asked.tag.empty() ? "--resume: no unfinished restore in the catalog"
                                                              : fmt::format("--resume: no unfinished restore of {} in "
                                                                            "the catalog",
                                                                            asked.tag));
    }
    return std::optional<RestoreRecord>();
}

// A request rebuilt from a record, to continue it as it was asked.
RestoreRequest request_from(const RestoreRecord& record, const RestoreRequest& given)
{
    RestoreRequest request = given;
    request.tag = record.tag;
    request.until = record.until;
    request.keyspaces = record.keyspaces;
    request.tables.clear();
    for (const auto& name : record.tables) {
        if (auto table = parse_keyspace_table(name)) {
            request.tables.push_back(*table);
        }
    }
    request.method = record.method == "import"          ? LoadMethod::import
                     : record.method == "refresh"       ? LoadMethod::refresh
                     : record.method == "restart"       ? LoadMethod::restart
                     : record.method == "sstableloader" ? LoadMethod::sstableloader
                                                        : LoadMethod::automatic;
    request.rolling = record.rolling;
    request.truncate = record.truncate;
    request.keep_truncate_snapshots = record.keep_truncate_snapshots;
    request.datacenters = record.datacenters;
    request.hosts = record.hosts;
    return request;
}

} // namespace

Result<RestoreOutcome> run_restore(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                   const RestoreRequest& request, Observer& observer)
{
    auto lock = lock_unless_dry_run(catalog, request.command, request.dry_run);
    if (!lock) {
        return lock.error();
    }
    RestorePlan none;
    auto asked = record_for(catalog, none, request);
    auto earlier = earlier_restore(catalog, asked, request.resume);
    if (!earlier) {
        return earlier.error();
    }
    if (*earlier && (*earlier)->target != (request.target ? request.target->name : "")) {
        return make_error(
            ErrorKind::usage,
            (*earlier)->target.empty()
                ? fmt::format("restore {} loads into this cluster: rerun it without --target", (*earlier)->id)
                : fmt::format("restore {} loads into cluster {}: rerun it with --target and that "
                              "cluster's file",
                              (*earlier)->id, (*earlier)->target));
    }
    if (*earlier && (*earlier)->host_map != request.host_map) {
        return make_error(ErrorKind::usage, fmt::format("restore {} paired the nodes by another --host-map: rerun it "
                                                        "with the map it was started with",
                                                        (*earlier)->id));
    }
    RestoreRequest effective = *earlier ? request_from(**earlier, request) : request;
    if (*earlier) {
        spdlog::info("continuing restore {} of {} (started {})", (*earlier)->id, (*earlier)->tag,
                     format_timestamp((*earlier)->started_at));
    }
    if (!effective.host_map.empty() && !effective.target) {
        return make_error(ErrorKind::usage, "--host-map maps the backup's nodes to those of another cluster: give its "
                                            "cluster file with --target FILE");
    }
    // With --host-map the nodes restored are the target's; the backup's own are not touched.
    const auto& restored = effective.host_map.empty() ? nodes : effective.target->nodes;
    RestoreRun run(executor, catalog, restored, effective, observer);
    return run.run(*earlier);
}

} // namespace ringsnap::ops
