// SPDX-License-Identifier: Apache-2.0
// The rules of a chain (ops/chain.hpp), over a catalog listing: what list reports, and what clear,
// incremental and restore refuse. And which backups are worth a manifest at all.

#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/clear.hpp>
#include <ringsnap/ops/incremental.hpp>

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/fake_executor.hpp"
#include "support/manifest_samples.hpp"

namespace ringsnap::ops {
namespace {

ManifestSummary snapshot(const std::string& tag, ManifestStatus status = ManifestStatus::complete)
{
    ManifestSummary backup;
    backup.tag = tag;
    backup.kind = BackupKind::snapshot;
    backup.status = status;
    return backup;
}

ManifestSummary incremental(const std::string& tag, std::optional<std::string> base,
                            std::optional<std::string> parent = std::nullopt,
                            ManifestStatus status = ManifestStatus::complete)
{
    auto backup = snapshot(tag, status);
    backup.kind = BackupKind::incremental;
    backup.base = std::move(base);
    backup.parent = std::move(parent);
    return backup;
}

CatalogListing listing_of(std::vector<ManifestSummary> backups)
{
    return CatalogListing{std::move(backups), {}};
}

// "tag: problem" of each, to compare whole.
std::vector<std::string> problems(const CatalogListing& listing)
{
    std::vector<std::string> found;
    for (const auto& problem : chain_problems(listing)) {
        found.push_back(problem.tag + ": " + problem.problem);
    }
    return found;
}

TEST(ChainRules, AWellFormedChainHasNoProblem)
{
    auto listing = listing_of({snapshot("s1"), incremental("i1", "s1"), incremental("i2", "s1", "i1"), snapshot("s2"),
                               incremental("j1", "s2")});
    EXPECT_TRUE(chain_problems(listing).empty());
}

TEST(ChainRules, EachImpossibleBaseIsNamed)
{
    auto listing =
        listing_of({snapshot("s1"), snapshot("dead", ManifestStatus::failed), incremental("self", "self"),
                    incremental("orphan", "gone"), incremental("i1", "s1"), incremental("on-incremental", "i1"),
                    incremental("on-failed", "dead"), incremental("baseless", std::nullopt)});
    EXPECT_EQ(problems(listing), (std::vector<std::string>{
                                     "baseless: it names no base snapshot",
                                     "on-failed: its base dead failed: a failed backup is no link of a chain",
                                     "orphan: its base gone is not in the catalog",
                                     "on-incremental: its base i1 is an incremental, not a snapshot",
                                     "self: it names itself as its base",
                                 }));
}

TEST(ChainRules, ParentsThatCycleOrForkAreNamed)
{
    auto cycle = listing_of({snapshot("s1"), incremental("a", "s1", "b"), incremental("b", "s1", "a")});
    EXPECT_EQ(problems(cycle), (std::vector<std::string>{
                                   "a: its parents do not lead back to its base in one line (a cycle or a branch)",
                                   "b: its parents do not lead back to its base in one line (a cycle or a branch)"}));
    auto own = listing_of({snapshot("s1"), incremental("a", "s1", "a")});
    EXPECT_EQ(problems(own), (std::vector<std::string>{"a: it names itself as its parent"}));
    auto fork = listing_of({snapshot("s1"), incremental("a", "s1"), incremental("b", "s1")});
    EXPECT_EQ(problems(fork), (std::vector<std::string>{"b: it names no parent, like a: a chain is one line"}));
    auto elsewhere = listing_of({snapshot("s1"), snapshot("s2"), incremental("a", "s1"), incremental("b", "s2", "a")});
    EXPECT_EQ(problems(elsewhere),
              (std::vector<std::string>{"b: its parent a is not an incremental of the same base s2"}));
}

TEST(ChainRules, AFailedIncrementalIsNoLinkAndNoParent)
{
    // A failed incremental recorded nothing: the next one builds on the link before it.
    auto skipped = listing_of({snapshot("s1"), incremental("i1", "s1"),
                               incremental("i2", "s1", "i1", ManifestStatus::failed), incremental("i3", "s1", "i1")});
    EXPECT_TRUE(chain_problems(skipped).empty());
    // One that names a failed backup as its parent (written by an older ringsnap) is reported.
    auto named = listing_of({snapshot("s1"), incremental("i1", "s1"),
                             incremental("i2", "s1", "i1", ManifestStatus::failed), incremental("i3", "s1", "i2")});
    EXPECT_EQ(problems(named),
              (std::vector<std::string>{"i3: its parent i2 failed: a failed backup is no link of a chain"}));
}

TEST(ChainRules, ABackupThatNeverFinishedIsNoLinkNoParentAndNoBase)
{
    auto skipped = listing_of({snapshot("s1"), incremental("i1", "s1"),
                               incremental("i2", "s1", "i1", ManifestStatus::running), incremental("i3", "s1", "i1")});
    EXPECT_TRUE(chain_problems(skipped).empty());
    auto named = listing_of({snapshot("s1"), incremental("i1", "s1"),
                             incremental("i2", "s1", "i1", ManifestStatus::running), incremental("i3", "s1", "i2")});
    EXPECT_EQ(problems(named), (std::vector<std::string>{"i3: its parent i2 never finished: a run that did not end "
                                                         "is no link of a chain"}));
    auto unfinished_base = listing_of({snapshot("s1"), snapshot("s2", ManifestStatus::running)});
    EXPECT_EQ(*choose_base(unfinished_base, ""), "s1") << "the newest complete snapshot";
    auto refused = choose_base(unfinished_base, "s2");
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("a base must be a finished snapshot"), std::string::npos);
}

TEST(ChainRules, NothingIsRestoredVerifiedOrArchivedOfABackupThatFailedOrNeverFinished)
{
    EXPECT_TRUE(check_usable(snapshot("s1", ManifestStatus::partial), "restore"));
    auto running = check_usable(snapshot("s1", ManifestStatus::running), "verify");
    ASSERT_FALSE(running);
    EXPECT_EQ(running.error().kind, ErrorKind::usage);
    EXPECT_NE(running.error().message.find("s1 never finished"), std::string::npos) << running.error().message;
    EXPECT_NE(running.error().message.find("nothing to verify"), std::string::npos) << running.error().message;
    EXPECT_NE(running.error().message.find("ringsnap clear --tag s1"), std::string::npos) << running.error().message;
    auto failed = check_usable(snapshot("s1", ManifestStatus::failed), "restore");
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("failed on every node"), std::string::npos);
}

TEST(ChainRules, ABackupIsOffTheNodesOnceClearedOrOnceItsTtlRanOut)
{
    auto at = [](const char* text) { return *parse_timestamp(text); };
    auto backup = snapshot("s1");
    EXPECT_FALSE(off_the_nodes(backup, at("2026-11-23T02:00:00Z")));

    backup.expires_at = at("2026-11-23T04:00:00Z");
    EXPECT_FALSE(off_the_nodes(backup, at("2026-11-23T03:59:59Z"))) << "not yet";
    auto expired = off_the_nodes(backup, at("2026-11-23T04:00:00Z"));
    ASSERT_TRUE(expired);
    EXPECT_EQ(*expired, "expired at 2026-11-23T04:00:00.000Z (snapshot --ttl): Cassandra removes it from the nodes");

    backup.cleared_at = at("2026-11-23T03:00:00Z");
    auto cleared = off_the_nodes(backup, at("2026-11-23T02:00:00Z"));
    ASSERT_TRUE(cleared);
    EXPECT_EQ(*cleared, "was cleared from the nodes at 2026-11-23T03:00:00.000Z");
}

NodeEntry entry(NodeStatus status, std::optional<std::string> failed_step = std::nullopt)
{
    NodeEntry node;
    node.host = "10.0.0.1";
    node.status = status;
    node.failed_step = std::move(failed_step);
    return node;
}

TEST(WorthSaving, ABackupNoNodeHoldsIsNotSavedWhateverItsKind)
{
    Manifest manifest;
    manifest.nodes = {entry(NodeStatus::failed, "connect"), entry(NodeStatus::failed, "nodetool flush")};
    EXPECT_FALSE(worth_saving(manifest)) << "an incremental that failed everywhere";
    manifest.kind = BackupKind::snapshot;
    EXPECT_FALSE(worth_saving(manifest)) << "a snapshot that failed before nodetool snapshot everywhere";
    EXPECT_FALSE(worth_saving(Manifest{})) << "interrupted before any node";

    manifest.nodes.push_back(entry(NodeStatus::failed, "nodetool snapshot"));
    EXPECT_TRUE(worth_saving(manifest)) << "a snapshot may be left on the node: clear needs the manifest";
    manifest.nodes = {entry(NodeStatus::failed, "connect"), entry(NodeStatus::ok)};
    EXPECT_TRUE(worth_saving(manifest));
    manifest.nodes = {entry(NodeStatus::failed, "connect"), entry(NodeStatus::running)};
    EXPECT_TRUE(worth_saving(manifest)) << "a node still at work may hold its part";
}

// --- Against a catalog on disk: what the verbs do with the rules

class ChainsInACatalog : public ::testing::Test
{
  protected:
    Catalog catalog() const { return *Catalog::open(m_dir.path(), "prod-main"); }

    void save(const std::string& tag, BackupKind kind, std::optional<std::string> base = {},
              std::optional<std::string> parent = {}, int day = 23)
    {
        Manifest manifest = testing::sample_manifest(tag, fmt::format("2026-11-{:02}T02:00:00.000Z", day).c_str());
        manifest.kind = kind;
        manifest.base = std::move(base);
        manifest.parent = std::move(parent);
        ASSERT_TRUE(catalog().save(manifest));
    }

    static IncrementalRequest incremental_on_s1(const std::string& tag)
    {
        IncrementalRequest request;
        request.tag = tag;
        request.base = "s1";
        return request;
    }

    std::vector<Node> nodes() const
    {
        Node node;
        node.host = "10.0.1.11";
        node.datacenter = "dc1";
        return {node};
    }

    testing::TempDir m_dir;
    Observer m_observer;
    testing::FakeExecutor m_executor{[](const Node&, const std::string&) -> Result<CommandOutput> {
        return make_error(ErrorKind::command, "no node should be asked anything");
    }};
};

TEST_F(ChainsInACatalog, ClearByRetentionRefusesAnImpossibleChainBeforeTouchingANode)
{
    save("s1", BackupKind::snapshot, {}, {}, 1);
    save("a", BackupKind::incremental, "s1", "b", 2);
    save("b", BackupKind::incremental, "s1", "a", 3);
    auto outcome =
        run_clear(m_executor, catalog(), nodes(), RetentionRule{.older_than = Duration(0)}, false, m_observer);
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().kind, ErrorKind::catalog);
    EXPECT_NE(outcome.error().message.find("impossible chain: a: its parents do not lead back to its base"),
              std::string::npos)
        << outcome.error().message;
    EXPECT_TRUE(m_executor.commands_ran.empty());
}

TEST_F(ChainsInACatalog, ClearByTagStillRemovesTheIncrementalAtFault)
{
    save("s1", BackupKind::snapshot, {}, {}, 1);
    save("a", BackupKind::incremental, "s1", "a", 2);
    auto by_tag = run_clear(m_executor, catalog(), nodes(), RetentionRule{.tag = "a"}, true, m_observer);
    ASSERT_TRUE(by_tag) << by_tag.error().message;
    ASSERT_EQ(by_tag->backups.size(), 1U);
    EXPECT_EQ(by_tag->backups.front().tag, "a");
}

TEST_F(ChainsInACatalog, AnIncrementalIsNeverBuiltOnAnImpossibleChain)
{
    save("s1", BackupKind::snapshot, {}, {}, 1);
    save("a", BackupKind::incremental, "s1", "a", 2);
    auto outcome = run_incremental(m_executor, catalog(), nodes(), incremental_on_s1("next"), m_observer);
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().kind, ErrorKind::catalog);
    EXPECT_NE(outcome.error().message.find("impossible chain on base s1: a: it names itself as its parent"),
              std::string::npos)
        << outcome.error().message;
    EXPECT_TRUE(m_executor.commands_ran.empty());
}

TEST_F(ChainsInACatalog, ARestoreOfAnIncrementalWhoseBaseIsMissingOrAnIncrementalIsRefused)
{
    save("i0", BackupKind::incremental, "gone", {}, 1);
    save("i1", BackupKind::incremental, "i0", {}, 2);
    for (const char* tag : {"i0", "i1"}) {
        auto chain = load_restore_chain(catalog(), tag, std::nullopt);
        ASSERT_FALSE(chain) << tag;
        EXPECT_EQ(chain.error().kind, ErrorKind::catalog);
        EXPECT_NE(chain.error().message.find("impossible chain"), std::string::npos) << chain.error().message;
    }
}

TEST_F(ChainsInACatalog, ARestoreOfABackupThatNeverFinishedIsRefused)
{
    Manifest manifest = testing::sample_manifest("killed", "2026-11-23T02:00:00.000Z");
    manifest.status = ManifestStatus::running;
    ASSERT_TRUE(catalog().save(manifest));
    auto chain = load_restore_chain(catalog(), "killed", std::nullopt);
    ASSERT_FALSE(chain);
    EXPECT_EQ(chain.error().kind, ErrorKind::usage);
    EXPECT_NE(chain.error().message.find("killed never finished"), std::string::npos) << chain.error().message;
}

TEST_F(ChainsInACatalog, AnIncrementalThatFailsEverywhereSavesNoManifestAndLeavesTheTagFree)
{
    save("s1", BackupKind::snapshot, {}, {}, 1);
    m_executor.unreachable = {"10.0.1.11"};
    auto outcome = run_incremental(m_executor, catalog(), nodes(), incremental_on_s1("i1"), m_observer);
    ASSERT_TRUE(outcome) << outcome.error().message;
    EXPECT_EQ(outcome->status, RunStatus::failed);
    EXPECT_FALSE(outcome->manifest_path);
    EXPECT_FALSE(catalog().exists("i1"));

    m_executor.unreachable.clear();
    auto listing = catalog().list();
    ASSERT_TRUE(listing);
    auto chain = load_chain(catalog(), *listing, "s1");
    ASSERT_TRUE(chain) << chain.error().message;
    EXPECT_TRUE(chain->incrementals.empty()) << "the next incremental's parent is none, not the failed one";
}

} // namespace
} // namespace ringsnap::ops
