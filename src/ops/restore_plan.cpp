// SPDX-License-Identifier: Apache-2.0
// The restore planner: from the backups and what the nodes said, which files go where, by which
// commands, and whether the restore may start at all. Pure: it touches no node.

#include <ringsnap/ops/restore.hpp>

#include <algorithm>
#include <regex>
#include <set>

#include <fmt/format.h>

#include <ringsnap/cassandra_yaml.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/table_files.hpp>
#include <ringsnap/sstable_name.hpp>

#include "ops/archive_steps.hpp"
#include "ops/loader_plan.hpp"
#include "ops/restart_steps.hpp"
#include "ops/restore_cql.hpp"
#include "ops/restore_steps.hpp"
#include "ops/schema_plan.hpp"

namespace ringsnap::ops {

namespace {

// Keyspaces a live restore never loads: node-local state (system), the schema (loading SSTables
// of system_schema into a running node does not change its schema) and replicated system data.
const std::set<std::string> k_system_keyspaces{
    "system",        "system_schema", "system_auth",          "system_distributed",
    "system_traces", "system_views",  "system_virtual_schema"};

constexpr std::int64_t k_default_gc_grace_seconds = 864000;

bool contains(const std::vector<std::string>& list, const std::string& value)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

std::string qualified(const std::string& keyspace, const std::string& table)
{
    return keyspace + "." + table;
}

// The tables the request selects among those the backup holds, or the refusal.
std::vector<std::string> select_tables(const Manifest& base, const RestoreRequest& request, RestorePlan& plan)
{
    std::set<std::string> in_backup;
    std::set<std::string> keyspaces;
    for (const auto& node : base.nodes) {
        for (const auto& table : node.tables) {
            in_backup.insert(qualified(table.keyspace, table.table));
            keyspaces.insert(table.keyspace);
        }
    }
    for (const auto& keyspace : request.keyspaces) {
        if (k_system_keyspaces.count(keyspace)) {
            plan.refusals.push_back(
                fmt::format("-k {}: system keyspaces are not restored into running nodes", keyspace));
        } else if (!keyspaces.count(keyspace)) {
            plan.refusals.push_back(
                fmt::format("-k {}: the backup {} holds no table of this keyspace", keyspace, base.tag));
        }
    }
    for (const auto& table : request.tables) {
        auto name = qualified(table.keyspace, table.table);
        if (k_system_keyspaces.count(table.keyspace)) {
            plan.refusals.push_back(fmt::format("-t {}: system tables are not restored into running nodes", name));
        } else if (!in_backup.count(name)) {
            plan.refusals.push_back(fmt::format("-t {}: not in the backup {}", name, base.tag));
        }
    }
    std::vector<std::string> selected;
    for (const auto& name : in_backup) {
        auto keyspace = name.substr(0, name.find('.'));
        bool wanted = (request.keyspaces.empty() && request.tables.empty()) || contains(request.keyspaces, keyspace) ||
                      std::any_of(request.tables.begin(), request.tables.end(),
                                  [&](const KeyspaceTable& t) { return qualified(t.keyspace, t.table) == name; });
        if (wanted && !k_system_keyspaces.count(keyspace)) {
            selected.push_back(name);
        }
    }
    return selected;
}

// The entry of `manifest` recorded by the same node as `base_entry`.
const NodeEntry* same_node_in(const Manifest& manifest, const NodeEntry& base_entry)
{
    for (const auto& entry : manifest.nodes) {
        bool same_id = entry.host_id && base_entry.host_id && *entry.host_id == *base_entry.host_id;
        if (same_id || (!entry.host_id && entry.host == base_entry.host)) {
            return &entry;
        }
    }
    return nullptr;
}

const TableEntry* table_in(const NodeEntry& entry, const std::string& keyspace, const std::string& table)
{
    for (const auto& candidate : entry.tables) {
        if (candidate.keyspace == keyspace && candidate.table == table) {
            return &candidate;
        }
    }
    return nullptr;
}

// gc_grace_seconds of the table as its schema.cql says, else Cassandra's default.
std::int64_t gc_grace_of(const TableEntry* table)
{
    static const std::regex setting(R"(gc_grace_seconds\s*=\s*(\d+))");
    std::smatch match;
    if (table && table->schema_cql && std::regex_search(*table->schema_cql, match, setting)) {
        return std::stoll(match[1].str());
    }
    return k_default_gc_grace_seconds;
}

// The node-local time of the base snapshot of a table: when Cassandra wrote its manifest.json.
std::optional<std::int64_t> snapshot_time_ns(const TableEntry* table)
{
    if (!table) {
        return std::nullopt;
    }
    for (const auto& file : table->files) {
        if (file.name == "manifest.json" && file.mtime_ns) {
            return file.mtime_ns;
        }
    }
    return std::nullopt;
}

struct NodeContext
{
    const Node& node;
    const NodeFacts& facts;
    const DiskFacts& disk;
    const RestoreRequest& request;
    const std::string& id;
    RestorePlan& plan;
    std::string storage_mode;                             // 5.0's storage_compatibility_mode, read once per node
    const loader_steps::LoaderSettings* loader = nullptr; // sstableloader: how it streams
};

// The table's directories on the node now, leaving out those of a dropped table (which keep a
// dropped-* snapshot); the id they share, or "" when they do not agree.
void find_live_dirs(const NodeContext& context, TablePlan& table)
{
    std::set<std::string> ids;
    if (context.facts.data_dirs) {
        for (const auto& dir : context.facts.data_dirs->tables) {
            if (dir.keyspace == table.keyspace && dir.table == table.table && !context.disk.dropped(dir.path())) {
                table.live_dirs.push_back(dir.path());
                ids.insert(dir.id);
            }
        }
    }
    table.live_id = ids.size() == 1 ? *ids.begin() : "";
}

// Adds the SSTable files of one recorded table to the plan; returns false (with a refusal) when
// they cannot be staged.
bool add_files(const NodeContext& context, TablePlan& table, const TableEntry& recorded, const std::string& backup,
               const std::string& subdir, std::optional<std::int64_t> not_before_ns)
{
    auto index = data_dir_of(context.node, recorded);
    if (!index) {
        context.plan.refusals.push_back(fmt::format("{}: backup {} recorded {} in {}, which is not under the node's "
                                                    "data_dirs in the cluster file",
                                                    context.node.host, backup, qualified(table.keyspace, table.table),
                                                    recorded.directory));
        return false;
    }
    std::string root = restore_steps::staging_root(context.node.data_dirs()[*index], context.id, *index);
    std::string stage_dir = fmt::format("{}/{}/{}/{}", root, backup, table.keyspace, table.table);
    // An incremental SSTable older than the base snapshot was compacted or truncated away before
    // it: bringing it back could resurrect what its tombstones no longer shadow.
    std::set<std::string> too_old;
    if (not_before_ns) {
        for (const auto& file : recorded.files) {
            auto name = parse_sstable_name(file.name);
            if (name && name->component == "Data.db" && file.mtime_ns && *file.mtime_ns < *not_before_ns) {
                too_old.insert(name->prefix());
            }
        }
        table.left_out += too_old.size();
    }
    bool any = false;
    for (const auto& file : recorded.files) {
        auto name = parse_sstable_name(file.name);
        if (!name || too_old.count(name->prefix())) {
            continue; // manifest.json, schema.cql, secondary index files (rebuilt by Cassandra)
        }
        table.files.push_back({file.name, file.size, file.sha256, backup, table_file_path(recorded, subdir, file.name),
                               stage_dir + "/" + file.name});
        table.bytes += file.size;
        table.sstables += name->component == "Data.db" ? 1 : 0;
        any = true;
    }
    if (any && !contains(table.stage_dirs, stage_dir)) {
        table.stage_dirs.push_back(stage_dir);
    }
    return true;
}

// Refuses SSTable versions the node would skip without a word.
void check_readable(const NodeContext& context, const TablePlan& table, const CassandraVersion& version)
{
    const std::string& mode = context.storage_mode;
    std::set<std::string> unreadable;
    for (const auto& file : table.files) {
        auto name = parse_sstable_name(file.name);
        if (name && !can_read_sstable(version, mode, name->version, name->format)) {
            unreadable.insert(name->version + "-" + name->format);
        }
    }
    if (!unreadable.empty()) {
        context.plan.refusals.push_back(fmt::format(
            "{}: Cassandra {}{} cannot read SSTables of version {} ({}): it would skip them and load nothing",
            context.node.host, version.text, version.at_least(5, 0) ? " (storage_compatibility_mode " + mode + ")" : "",
            fmt::join(unreadable, ", "), qualified(table.keyspace, table.table)));
    }
}

void add_load_commands(const NodeContext& context, NodePlan& node, TablePlan& table)
{
    if (table.files.empty()) {
        return; // empty at the backup: nothing to load (with --truncate, empty again)
    }
    if (node.method == LoadMethod::import) {
        table.commands.push_back(restore_steps::import_command(context.node, table, table.stage_dirs));
        return;
    }
    if (node.method == LoadMethod::sstableloader) {
        for (const auto& dir : table.stage_dirs) {
            table.commands.push_back(loader_steps::loader_command(context.node, *context.loader, dir));
        }
        return;
    }
    if (table.live_id.empty() || table.live_dirs.empty()) {
        context.plan.refusals.push_back(fmt::format("{}: {} has {} live directories ({}): {} needs to know which "
                                                    "one is the table's; remove the leftovers of the dropped table",
                                                    context.node.host, qualified(table.keyspace, table.table),
                                                    table.live_dirs.size(), fmt::join(table.live_dirs, ", "),
                                                    to_string(node.method)));
        return;
    }
    if (node.method == LoadMethod::restart) {
        table.commands.push_back(fmt::format("move every file of {} (not snapshots/, backups/) into the quarantine",
                                             fmt::join(table.live_dirs, ", ")));
        table.commands.push_back(fmt::format("move the staged files into {}", fmt::join(table.live_dirs, ", ")));
        return;
    }
    table.commands.push_back(fmt::format("ln each staged SSTable into {} under a generation above every one in the "
                                         "table directory and backups/",
                                         table.live_dirs.front()));
    table.commands.push_back(restore_steps::refresh_command(context.node, table));
}

// A table created again from schema.cql before the load: its `WITH ID` gives the directory
// Cassandra creates, which must be the one the backup's files were recorded in.
void expect_recreated(const NodeContext& context, TablePlan& table, const TableEntry* base_table)
{
    auto id = base_table && base_table->schema_cql ? schema_plan::table_id_in(*base_table->schema_cql) : std::nullopt;
    if (!id || *id != table.backup_id) {
        context.plan.refusals.push_back(fmt::format("{}: {} is created again from the backup's schema.cql, but its "
                                                    "table id there ({}) is not the one of its files ({}): create "
                                                    "the table yourself, then rerun",
                                                    context.node.host, qualified(table.keyspace, table.table),
                                                    id.value_or("none"), table.backup_id));
        return;
    }
    for (const auto& dir : context.node.data_dirs()) {
        table.live_dirs.push_back(fmt::format("{}/{}/{}-{}", dir, table.keyspace, table.table, *id));
    }
    table.live_id = *id;
}

TablePlan plan_table(const NodeContext& context, NodePlan& node, const Chain& chain, const NodeEntry& base_entry,
                     const std::string& name, const CassandraVersion& version)
{
    TablePlan table;
    table.keyspace = name.substr(0, name.find('.'));
    table.table = name.substr(name.find('.') + 1);
    const TableEntry* base_table = table_in(base_entry, table.keyspace, table.table);
    if (base_table) {
        table.backup_id = base_table->table_id;
        add_files(context, table, *base_table, chain.base.tag, snapshot_subdir(chain.base.tag), std::nullopt);
    }
    for (const auto& incremental : chain.incrementals) {
        const NodeEntry* entry = same_node_in(incremental, base_entry);
        if (!entry || entry->status != NodeStatus::ok) {
            continue;
        }
        if (context.request.until && (!entry->flush_at || *entry->flush_at > *context.request.until)) {
            continue; // flushed after the point in time on this node
        }
        const TableEntry* recorded = table_in(*entry, table.keyspace, table.table);
        if (!recorded) {
            continue;
        }
        if (entry->pruned_at) {
            context.plan.refusals.push_back(fmt::format("{}: the files of incremental {} were pruned from {} at {}: "
                                                        "they are no longer on the node",
                                                        context.node.host, incremental.tag, entry->host,
                                                        format_timestamp(*entry->pruned_at)));
            continue;
        }
        if (table.backup_id.empty()) {
            table.backup_id = recorded->table_id;
        }
        add_files(context, table, *recorded, incremental.tag, k_backups_subdir, snapshot_time_ns(base_table));
    }
    find_live_dirs(context, table);
    if (node.method == LoadMethod::sstableloader) {
        add_load_commands(context, node, table); // the target's tables and versions: loader_plan
        return table;
    }
    if (contains(context.plan.created, name)) {
        expect_recreated(context, table, base_table);
    } else if (table.live_dirs.empty()) {
        context.plan.refusals.push_back(
            fmt::format("{}: table {} does not exist there, though it does on other nodes: create it first; its "
                        "CQL is in the backup's schema.cql",
                        context.node.host, name));
    } else if (!table.live_id.empty() && !table.backup_id.empty() && table.live_id != table.backup_id) {
        context.plan.warnings.push_back(fmt::format("{}: {} was recreated since the backup (id {} then, {} now): its "
                                                    "files go into the new table",
                                                    context.node.host, name, table.backup_id, table.live_id));
    }
    check_readable(context, table, version);
    add_load_commands(context, node, table);
    return table;
}

// What a restore by restart needs of a node beyond its tables: the commands to stop and start
// it, where its commit log is when every table goes back, whether it is a seed.
void plan_restart(const NodeContext& context, NodePlan& node)
{
    const auto& cassandra = context.node.cassandra;
    if (!cassandra.stop_command || !cassandra.start_command) {
        context.plan.refusals.push_back(fmt::format("{}: --method restart needs cassandra.stop_command and "
                                                    "cassandra.start_command in the cluster file",
                                                    context.node.host));
        return;
    }
    const auto& yaml = context.facts.config;
    if (context.request.keyspaces.empty() && context.request.tables.empty()) {
        node.commitlog_dir = restart_steps::commitlog_dir_of(context.node, yaml);
        if (!node.commitlog_dir) {
            context.plan.refusals.push_back(fmt::format("{}: every table goes back, so its commit log must go aside "
                                                        "too, but neither the cluster file (cassandra.commitlog_dir) "
                                                        "nor its cassandra.yaml says where it is",
                                                        context.node.host));
        }
    }
    node.quarantine = restart_steps::quarantine_paths(context.node, node.commitlog_dir, context.id);
    std::set<std::string> addresses{context.node.host};
    if (const auto* self = context.facts.own_row()) {
        addresses.insert(self->address);
    }
    for (const auto& seed : yaml ? seed_hosts(*yaml) : std::vector<std::string>{}) {
        node.seed = node.seed || addresses.count(seed) > 0;
    }
    node.commands = {nodetool_command(context.node, {"drain"}),
                     *cassandra.stop_command,
                     "wait until nodetool's connection is refused (the node is down)",
                     "(the tables' files: see each table)",
                     *cassandra.start_command,
                     "wait until the node is UN in nodetool status of a started node"};
    if (node.commitlog_dir) {
        node.commands.insert(
            node.commands.begin() + 3,
            fmt::format("move the commit log segments of {} into the quarantine", *node.commitlog_dir));
    }
}

LoadMethod method_for(const RestoreRequest& request, const CassandraVersion& version)
{
    if (request.method == LoadMethod::automatic) {
        return version.at_least(4, 0) ? LoadMethod::import : LoadMethod::refresh;
    }
    return request.method;
}

// Staging must be a hard link away from the data: on the same filesystem.
void check_staging(const NodeContext& context, NodePlan& node)
{
    auto dirs = context.node.data_dirs();
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        node.staging_roots.push_back(restore_steps::staging_root(dirs[i], context.id, i));
        auto found = std::find_if(context.disk.data_dirs.begin(), context.disk.data_dirs.end(),
                                  [&](const DiskFacts::DataDir& dir) { return dir.path == dirs[i]; });
        if (found == context.disk.data_dirs.end()) {
            continue;
        }
        node.free_bytes.push_back(found->free_bytes);
        if (found->device.empty()) {
            context.plan.refusals.push_back(
                fmt::format("{}: data directory {} cannot be read", context.node.host, dirs[i]));
        } else if (found->device != found->parent_device) {
            context.plan.refusals.push_back(fmt::format(
                "{}: {} is on another filesystem than its parent, where staging goes ({}): hard links cannot reach it",
                context.node.host, dirs[i], restore_steps::staging_base(dirs[i])));
        }
    }
}

NodePlan plan_node(const NodeContext& context, const Chain& chain, const NodeEntry& entry, const NodePair& pair,
                   const std::vector<std::string>& tables)
{
    NodePlan node;
    node.node = context.node;
    node.source_host = entry.host;
    node.paired_by = pair.by;
    node.pairing_note = pair.note;
    node.host_id = context.facts.info ? context.facts.info->host_id : "";
    const auto& version = *context.facts.version;
    node.version = version.text;
    node.method = method_for(context.request, version);
    if (node.method == LoadMethod::import && !version.at_least(4, 0)) {
        context.plan.refusals.push_back(fmt::format("{}: Cassandra {} has no nodetool import: use --method refresh (or "
                                                    "auto)",
                                                    context.node.host, version.text));
    }
    if (pair.tokens_differ && node.method != LoadMethod::sstableloader) {
        context.plan.refusals.push_back(fmt::format("{}: its tokens are not those of backup node {}: the files belong "
                                                    "to other token ranges and cannot be loaded there as they are",
                                                    context.node.host, entry.host));
    }
    check_staging(context, node);
    if (node.method == LoadMethod::restart) {
        plan_restart(context, node);
    }
    for (const auto& name : tables) {
        node.tables.push_back(plan_table(context, node, chain, entry, name, version));
        node.bytes += node.tables.back().bytes;
    }
    return node;
}

bool excluded_by_selection(const NodeEntry& entry, const RestoreRequest& request)
{
    return (!request.hosts.empty() && !contains(request.hosts, entry.host)) ||
           (!request.datacenters.empty() && !contains(request.datacenters, entry.datacenter));
}

// TRUNCATE empties a table on every node of the target cluster: all of them must be up, and (in
// the cluster the backup came from) all of them must be reloaded.
void check_truncate(const SurveyedCluster& target, const RestoreRequest& request, RestorePlan& plan)
{
    if (!request.truncate) {
        return;
    }
    const auto& nodes = target.nodes;
    const auto& runs = target.runs;
    const auto& facts = target.facts;
    bool truncates_the_nodes_loaded = !request.target || !request.host_map.empty();
    if (truncates_the_nodes_loaded && (!request.hosts.empty() || !request.datacenters.empty())) {
        plan.refusals.push_back("--truncate empties the tables on every node of the cluster, but --hosts/--dc reload "
                                "only some: restore every node, or leave out --truncate");
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (!runs[i].ok()) {
            plan.refusals.push_back(fmt::format("--truncate needs every node up: {} did not answer ({})", nodes[i].host,
                                                runs[i].error ? runs[i].error->message : "not reached"));
        }
        for (const auto& row : facts[i].node.ring) {
            if (row.status != 'U') {
                plan.refusals.push_back(fmt::format("--truncate needs every node up: {} sees {} ({}) as {}{}",
                                                    nodes[i].host, row.address, row.datacenter, row.status, row.state));
            }
        }
    }
    std::sort(plan.refusals.begin(), plan.refusals.end());
    plan.refusals.erase(std::unique(plan.refusals.begin(), plan.refusals.end()), plan.refusals.end());
}

void add_warnings(const Chain& chain, const RestoreRequest& request, const std::vector<std::string>& tables,
                  Timestamp now, RestorePlan& plan)
{
    if (!request.truncate && request.method != LoadMethod::restart) {
        plan.warnings.push_back("without --truncate, rows deleted or overwritten after the backup stay deleted or "
                                "overwritten: a restored row never beats a newer tombstone or write");
    }
    auto age = std::chrono::duration_cast<std::chrono::seconds>(now - chain.base.started_at).count();
    for (const auto& name : tables) {
        const TableEntry* table = nullptr;
        for (const auto& node : chain.base.nodes) {
            if ((table = table_in(node, name.substr(0, name.find('.')), name.substr(name.find('.') + 1)))) {
                break;
            }
        }
        auto grace = gc_grace_of(table);
        if (age > grace) {
            plan.warnings.push_back(fmt::format("the backup is older than gc_grace_seconds of {} ({} s): deletions "
                                                "purged since may come back unless every replica is restored; run a "
                                                "full repair afterwards",
                                                name, grace));
        }
    }
}

// Seeds first, then the rest; data center by data center (in the order they come), so each
// node that starts finds the ones it gossips with already up.
std::vector<std::string> start_order(const std::vector<NodePlan>& nodes)
{
    std::vector<std::string> datacenters;
    for (const auto& node : nodes) {
        if (!contains(datacenters, node.node.datacenter)) {
            datacenters.push_back(node.node.datacenter);
        }
    }
    std::vector<std::string> order;
    for (bool seeds : {true, false}) {
        for (const auto& datacenter : datacenters) {
            for (const auto& node : nodes) {
                if (node.seed == seeds && node.node.datacenter == datacenter && !node.unreachable) {
                    order.push_back(node.node.host);
                }
            }
        }
    }
    return order;
}

void check_restart(const std::vector<Node>& nodes, const RestoreRequest& request, RestorePlan& plan)
{
    if (request.method != LoadMethod::restart) {
        if (request.rolling) {
            plan.refusals.push_back("--rolling is for --method restart");
        }
        return;
    }
    if (request.truncate) {
        plan.refusals.push_back("--truncate with --method restart: the restart moves the tables' live files aside "
                                "itself; leave out --truncate");
    }
    plan.start_order = start_order(plan.nodes);
    bool some_left_up = nodes.size() > plan.nodes.size();
    if (request.rolling) {
        plan.warnings.push_back("--rolling: while one node is restored the others stay up with data newer than the "
                                "backup, and read repair and hints hand it back: the result is a merge, not a "
                                "rollback; run a full repair afterwards");
    } else if (some_left_up) {
        plan.warnings.push_back("nodes of the cluster that are not restored stay up: read repair and hints can hand "
                                "newer data back to the restored ones; run a full repair afterwards");
    } else {
        plan.warnings.push_back("every node is stopped before any starts again: the cluster is unavailable until "
                                "they are all back");
    }
}

} // namespace

const char* to_string(LoadMethod method)
{
    switch (method) {
    case LoadMethod::automatic:
        return "auto";
    case LoadMethod::import:
        return "import";
    case LoadMethod::refresh:
        return "refresh";
    case LoadMethod::restart:
        return "restart";
    case LoadMethod::sstableloader:
        return "sstableloader";
    }
    return "auto";
}

RestorePlan plan_restore(const Chain& chain, const std::vector<Node>& nodes, const std::vector<NodeRun>& runs,
                         const std::vector<RestoreFacts>& facts, const RestoreRequest& request, const std::string& id,
                         Timestamp now)
{
    SurveyedCluster cluster{nodes, runs, facts};
    return plan_restore(chain, cluster, cluster, request, id, now);
}

// A backup cleared from the nodes, or expired there, lives on only in the archive, if at all.
void refuse_off_the_nodes(const Chain& chain, Timestamp now, RestorePlan& plan)
{
    for (const auto& backup : chain_backups(chain)) {
        if (auto why = off_the_nodes(summary_of(*backup), now)) {
            plan.refusals.push_back(fmt::format("backup {} {}: restore it with --from-archive", backup->tag, *why));
        }
    }
}

// --from-archive: every backup of the chain must have the node's part in the archive the
// cluster file gives the restoring node (the blobs are found by their root, not by the node).
void plan_archive(const Chain& chain, RestorePlan& plan)
{
    plan.from_archive = true;
    auto backups = chain_backups(chain);
    for (auto& node : plan.nodes) {
        if (node.unreachable) {
            continue;
        }
        if (!node.node.archived()) {
            plan.refusals.push_back(
                fmt::format("{}: the cluster file gives it no archive: section to download from", node.node.host));
            continue;
        }
        node.archive_root = archive_steps::archive_root(node.node, chain.base.cluster);
        for (const auto* backup : backups) {
            auto entry = std::find_if(backup->nodes.begin(), backup->nodes.end(),
                                      [&](const NodeEntry& e) { return e.host == node.source_host; });
            if (entry == backup->nodes.end() || entry->tables.empty()) {
                continue;
            }
            if (!entry->archive || entry->archive->status != NodeStatus::ok) {
                plan.refusals.push_back(fmt::format(
                    "backup {}: the part of node {} is not in the archive ({}); "
                    "archive it first (ringsnap archive {}) or restore from the nodes",
                    backup->tag, entry->host,
                    entry->archive ? entry->archive->error.value_or("failed") : "never archived", backup->tag));
            } else if (entry->archive->remote != node.archive_root) {
                plan.refusals.push_back(fmt::format("backup {}: node {}'s files were archived to {}, but the cluster "
                                                    "file gives {} the archive {}: its archive: remote must reach "
                                                    "the one the backup went to",
                                                    backup->tag, entry->host, entry->archive->remote, node.node.host,
                                                    node.archive_root));
            }
        }
    }
}

namespace {

// The backup's node entries paired with the nodes restored into; with --host-map, the chain as
// those nodes will hold it (relocated into their data directories).
struct PairedChain
{
    Pairing pairing;
    std::optional<Chain> relocated;
};

Result<PairedChain> pair_chain(const Chain& chain, const std::vector<Node>& nodes,
                               const std::vector<std::optional<NodeIdentity>>& identities, const HostMap& map)
{
    if (map.empty()) {
        auto pairing = pair_entries(chain.base, nodes, identities);
        if (!pairing) {
            return pairing.error();
        }
        return PairedChain{std::move(*pairing), std::nullopt};
    }
    auto pairing = pair_by_host_map(chain.base, nodes, identities, map);
    if (!pairing) {
        return pairing.error();
    }
    Chain relocated = chain;
    std::vector<Manifest*> backups{&relocated.base};
    for (auto& incremental : relocated.incrementals) {
        backups.push_back(&incremental);
    }
    for (auto* backup : backups) {
        for (auto& entry : backup->nodes) {
            auto target = map.find(entry.host);
            if (target == map.end()) {
                continue;
            }
            auto node =
                std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) { return n.host == target->second; });
            auto moved = relocate_entry(entry, *node);
            if (!moved) {
                return make_error(moved.error().kind,
                                  fmt::format("manifest {}: {}", backup->tag, moved.error().message));
            }
            entry = std::move(*moved);
        }
    }
    return PairedChain{std::move(*pairing), std::move(relocated)};
}

// --host-map loads into another cluster's nodes: only their archive holds the backup for them,
// and sstableloader needs no map (it streams to whichever replicas own the rows).
void check_host_map(const RestoreRequest& request, RestorePlan& plan)
{
    if (request.host_map.empty()) {
        return;
    }
    if (request.method == LoadMethod::sstableloader) {
        plan.refusals.push_back("--host-map is for import, refresh or restart: sstableloader streams to whichever "
                                "target nodes own the rows; leave out --host-map");
    }
    if (!request.from_archive) {
        plan.refusals.push_back("--host-map: the target nodes do not hold the backup's snapshots; add --from-archive "
                                "(each target node downloads the files of the backup node it takes the place of)");
    }
}

} // namespace

RestorePlan plan_restore(const Chain& given, const SurveyedCluster& source, const SurveyedCluster& target,
                         const RestoreRequest& request, const std::string& id, Timestamp now)
{
    const auto& nodes = source.nodes;
    const auto& runs = source.runs;
    const auto& facts = source.facts;
    RestorePlan plan;
    plan.id = id;
    for (const auto* backup : chain_backups(given)) {
        plan.backups.push_back(backup->tag);
    }
    plan.tables = select_tables(given.base, request, plan);
    std::vector<std::optional<NodeIdentity>> identities;
    for (const auto& fact : facts) {
        identities.push_back(fact.node.info
                                 ? std::optional(NodeIdentity{fact.node.info->host_id, fact.node.info->tokens})
                                 : std::nullopt);
    }
    auto paired = pair_chain(given, nodes, identities, request.host_map);
    if (!paired) {
        plan.refusals.push_back(paired.error().message);
        return plan;
    }
    check_host_map(request, plan);
    const Chain& chain = paired->relocated ? *paired->relocated : given;
    const Pairing* pairing = &paired->pairing;
    schema_plan::plan_schema(chain, target, plan.tables, request, plan);
    std::optional<loader_steps::LoaderSettings> loader;
    if (request.method == LoadMethod::sstableloader) {
        plan.loader = loader_plan::plan_target(target, request, plan);
        loader = loader_plan::settings_for(*plan.loader, target, request);
    }
    for (std::size_t e = 0; e < chain.base.nodes.size(); ++e) {
        const auto& entry = chain.base.nodes[e];
        const auto* pair = pairing->for_entry(e);
        if (entry.status != NodeStatus::ok) {
            plan.warnings.push_back(fmt::format("backup node {} recorded nothing ({}): it is not restored", entry.host,
                                                entry.error.value_or("failed")));
        } else if (!pair && excluded_by_selection(entry, request)) {
            continue; // left out with --hosts / --dc
        } else if (!pair && !request.host_map.empty()) {
            plan.refusals.push_back(fmt::format("backup node {} ({}) is not in --host-map: map it to a target node, "
                                                "or leave it out with --hosts/--dc",
                                                entry.host, entry.datacenter));
        } else if (!pair) {
            plan.refusals.push_back(fmt::format("backup node {} ({}, host id {}) matches no selected node by host id, "
                                                "tokens or host name: its files cannot be loaded elsewhere as they "
                                                "are; leave it out with --hosts/--dc",
                                                entry.host, entry.datacenter, entry.host_id.value_or("?")));
        } else if (!runs[pair->node].ok() || !facts[pair->node].node.version) {
            NodePlan unreachable;
            unreachable.node = nodes[pair->node];
            unreachable.source_host = entry.host;
            unreachable.paired_by = pair->by;
            unreachable.unreachable = runs[pair->node].error ? runs[pair->node].error->message : "not reached";
            plan.nodes.push_back(std::move(unreachable));
        } else {
            const auto& fact = facts[pair->node];
            NodeContext context{
                nodes[pair->node],          fact.node, fact.disk, request, id, plan, fact.node.storage_mode(),
                loader ? &*loader : nullptr};
            plan.nodes.push_back(plan_node(context, chain, entry, *pair, plan.tables));
            if (!pair->note.empty()) {
                plan.warnings.push_back(
                    fmt::format("{} restores backup node {}: {}", nodes[pair->node].host, entry.host, pair->note));
            }
        }
    }
    if (request.from_archive) {
        plan_archive(chain, plan);
    } else {
        refuse_off_the_nodes(chain, now, plan);
    }
    for (auto index : pairing->unmatched_nodes) {
        plan.warnings.push_back(fmt::format("{} holds no part of the backup: nothing is loaded there{}",
                                            nodes[index].host,
                                            request.truncate ? ", but TRUNCATE empties it too" : ""));
    }
    if (plan.tables.empty() && plan.refusals.empty()) {
        plan.refusals.push_back(fmt::format("the backup {} holds no table to restore online (system keyspaces are left "
                                            "out)",
                                            chain.base.tag));
    }
    plan.cql_host = cql_host_of(target);
    bool needs_cqlsh = request.count_rows || request.truncate || !plan.schema.empty();
    if (needs_cqlsh && !plan.cql_host) {
        plan.refusals.push_back("no node of the cluster restored into is up and normal to run cqlsh on (TRUNCATE, "
                                "the missing tables, the row counts)");
    }
    if (request.compare_source) {
        plan.source_cql_host = cql_host_of(source);
        if (!plan.source_cql_host) {
            plan.refusals.push_back("--compare-source: no node of the source cluster is up and normal to count its "
                                    "rows on");
        }
    }
    if (plan.loader) {
        loader_plan::check_versions(target, plan);
        schema_plan::check_columns(chain, target, plan.tables, plan);
    }
    check_truncate(target, request, plan);
    check_restart(nodes, request, plan);
    add_warnings(chain, request, plan.tables, now, plan);
    if (nodes.size() > plan.nodes.size() || !request.hosts.empty() || !request.datacenters.empty()) {
        plan.warnings.push_back("only some replicas are restored: run a full repair afterwards");
    }
    for (const auto& node : plan.nodes) {
        plan.bytes += node.bytes;
        for (const auto& table : node.tables) {
            plan.files += table.files.size();
        }
    }
    return plan;
}

} // namespace ringsnap::ops
