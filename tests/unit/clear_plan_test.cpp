// SPDX-License-Identifier: Apache-2.0
// Which backups `clear` picks: by tag, by age, by count, and never the base or parent of a kept
// incremental unless forced; a backup already cleared from the nodes only with --archive.

#include <ringsnap/ops/clear.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringsnap::ops {
namespace {

using namespace std::chrono_literals;

const Timestamp k_now = Timestamp{} + std::chrono::duration_cast<std::chrono::milliseconds>(20000h);

ManifestSummary snapshot(const std::string& tag, std::chrono::hours age,
                         ManifestStatus status = ManifestStatus::complete)
{
    ManifestSummary backup;
    backup.tag = tag;
    backup.kind = BackupKind::snapshot;
    backup.status = status;
    backup.started_at = k_now - age;
    return backup;
}

ManifestSummary incremental(const std::string& tag, std::chrono::hours age, const std::string& base,
                            std::optional<std::string> parent = std::nullopt)
{
    auto backup = snapshot(tag, age);
    backup.kind = BackupKind::incremental;
    backup.base = base;
    backup.parent = std::move(parent);
    return backup;
}

std::vector<std::string> tags(const std::vector<ManifestSummary>& backups)
{
    std::vector<std::string> result;
    for (const auto& backup : backups) {
        result.push_back(backup.tag);
    }
    return result;
}

ClearPlan must_plan(const std::vector<ManifestSummary>& backups, const RetentionRule& rule)
{
    auto plan = plan_clear(backups, rule, k_now);
    EXPECT_TRUE(plan) << plan.error().message;
    return plan ? *plan : ClearPlan{};
}

// Ten nightly snapshots, oldest first: night-9 is nine days old, night-0 today.
std::vector<ManifestSummary> ten_nights()
{
    std::vector<ManifestSummary> backups;
    for (int day = 9; day >= 0; --day) {
        backups.push_back(snapshot("night-" + std::to_string(day), std::chrono::hours(24 * day + 1)));
    }
    return backups;
}

TEST(ClearPlan, ByTagClearsExactlyThatBackup)
{
    auto plan = must_plan(ten_nights(), RetentionRule{.tag = "night-4"});
    EXPECT_EQ(tags(plan.to_clear), std::vector<std::string>{"night-4"});
}

TEST(ClearPlan, AnUnknownTagIsRefusedAndSaysWhereToLook)
{
    auto plan = plan_clear(ten_nights(), RetentionRule{.tag = "night-42"}, k_now);
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().kind, ErrorKind::usage);
    EXPECT_NE(plan.error().message.find("ringsnap list"), std::string::npos);
}

TEST(ClearPlan, ByAgeClearsWhatStartedBeforeTheCutoffOldestFirst)
{
    auto plan = must_plan(ten_nights(), RetentionRule{.older_than = std::chrono::duration_cast<Duration>(7 * 24h)});
    EXPECT_EQ(tags(plan.to_clear), (std::vector<std::string>{"night-9", "night-8", "night-7"}));
}

TEST(ClearPlan, ByCountKeepsTheNewestCompleteSnapshots)
{
    auto backups = ten_nights();
    backups[9].status = ManifestStatus::partial; // night-0: not one of the kept
    auto plan = must_plan(backups, RetentionRule{.keep = 3});
    EXPECT_EQ(tags(plan.to_clear),
              (std::vector<std::string>{"night-9", "night-8", "night-7", "night-6", "night-5", "night-4", "night-0"}));
}

TEST(ClearPlan, KeepWinsOverAge)
{
    auto plan = must_plan(ten_nights(), RetentionRule{.older_than = Duration{0}, .keep = 8});
    EXPECT_EQ(tags(plan.to_clear), (std::vector<std::string>{"night-9", "night-8"}));
}

TEST(ClearPlan, ABaseWithAKeptIncrementalIsProtectedAndSoIsItsParentChain)
{
    std::vector<ManifestSummary> backups{snapshot("base", 200h), incremental("inc-1", 190h, "base"),
                                         incremental("inc-2", 180h, "base", "inc-1"),
                                         incremental("inc-3", 2h, "base", "inc-2"), snapshot("other", 170h)};
    auto plan = must_plan(backups, RetentionRule{.older_than = std::chrono::duration_cast<Duration>(24h)});
    EXPECT_EQ(tags(plan.to_clear), std::vector<std::string>{"other"});
    std::vector<std::string> kept;
    for (const auto& protected_backup : plan.protected_by_chain) {
        kept.push_back(protected_backup.backup.tag);
    }
    std::sort(kept.begin(), kept.end());
    EXPECT_EQ(kept, (std::vector<std::string>{"base", "inc-1", "inc-2"}));
}

TEST(ClearPlan, AWholeOldChainGoes)
{
    std::vector<ManifestSummary> backups{snapshot("base", 200h), incremental("inc-1", 190h, "base"),
                                         snapshot("new", 1h)};
    auto plan = must_plan(backups, RetentionRule{.older_than = std::chrono::duration_cast<Duration>(24h)});
    EXPECT_EQ(tags(plan.to_clear), (std::vector<std::string>{"base", "inc-1"}));
    EXPECT_TRUE(plan.protected_by_chain.empty());
}

TEST(ClearPlan, KeepingASnapshotKeepsItsIncrementals)
{
    std::vector<ManifestSummary> backups{snapshot("old", 300h), snapshot("base", 200h),
                                         incremental("inc-1", 190h, "base")};
    auto plan = must_plan(backups, RetentionRule{.keep = 1});
    EXPECT_EQ(tags(plan.to_clear), std::vector<std::string>{"old"});
}

TEST(ClearPlan, ClearingABaseByTagIsRefusedUnlessForced)
{
    std::vector<ManifestSummary> backups{snapshot("base", 200h), incremental("inc-1", 2h, "base")};
    auto refused = plan_clear(backups, RetentionRule{.tag = "base"}, k_now);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::usage);
    EXPECT_NE(refused.error().message.find("base of kept incremental inc-1"), std::string::npos)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find("--force"), std::string::npos);
    auto forced = must_plan(backups, RetentionRule{.tag = "base", .force = true});
    EXPECT_EQ(tags(forced.to_clear), std::vector<std::string>{"base"});
}

TEST(ClearPlan, AnEmptyCatalogClearsNothing)
{
    EXPECT_TRUE(must_plan({}, RetentionRule{.keep = 2}).to_clear.empty());
}

TEST(ClearNodes, OnlyNodesThatRanNodetoolSnapshotMayHoldIt)
{
    NodeEntry ok;
    ok.status = NodeStatus::ok;
    EXPECT_TRUE(may_hold_backup(ok));
    NodeEntry never_surveyed;
    never_surveyed.failed_step = "connect";
    EXPECT_FALSE(may_hold_backup(never_surveyed));
    NodeEntry snapshot_timed_out;
    snapshot_timed_out.failed_step = "nodetool snapshot";
    EXPECT_TRUE(may_hold_backup(snapshot_timed_out));
    NodeEntry hash_failed;
    hash_failed.failed_step = "sha256sum";
    hash_failed.snapshot_at = k_now;
    EXPECT_TRUE(may_hold_backup(hash_failed));
}

TEST(ClearNodes, ClearsnapshotAlwaysNamesTheTag)
{
    EXPECT_EQ(clearsnapshot_arguments("nightly"), (std::vector<std::string>{"clearsnapshot", "-t", "nightly"}));
}

TEST(ClearPlan, ABackupClearedFromTheNodesIsChosenAgainOnlyForTheArchive)
{
    auto backups = ten_nights();
    backups[0].cleared_at = k_now - 24h; // night-9: on the nodes no more, in the archive still
    auto nodes_only = must_plan(backups, RetentionRule{.older_than = Duration(7 * 24h)});
    EXPECT_EQ(tags(nodes_only.to_clear), (std::vector<std::string>{"night-8", "night-7"}));
    auto with_archive = must_plan(backups, RetentionRule{.older_than = Duration(7 * 24h), .archive = true});
    EXPECT_EQ(tags(with_archive.to_clear), (std::vector<std::string>{"night-9", "night-8", "night-7"}));

    auto by_tag = plan_clear(backups, RetentionRule{.tag = "night-9"}, k_now);
    ASSERT_FALSE(by_tag);
    EXPECT_EQ(by_tag.error().kind, ErrorKind::usage);
    EXPECT_NE(by_tag.error().message.find("--archive"), std::string::npos) << by_tag.error().message;
    EXPECT_EQ(tags(must_plan(backups, RetentionRule{.tag = "night-9", .archive = true}).to_clear),
              std::vector<std::string>{"night-9"});
}

} // namespace
} // namespace ringsnap::ops
