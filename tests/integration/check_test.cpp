// SPDX-License-Identifier: Apache-2.0
// `ringsnap check` against lab clusters: health, topology, versions, and every kind of problem.

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cluster_file_variant.hpp"
#include "support/lab.hpp"

namespace ringsnap::testing {
namespace {

using nlohmann::json;

class CheckOnLab : public ::testing::Test
{
  protected:
    void start(int dcs, int nodes, const std::string& versions = "")
    {
        if (auto missing = Lab::missing_prerequisite(); !missing.empty()) {
            GTEST_SKIP() << missing;
        }
        m_lab = std::make_unique<Lab>(dcs, nodes, versions);
    }

    json check(int expected_exit, const std::vector<std::string>& extra = {}, const std::string& cluster_file = "")
    {
        std::vector<std::string> args{"--json", "check"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto result = ringsnap(*m_lab, args, cluster_file);
        EXPECT_EQ(result.exit_code, expected_exit) << result.err << result.out;
        return json::parse(result.out);
    }

    static bool has_problem(const json& report, const std::string& text)
    {
        return std::any_of(report["problems"].begin(), report["problems"].end(), [&](const json& problem) {
            return problem["message"].get<std::string>().find(text) != std::string::npos;
        });
    }

    static const json& row_of(const json& report, const std::string& host)
    {
        for (const auto& row : report["topology"]) {
            if (row["host"] == host) {
                return row;
            }
        }
        throw std::runtime_error("no topology row for " + host);
    }

    std::unique_ptr<Lab> m_lab;
};

TEST_F(CheckOnLab, HealthyClusterExitsZeroWithOneRowPerNode)
{
    start(2, 2);
    auto report = check(0);
    EXPECT_EQ(report["status"], "ok");
    EXPECT_TRUE(report["healthy"]);
    EXPECT_TRUE(report["problems"].empty()) << report["problems"];
    ASSERT_EQ(report["topology"].size(), 4U);
    for (const auto& row : report["topology"]) {
        EXPECT_EQ(row["state"], "UN") << row;
        EXPECT_EQ(row["cassandra_version"], "4.1.6") << row;
        EXPECT_TRUE(row["reachable"]);
        EXPECT_EQ(row["host_id"].get<std::string>().size(), 36U);
    }
}

TEST_F(CheckOnLab, ReportsEachNodesVersionAndFlagsMixedVersions)
{
    start(2, 3, "3.11,4.1,5.0");
    auto report = check(1);
    EXPECT_EQ(row_of(report, lab_address(*m_lab, "dc1-n1"))["cassandra_version"], "3.11.18");
    EXPECT_EQ(row_of(report, lab_address(*m_lab, "dc1-n2"))["cassandra_version"], "4.1.6");
    EXPECT_EQ(row_of(report, lab_address(*m_lab, "dc1-n3"))["cassandra_version"], "5.0.3");
    EXPECT_TRUE(has_problem(report, "mixed Cassandra versions: 3.11.18 on 2 nodes, 4.1.6 on 2 nodes, 5.0.3 on 2 nodes"))
        << report["problems"];
    for (const auto& row : report["topology"]) {
        EXPECT_EQ(row["state"], "UN") << row; // every version's status output was understood
    }
}

TEST_F(CheckOnLab, StoppedCassandraIsReportedDownAndItsNodetoolFailing)
{
    start(2, 2);
    m_lab->must({"stop-node", "dc1-n2"});
    std::string stopped = lab_address(*m_lab, "dc1-n2");
    auto report = check(1);
    EXPECT_EQ(row_of(report, stopped)["state"], "DN");
    EXPECT_TRUE(row_of(report, stopped)["reachable"]); // its host answers SSH
    EXPECT_TRUE(has_problem(report, stopped + " (dc1/rack2) is down")) << report["problems"];
    EXPECT_TRUE(has_problem(report, stopped + ": nodetool info failed")) << report["problems"];
    EXPECT_TRUE(has_problem(report, "Failed to connect")) << report["problems"];
}

TEST_F(CheckOnLab, UnreachableHostIsAProblemAndTheRingStillSaysItsState)
{
    start(2, 2);
    m_lab->must({"kill-host", "dc2-n2"});
    std::string gone = lab_address(*m_lab, "dc2-n2");
    auto report = check(1);
    EXPECT_FALSE(row_of(report, gone)["reachable"]);
    EXPECT_EQ(row_of(report, gone)["state"], "DN");
    EXPECT_TRUE(has_problem(report, gone + ": unreachable (connect)")) << report["problems"];
}

TEST_F(CheckOnLab, InterruptStopsAHandshakeWithASilentHostAndReportsWhatFinished)
{
    // sshd frozen: the kernel accepts the TCP connection, nothing ever answers. With a long
    // connect_timeout only the cancel flag can end the handshake.
    start(1, 2);
    auto cluster = write_cluster_variant(*m_lab, "long-connect-timeout",
                                         [](YAML::Node& file) { file["ssh"]["connect_timeout"] = "10m"; });
    m_lab->must({"freeze-host", "dc1-n2"});
    ChildProcess run({RINGSNAP_BIN, "-c", cluster, "--json", "check"});
    std::this_thread::sleep_for(std::chrono::seconds(3));
    run.send_signal(SIGINT);
    auto result = run.wait_at_most(std::chrono::seconds(60));
    m_lab->must({"thaw-host", "dc1-n2"});
    ASSERT_EQ(result.exit_code, 130) << result.err;
    auto report = json::parse(result.out);
    EXPECT_EQ(report["status"], "interrupted");
    std::string frozen = lab_address(*m_lab, "dc1-n2");
    EXPECT_FALSE(row_of(report, frozen)["reachable"]);
    EXPECT_TRUE(has_problem(report, frozen + ": unreachable (connect): interrupted")) << report["problems"];
    EXPECT_EQ(row_of(report, lab_address(*m_lab, "dc1-n1"))["state"], "UN") << report;
}

TEST_F(CheckOnLab, NoReachableNodeIsFailedWithExitThree)
{
    start(1, 2);
    m_lab->must({"kill-host", "dc1-n1"});
    m_lab->must({"kill-host", "dc1-n2"});
    auto report = check(3);
    EXPECT_EQ(report["status"], "failed");
}

TEST_F(CheckOnLab, RackInTheFileDifferingFromTheNodeIsAProblem)
{
    start(2, 2);
    auto cluster = write_cluster_variant(
        *m_lab, "wrong-rack", [](YAML::Node& file) { file["datacenters"]["dc2"]["nodes"][0]["rack"] = "rack9"; });
    auto report = check(1, {}, cluster);
    std::string host = lab_address(*m_lab, "dc2-n1");
    EXPECT_TRUE(has_problem(report, host + ": the cluster file says dc2/rack9, the node says dc2/rack1"))
        << report["problems"];
}

TEST_F(CheckOnLab, RingMemberMissingFromTheFileIsAProblem)
{
    start(2, 2);
    std::string left_out = lab_address(*m_lab, "dc1-n2");
    auto cluster = write_cluster_variant(*m_lab, "missing-node",
                                         [](YAML::Node& file) { file["datacenters"]["dc1"]["nodes"].remove(1); });
    auto report = check(1, {}, cluster);
    EXPECT_TRUE(has_problem(report, left_out + " (dc1/rack2, host id")) << report["problems"];
    EXPECT_FALSE(row_of(report, left_out)["in_cluster_file"]);
}

TEST_F(CheckOnLab, ANodeWhoseArchiveLacksAUsableRcloneIsAProblem)
{
    start(2, 2);
    auto old_rclone = m_lab->dir() + "/old-rclone";
    {
        std::ofstream script(old_rclone);
        script << "#!/bin/sh\necho 'rclone v1.50.2'\n";
    }
    std::filesystem::permissions(old_rclone, std::filesystem::perms::owner_all);
    auto cluster = write_cluster_variant(*m_lab, "archived", [&](YAML::Node& file) {
        file["archive"]["remote"] = m_lab->dir() + "/archive";
        file["datacenters"]["dc2"]["nodes"][0]["archive"]["rclone"] = m_lab->dir() + "/no-such-rclone";
        file["datacenters"]["dc2"]["nodes"][1]["archive"]["rclone"] = old_rclone;
    });
    auto report = check(1, {}, cluster);
    EXPECT_EQ(report["problems"].size(), 2U) << report["problems"] << ": dc1's nodes have Debian's rclone";
    EXPECT_TRUE(
        has_problem(report, lab_address(*m_lab, "dc2-n1") + ": " + m_lab->dir() + "/no-such-rclone is not there"))
        << report["problems"];
    EXPECT_TRUE(has_problem(report, lab_address(*m_lab, "dc2-n2") + ": rclone 1.50 is older than 1.60"))
        << report["problems"];
    for (const auto& problem : report["problems"]) {
        EXPECT_EQ(problem["kind"], "rclone") << problem;
        EXPECT_EQ(problem["message"].get<std::string>().rfind(problem["host"].get<std::string>() + ": ", 0), 0U)
            << problem;
    }
    EXPECT_EQ(check(0)["problems"].size(), 0U) << "no archive, no rclone needed";
}

TEST_F(CheckOnLab, SeedDiscoversTheTopologyWhenTheFileListsNoNodes)
{
    start(2, 2);
    std::string seed = lab_address(*m_lab, "dc2-n1");
    // Discovered nodes get the cluster-level settings, so they share one cassandra.yaml here.
    std::string config = m_lab->dir() + "/shared-cassandra.yaml";
    std::ofstream(config) << "incremental_backups: false\n";
    auto cluster = write_cluster_variant(*m_lab, "seed-only", [&](YAML::Node& file) {
        // Each lab node's own bin/ comes first on its SSH PATH, so a plain `nodetool` reaches
        // that node's simulator.
        file["cassandra"]["nodetool"] = "nodetool";
        file["cassandra"]["data_dirs"].push_back("/tmp");
        file["cassandra"]["config_file"] = config;
        file.remove("datacenters");
    });
    auto report = check(0, {"--seed", seed}, cluster);
    ASSERT_EQ(report["topology"].size(), 4U);
    for (const auto& row : report["topology"]) {
        EXPECT_EQ(row["state"], "UN") << row;
        EXPECT_TRUE(row["reachable"]) << row;
        EXPECT_TRUE(row["in_cluster_file"]) << row;
    }
    EXPECT_EQ(row_of(report, seed)["datacenter"], "dc2");
}

TEST_F(CheckOnLab, UnreachableSeedFailsBeforeAnythingElse)
{
    start(1, 2);
    std::string seed = lab_address(*m_lab, "dc1-n1");
    m_lab->must({"kill-host", "dc1-n1"});
    auto result = ringsnap(*m_lab, {"--seed", seed, "check"});
    EXPECT_EQ(result.exit_code, 3) << result.err;
    EXPECT_NE(result.err.find("cannot read the topology from seed " + seed), std::string::npos) << result.err;
}

} // namespace
} // namespace ringsnap::testing
