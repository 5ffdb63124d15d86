// SPDX-License-Identifier: Apache-2.0
// `nodetool listsnapshots` of every version (tests/data/nodetool/listsnapshots-*.txt and the
// verbatim samples of docs/cassandra-behaviour.md §5.1).

#include <ringsnap/nodetool.hpp>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace ringsnap {
namespace {

std::string fixture(const std::string& name)
{
    std::ifstream in(std::string(RINGSNAP_TEST_DATA_DIR) + "/nodetool/" + name, std::ios::binary);
    EXPECT_TRUE(in) << "missing fixture " << name;
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::vector<ListedSnapshot> must_parse(const std::string& out)
{
    auto rows = parse_listsnapshots(out);
    EXPECT_TRUE(rows) << rows.error().message;
    return rows ? *rows : std::vector<ListedSnapshot>{};
}

TEST(Listsnapshots, ThreeElevenAndFourZeroHaveFiveColumns)
{
    for (const char* name : {"listsnapshots-3.11.txt", "listsnapshots-4.0.txt"}) {
        auto rows = must_parse(fixture(name));
        ASSERT_EQ(rows.size(), 4U) << name;
        EXPECT_EQ(rows[0].tag, "nightly-2026-11-23");
        EXPECT_EQ(rows[0].keyspace, "billing");
        EXPECT_EQ(rows[0].table, "invoices");
        EXPECT_EQ(rows[0].true_size, "0 bytes");
        EXPECT_EQ(rows[1].table, "customer_addresses_by_region");
        EXPECT_EQ(rows[3].tag, "pre");
        EXPECT_FALSE(rows[0].created_at);
        EXPECT_FALSE(rows[0].ephemeral);
    }
    EXPECT_EQ(must_parse(fixture("listsnapshots-3.11.txt"))[0].size_on_disk, "1.8 KiB");
}

TEST(Listsnapshots, FourOneAddsCreationAndExpirationTimes)
{
    auto rows = must_parse(fixture("listsnapshots-4.1.txt"));
    ASSERT_EQ(rows.size(), 6U);
    EXPECT_EQ(rows[0].created_at, "2026-11-24T00:33:26.192Z");
    EXPECT_FALSE(rows[0].expires_at) << "no TTL: an empty cell";
    EXPECT_EQ(rows[4].tag, "with-ttl");
    EXPECT_EQ(rows[4].true_size, "1004 bytes");
    EXPECT_EQ(rows[4].expires_at, "2026-11-24T02:33:26.408Z");
    EXPECT_EQ(rows[5].size_on_disk, "1.94 KiB");
}

TEST(Listsnapshots, FiveZeroShowsEphemeralOnlyWhenAsked)
{
    auto plain = must_parse(fixture("listsnapshots-5.0.txt"));
    ASSERT_EQ(plain.size(), 6U);
    EXPECT_FALSE(plain[0].ephemeral);
    auto with_e = must_parse(fixture("listsnapshots-5.0-ephemeral.txt"));
    ASSERT_EQ(with_e.size(), 4U);
    EXPECT_EQ(with_e[0].ephemeral, false);
    EXPECT_FALSE(with_e[0].expires_at);
}

TEST(Listsnapshots, NoSnapshotsIsAnEmptyList)
{
    EXPECT_TRUE(must_parse(fixture("listsnapshots-empty.txt")).empty());
}

TEST(Listsnapshots, TheDocumentedSamplesParse)
{
    // Cassandra's docs (4.0), where the rendering trimmed the trailing spaces.
    auto docs = must_parse("Snapshot Details:\n"
                           "Snapshot name Keyspace name   Column family name True size Size on disk\n"
                           "multi-table   cqlkeyspace     t2                 4.86 KiB  5.67 KiB\n"
                           "catalog-ks    catalogkeyspace journal            4.9 KiB   5.73 KiB\n"
                           "\n"
                           "Total TrueDiskSpaceUsed: 44.02 KiB\n");
    ASSERT_EQ(docs.size(), 2U);
    EXPECT_EQ(docs[1].keyspace, "catalogkeyspace");
    EXPECT_EQ(docs[1].table, "journal");
    EXPECT_EQ(docs[1].true_size, "4.9 KiB");
    // A 4.1/5.0 user's output: the row ends in the padding of an empty expiration time.
    auto user = must_parse("Snapshot Details: \n"
                           "Snapshot name Keyspace name Column family name True size Size on disk Creation time"
                           "            Expiration time\n"
                           "vrbacsnapshot vrabac        users              1.45 KiB  6.67 KiB     "
                           "2025-11-11T18:22:10.361Z     \n");
    ASSERT_EQ(user.size(), 1U);
    EXPECT_EQ(user[0].created_at, "2025-11-11T18:22:10.361Z");
    EXPECT_FALSE(user[0].expires_at);
}

TEST(Listsnapshots, NoiseBeforeTheBannerIsSkipped)
{
    auto rows = must_parse("OpenJDK 64-Bit Server VM warning: Option UseConcMarkSweepGC was deprecated\n" +
                           fixture("listsnapshots-4.0.txt"));
    EXPECT_EQ(rows.size(), 4U);
}

TEST(Listsnapshots, WhatDoesNotFitIsAnErrorQuotingTheLine)
{
    auto no_banner = parse_listsnapshots("nodetool: Failed to connect to '127.0.0.1:7199'\n");
    ASSERT_FALSE(no_banner);
    EXPECT_NE(no_banner.error().message.find("Snapshot Details"), std::string::npos);

    auto bad_header = parse_listsnapshots("Snapshot Details: \nSnapshot name Keyspace name True size\nx y z\n");
    ASSERT_FALSE(bad_header);
    EXPECT_NE(bad_header.error().message.find("unexpected table header"), std::string::npos);

    // A row whose cells straddle the columns is never silently cut into wrong names.
    auto garbled = parse_listsnapshots("Snapshot Details: \n"
                                       "Snapshot name Keyspace name Column family name True size Size on disk\n"
                                       "a-very-long-tag-name billing invoices 0 bytes 1 KiB\n");
    ASSERT_FALSE(garbled);
    EXPECT_NE(garbled.error().message.find("a-very-long-tag-name"), std::string::npos) << garbled.error().message;
    EXPECT_EQ(garbled.error().kind, ErrorKind::parse);

    auto ephemeral = parse_listsnapshots("Snapshot Details: \n"
                                         "Snapshot name Keyspace name Column family name True size Size on disk "
                                         "Creation time Expiration time Ephemeral\n"
                                         "t             ks            tb                 1 KiB     1 KiB        "
                                         "x                             maybe    \n");
    ASSERT_FALSE(ephemeral);
    EXPECT_NE(ephemeral.error().message.find("Ephemeral"), std::string::npos);
}

} // namespace
} // namespace ringsnap
