// SPDX-License-Identifier: Apache-2.0
// `ringsnap exec` against a lab of real sshd hosts: per-node results, failures of every kind,
// host keys, timeouts and interrupts.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cluster_file_variant.hpp"
#include "support/lab.hpp"
#include "support/processes.hpp"

namespace ringsnap::testing {
namespace {

using nlohmann::json;

class ExecOnLab : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (auto missing = Lab::missing_prerequisite(); !missing.empty()) {
            GTEST_SKIP() << missing;
        }
        m_lab = std::make_unique<Lab>(2, 2);
    }

    json exec_json(const std::vector<std::string>& args, int expected_exit, const std::string& cluster_file = "")
    {
        std::vector<std::string> full{"--json"};
        full.insert(full.end(), args.begin(), args.end());
        auto result = ringsnap(*m_lab, full, cluster_file);
        EXPECT_EQ(result.exit_code, expected_exit) << result.err << result.out;
        return json::parse(result.out);
    }

    static const json& node_named(const json& document, const std::string& host)
    {
        for (const auto& node : document["nodes"]) {
            if (node["host"] == host) {
                return node;
            }
        }
        throw std::runtime_error("no node " + host + " in the report");
    }

    std::string host_of(const std::string& name) { return lab_address(*m_lab, name); }

    std::unique_ptr<Lab> m_lab;
};

TEST_F(ExecOnLab, RunsEverywhereAndReportsBothStreamsPerNode)
{
    auto report = exec_json({"exec", "--", "echo hi; echo oops >&2"}, 0);
    EXPECT_EQ(report["status"], "ok");
    EXPECT_EQ(report["exit_code"], 0);
    ASSERT_EQ(report["nodes"].size(), 4U);
    for (const auto& node : report["nodes"]) {
        EXPECT_EQ(node["status"], "ok");
        EXPECT_EQ(node["steps"][0]["stdout"], "hi\n");
        EXPECT_EQ(node["steps"][0]["stderr"], "oops\n");
        EXPECT_EQ(node["steps"][0]["exit_status"], 0);
    }
}

TEST_F(ExecOnLab, HumanTableNamesEveryNodeAndCountsThem)
{
    auto result = ringsnap(*m_lab, {"exec", "echo", "hello"});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    for (const auto& node : m_lab->nodes()) {
        EXPECT_NE(result.out.find(node.host), std::string::npos) << result.out;
    }
    EXPECT_NE(result.out.find("hello"), std::string::npos);
    EXPECT_NE(result.out.find("4 of 4 nodes succeeded"), std::string::npos);
    EXPECT_EQ(result.err.find("error"), std::string::npos) << result.err;  // logs stay on stderr, quiet when fine
}

TEST_F(ExecOnLab, CommandFailingOnOneNodeIsPartialWithExitOne)
{
    auto report = exec_json({"exec", "--", "case $HOME in */dc1-n1/*) echo broken >&2; exit 7;; esac; echo fine"}, 1);
    EXPECT_EQ(report["status"], "partial");
    const auto& failed = node_named(report, host_of("dc1-n1"));
    EXPECT_EQ(failed["status"], "failed");
    EXPECT_EQ(failed["error_kind"], "command");
    EXPECT_NE(failed["error"].get<std::string>().find("exit status 7"), std::string::npos) << failed;
    EXPECT_NE(failed["error"].get<std::string>().find("broken"), std::string::npos) << failed;
    EXPECT_EQ(node_named(report, host_of("dc2-n2"))["status"], "ok");
}

TEST_F(ExecOnLab, CommandFailingEverywhereIsFailedWithExitThree)
{
    auto report = exec_json({"exec", "--", "exit 3"}, 3);
    EXPECT_EQ(report["status"], "failed");
}

TEST_F(ExecOnLab, SelectsDataCentersAndHosts)
{
    auto by_dc = exec_json({"--dc", "dc2", "exec", "true"}, 0);
    ASSERT_EQ(by_dc["nodes"].size(), 2U);
    EXPECT_EQ(by_dc["nodes"][0]["datacenter"], "dc2");
    auto by_host = exec_json({"--hosts", host_of("dc1-n2"), "exec", "true"}, 0);
    ASSERT_EQ(by_host["nodes"].size(), 1U);

    auto unknown = ringsnap(*m_lab, {"--dc", "dc9", "exec", "true"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("dc9"), std::string::npos) << unknown.err;
}

TEST_F(ExecOnLab, CommandTimeoutKillsTheRemoteProcessAndFailsTheNode)
{
    auto cluster = write_cluster_variant(*m_lab, "short-command-timeout",
                                         [](YAML::Node& file) { file["ssh"]["command_timeout"] = "2s"; });
    auto report = exec_json({"exec", "--", "sleep 77; echo never"}, 3, cluster);
    for (const auto& node : report["nodes"]) {
        EXPECT_EQ(node["error_kind"], "timeout") << node;
        EXPECT_FALSE(node["steps"][0].contains("stdout")) << node;  // it never finished
    }
    EXPECT_TRUE(wait_until_no_process_matches("sleep 77", std::chrono::seconds(5)))
        << "a remote command survived its timeout";
}

TEST_F(ExecOnLab, InterruptStopsRemoteCommandsAndExits130)
{
    ChildProcess run({RINGSNAP_BIN, "-c", m_lab->cluster_file(), "--json", "exec", "--", "sleep 78"});
    ASSERT_TRUE(wait_until_processes_match("sleep 78", 4, std::chrono::seconds(20)));
    run.send_signal(SIGINT);
    auto result = run.wait();
    EXPECT_EQ(result.exit_code, 130) << result.err;
    auto report = json::parse(result.out);
    EXPECT_EQ(report["status"], "interrupted");
    EXPECT_EQ(report["exit_code"], 130);
    for (const auto& node : report["nodes"]) {
        EXPECT_EQ(node["error_kind"], "interrupted") << node;
    }
    EXPECT_TRUE(wait_until_no_process_matches("sleep 78", std::chrono::seconds(5)))
        << "a remote command survived the interrupt";
}

TEST_F(ExecOnLab, UnknownHostKeyIsRefusedUnlessAskedToRecordIt)
{
    std::string known_hosts = m_lab->dir() + "/empty_known_hosts";
    std::ofstream(known_hosts).close();
    auto cluster = write_cluster_variant(*m_lab, "empty-known-hosts",
                                         [&](YAML::Node& file) { file["ssh"]["known_hosts"] = known_hosts; });

    auto refused = exec_json({"exec", "true"}, 3, cluster);
    for (const auto& node : refused["nodes"]) {
        EXPECT_EQ(node["error_kind"], "host_key") << node;
        EXPECT_NE(node["error"].get<std::string>().find("unknown host key"), std::string::npos) << node;
    }
    exec_json({"--accept-new-host-keys", "exec", "true"}, 0, cluster);
    EXPECT_EQ(count_lines(known_hosts), 4);
    exec_json({"exec", "true"}, 0, cluster);  // recorded: no flag needed any more
}

TEST_F(ExecOnLab, ChangedHostKeyIsAlwaysRefused)
{
    std::string victim = host_of("dc1-n1");
    std::string known_hosts = m_lab->dir() + "/tampered_known_hosts";
    write_known_hosts_with_foreign_key(*m_lab, victim, known_hosts);
    auto cluster = write_cluster_variant(*m_lab, "tampered-known-hosts",
                                         [&](YAML::Node& file) { file["ssh"]["known_hosts"] = known_hosts; });

    auto report = exec_json({"--accept-new-host-keys", "exec", "true"}, 1, cluster);
    const auto& refused = node_named(report, victim);
    EXPECT_EQ(refused["error_kind"], "host_key");
    EXPECT_EQ(refused["failed_step"], "host key");
    EXPECT_NE(refused["error"].get<std::string>().find("HOST KEY CHANGED"), std::string::npos) << refused;
    EXPECT_EQ(node_named(report, host_of("dc2-n1"))["status"], "ok");
}

TEST_F(ExecOnLab, StoppedSshdFailsOnlyThatNode)
{
    m_lab->must({"kill-host", "dc2-n1"});
    auto report = exec_json({"exec", "true"}, 1);
    const auto& down = node_named(report, host_of("dc2-n1"));
    EXPECT_EQ(down["error_kind"], "connect") << down;
    EXPECT_EQ(down["failed_step"], "connect");
    EXPECT_EQ(node_named(report, host_of("dc1-n1"))["status"], "ok");
    EXPECT_EQ(node_named(report, host_of("dc2-n2"))["status"], "ok");
}

TEST_F(ExecOnLab, FrozenSshdTimesOutWhileTheOthersFinish)
{
    auto cluster = write_cluster_variant(*m_lab, "short-connect-timeout",
                                         [](YAML::Node& file) { file["ssh"]["connect_timeout"] = "2s"; });
    m_lab->must({"freeze-host", "dc1-n2"});
    auto report = exec_json({"exec", "echo", "alive"}, 1, cluster);
    m_lab->must({"thaw-host", "dc1-n2"});
    const auto& frozen = node_named(report, host_of("dc1-n2"));
    EXPECT_EQ(frozen["error_kind"], "timeout") << frozen;
    for (const char* name : {"dc1-n1", "dc2-n1", "dc2-n2"}) {
        EXPECT_EQ(node_named(report, host_of(name))["steps"][0]["stdout"], "alive\n");
    }
}

TEST_F(ExecOnLab, MissingClusterFileIsAUsageError)
{
    auto result = run_process({RINGSNAP_BIN, "-c", m_lab->dir() + "/nope.yaml", "--json", "exec", "true"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_EQ(json::parse(result.out)["exit_code"], 2);
    EXPECT_NE(result.err.find("nope.yaml"), std::string::npos) << result.err;
}

} // namespace
} // namespace ringsnap::testing
