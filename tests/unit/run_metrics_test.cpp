// SPDX-License-Identifier: Apache-2.0
// --metrics-file (cli/run_metrics.hpp): the Prometheus text a run leaves, read back as a
// Prometheus scraper reads it, not grepped.

#include "cli/run_metrics.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "support/manifest_samples.hpp"
#include "support/prometheus_text.hpp"

namespace ringsnap::cli {
namespace {

using testing::scrape;

RunMetrics snapshot_run(int exit_code, double ended_at)
{
    RunMetrics run{"prod-main", "snapshot", exit_code, ended_at, 73.5};
    add_report(run, nlohmann::json::parse(R"({
        "status": "partial", "exit_code": 1,
        "nodes": [{"host": "a", "status": "ok"}, {"host": "b", "status": "ok"}, {"host": "c", "status": "failed"}],
        "totals": {"nodes": 3, "nodes_ok": 2, "tables": 4, "files": 40, "bytes": 123456, "bytes_hashed": 2048},
        "archive": {"status": "complete", "bytes_sent": 9000}})"));
    return run;
}

TEST(RunMetrics, APartialSnapshotSaysWhatItDidAndNoSuccess)
{
    auto scraped = scrape(metrics_text(snapshot_run(1, 1764554400.25), ""));
    EXPECT_TRUE(scraped.errors.empty()) << scraped.errors.front();
    const std::string labels = R"({cluster="prod-main",verb="snapshot"})";
    EXPECT_EQ(scraped.samples["ringsnap_last_run_timestamp_seconds" + labels], 1764554400.25);
    EXPECT_EQ(scraped.samples["ringsnap_last_run_duration_seconds" + labels], 73.5);
    EXPECT_EQ(scraped.samples["ringsnap_last_run_exit_code" + labels], 1);
    EXPECT_EQ(scraped.samples[R"(ringsnap_last_run_nodes{cluster="prod-main",verb="snapshot",state="ok"})"], 2);
    EXPECT_EQ(scraped.samples[R"(ringsnap_last_run_nodes{cluster="prod-main",verb="snapshot",state="failed"})"], 1);
    EXPECT_EQ(scraped.samples["ringsnap_last_run_files" + labels], 40);
    EXPECT_EQ(scraped.samples["ringsnap_last_run_bytes" + labels], 123456);
    EXPECT_EQ(scraped.samples["ringsnap_last_run_hashed_bytes" + labels], 2048);
    EXPECT_EQ(scraped.samples["ringsnap_last_run_archived_bytes" + labels], 9000);
    EXPECT_FALSE(scraped.samples.count("ringsnap_last_success_timestamp_seconds" + labels)) << "never succeeded";
    for (const auto& [name, type] : scraped.types) {
        EXPECT_EQ(type, "gauge") << name;
    }
}

TEST(RunMetrics, ALaterFailureKeepsTheLastSuccessAndOtherVerbsAreKept)
{
    auto first = metrics_text(snapshot_run(0, 1000), "");
    RunMetrics incremental{"prod-main", "incremental", 0, 1500, 2};
    auto second = metrics_text(incremental, first);
    auto third = metrics_text(RunMetrics{"prod-main", "snapshot", 3, 2000, 1}, second);
    auto scraped = scrape(third);
    EXPECT_TRUE(scraped.errors.empty()) << scraped.errors.front();
    EXPECT_EQ(scraped.samples[R"(ringsnap_last_success_timestamp_seconds{cluster="prod-main",verb="snapshot"})"], 1000);
    EXPECT_EQ(scraped.samples[R"(ringsnap_last_run_exit_code{cluster="prod-main",verb="snapshot"})"], 3);
    EXPECT_EQ(scraped.samples[R"(ringsnap_last_success_timestamp_seconds{cluster="prod-main",verb="incremental"})"],
              1500);
    EXPECT_FALSE(scraped.samples.count(R"(ringsnap_last_run_files{cluster="prod-main",verb="snapshot"})"))
        << "the failed run recorded nothing: its old figures are gone with it";
}

TEST(RunMetrics, TheFileIsReplacedWholeAndLabelsAreEscaped)
{
    testing::TempDir dir;
    auto path = dir.path() / "ringsnap.prom";
    ASSERT_TRUE(write_metrics_file(path, RunMetrics{"a\"b", "list", 0, 1, 1}));
    ASSERT_TRUE(write_metrics_file(path, RunMetrics{"a\"b", "check", 0, 2, 1}));
    auto scraped = scrape(testing::read_text(path));
    EXPECT_TRUE(scraped.errors.empty()) << scraped.errors.front();
    EXPECT_TRUE(scraped.samples.count(R"(ringsnap_last_run_exit_code{cluster="a\"b",verb="list"})"));
    EXPECT_TRUE(scraped.samples.count(R"(ringsnap_last_run_exit_code{cluster="a\"b",verb="check"})"));
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
        names.push_back(entry.path().filename().string());
    }
    EXPECT_EQ(names, std::vector<std::string>{"ringsnap.prom"}) << "no temporary file left";
}

} // namespace
} // namespace ringsnap::cli
