// SPDX-License-Identifier: Apache-2.0
#include <map>

#include <gtest/gtest.h>

#include <ringsnap/ops/verify.hpp>

namespace ringsnap {
namespace {

TableEntry table_with(std::vector<FileEntry> files)
{
    TableEntry table;
    table.keyspace = "ks";
    table.table = "t";
    table.directory = "/data/ks/t-01";
    table.files = std::move(files);
    return table;
}

NodeEntry node_with(std::vector<FileEntry> files)
{
    NodeEntry node;
    node.host = "10.0.0.1";
    node.status = NodeStatus::ok;
    node.tables.push_back(table_with(std::move(files)));
    return node;
}

TEST(CompareNode, IdenticalFilesMatch)
{
    auto recorded = node_with({{"a-Data.db", 10, "aa", 1, 2}, {".idx/b-Data.db", 3, "bb", 3, 4}});
    EXPECT_TRUE(ops::compare_node(recorded, recorded.tables, ops::BackupPlace{"snapshots/tag", true}).empty());
}

TEST(CompareNode, NamesEachKindOfMismatchWithItsFullPath)
{
    auto recorded = node_with({{"gone", 1, "11", {}, {}}, {"grown", 2, "22", {}, {}}, {"flipped", 3, "33", {}, {}}});
    std::vector<TableEntry> found{table_with({{"grown", 5, "22", {}, {}}, {"flipped", 3, "3x", {}, {}},
                                              {"stray", 1, "44", {}, {}}})};
    auto mismatches = ops::compare_node(recorded, found, ops::BackupPlace{"snapshots/tag", true});
    std::map<std::string, std::string> reasons;
    for (const auto& mismatch : mismatches) {
        EXPECT_EQ(mismatch.host, "10.0.0.1");
        reasons[mismatch.path] = mismatch.reason;
    }
    EXPECT_EQ(reasons, (std::map<std::string, std::string>{
                           {"/data/ks/t-01/snapshots/tag/gone", "missing"},
                           {"/data/ks/t-01/snapshots/tag/grown", "size 5 instead of 2"},
                           {"/data/ks/t-01/snapshots/tag/flipped", "SHA-256 differs"},
                           {"/data/ks/t-01/snapshots/tag/stray", "not in the manifest"},
                       }));
}

TEST(CompareNode, InBackupsOtherFilesAreNotTheIncrementalsConcern)
{
    auto recorded = node_with({{"nb-2-big-Data.db", 7, "77", {}, {}}});
    std::vector<TableEntry> found{table_with({{"nb-2-big-Data.db", 7, "77", {}, {}}, {"nb-3-big-Data.db", 1, "11", {}, {}}})};
    EXPECT_TRUE(ops::compare_node(recorded, found, ops::BackupPlace{"backups", false}).empty());
    auto gone = ops::compare_node(recorded, {}, ops::BackupPlace{"backups", false});
    ASSERT_EQ(gone.size(), 1U);
    EXPECT_EQ(gone[0].path, "/data/ks/t-01/backups/nb-2-big-Data.db");
}

TEST(BackupPlace, SnapshotsOwnTheirDirectoryIncrementalsShareBackups)
{
    Manifest snapshot;
    snapshot.tag = "nightly";
    EXPECT_EQ(ops::place_of(snapshot).subdir, "snapshots/nightly");
    EXPECT_TRUE(ops::place_of(snapshot).only_its_files);
    Manifest incremental;
    incremental.kind = BackupKind::incremental;
    EXPECT_EQ(ops::place_of(incremental).subdir, "backups");
    EXPECT_FALSE(ops::place_of(incremental).only_its_files);
}

} // namespace
} // namespace ringsnap
