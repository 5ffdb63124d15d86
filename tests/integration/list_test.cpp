// SPDX-License-Identifier: Apache-2.0
// `ringsnap list` on lab clusters: the catalog alone, and --live against every version's
// `nodetool listsnapshots`.

#include <gtest/gtest.h>

#include "support/backup_lab.hpp"
#include "support/cluster_file_variant.hpp"

namespace ringsnap::testing {
namespace {

using ListOnLab = BackupLab;

const json& backup_named(const json& report, const std::string& tag)
{
    for (const auto& backup : report["backups"]) {
        if (backup["tag"] == tag) {
            return backup;
        }
    }
    throw std::runtime_error("no backup " + tag + " in " + report.dump());
}

TEST_F(ListOnLab, TheCatalogIsListedOldestFirstWithoutTouchingANode)
{
    start(1, 2);
    run_json("snapshot", 0, {"--tag", "first"});
    run_json("snapshot", 0, {"-k", "billing", "--tag", "second"});
    m_lab->must({"kill-host", "dc1-n1"});
    m_lab->must({"stop-node", "dc1-n2"});
    auto report = run_json("list", 0, {});
    ASSERT_EQ(report["backups"].size(), 2U);
    EXPECT_EQ(report["backups"][0]["tag"], "first");
    EXPECT_EQ(report["backups"][1]["tag"], "second");
    EXPECT_EQ(report["backups"][1]["kind"], "snapshot");
    EXPECT_EQ(report["backups"][1]["status"], "complete");
    EXPECT_EQ(report["backups"][1]["nodes_ok"], 2);
    EXPECT_GT(report["backups"][1]["bytes"].get<std::uint64_t>(), 0U);

    auto text = ringsnap(*m_lab, {"list"});
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_NE(text.out.find("TAG"), std::string::npos);
    EXPECT_NE(text.out.find("second  snapshot"), std::string::npos) << text.out;
}

TEST_F(ListOnLab, LiveFindsEverySnapshotOnEveryVersionThenFlagsUnknownAndGoneOnes)
{
    start(2, 3, "3.11,4.1,5.0");
    run_json("snapshot", 0, {"--tag", "nightly"});
    auto healthy = run_json("list", 0, {"--live"});
    EXPECT_EQ(backup_named(healthy, "nightly")["live"]["holding"].size(), 6U) << healthy;
    EXPECT_TRUE(healthy["unknown_snapshots"].empty()) << healthy;

    std::string nodes = m_lab->dir() + "/nodes/";
    auto by_hand = run_process({nodes + "dc1-n2/bin/nodetool", "snapshot", "-t", "by-hand", "billing"});
    ASSERT_EQ(by_hand.exit_code, 0) << by_hand.err;
    auto cleared = run_process({nodes + "dc2-n3/bin/nodetool", "clearsnapshot", "-t", "nightly"});
    ASSERT_EQ(cleared.exit_code, 0) << cleared.err;

    auto report = run_json("list", 4, {"--live"});
    EXPECT_EQ(backup_named(report, "nightly")["live"]["gone"], json::array({lab_address(*m_lab, "dc2-n3")})) << report;
    ASSERT_EQ(report["unknown_snapshots"].size(), 1U) << report;
    EXPECT_EQ(report["unknown_snapshots"][0]["tag"], "by-hand");
    EXPECT_EQ(report["unknown_snapshots"][0]["hosts"], json::array({lab_address(*m_lab, "dc1-n2")}));
    EXPECT_EQ(report["unknown_snapshots"][0]["nodes"], 1);
    EXPECT_EQ(report["unknown_snapshots"][0]["tables"], json::array({"billing.customers", "billing.invoices"}));
}

TEST_F(ListOnLab, LiveWithANodeDownIsPartial)
{
    start(1, 3);
    run_json("snapshot", 0, {"--tag", "nightly"});
    m_lab->must({"kill-host", "dc1-n3"});
    auto report = run_json("list", 1, {"--live"});
    EXPECT_EQ(report["status"], "partial");
    EXPECT_EQ(backup_named(report, "nightly")["live"]["holding"].size(), 2U);
}

} // namespace
} // namespace ringsnap::testing
