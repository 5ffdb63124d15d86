// SPDX-License-Identifier: Apache-2.0
// How many nodetool runs each verb costs each node, with a scripted executor (docs/benchmarks.md,
// "nodetool runs per verb"). On a real node every run starts a JVM: a verb that asks more fails
// here. The lab test NodetoolRuns counts the same on real sshds.

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include <ringsnap/ops/incremental.hpp>
#include <ringsnap/ops/live.hpp>
#include <ringsnap/ops/snapshot.hpp>
#include <ringsnap/ops/verify.hpp>
#include <ringsnap/remote_files.hpp>

#include "support/fake_executor.hpp"
#include "support/fake_ring.hpp"
#include "support/manifest_samples.hpp"

namespace ringsnap::ops {
namespace {

using testing::FakeExecutor;
using testing::FakeNode;
using Runs = std::vector<std::string>;

class NodetoolCount : public ::testing::Test
{
  protected:
    std::vector<FakeNode> ring{
        {"10.0.0.1", "dc1", "rack1", "11111111-1111-1111-1111-111111111111"},
        {"10.0.0.2", "dc1", "rack2", "22222222-2222-2222-2222-222222222222"},
        {"10.0.1.1", "dc2", "rack1", "33333333-3333-3333-3333-333333333333"},
    };

    std::vector<Node> nodes() const
    {
        std::vector<Node> nodes;
        for (const auto& node : ring) {
            nodes.push_back(Node{node.host, node.datacenter, node.rack, {}, {}, {}});
        }
        return nodes;
    }

    // A node of a healthy 4.1 ring with one keyspace, billing, and no files in it.
    Result<CommandOutput> answer(const Node& node, const std::string& command) const
    {
        const auto& self = *std::find_if(ring.begin(), ring.end(), [&](const auto& n) { return n.host == node.host; });
        if (command == survey_data_dirs_command(node, "t1") || command == survey_data_dirs_command(node, "")) {
            return FakeExecutor::printed("K\tbilling\n");
        }
        std::map<std::string, std::string> printed{
            {" version", "ReleaseVersion: 4.1.6\n"},
            {" info", testing::info_output(self)},
            {" info -T", testing::info_output(self, true)},
            {" gossipinfo", testing::gossip_output(ring)},
            {" status", testing::status_output(ring)},
            {" statusbackup", "running\n"},
            {" listsnapshots", "Snapshot Details: \nThere are no snapshots\n"},
        };
        for (const auto& [ending, out] : printed) {
            if (command.ends_with(ending)) {
                return FakeExecutor::printed(out);
            }
        }
        return FakeExecutor::printed(""); // snapshot, flush, file listings: nothing to list
    }

    FakeExecutor executor() const
    {
        return FakeExecutor([this](const Node& node, const std::string& command) { return answer(node, command); });
    }

    // The nodetool subcommands each node ran, sorted.
    static std::map<std::string, Runs> nodetool_runs(const FakeExecutor& fake)
    {
        std::map<std::string, Runs> runs;
        for (const auto& [host, command] : fake.commands_ran) {
            if (auto at = command.find("nodetool "); at != std::string::npos) {
                auto words = command.substr(at + 9);
                runs[host].push_back(words.substr(0, words.find(' ')));
            }
        }
        for (auto& [host, list] : runs) {
            std::sort(list.begin(), list.end());
        }
        return runs;
    }

    Catalog catalog() const { return *Catalog::open(m_dir.path(), "prod-main"); }

    void take_snapshot()
    {
        auto fake = executor();
        SnapshotRequest request;
        request.tag = "t1";
        auto outcome = run_snapshot(fake, catalog(), nodes(), request, m_observer);
        ASSERT_TRUE(outcome) << outcome.error().message;
        ASSERT_EQ(outcome->status, RunStatus::ok);
        m_snapshot_runs = nodetool_runs(fake);
    }

    testing::TempDir m_dir;
    Observer m_observer;
    std::map<std::string, Runs> m_snapshot_runs;
};

TEST_F(NodetoolCount, SnapshotRunsTwoPerNodeAndTwoMoreOnOneNodePerDataCenter)
{
    take_snapshot();
    EXPECT_EQ(m_snapshot_runs["10.0.0.1"], (Runs{"gossipinfo", "info", "snapshot", "status"})) << "dc1 reports";
    EXPECT_EQ(m_snapshot_runs["10.0.0.2"], (Runs{"info", "snapshot"}));
    EXPECT_EQ(m_snapshot_runs["10.0.1.1"], (Runs{"gossipinfo", "info", "snapshot", "status"})) << "dc2 reports";
}

TEST_F(NodetoolCount, IncrementalRunsTwoPerNodeAndOneMoreOnOneNodePerDataCenter)
{
    take_snapshot();
    auto fake = executor();
    IncrementalRequest request;
    request.tag = "i1";
    auto outcome = run_incremental(fake, catalog(), nodes(), request, m_observer);
    ASSERT_TRUE(outcome) << outcome.error().message;
    ASSERT_EQ(outcome->status, RunStatus::ok);
    auto runs = nodetool_runs(fake);
    EXPECT_EQ(runs["10.0.0.1"], (Runs{"flush", "gossipinfo", "statusbackup"}));
    EXPECT_EQ(runs["10.0.0.2"], (Runs{"flush", "statusbackup"})) << "one flush for every keyspace";
    EXPECT_EQ(runs["10.0.1.1"], (Runs{"flush", "gossipinfo", "statusbackup"}));
}

TEST_F(NodetoolCount, ListLiveRunsOneAndVerifyNone)
{
    take_snapshot();
    auto listing = catalog().list();
    ASSERT_TRUE(listing);
    auto live_fake = executor();
    auto live = run_list_live(live_fake, catalog(), *listing, nodes(), m_observer);
    ASSERT_TRUE(live) << live.error().message;
    for (const auto& node : ring) {
        EXPECT_EQ(nodetool_runs(live_fake)[node.host], Runs{"listsnapshots"}) << node.host;
    }

    auto verify_fake = executor();
    auto verified = run_verify(verify_fake, catalog(), nodes(), "t1", m_observer);
    ASSERT_TRUE(verified) << verified.error().message;
    EXPECT_TRUE(nodetool_runs(verify_fake).empty());
}

} // namespace
} // namespace ringsnap::ops
