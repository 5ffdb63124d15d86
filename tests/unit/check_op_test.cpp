// SPDX-License-Identifier: Apache-2.0
// ops::check_cluster with a scripted executor: what it runs on each node, and the problems it
// derives from what the nodes answer.

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ringsnap/ops/check.hpp>

#include "support/fake_executor.hpp"
#include "support/fake_ring.hpp"

namespace ringsnap {
namespace {

using testing::FakeExecutor;
using testing::FakeNode;
using testing::gossip_output;
using testing::info_output;
using testing::status_output;

class CheckOperation : public ::testing::Test
{
  protected:
    std::vector<FakeNode> ring{
        {"10.0.0.1", "dc1", "rack1", "11111111-1111-1111-1111-111111111111"},
        {"10.0.0.2", "dc1", "rack2", "22222222-2222-2222-2222-222222222222"},
        {"10.0.1.1", "dc2", "rack1", "33333333-3333-3333-3333-333333333333"},
    };
    std::set<std::string> stopped;            // Cassandra down: nodetool cannot connect
    std::set<std::string> backups_running;    // enablebackup was run
    std::set<std::string> backups_configured; // cassandra.yaml says incremental_backups: true

    // The nodes as the cluster file lists them.
    std::vector<Node> file_nodes() const
    {
        std::vector<Node> nodes;
        for (const auto& node : ring) {
            nodes.push_back(Node{node.host, node.datacenter, node.rack, {}, {}, {}});
        }
        return nodes;
    }

    FakeExecutor executor()
    {
        return FakeExecutor([this](const Node& node, const std::string& command) -> Result<CommandOutput> {
            auto self = std::find_if(ring.begin(), ring.end(), [&](const FakeNode& n) { return n.host == node.host; });
            if (command.find("nodetool") != std::string::npos && stopped.count(node.host)) {
                return FakeExecutor::printed("", 1,
                                             "nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: "
                                             "'Connection refused'.\n");
            }
            if (command.ends_with(" version")) {
                return FakeExecutor::printed("ReleaseVersion: " + self->version + "\n");
            }
            if (command.ends_with(" info")) {
                return FakeExecutor::printed(info_output(*self));
            }
            if (command.ends_with(" gossipinfo")) {
                return FakeExecutor::printed(gossip_output(ring));
            }
            if (command.ends_with(" status")) {
                return FakeExecutor::printed(status_output(ring));
            }
            if (command.ends_with(" statusbackup")) {
                return FakeExecutor::printed(backups_running.count(node.host) ? "running\n" : "not running\n");
            }
            if (command.starts_with("cat -- ")) {
                return FakeExecutor::printed(backups_configured.count(node.host) ? "incremental_backups: true\n"
                                                                                 : "incremental_backups: false\n");
            }
            return FakeExecutor::printed(""); // data directories: all readable
        });
    }

    // A problem of `kind` whose message holds `text`, about `host` when the message starts with a
    // node's address ("10.0.0.1: ..." or "10.0.0.1 (dc1/...").
    static bool has_problem(const ops::CheckReport& report, const std::string& kind, const std::string& text)
    {
        return std::any_of(report.problems.begin(), report.problems.end(), [&](const ops::CheckProblem& problem) {
            auto about = text.substr(0, text.find_first_of(": "));
            bool host_matches = about.find('.') == std::string::npos || problem.host == about;
            return problem.kind == kind && host_matches && problem.message.find(text) != std::string::npos;
        });
    }
};

TEST_F(CheckOperation, HealthyClusterHasNoProblem)
{
    auto fake = executor();
    auto report = ops::check_cluster(fake, file_nodes(), ops::RingScope::whole_ring);
    EXPECT_TRUE(report.healthy()) << report.problems.front().message;
    ASSERT_EQ(report.topology.size(), 3U);
    EXPECT_EQ(report.topology[1].host_id, "22222222-2222-2222-2222-222222222222");
    EXPECT_EQ(report.topology[1].state, "UN");
    EXPECT_EQ(report.topology[1].version, "4.1.6");
}

TEST_F(CheckOperation, AsksEachNodeWhatOnlyItKnowsAndOneNodePerDataCenterTheRing)
{
    auto fake = executor();
    auto nodes = file_nodes();
    nodes[0].cassandra.nodetool = "/opt/cassandra/bin/nodetool";
    nodes[0].cassandra.data_dirs = std::vector<std::string>{"/data 1"};
    nodes[0].cassandra.config_file = "/etc/cassandra/conf/cassandra.yaml";
    auto report = ops::check_cluster(fake, nodes, ops::RingScope::checked_nodes);
    std::map<std::string, std::vector<std::string>> nodetool_runs;
    for (const auto& [host, command] : fake.commands_ran) {
        if (auto at = command.find("nodetool "); at != std::string::npos) {
            nodetool_runs[host].push_back(command.substr(at + 9));
        }
    }
    using Runs = std::vector<std::string>;
    EXPECT_EQ(nodetool_runs["10.0.0.1"], (Runs{"gossipinfo", "info", "status", "statusbackup"})) << "dc1 reports";
    EXPECT_EQ(nodetool_runs["10.0.0.2"], (Runs{"info", "statusbackup"})) << "at most two on the others";
    EXPECT_EQ(nodetool_runs["10.0.1.1"], (Runs{"gossipinfo", "info", "status", "statusbackup"})) << "dc2 reports";
    EXPECT_EQ(fake.commands_ran[0].second, "/opt/cassandra/bin/nodetool gossipinfo");
    auto ran = [&](const std::string& command) {
        return std::any_of(fake.commands_ran.begin(), fake.commands_ran.end(),
                           [&](const auto& run) { return run.second == command; });
    };
    EXPECT_TRUE(ran("cat -- /etc/cassandra/conf/cassandra.yaml"));
    EXPECT_TRUE(std::any_of(fake.commands_ran.begin(), fake.commands_ran.end(),
                            [](const auto& run) { return run.second.find("'/data 1'") != std::string::npos; }));
    EXPECT_EQ(report.topology[1].version, "4.1.6") << "from dc1's gossip";
    EXPECT_EQ(report.topology[1].state, "UN") << "from dc1's ring";
}

TEST_F(CheckOperation, ADataCenterWhoseFirstNodeIsDownLearnsTheRingFromTheNext)
{
    ring.push_back({"10.0.1.2", "dc2", "rack2", "44444444-4444-4444-4444-444444444444", "5.0.3"});
    auto fake = executor();
    fake.unreachable.insert("10.0.1.1");
    auto report = ops::check_cluster(fake, file_nodes(), ops::RingScope::whole_ring);
    int gossip_in_dc2 = 0;
    for (const auto& [host, command] : fake.commands_ran) {
        gossip_in_dc2 += host == "10.0.1.2" && command.ends_with(" gossipinfo");
    }
    EXPECT_EQ(gossip_in_dc2, 1);
    EXPECT_EQ(report.topology[3].version, "5.0.3");
    EXPECT_EQ(report.topology[3].state, "UN");
    EXPECT_TRUE(report.runs[3].ok());
}

TEST_F(CheckOperation, IncrementalBackupsThatARestartWouldChangeAreProblems)
{
    backups_running = {"10.0.0.1", "10.0.0.2"};
    backups_configured = {"10.0.0.2", "10.0.1.1"};
    auto fake = executor();
    auto report = ops::check_cluster(fake, file_nodes(), ops::RingScope::whole_ring);
    EXPECT_TRUE(has_problem(report, "incremental_setting", "10.0.0.1: incremental backups are running but"));
    EXPECT_TRUE(has_problem(report, "incremental_setting", "10.0.1.1: incremental backups are not running though"));
    EXPECT_FALSE(std::any_of(report.problems.begin(), report.problems.end(),
                             [](const ops::CheckProblem& problem) { return problem.host == "10.0.0.2"; }));
}

TEST_F(CheckOperation, NodeDownIsNamedWithItsFailingNodetool)
{
    ring[1].status = 'D';
    stopped.insert("10.0.0.2");
    auto fake = executor();
    auto report = ops::check_cluster(fake, file_nodes(), ops::RingScope::whole_ring);
    EXPECT_EQ(report.topology[1].state, "DN");
    EXPECT_TRUE(report.topology[1].reachable);
    EXPECT_TRUE(has_problem(report, "down", "10.0.0.2 (dc1/rack2) is down (DN)"));
    EXPECT_TRUE(has_problem(report, "command_failed",
                            "10.0.0.2: nodetool info failed (exit status 1): nodetool: Failed to connect"));
}

TEST_F(CheckOperation, UnreachableNodeKeepsTheStateTheOthersSee)
{
    auto fake = executor();
    fake.unreachable.insert("10.0.1.1");
    auto report = ops::check_cluster(fake, file_nodes(), ops::RingScope::whole_ring);
    EXPECT_FALSE(report.topology[2].reachable);
    EXPECT_EQ(report.topology[2].state, "UN"); // matched by address: it has no `nodetool info` of its own
    EXPECT_TRUE(has_problem(report, "unreachable", "10.0.1.1: unreachable (connect)"));
}

TEST_F(CheckOperation, FileAndNodeDisagreeingOnTheRackIsAProblem)
{
    auto nodes = file_nodes();
    nodes[2].rack = "rack7";
    auto fake = executor();
    auto report = ops::check_cluster(fake, nodes, ops::RingScope::whole_ring);
    EXPECT_TRUE(has_problem(report, "placement", "10.0.1.1: the cluster file says dc2/rack7, the node says dc2/rack1"));
}

TEST_F(CheckOperation, RingMemberMissingFromTheFileIsListedWithinTheCheckedScope)
{
    auto nodes = file_nodes();
    nodes.pop_back();
    auto fake = executor();
    auto whole = ops::check_cluster(fake, nodes, ops::RingScope::whole_ring);
    EXPECT_TRUE(has_problem(whole, "not_in_cluster_file",
                            "10.0.1.1 (dc2/rack1, host id 33333333-3333-3333-3333-333333333333) is in the ring"));
    EXPECT_FALSE(whole.topology.back().in_cluster_file);

    auto only_dc1 = ops::check_cluster(fake, {nodes[0]}, ops::RingScope::checked_datacenters); // --dc dc1
    EXPECT_TRUE(std::none_of(only_dc1.topology.begin(), only_dc1.topology.end(),
                             [](const ops::TopologyRow& row) { return row.host == "10.0.1.1"; }));
}

TEST_F(CheckOperation, MixedVersionsAreCountedPerVersion)
{
    ring[0].version = "3.11.18";
    auto fake = executor();
    auto report = ops::check_cluster(fake, file_nodes(), ops::RingScope::whole_ring);
    EXPECT_TRUE(has_problem(report, "mixed_versions", "mixed Cassandra versions: 3.11.18 on 1 node, 4.1.6 on 2 nodes"));
}

TEST_F(CheckOperation, UnreadableDataDirectoryIsAProblem)
{
    FakeExecutor fake([&](const Node& node, const std::string& command) -> Result<CommandOutput> {
        if (command.find("printf 'K") != std::string::npos) { // the data directory survey
            return FakeExecutor::printed("U\t/var/lib/cassandra/data\n");
        }
        if (command.find("nodetool") == std::string::npos) {
            return FakeExecutor::printed("");
        }
        (void)node;
        return FakeExecutor::printed(command.ends_with(" version") ? "ReleaseVersion: 4.1.6\n"
                                     : command.ends_with(" info")  ? info_output(ring[0])
                                                                   : status_output(ring));
    });
    auto report = ops::check_cluster(fake, {file_nodes()[0]}, ops::RingScope::checked_nodes);
    EXPECT_TRUE(
        has_problem(report, "data_dir", "10.0.0.1: data directory /var/lib/cassandra/data is missing or not readable"));
}

} // namespace
} // namespace ringsnap
