// SPDX-License-Identifier: Apache-2.0
// What unattended runs rely on, on a lab cluster: the metrics file after a good and a partial
// snapshot, and the hooks around a run (their environment, a failing pre-hook that stops the run
// before any node is touched, a failing post-hook that makes a success exit 1).

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/backup_lab.hpp"
#include "support/prometheus_text.hpp"

namespace ringsnap::testing {
namespace {

using nlohmann::json;
using AutomationOnLab = BackupLab;

// NAME=value lines, as `env` prints them, of the RINGSNAP_* variables only.
std::map<std::string, std::string> ringsnap_variables(const std::filesystem::path& path)
{
    std::map<std::string, std::string> variables;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with("RINGSNAP_")) {
            auto equals = line.find('=');
            variables[line.substr(0, equals)] = line.substr(equals + 1);
        }
    }
    return variables;
}

TEST_F(AutomationOnLab, TheMetricsFileSaysHowTheLastGoodAndPartialSnapshotsWent)
{
    start(1, 2);
    auto metrics = m_lab->dir() + "/ringsnap.prom";
    const std::string labels = "{cluster=\"" + cluster_name() + "\",verb=\"snapshot\"}";
    auto node_label = [&](const char* state) {
        return "ringsnap_last_run_nodes{cluster=\"" + cluster_name() + "\",verb=\"snapshot\",state=\"" + state + "\"}";
    };

    auto good = run_json("snapshot", 0, {"--tag", "good", "--metrics-file", metrics});
    auto first = scrape(text_of(metrics));
    ASSERT_TRUE(first.errors.empty()) << first.errors.front();
    EXPECT_EQ(first.samples["ringsnap_last_run_exit_code" + labels], 0);
    EXPECT_EQ(first.samples[node_label("ok")], 2);
    EXPECT_EQ(first.samples[node_label("failed")], 0);
    EXPECT_EQ(first.samples["ringsnap_last_run_files" + labels], good["totals"]["files"].get<double>());
    EXPECT_EQ(first.samples["ringsnap_last_run_bytes" + labels], good["totals"]["bytes"].get<double>());
    double succeeded = first.samples["ringsnap_last_success_timestamp_seconds" + labels];
    EXPECT_GT(succeeded, 1.7e9);

    m_lab->must({"stop-node", "dc1-n2"});
    run_json("snapshot", 1, {"--tag", "partial", "--metrics-file", metrics});
    auto second = scrape(text_of(metrics));
    ASSERT_TRUE(second.errors.empty()) << second.errors.front();
    EXPECT_EQ(second.samples["ringsnap_last_run_exit_code" + labels], 1);
    EXPECT_EQ(second.samples[node_label("ok")], 1);
    EXPECT_EQ(second.samples[node_label("failed")], 1);
    EXPECT_EQ(second.samples["ringsnap_last_success_timestamp_seconds" + labels], succeeded)
        << "a partial snapshot is no success";
    EXPECT_GE(second.samples["ringsnap_last_run_timestamp_seconds" + labels], succeeded);
}

TEST_F(AutomationOnLab, HooksGetTheRunInTheirEnvironment)
{
    start(1, 2);
    auto before = m_lab->dir() + "/pre.env";
    auto after = m_lab->dir() + "/post.env";
    auto report =
        run_json("snapshot", 0, {"--tag", "hooked", "--pre-hook", "env > " + before, "--post-hook", "env > " + after});
    auto pre = ringsnap_variables(before);
    EXPECT_EQ(pre["RINGSNAP_VERB"], "snapshot");
    EXPECT_EQ(pre["RINGSNAP_CLUSTER"], cluster_name());
    EXPECT_EQ(pre["RINGSNAP_RUN_ID"].size(), 12U);
    auto post = ringsnap_variables(after);
    EXPECT_EQ(post["RINGSNAP_VERB"], "snapshot");
    EXPECT_EQ(post["RINGSNAP_STATUS"], "ok");
    EXPECT_EQ(post["RINGSNAP_EXIT_CODE"], "0");
    EXPECT_EQ(post["RINGSNAP_TAG"], "hooked");
    EXPECT_EQ(post["RINGSNAP_MANIFEST"], report["manifest"]);
    EXPECT_TRUE(std::filesystem::exists(post["RINGSNAP_MANIFEST"]));
    EXPECT_EQ(post["RINGSNAP_RUN_ID"], pre["RINGSNAP_RUN_ID"]);
    EXPECT_EQ(manifest_of("hooked")["run_id"], pre["RINGSNAP_RUN_ID"]) << "one run, one id";
}

TEST_F(AutomationOnLab, AFailingPreHookStopsTheRunBeforeAnyNodeIsTouched)
{
    start(1, 2);
    auto after = m_lab->dir() + "/post.env";
    auto refused = run_json(
        "snapshot", 2, {"--tag", "stopped", "--pre-hook", "echo paused >&2; exit 3", "--post-hook", "touch " + after});
    EXPECT_NE(refused["error"].get<std::string>().find("the pre-hook failed (it exited with 3); nothing was done"),
              std::string::npos)
        << refused;
    EXPECT_EQ(snapshot_dirs("stopped"), 0);
    EXPECT_FALSE(std::filesystem::exists(m_lab->dir() + "/catalog/" + cluster_name() + "/manifests/stopped.json"));
    EXPECT_FALSE(std::filesystem::exists(after)) << "no post-hook after a run that never began";
}

TEST_F(AutomationOnLab, AFailingPostHookTurnsASuccessIntoExitOne)
{
    start(1, 2);
    auto report = run_json("snapshot", 1, {"--tag", "noticed", "--post-hook", "exit 5"});
    EXPECT_EQ(report["exit_code"], 1);
    EXPECT_EQ(report["status"], "partial");
    EXPECT_EQ(manifest_of("noticed")["status"], "complete") << "the backup itself is whole";
}

} // namespace
} // namespace ringsnap::testing
