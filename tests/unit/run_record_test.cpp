// SPDX-License-Identifier: Apache-2.0
// A backup on record while its run goes on (ops/backup_run.hpp): the running manifest, its
// updates as nodes finish, its final document, and how `list` tells an interrupted run.

#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/run_id.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "support/manifest_samples.hpp"

namespace ringsnap::ops {
namespace {

class RunRecordTest : public ::testing::Test
{
  protected:
    Catalog catalog() const { return *Catalog::open(m_dir.path(), "prod-main"); }

    static BackupStamp stamp(const std::string& tag)
    {
        return BackupStamp{"prod-main", tag, testing::at("2026-11-23T02:00:00.000Z"),
                           Selection{{"billing"}, {}, {}, {}}};
    }

    // The sample's three nodes as a run sees them before the snapshot: two at work, one failed.
    static Manifest at_start()
    {
        Manifest manifest = testing::sample_manifest();
        for (auto& node : manifest.nodes) {
            if (node.status == NodeStatus::ok) {
                node.status = NodeStatus::running;
                node.tables.clear();
                node.snapshot_at.reset();
            }
        }
        return manifest;
    }

    // The manifest on disk once `done` says so; the saver writes within a second or so, and a
    // generous deadline keeps a loaded machine from failing the test.
    Manifest wait_for_saved(const std::string& tag, const std::function<bool(const Manifest&)>& done) const
    {
        for (int attempt = 0; attempt < 300; ++attempt) {
            if (auto loaded = catalog().load(tag); loaded && done(*loaded)) {
                return *loaded;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ADD_FAILURE() << "the record of " << tag << " was never updated";
        return {};
    }

    testing::TempDir m_dir;
};

TEST_F(RunRecordTest, IsOnRecordAsRunningBeforeAnyNodeIsTouched)
{
    auto record = RunRecord::start(catalog(), at_start(), stamp("nightly"));
    ASSERT_TRUE(record) << record.error().message;
    auto saved = catalog().load("nightly");
    ASSERT_TRUE(saved) << saved.error().message;
    EXPECT_EQ(saved->status, ManifestStatus::running);
    EXPECT_EQ(saved->run_id, this_run_id());
    EXPECT_EQ(saved->cluster, "prod-main");
    EXPECT_EQ(saved->selection.keyspaces, std::vector<std::string>{"billing"});
    ASSERT_EQ(saved->nodes.size(), 3U);
    EXPECT_EQ(saved->nodes[0].status, NodeStatus::running);
    EXPECT_EQ(saved->nodes[2].status, NodeStatus::failed);
    EXPECT_EQ(saved->totals.nodes_ok, 0U);
}

TEST_F(RunRecordTest, IsRefusedWhenTheTagIsTakenAndChangesNothing)
{
    Manifest earlier = testing::sample_manifest("nightly");
    ASSERT_TRUE(catalog().save(earlier));
    auto record = RunRecord::start(catalog(), at_start(), stamp("nightly"));
    ASSERT_FALSE(record);
    EXPECT_EQ(record.error().kind, ErrorKind::usage);
    EXPECT_NE(record.error().message.find("nothing was done"), std::string::npos) << record.error().message;
    EXPECT_EQ(*catalog().load("nightly"), earlier);
}

TEST_F(RunRecordTest, SavesEachNodeAsItFinishesThenTheFinalDocument)
{
    auto record = RunRecord::start(catalog(), at_start(), stamp("nightly"));
    ASSERT_TRUE(record);
    Manifest finished = testing::sample_manifest();
    (*record)->node_finished(0, finished.nodes[0]);
    auto midway = wait_for_saved("nightly", [](const Manifest& m) { return m.nodes[0].status == NodeStatus::ok; });
    EXPECT_EQ(midway.status, ManifestStatus::running);
    EXPECT_EQ(midway.nodes[0], finished.nodes[0]) << "its files, sizes and hashes are on record";
    EXPECT_EQ(midway.nodes[1].status, NodeStatus::running);
    EXPECT_EQ(midway.totals.nodes_ok, 1U);

    (*record)->node_finished(1, finished.nodes[1]);
    auto path = (*record)->finish(finished, 512);
    ASSERT_TRUE(path) << path.error().message;
    ASSERT_TRUE(*path);
    auto saved = catalog().load("nightly");
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->status, ManifestStatus::partial);
    EXPECT_EQ(saved->nodes, finished.nodes);
    EXPECT_EQ(saved->totals.bytes_hashed, 512U);
    EXPECT_EQ(saved->run_id, this_run_id());
}

TEST_F(RunRecordTest, AFinishedRunThatNoNodeHoldsLeavesNoManifest)
{
    auto record = RunRecord::start(catalog(), at_start(), stamp("nightly"));
    ASSERT_TRUE(record);
    Manifest finished = at_start();
    for (auto& node : finished.nodes) {
        node = testing::failed_node(node.host, node.datacenter);
    }
    auto path = (*record)->finish(finished, 0);
    ASSERT_TRUE(path) << path.error().message;
    EXPECT_FALSE(*path);
    EXPECT_FALSE(catalog().exists("nightly")) << "the tag is free again";
}

TEST_F(RunRecordTest, ARunningManifestIsInterruptedUnlessItsRunHoldsTheLock)
{
    Manifest killed = testing::sample_manifest("killed");
    killed.status = ManifestStatus::running;
    killed.run_id = "aaaaaaaaaaaa";
    killed.nodes[1].status = NodeStatus::running;
    killed.nodes[1].tables.clear();
    ASSERT_TRUE(catalog().save(killed));
    ASSERT_TRUE(catalog().save(testing::sample_manifest("finished", "2026-11-24T02:00:00.000Z")));
    auto listing = catalog().list();
    ASSERT_TRUE(listing);

    auto interrupted = interrupted_runs(catalog(), *listing, std::nullopt);
    ASSERT_EQ(interrupted.size(), 1U) << "no run holds the lock";
    EXPECT_EQ(interrupted[0].tag, "killed");
    EXPECT_EQ(interrupted[0].done, std::vector<std::string>{"10.0.1.11"});
    EXPECT_EQ(interrupted[0].unfinished, std::vector<std::string>{"10.0.2.11"});
    EXPECT_EQ(interrupted[0].failed, std::vector<std::string>{"10.0.1.12"});
    EXPECT_EQ(interrupted[0].last_recorded, killed.finished_at);

    LockHolder later{1, "ops-1", {}, "ringsnap clear", "bbbbbbbbbbbb"};
    EXPECT_EQ(interrupted_runs(catalog(), *listing, later).size(), 1U) << "another run holds the lock";
    LockHolder itself{1, "ops-1", {}, "ringsnap snapshot", "aaaaaaaaaaaa"};
    EXPECT_TRUE(interrupted_runs(catalog(), *listing, itself).empty()) << "still running";
}

} // namespace
} // namespace ringsnap::ops
