// SPDX-License-Identifier: Apache-2.0
// The restore planner: which files go where, how nodes are matched to the backup, and every
// refusal and warning, from backups and node facts made up here (no node, no executor).

#include <algorithm>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ringsnap/ops/restore.hpp>

namespace ringsnap::ops {
namespace {

const std::string k_id_invoices = "d132e240c21711e9bbee19821dcea330";
const std::string k_new_id = "0f0e0d0c0b0a09080706050403020100";
constexpr std::int64_t k_snapshot_ns = 1'764'000'000'000'000'000; // node time of the base snapshot

std::string uuid(int n)
{
    return fmt::format("{:08d}-0000-4000-8000-000000000000", n);
}

FileEntry file(const std::string& name, std::int64_t mtime_ns = k_snapshot_ns - 1000)
{
    return FileEntry{name, 100, std::string(64, 'a'), 7, mtime_ns};
}

// An SSTable's components as a snapshot records them.
std::vector<FileEntry> sstable(const std::string& prefix, std::int64_t mtime_ns = k_snapshot_ns - 1000)
{
    std::vector<FileEntry> files;
    for (const char* component : {"Data.db", "Index.db", "Statistics.db", "TOC.txt"}) {
        files.push_back(file(prefix + "-" + component, mtime_ns));
    }
    return files;
}

TableEntry invoices(const std::string& data_dir, std::vector<FileEntry> files, bool snapshot)
{
    TableEntry table{"billing",        "invoices",   k_id_invoices, data_dir + "/billing/invoices-" + k_id_invoices,
                     std::move(files), std::nullopt, std::nullopt};
    if (snapshot) {
        table.files.push_back(file("manifest.json", k_snapshot_ns));
        table.files.push_back(file("schema.cql", k_snapshot_ns));
        table.schema_cql =
            "CREATE TABLE IF NOT EXISTS billing.invoices (id int PRIMARY KEY)\n  AND gc_grace_seconds = 864000;";
    }
    return table;
}

NodeEntry entry(int n, const std::string& version_prefix, std::vector<TableEntry> tables)
{
    NodeEntry node;
    node.host = fmt::format("10.0.0.{}", n);
    node.datacenter = "dc1";
    node.rack = "rack1";
    node.host_id = uuid(n);
    node.tokens = {std::to_string(n * 100), std::to_string(n * 100 + 1)};
    node.status = NodeStatus::ok;
    node.cassandra_version = version_prefix;
    node.tables = std::move(tables);
    return node;
}

class RestorePlanning : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        chain.base.tag = "nightly";
        chain.base.kind = BackupKind::snapshot;
        chain.base.started_at = now - std::chrono::hours(1);
        for (int n = 1; n <= 3; ++n) {
            chain.base.nodes.push_back(entry(n, "4.1.6", {invoices(data_dir(n), sstable("nb-1-big"), true)}));
            Node node{fmt::format("10.0.0.{}", n), "dc1", "rack1", {}, {}, {}};
            node.cassandra.data_dirs = std::vector<std::string>{data_dir(n)};
            nodes.push_back(node);
            NodeRun run(node);
            run.started = true;
            runs.push_back(run);
            facts.push_back(facts_of(n, "4.1.6"));
        }
        request.tag = "nightly";
    }

    static std::string data_dir(int n) { return fmt::format("/var/lib/cassandra{}/data", n); }

    RestoreFacts facts_of(int n, const std::string& version, const std::string& table_id = k_id_invoices)
    {
        RestoreFacts f;
        f.node.version = CassandraVersion{version[0] - '0', version[2] - '0', 0, version};
        if (version.rfind("3.11", 0) == 0) {
            f.node.version = CassandraVersion{3, 11, 18, version};
        }
        NodeInfo info;
        info.host_id = uuid(n);
        info.tokens = {std::to_string(n * 100), std::to_string(n * 100 + 1)};
        f.node.info = info;
        for (int m = 1; m <= 3; ++m) {
            StatusRow row;
            row.status = 'U';
            row.state = 'N';
            row.host_id = uuid(m);
            row.address = fmt::format("10.0.0.{}", m);
            f.node.ring.push_back(row);
        }
        DataDirSurvey dirs;
        dirs.keyspaces = {"billing"};
        dirs.tables.push_back(TableDir{data_dir(n), "billing", "invoices", table_id});
        f.node.data_dirs = dirs;
        f.disk.data_dirs.push_back({data_dir(n), "2049", "2049", 1 << 30, "999:999"});
        return f;
    }

    RestorePlan plan() { return plan_restore(chain, nodes, runs, facts, request, "restore-1", now); }

    static bool mentions(const std::vector<std::string>& lines, const std::string& text)
    {
        return std::any_of(lines.begin(), lines.end(),
                           [&](const std::string& l) { return l.find(text) != std::string::npos; });
    }

    Timestamp now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    Chain chain;
    std::vector<Node> nodes;
    std::vector<NodeRun> runs;
    std::vector<RestoreFacts> facts;
    RestoreRequest request;
};

TEST_F(RestorePlanning, StagesEachSSTableBesideTheDataDirectoryAndImportsItWithOneCall)
{
    auto p = plan();
    ASSERT_TRUE(p.refusals.empty()) << fmt::format("{}", fmt::join(p.refusals, "\n"));
    ASSERT_EQ(p.nodes.size(), 3U);
    const auto& node = p.nodes[0];
    EXPECT_EQ(node.method, LoadMethod::import);
    EXPECT_EQ(node.paired_by, PairedBy::host_id);
    ASSERT_EQ(node.tables.size(), 1U);
    const auto& table = node.tables[0];
    EXPECT_EQ(table.files.size(), 4U) << "manifest.json and schema.cql are not staged";
    EXPECT_EQ(table.sstables, 1U);
    EXPECT_EQ(table.stage_dirs,
              (std::vector<std::string>{"/var/lib/cassandra1/ringsnap-restore/restore-1/d0/nightly/billing/invoices"}));
    EXPECT_EQ(table.files[0].source,
              "/var/lib/cassandra1/data/billing/invoices-" + k_id_invoices + "/snapshots/nightly/nb-1-big-Data.db");
    EXPECT_EQ(table.files[0].staged, table.stage_dirs[0] + "/nb-1-big-Data.db");
    ASSERT_EQ(table.commands.size(), 1U);
    EXPECT_EQ(table.commands[0], "nodetool import -- billing invoices " + table.stage_dirs[0]);
    EXPECT_TRUE(mentions(p.warnings, "without --truncate")) << "the plan says what a restore without truncate does";
}

TEST_F(RestorePlanning, A311NodeRefreshesAndRefusesImport)
{
    facts[1] = facts_of(2, "3.11.18");
    chain.base.nodes[1] = entry(2, "3.11.18", {invoices(data_dir(2), sstable("me-1-big"), true)});
    auto p = plan();
    ASSERT_TRUE(p.refusals.empty()) << fmt::format("{}", fmt::join(p.refusals, "\n"));
    EXPECT_EQ(p.nodes[1].method, LoadMethod::refresh);
    EXPECT_EQ(p.nodes[0].method, LoadMethod::import) << "auto chooses per node";
    EXPECT_EQ(p.nodes[1].tables[0].commands.back(), "nodetool refresh -- billing invoices");

    request.method = LoadMethod::import;
    EXPECT_TRUE(mentions(plan().refusals, "has no nodetool import"));
}

TEST_F(RestorePlanning, RefusesSSTableVersionsTheNodeWouldSkipSilently)
{
    facts[0] = facts_of(1, "5.0.3"); // storage_compatibility_mode CASSANDRA_4 by default: no `oa`
    chain.base.nodes[0] = entry(1, "5.0.3", {invoices(data_dir(1), sstable("oa-1-big"), true)});
    EXPECT_TRUE(mentions(plan().refusals, "cannot read SSTables of version oa-big"));
    facts[0].node.config = "storage_compatibility_mode: NONE\n";
    EXPECT_FALSE(mentions(plan().refusals, "cannot read")) << plan().refusals.front();

    facts[1] = facts_of(2, "3.11.18"); // a 4.x backup cannot go back to 3.11
    request.method = LoadMethod::automatic;
    EXPECT_TRUE(mentions(plan().refusals, "cannot read SSTables of version nb-big"));
}

TEST_F(RestorePlanning, MatchesAReplacedNodeByItsTokensAndANewAddressByHostId)
{
    nodes[0].host = "10.0.9.1"; // same node, new address
    runs[0] = NodeRun(nodes[0]);
    runs[0].started = true;
    facts[2].node.info->host_id = uuid(33); // replaced with replace_address: new host id, same tokens
    auto p = plan();
    ASSERT_TRUE(p.refusals.empty()) << fmt::format("{}", fmt::join(p.refusals, "\n"));
    EXPECT_EQ(p.nodes[0].paired_by, PairedBy::host_id);
    EXPECT_EQ(p.nodes[0].source_host, "10.0.0.1");
    EXPECT_EQ(p.nodes[2].paired_by, PairedBy::tokens);
    EXPECT_TRUE(mentions(p.warnings, "recorded as 10.0.0.1, now reached as 10.0.9.1"));
    EXPECT_TRUE(mentions(p.warnings, "host id"));
}

TEST_F(RestorePlanning, RefusesANodeWhoseTokensDifferAndABackupNodeWithNoMatch)
{
    facts[1].node.info->host_id = uuid(22);
    facts[1].node.info->tokens = {"5", "6"}; // same address, another node
    EXPECT_TRUE(mentions(plan().refusals, "its tokens are not those of backup node 10.0.0.2"));

    nodes.pop_back();
    runs.pop_back();
    facts.pop_back();
    EXPECT_TRUE(mentions(plan().refusals, "backup node 10.0.0.3"));
    request.hosts = {"10.0.0.1", "10.0.0.2"}; // left out on purpose
    EXPECT_FALSE(mentions(plan().refusals, "backup node 10.0.0.3"));
}

TEST_F(RestorePlanning, TruncateNeedsEveryNodeUpAndEveryNodeRestored)
{
    request.truncate = true;
    auto p = plan();
    EXPECT_TRUE(p.refusals.empty());
    EXPECT_EQ(p.cql_host, "10.0.0.1");
    EXPECT_FALSE(mentions(p.warnings, "without --truncate"));

    facts[0].node.ring[2].status = 'D';
    EXPECT_TRUE(mentions(plan().refusals, "--truncate needs every node up: 10.0.0.1 sees 10.0.0.3"));
    facts[0].node.ring[2].status = 'U';

    runs[1].error = make_error(ErrorKind::connect, "cannot connect");
    EXPECT_TRUE(mentions(plan().refusals, "10.0.0.2 did not answer"));
    runs[1].error.reset();

    request.hosts = {"10.0.0.1"};
    EXPECT_TRUE(mentions(plan().refusals, "--hosts/--dc reload only some"));
}

TEST_F(RestorePlanning, AnUnreachableNodeIsPlannedAsFailingWithoutStoppingTheOthers)
{
    runs[2].error = make_error(ErrorKind::connect, "cannot connect: Connection refused");
    facts[2] = RestoreFacts{};
    auto p = plan();
    EXPECT_TRUE(p.refusals.empty());
    ASSERT_EQ(p.nodes.size(), 3U);
    EXPECT_TRUE(p.nodes[2].unreachable);
    EXPECT_FALSE(p.nodes[0].unreachable);
}

TEST_F(RestorePlanning, ATableRecreatedIsRestoredIntoItsNewDirectoryAndADroppedOneIsCreatedAgain)
{
    for (int n = 1; n <= 3; ++n) {
        auto& f = facts[static_cast<std::size_t>(n - 1)];
        f.node.data_dirs->tables.push_back(TableDir{data_dir(n), "billing", "invoices", k_new_id});
        f.disk.marked_dropped.push_back(data_dir(n) + "/billing/invoices-" + k_id_invoices);
    }
    auto p = plan();
    ASSERT_TRUE(p.refusals.empty()) << p.refusals.front();
    EXPECT_EQ(p.nodes[0].tables[0].live_id, k_new_id);
    EXPECT_EQ(p.nodes[0].tables[0].backup_id, k_id_invoices);
    EXPECT_TRUE(mentions(p.warnings, "was recreated since the backup"));

    for (auto& f : facts) {
        f.node.data_dirs->tables.pop_back(); // dropped and not recreated
    }
    EXPECT_TRUE(mentions(plan().refusals, "billing.invoices is created again from the backup's schema.cql, but its "
                                          "table id there (none) is not the one of its files"));

    for (auto& node : chain.base.nodes) { // schema.cql as Cassandra writes it, with the table id
        node.tables[0].schema_cql = "CREATE TABLE IF NOT EXISTS billing.invoices (\n    id int PRIMARY KEY\n) WITH "
                                    "ID = d132e240-c217-11e9-bbee-19821dcea330\n    AND gc_grace_seconds = 864000;";
    }
    p = plan();
    ASSERT_TRUE(p.refusals.empty()) << p.refusals.front();
    EXPECT_EQ(p.created, (std::vector<std::string>{"billing.invoices"}));
    ASSERT_EQ(p.schema.size(), 2U) << "the keyspace (if missing), then the table";
    EXPECT_EQ(p.schema[1], *chain.base.nodes[0].tables[0].schema_cql);
    EXPECT_EQ(p.nodes[0].tables[0].live_dirs,
              (std::vector<std::string>{data_dir(1) + "/billing/invoices-" + k_id_invoices}))
        << "the table comes back under its old directory";
    EXPECT_EQ(p.cql_host, "10.0.0.1");
}

TEST_F(RestorePlanning, PointInTimeTakesTheIncrementalsEachNodeFlushedByThen)
{
    auto until = chain.base.started_at + std::chrono::minutes(30);
    for (int k = 1; k <= 2; ++k) {
        Manifest incremental;
        incremental.tag = fmt::format("inc-{}", k);
        incremental.kind = BackupKind::incremental;
        incremental.base = "nightly";
        for (int n = 1; n <= 3; ++n) {
            auto node =
                entry(n, "4.1.6",
                      {invoices(data_dir(n), sstable(fmt::format("nb-{}-big", k + 1), k_snapshot_ns + k), false)});
            node.flush_at = chain.base.started_at + std::chrono::minutes(k == 1 ? 10 : 50);
            incremental.nodes.push_back(node);
        }
        chain.incrementals.push_back(incremental);
    }
    request.until = until;
    auto p = plan();
    ASSERT_TRUE(p.refusals.empty()) << p.refusals.front();
    EXPECT_EQ(p.nodes[0].tables[0].sstables, 2U) << "the snapshot's and inc-1's, not inc-2's";
    EXPECT_EQ(p.nodes[0].tables[0].stage_dirs.size(), 2U) << "one staging directory per backup";
    EXPECT_TRUE(
        std::any_of(p.nodes[0].tables[0].files.begin(), p.nodes[0].tables[0].files.end(), [](const PlannedFile& f) {
            return f.backup == "inc-1" && f.source.ends_with("/backups/nb-2-big-Data.db");
        }));
}

TEST_F(RestorePlanning, IncrementalSSTablesOlderThanTheBaseSnapshotAreLeftOut)
{
    Manifest incremental;
    incremental.tag = "inc-1";
    incremental.kind = BackupKind::incremental;
    for (int n = 1; n <= 3; ++n) {
        auto files = sstable("nb-7-big", k_snapshot_ns - 5'000'000'000); // flushed, then truncated, before the base
        auto newer = sstable("nb-9-big", k_snapshot_ns + 5'000'000'000);
        files.insert(files.end(), newer.begin(), newer.end());
        auto node = entry(n, "4.1.6", {invoices(data_dir(n), files, false)});
        node.flush_at = now;
        incremental.nodes.push_back(node);
    }
    chain.incrementals.push_back(incremental);
    auto p = plan();
    const auto& table = p.nodes[0].tables[0];
    EXPECT_EQ(table.left_out, 1U);
    EXPECT_EQ(table.sstables, 2U);
    EXPECT_FALSE(std::any_of(table.files.begin(), table.files.end(),
                             [](const PlannedFile& f) { return f.name.rfind("nb-7-", 0) == 0; }));
}

TEST_F(RestorePlanning, SelectsTablesAndNeverSystemKeyspaces)
{
    auto schema = chain.base.nodes[0].tables[0];
    schema.keyspace = "system_schema";
    schema.table = "tables";
    schema.directory = data_dir(1) + "/system_schema/tables-" + k_id_invoices;
    chain.base.nodes[0].tables.push_back(schema);
    EXPECT_EQ(plan().tables, (std::vector<std::string>{"billing.invoices"}));

    request.tables = {KeyspaceTable{"billing", "customers"}};
    EXPECT_TRUE(mentions(plan().refusals, "-t billing.customers: not in the backup nightly"));
    request.tables.clear();
    request.keyspaces = {"system_schema"};
    EXPECT_TRUE(mentions(plan().refusals, "system keyspaces are not restored"));
}

TEST_F(RestorePlanning, WarnsWhenTheBackupIsOlderThanGcGrace)
{
    chain.base.started_at = now - std::chrono::hours(24 * 11);
    EXPECT_TRUE(mentions(plan().warnings, "older than gc_grace_seconds of billing.invoices (864000 s)"));
}

TEST_F(RestorePlanning, RefusesAFileRecordedOutsideTheNodesDataDirectories)
{
    // In the base, pairing refuses the whole manifest; in an incremental, the plan refuses it.
    auto base = chain.base;
    chain.base.nodes[0].tables[0].directory = "/elsewhere/billing/invoices-" + k_id_invoices;
    EXPECT_TRUE(mentions(plan().refusals, "tables[0].directory \"/elsewhere/billing/invoices-"));
    chain.base = base;
    Manifest incremental;
    incremental.tag = "inc-1";
    incremental.kind = BackupKind::incremental;
    for (int n = 1; n <= 3; ++n) {
        auto node = entry(n, "4.1.6", {invoices(data_dir(n), sstable("nb-9-big", k_snapshot_ns + 1), false)});
        node.flush_at = now;
        incremental.nodes.push_back(node);
    }
    incremental.nodes[0].tables[0].directory = "/elsewhere/billing/invoices-" + k_id_invoices;
    chain.incrementals.push_back(incremental);
    EXPECT_TRUE(mentions(plan().refusals, "not under the node's data_dirs"));
}

// --host-map: the backup restored node for node into another cluster whose nodes took the same
// tokens, under other addresses, host ids and data directories.
class HostMapPlanning : public RestorePlanning
{
  protected:
    void SetUp() override
    {
        RestorePlanning::SetUp();
        chain.base.cluster = "prod";
        for (int n = 1; n <= 3; ++n) {
            auto& node = nodes[n - 1];
            node.host = fmt::format("10.8.0.{}", n);
            node.cassandra.data_dirs = std::vector<std::string>{target_dir(n)};
            node.archive.remote = "store:backups";
            runs[n - 1] = NodeRun(node);
            runs[n - 1].started = true;
            auto& f = facts[n - 1];
            f.node.info->host_id = uuid(50 + n);
            f.node.data_dirs->tables[0].data_dir = target_dir(n);
            f.disk.data_dirs[0].path = target_dir(n);
            chain.base.nodes[n - 1].archive = NodeArchive{"store:backups/prod", NodeStatus::ok, now, {}, 0, 0};
            request.host_map.emplace(fmt::format("10.0.0.{}", n), node.host);
        }
        request.from_archive = true;
        request.target = TargetCluster{"scratch", nodes, ""};
    }

    static std::string target_dir(int n) { return fmt::format("/srv/cassandra{}/data", n); }
};

TEST_F(HostMapPlanning, EachTargetNodeStagesTheFilesOfTheBackupNodeItReplacesInItsOwnDataDirectory)
{
    auto p = plan();
    ASSERT_TRUE(p.refusals.empty()) << fmt::format("{}", fmt::join(p.refusals, "\n"));
    ASSERT_EQ(p.nodes.size(), 3U);
    const auto& node = p.nodes[1];
    EXPECT_EQ(node.node.host, "10.8.0.2");
    EXPECT_EQ(node.source_host, "10.0.0.2");
    EXPECT_EQ(node.paired_by, PairedBy::host_map);
    EXPECT_EQ(node.archive_root, "store:backups/prod");
    const auto& table = node.tables[0];
    EXPECT_EQ(table.stage_dirs,
              (std::vector<std::string>{"/srv/cassandra2/ringsnap-restore/restore-1/d0/nightly/billing/invoices"}));
    EXPECT_EQ(table.commands[0], "nodetool import -- billing invoices " + table.stage_dirs[0]);
    EXPECT_FALSE(mentions(p.warnings, "recorded as")) << "the map says which node is which";
}

TEST_F(HostMapPlanning, RefusesABackupNodeLeftOutOtherTokensAndFilesNotFromTheArchive)
{
    request.host_map.erase("10.0.0.3");
    EXPECT_TRUE(mentions(plan().refusals, "backup node 10.0.0.3 (dc1) is not in --host-map"));
    request.hosts = {"10.0.0.1", "10.0.0.2"};
    EXPECT_TRUE(plan().refusals.empty()) << "left out on purpose";

    facts[0].node.info->tokens = {"7"};
    EXPECT_TRUE(mentions(plan().refusals, "10.8.0.1: its tokens are not those of backup node 10.0.0.1"));
    facts[0] = facts_of(1, "4.1.6");
    facts[0].node.data_dirs->tables[0].data_dir = target_dir(1);
    facts[0].disk.data_dirs[0].path = target_dir(1);

    request.from_archive = false;
    EXPECT_TRUE(mentions(plan().refusals, "add --from-archive"));
    request.from_archive = true;
    request.method = LoadMethod::sstableloader;
    EXPECT_TRUE(mentions(plan().refusals, "--host-map is for import, refresh or restart"));
}

TEST_F(RestorePlanning, StagingOnAnotherFilesystemIsRefused)
{
    facts[0].disk.data_dirs[0].parent_device = "2050";
    EXPECT_TRUE(mentions(plan().refusals, "hard links cannot reach it"));
}

// ---- sstableloader into another cluster: two nodes of data center dc9, without the table.

class LoaderPlanning : public RestorePlanning
{
  protected:
    void SetUp() override
    {
        RestorePlanning::SetUp();
        request.method = LoadMethod::sstableloader;
        request.target = TargetCluster{"scratch", {}, ""};
        for (int n = 1; n <= 2; ++n) {
            Node node{fmt::format("scratch-{}", n), "dc9", "rack1", {}, {}, {}};
            target_nodes.push_back(node);
            NodeRun run(node);
            run.started = true;
            target_runs.push_back(run);
            target_facts.push_back(target_facts_of(n, "4.1.6"));
        }
    }

    static RestoreFacts target_facts_of(int n, const std::string& version)
    {
        RestoreFacts f;
        f.node.version = CassandraVersion{version[0] - '0', version[2] - '0', 0, version};
        f.node.info = NodeInfo{};
        f.node.info->host_id = uuid(90 + n);
        for (int m = 1; m <= 2; ++m) {
            StatusRow row;
            row.datacenter = "dc9";
            row.status = 'U';
            row.state = 'N';
            row.host_id = uuid(90 + m);
            row.address = fmt::format("20.0.0.{}", m);
            f.node.ring.push_back(row);
        }
        f.node.data_dirs = DataDirSurvey{};
        return f;
    }

    RestorePlan loader_plan()
    {
        return plan_restore(chain, {nodes, runs, facts}, {target_nodes, target_runs, target_facts}, request,
                            "restore-1", now);
    }

    std::vector<Node> target_nodes;
    std::vector<NodeRun> target_runs;
    std::vector<RestoreFacts> target_facts;
};

TEST_F(LoaderPlanning, StreamsEachStagedDirectoryToTheTargetAfterCreatingWhatItLacks)
{
    facts[1].node.info->tokens = {"5", "6"}; // the tokens changed since the backup: no matter here
    facts[1].node.info->host_id = uuid(2);
    auto p = loader_plan();
    ASSERT_TRUE(p.refusals.empty()) << fmt::format("{}", fmt::join(p.refusals, "\n"));
    ASSERT_TRUE(p.loader);
    EXPECT_EQ(p.loader->addresses, (std::vector<std::string>{"20.0.0.1", "20.0.0.2"})) << "as the target's ring says";
    EXPECT_EQ(p.created, (std::vector<std::string>{"billing.invoices"}));
    ASSERT_EQ(p.schema.size(), 2U);
    EXPECT_EQ(p.schema[0], "CREATE KEYSPACE IF NOT EXISTS billing WITH replication = {'class': "
                           "'NetworkTopologyStrategy', 'dc9': 2};");
    EXPECT_EQ(p.schema[1], *chain.base.nodes[0].tables[0].schema_cql);
    EXPECT_EQ(p.cql_host, "scratch-1") << "cqlsh runs on the target";
    const auto table = p.nodes[0].tables[0];
    ASSERT_EQ(table.commands.size(), 1U);
    EXPECT_EQ(table.commands[0], "sstableloader -d 20.0.0.1,20.0.0.2 " + table.stage_dirs[0]);

    request.replication = "dc9:1";
    request.throttle_mbits = 200;
    p = loader_plan();
    EXPECT_NE(p.schema[0].find("'dc9': 1}"), std::string::npos) << p.schema[0];
    EXPECT_EQ(p.nodes[0].tables[0].commands[0], "sstableloader -d 20.0.0.1,20.0.0.2 -t 200 " + table.stage_dirs[0]);

    for (auto& node : chain.base.nodes) { // a schema.cql is run as CQL: nothing but the table's own
        node.tables[0].schema_cql = *node.tables[0].schema_cql + "\nDROP KEYSPACE billing;";
    }
    EXPECT_TRUE(mentions(loader_plan().refusals, "holds more than its CREATE TABLE"));
    for (auto& node : chain.base.nodes) {
        node.tables[0].schema_cql = "CREATE TABLE IF NOT EXISTS billing.other (id int PRIMARY KEY);";
    }
    EXPECT_TRUE(mentions(loader_plan().refusals, "holds more than its CREATE TABLE"));

    target_facts[0].node.data_dirs->tables.push_back(TableDir{"/data", "billing", "invoices", k_new_id});
    p = loader_plan();
    EXPECT_TRUE(p.created.empty() && p.schema.empty()) << "a table the target has is left alone";
}

TEST_F(LoaderPlanning, RefusesALoaderTheTargetWouldNotAcceptAndFilesItCouldNotRead)
{
    target_facts[0] = target_facts_of(1, "3.11.18");
    target_facts[0].node.version = CassandraVersion{3, 11, 18, "3.11.18"};
    auto p = loader_plan();
    EXPECT_TRUE(mentions(p.refusals, "the sstableloader of Cassandra 4.1.6 (on 10.0.0.1, 10.0.0.2, 10.0.0.3) cannot "
                                     "stream to Cassandra 3.11.18 (on scratch-1)"));
    EXPECT_TRUE(mentions(p.refusals, "Cassandra 3.11.18 on the target cannot read SSTables of version nb-big"));

    target_facts[0] = target_facts_of(1, "5.0.3"); // CASSANDRA_4 mode: messaging 12, like the 4.1 loader
    EXPECT_TRUE(loader_plan().refusals.empty()) << loader_plan().refusals.front();
    target_facts[0].node.config = "storage_compatibility_mode: NONE\n";
    EXPECT_TRUE(mentions(loader_plan().refusals, "cannot stream to Cassandra 5.0.3 (NONE)"));
}

TEST_F(LoaderPlanning, RefusesATableTheTargetHasWithOtherColumns)
{
    target_facts[0].node.data_dirs->tables.push_back(TableDir{"/data", "billing", "invoices", k_new_id});
    TableColumns columns{{"billing.invoices", {{"id", "text"}}}};
    SurveyedCluster target{target_nodes, target_runs, target_facts, &columns};
    auto p = plan_restore(chain, {nodes, runs, facts}, target, request, "restore-1", now);
    EXPECT_TRUE(mentions(p.refusals, "billing.invoices exists in the cluster restored into with other columns (id is "
                                     "text there, int in the backup)"));
    columns["billing.invoices"] = {{"id", "int"}, {"added_since", "text"}};
    p = plan_restore(chain, {nodes, runs, facts}, target, request, "restore-1", now);
    EXPECT_TRUE(p.refusals.empty()) << "a column the target has more is no harm: " << p.refusals.front();
    columns["billing.invoices"] = {{"other", "int"}};
    p = plan_restore(chain, {nodes, runs, facts}, target, request, "restore-1", now);
    EXPECT_TRUE(mentions(p.refusals, "id int is missing"));
}

TEST_F(LoaderPlanning, RefusesATargetNodeDownAndATableWithNoSchemaToCreate)
{
    target_facts[0].node.ring[1].status = 'D';
    EXPECT_TRUE(mentions(loader_plan().refusals, "target node 20.0.0.2 (dc9) is DN in the ring"));
    target_facts[0] = target_facts_of(1, "4.1.6");
    target_runs[1].error = Error{ErrorKind::connect, "connection refused"};
    EXPECT_TRUE(mentions(loader_plan().refusals, "target node scratch-2 did not answer (connection refused)"));
    target_runs[1].error.reset();

    for (auto& node : chain.base.nodes) {
        node.tables[0].schema_cql.reset();
    }
    EXPECT_TRUE(mentions(loader_plan().refusals, "billing.invoices does not exist in the cluster it is restored "
                                                 "into, and the backup nightly holds no schema.cql for it"));
}

} // namespace
} // namespace ringsnap::ops
