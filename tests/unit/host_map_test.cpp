// SPDX-License-Identifier: Apache-2.0
// The host map of a restore into another cluster (`restore --host-map FILE`): its lines, and the
// backup's entries paired by it and moved into the target nodes' data directories.

#include <gtest/gtest.h>

#include <ringsnap/host_map.hpp>
#include <ringsnap/ops/pairing.hpp>

namespace ringsnap {
namespace {

TEST(HostMap, ReadsOnePairPerLineSkippingCommentsAndBlankLines)
{
    auto map = parse_host_map("# source  target\n\n10.0.1.11   10.8.1.11\n  cass-2.old\tcass-2.new  \n", "map.txt");
    ASSERT_TRUE(map) << map.error().message;
    EXPECT_EQ(*map, (HostMap{{"10.0.1.11", "10.8.1.11"}, {"cass-2.old", "cass-2.new"}}));
}

TEST(HostMap, RefusesALineThatIsNotTwoHostsAndAHostMappedTwice)
{
    auto refused = [](const std::string& text) {
        auto map = parse_host_map(text, "map.txt");
        return map ? std::string("accepted") : map.error().message;
    };
    EXPECT_EQ(refused("a b\nc\n"), "map.txt line 2: expected the backup node's host, then the target node's host; "
                                   "found 1 words in \"c\"");
    EXPECT_NE(refused("a b c\n").find("line 1: expected"), std::string::npos);
    EXPECT_EQ(refused("a x\na y\n"), "map.txt line 2: backup node \"a\" is mapped already on line 1");
    EXPECT_EQ(refused("a x\nb x\n"), "map.txt line 2: target node \"x\" takes the place of another backup node "
                                     "already, on line 1");
    EXPECT_NE(refused("# nothing\n").find("no pair of hosts"), std::string::npos);
}

namespace pairing_by_map {

using ops::NodeIdentity;
using ops::PairedBy;

Manifest backup()
{
    Manifest manifest;
    manifest.tag = "nightly";
    for (int n = 1; n <= 2; ++n) {
        NodeEntry entry;
        entry.host = "10.0.0." + std::to_string(n);
        entry.tokens = {std::to_string(n * 100)};
        for (const char* dir : {"/a/data", "/b/data", "/a/data"}) {
            entry.tables.push_back(TableEntry{"billing",
                                              "invoices",
                                              "d132",
                                              std::string(dir) + "/billing/invoices-d132",
                                              {},
                                              std::nullopt,
                                              std::nullopt});
        }
        manifest.nodes.push_back(entry);
    }
    return manifest;
}

Node target(const std::string& host, std::vector<std::string> data_dirs)
{
    Node node{host, "dc1", "rack1", {}, {}, {}};
    node.cassandra.data_dirs = std::move(data_dirs);
    return node;
}

TEST(PairByHostMap, PairsTheMappedEntriesAndLeavesTheOthersUnmatched)
{
    std::vector<Node> nodes{target("10.8.0.2", {"/srv/data"}), target("10.8.0.1", {"/srv/data"})};
    std::vector<std::optional<NodeIdentity>> identities{NodeIdentity{"x", {"999"}}, NodeIdentity{"y", {"100"}}};
    auto pairing = ops::pair_by_host_map(backup(), nodes, identities, {{"10.0.0.1", "10.8.0.1"}});
    ASSERT_TRUE(pairing) << pairing.error().message;
    ASSERT_EQ(pairing->pairs.size(), 1U);
    EXPECT_EQ(pairing->pairs[0].entry, 0U);
    EXPECT_EQ(pairing->pairs[0].node, 1U);
    EXPECT_EQ(pairing->pairs[0].by, PairedBy::host_map);
    EXPECT_FALSE(pairing->pairs[0].tokens_differ);
    EXPECT_EQ(pairing->unmatched_entries, (std::vector<std::size_t>{1}));
    EXPECT_EQ(pairing->unmatched_nodes, (std::vector<std::size_t>{0}));

    auto other_tokens = ops::pair_by_host_map(backup(), nodes, identities, {{"10.0.0.2", "10.8.0.2"}});
    ASSERT_TRUE(other_tokens);
    EXPECT_TRUE(other_tokens->pairs[0].tokens_differ) << "10.8.0.2 owns 999, backup node 10.0.0.2 owned 200";
}

TEST(PairByHostMap, RefusesAMapNamingAHostTheBackupOrTheTargetDoesNotHave)
{
    std::vector<Node> nodes{target("10.8.0.1", {"/srv/data"})};
    auto unknown_source = ops::pair_by_host_map(backup(), nodes, {}, {{"10.0.0.9", "10.8.0.1"}});
    ASSERT_FALSE(unknown_source);
    EXPECT_EQ(unknown_source.error().message, "--host-map names \"10.0.0.9\", which is no node of the backup nightly");
    auto unknown_target = ops::pair_by_host_map(backup(), nodes, {}, {{"10.0.0.1", "10.8.0.7"}});
    ASSERT_FALSE(unknown_target);
    EXPECT_EQ(unknown_target.error().message,
              "--host-map maps 10.0.0.1 to \"10.8.0.7\", which is no node of the target's cluster file");
}

TEST(RelocateEntry, MovesEachDataDirectoryToTheNodesInTurn)
{
    auto entry = backup().nodes[0];
    auto two = ops::relocate_entry(entry, target("10.8.0.1", {"/srv/d1", "/srv/d2"}));
    ASSERT_TRUE(two) << two.error().message;
    EXPECT_EQ(two->tables[0].directory, "/srv/d1/billing/invoices-d132");
    EXPECT_EQ(two->tables[1].directory, "/srv/d2/billing/invoices-d132");
    EXPECT_EQ(two->tables[2].directory, "/srv/d1/billing/invoices-d132") << "the same recorded directory, the same one";
    auto one = ops::relocate_entry(entry, target("10.8.0.1", {"/srv/only"}));
    ASSERT_TRUE(one);
    EXPECT_EQ(one->tables[1].directory, "/srv/only/billing/invoices-d132");

    entry.tables[0].directory = "/a/data/billing/other-d132";
    auto bad = ops::relocate_entry(entry, target("10.8.0.1", {"/srv/d1"}));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::catalog);
    EXPECT_NE(bad.error().message.find("is not <data_dir>/billing/invoices-d132"), std::string::npos);
}

} // namespace pairing_by_map
} // namespace
} // namespace ringsnap
