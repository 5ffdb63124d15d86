// SPDX-License-Identifier: Apache-2.0
// `list --live`: catalog snapshots against what each node's listsnapshots shows.

#include <ringsnap/ops/live.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace ringsnap::ops {
namespace {

CassandraVersion version(int major, int minor)
{
    return CassandraVersion{major, minor, 0, fmt::format("{}.{}.0", major, minor)};
}

TableEntry table(const std::string& keyspace, const std::string& name)
{
    TableEntry entry;
    entry.keyspace = keyspace;
    entry.table = name;
    entry.directory = fmt::format("{}/{}/{}", k_default_data_dir, keyspace, name); // pre-2.1 layout: no id
    return entry;
}

// n1 runs 3.11 (its listsnapshots shows no system_schema), the others 5.0.
NodeEntry node(const std::string& host, NodeStatus status = NodeStatus::ok)
{
    NodeEntry entry;
    entry.host = host;
    entry.status = status;
    entry.cassandra_version = host == "n1" ? "3.11.18" : "5.0.3";
    if (status == NodeStatus::ok) {
        entry.tables = {table("billing", "invoices"), table("billing", "customers"), table("system_schema", "tables")};
    }
    return entry;
}

Manifest snapshot_manifest(const std::string& tag, std::vector<NodeEntry> nodes)
{
    Manifest manifest;
    manifest.tag = tag;
    manifest.kind = BackupKind::snapshot;
    manifest.nodes = std::move(nodes);
    return manifest;
}

ListedSnapshot listed(const std::string& tag, const std::string& keyspace, const std::string& name)
{
    ListedSnapshot snapshot;
    snapshot.tag = tag;
    snapshot.keyspace = keyspace;
    snapshot.table = name;
    return snapshot;
}

// Three nodes: a 3.11 that lists no system_schema, a 5.0 and one that did not answer.
LiveSnapshots three_nodes(std::vector<ListedSnapshot> first, std::vector<ListedSnapshot> second)
{
    LiveSnapshots live;
    for (const char* host : {"n1", "n2", "n3"}) {
        Node n;
        n.host = host;
        live.runs.emplace_back(n);
        live.runs.back().started = true;
    }
    live.runs[2].error = make_error(ErrorKind::connect, "Connection refused");
    live.snapshots = {std::move(first), std::move(second), {}};
    return live;
}

std::vector<ListedSnapshot> whole(const std::string& tag, bool with_system_schema)
{
    std::vector<ListedSnapshot> rows{listed(tag, "billing", "invoices"), listed(tag, "billing", "customers")};
    if (with_system_schema) {
        rows.push_back(listed(tag, "system_schema", "tables"));
    }
    return rows;
}

TEST(LiveCompare, AManifestRecordingADirectoryOutsideTheDataDirsIsRefusedNotCompared)
{
    auto bad = node("n2");
    bad.tables[0].directory = "/elsewhere/billing/invoices";
    auto comparison = compare_live({snapshot_manifest("nightly", {node("n1"), bad})}, {"nightly"},
                                   three_nodes(whole("nightly", false), whole("nightly", true)));
    ASSERT_EQ(comparison.backups.size(), 1U);
    EXPECT_NE(comparison.backups[0].refused.find("tables[0].directory"), std::string::npos)
        << comparison.backups[0].refused;
    EXPECT_TRUE(comparison.backups[0].holding.empty());
}

TEST(LiveCompare, ASnapshotListedEverywhereIsHeldByEveryNodeThatAnswered)
{
    auto live = three_nodes(whole("nightly", false), whole("nightly", true));
    auto manifest = snapshot_manifest("nightly", {node("n1"), node("n2"), node("n3")});
    auto comparison = compare_live({manifest}, {"nightly"}, live);
    ASSERT_EQ(comparison.backups.size(), 1U);
    EXPECT_EQ(comparison.backups[0].holding, (std::vector<std::string>{"n1", "n2"}));
    EXPECT_TRUE(comparison.backups[0].gone.empty()) << "3.11 not listing system_schema is not a loss";
    EXPECT_TRUE(comparison.unknown.empty());
}

TEST(LiveCompare, ASnapshotGoneWhollyOrPartlyIsFlaggedPerNode)
{
    auto live = three_nodes({}, {listed("nightly", "billing", "invoices")});
    auto manifest = snapshot_manifest("nightly", {node("n1"), node("n2")});
    auto comparison = compare_live({manifest}, {"nightly"}, live);
    ASSERT_EQ(comparison.backups.size(), 1U);
    EXPECT_EQ(comparison.backups[0].gone, (std::vector<std::string>{"n1", "n2 (1 of 3 tables)"}));
}

TEST(LiveCompare, AFailedNodeEntryIsNotExpectedToHoldTheSnapshot)
{
    auto live = three_nodes({}, whole("nightly", true));
    auto manifest = snapshot_manifest("nightly", {node("n1", NodeStatus::failed), node("n2")});
    auto comparison = compare_live({manifest}, {"nightly"}, live);
    EXPECT_TRUE(comparison.backups[0].gone.empty());
    EXPECT_EQ(comparison.backups[0].holding, std::vector<std::string>{"n2"});
}

TEST(LiveCompare, SnapshotsTheCatalogDoesNotKnowAreListedWithTheirTables)
{
    auto rows = whole("nightly", true);
    rows.push_back(listed("by-hand", "billing", "invoices"));
    rows.push_back(listed("truncated-1700000000000-invoices", "billing", "invoices"));
    rows.push_back(listed("unreadable-one", "billing", "invoices"));
    auto live = three_nodes({}, rows);
    auto comparison = compare_live({snapshot_manifest("nightly", {node("n2")})}, {"nightly", "unreadable-one"}, live);
    ASSERT_EQ(comparison.unknown.size(), 2U);
    EXPECT_EQ(comparison.unknown[0].hosts, std::vector<std::string>{"n2"});
    EXPECT_EQ(comparison.unknown[0].tag, "by-hand");
    EXPECT_EQ(comparison.unknown[0].tables, std::vector<std::string>{"billing.invoices"});
    EXPECT_EQ(comparison.unknown[1].tag, "truncated-1700000000000-invoices");
}

TEST(LiveCompare, AnUnknownSnapshotOnSeveralNodesIsOneEntryWithEveryNodeAndTable)
{
    auto live = three_nodes({listed("by-hand", "billing", "invoices")},
                            {listed("by-hand", "billing", "customers"), listed("by-hand", "billing", "invoices")});
    auto comparison = compare_live({}, {}, live);
    ASSERT_EQ(comparison.unknown.size(), 1U);
    EXPECT_EQ(comparison.unknown[0].tag, "by-hand");
    EXPECT_EQ(comparison.unknown[0].hosts, (std::vector<std::string>{"n1", "n2"}));
    EXPECT_EQ(comparison.unknown[0].tables, (std::vector<std::string>{"billing.customers", "billing.invoices"}));
}

TEST(LiveCompare, IncrementalManifestsAreNotLookedForInListsnapshots)
{
    auto manifest = snapshot_manifest("inc-1", {node("n1")});
    manifest.kind = BackupKind::incremental;
    auto comparison = compare_live({manifest}, {"inc-1"}, three_nodes({}, {}));
    EXPECT_TRUE(comparison.backups.empty());
}

TEST(LiveCompare, OnlyThreeElevenHidesTheLocalSystemKeyspaces)
{
    EXPECT_FALSE(listsnapshots_shows(version(3, 11), "system_schema"));
    EXPECT_FALSE(listsnapshots_shows(version(3, 11), "system"));
    EXPECT_TRUE(listsnapshots_shows(version(3, 11), "system_auth"));
    EXPECT_TRUE(listsnapshots_shows(version(4, 0), "system_schema"));
    EXPECT_TRUE(listsnapshots_shows(version(5, 0), "system"));
    EXPECT_FALSE(listsnapshots_shows(std::nullopt, "system_schema")) << "no release recorded: nothing is expected";
    EXPECT_TRUE(listsnapshots_shows(std::nullopt, "billing"));
}

} // namespace
} // namespace ringsnap::ops
