// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/nodetool.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace ringsnap {
namespace {

std::string read_fixture(const std::string& name)
{
    std::ifstream in(std::string(RINGSNAP_TEST_DATA_DIR) + "/nodetool/" + name, std::ios::binary);
    if (!in) {
        ADD_FAILURE() << "missing fixture " << name;
        return {};
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

Node plain_node()
{
    Node node;
    node.host = "10.0.1.11";
    node.datacenter = "dc1";
    return node;
}

void expect_parse_error_quoting(const Error& error, const std::string& fragment)
{
    EXPECT_EQ(error.kind, ErrorKind::parse);
    EXPECT_NE(error.message.find(fragment), std::string::npos) << error.message;
}

// --- nodetool_command -------------------------------------------------------------------------

TEST(NodetoolCommand, UsesDefaultNodetoolWithoutOptions)
{
    EXPECT_EQ(nodetool_command(plain_node(), {"status"}), "nodetool status");
}

TEST(NodetoolCommand, PutsJmxOptionsBeforeTheSubcommand)
{
    Node node = plain_node();
    node.cassandra.nodetool = "/opt/cassandra/bin/nodetool";
    node.cassandra.jmx_user = "monitor";
    node.cassandra.jmx_password_file = "/etc/cassandra/jmxremote.password";
    EXPECT_EQ(nodetool_command(node, {"snapshot", "-t", "nightly", "--", "billing"}),
              "/opt/cassandra/bin/nodetool -u monitor -pwf /etc/cassandra/jmxremote.password snapshot -t nightly "
              "-- billing");
}

TEST(NodetoolCommand, NeverPutsAPasswordOnTheCommandLine)
{
    Node node = plain_node();
    node.cassandra.jmx_user = "monitor";
    node.cassandra.jmx_password_file = "/etc/cassandra/jmx.pw";
    std::string command = nodetool_command(node, {"status"});
    EXPECT_EQ(command.find("-pw "), std::string::npos);
    EXPECT_NE(command.find("-pwf /etc/cassandra/jmx.pw"), std::string::npos);
}

TEST(NodetoolCommand, QuotesEveryPiece)
{
    Node node = plain_node();
    node.cassandra.nodetool = "/opt/my cassandra/bin/nodetool";
    node.cassandra.jmx_user = "mon'itor";
    node.cassandra.jmx_password_file = "/etc/pass word";
    EXPECT_EQ(nodetool_command(node, {"snapshot", "-t", "a b", "$(reboot)"}),
              "'/opt/my cassandra/bin/nodetool' -u 'mon'\\''itor' -pwf '/etc/pass word' snapshot -t 'a b' "
              "'$(reboot)'");
}

TEST(NodetoolCommand, RunsThroughSudoWhenTheNodeHasASudoUser)
{
    Node node = plain_node();
    node.ssh.sudo = "cassandra";
    EXPECT_EQ(nodetool_command(node, {"status"}), "sudo -n -u cassandra -- sh -c 'nodetool status'");
}

TEST(NodetoolCommand, ComposesSudoJmxAndQuoting)
{
    Node node = plain_node();
    node.ssh.sudo = "cassandra";
    node.cassandra.nodetool = "/usr/bin/nodetool";
    node.cassandra.jmx_user = "monitor";
    node.cassandra.jmx_password_file = "/etc/cassandra/jmx pw";
    EXPECT_EQ(nodetool_command(node, {"flush", "--", "ks"}),
              "sudo -n -u cassandra -- sh -c '/usr/bin/nodetool -u monitor -pwf '\\''/etc/cassandra/jmx pw'\\'' "
              "flush -- ks'");
}

// --- parse_version ----------------------------------------------------------------------------

TEST(ParseVersion, ReadsEverySupportedRelease)
{
    struct Case {
        const char* file;
        int major, minor, patch;
        const char* text;
    };
    for (const Case& c : {Case{"version-3.11.txt", 3, 11, 18, "3.11.18"}, Case{"version-4.0.txt", 4, 0, 13, "4.0.13"},
                          Case{"version-4.1.txt", 4, 1, 6, "4.1.6"},
                          Case{"version-5.0-verbose.txt", 5, 0, 3, "5.0.3"}}) {
        auto version = parse_version(read_fixture(c.file));
        ASSERT_TRUE(version) << c.file << ": " << version.error().message;
        EXPECT_EQ(version->major, c.major) << c.file;
        EXPECT_EQ(version->minor, c.minor) << c.file;
        EXPECT_EQ(version->patch, c.patch) << c.file;
        EXPECT_EQ(version->text, c.text) << c.file;
    }
}

TEST(ParseVersion, AcceptsPreReleaseSuffixesAndMissingPatch)
{
    auto beta = parse_version("ReleaseVersion: 5.0-beta1\n");
    ASSERT_TRUE(beta);
    EXPECT_EQ(beta->major, 5);
    EXPECT_EQ(beta->minor, 0);
    EXPECT_EQ(beta->patch, 0);
    EXPECT_EQ(beta->text, "5.0-beta1");

    auto snapshot = parse_version("ReleaseVersion: 4.1.6-SNAPSHOT\r\n");
    ASSERT_TRUE(snapshot);
    EXPECT_EQ(snapshot->patch, 6);
    EXPECT_EQ(snapshot->text, "4.1.6-SNAPSHOT");

    auto rc = parse_version("ReleaseVersion: 4.0-rc2");  // no final newline
    ASSERT_TRUE(rc);
    EXPECT_EQ(rc->minor, 0);
}

TEST(ParseVersion, SkipsLinesBeforeTheVersion)
{
    auto version = parse_version("Picked up JAVA_TOOL_OPTIONS: -Xss1m\nReleaseVersion: 3.11.18\n");
    ASSERT_TRUE(version);
    EXPECT_EQ(version->minor, 11);
}

TEST(ParseVersion, ComparesWithAtLeast)
{
    auto version = *parse_version("ReleaseVersion: 4.1.6\n");
    EXPECT_TRUE(version.at_least(4, 1));
    EXPECT_TRUE(version.at_least(4, 0));
    EXPECT_TRUE(version.at_least(3, 11));
    EXPECT_FALSE(version.at_least(4, 2));
    EXPECT_FALSE(version.at_least(5, 0));
    auto old = *parse_version("ReleaseVersion: 3.11.18\n");
    EXPECT_FALSE(old.at_least(4, 0));
    EXPECT_TRUE(old.at_least(3, 11));
}

TEST(ParseVersion, RejectsOutputsWithoutAVersion)
{
    auto missing = parse_version("");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::parse);
    EXPECT_EQ(missing.error().message, "nodetool version: no \"ReleaseVersion:\" line in its output");

    for (const char* out : {"ReleaseVersion: \n", "ReleaseVersion: four\n", "ReleaseVersion: 4\n",
                            "ReleaseVersion: 4.x\n", "ReleaseVersion: -4.1\n", "ReleaseVersion: 99999999999.1\n"}) {
        auto version = parse_version(out);
        ASSERT_FALSE(version) << out;
        expect_parse_error_quoting(version.error(), "ReleaseVersion:");
    }
    EXPECT_FALSE(parse_version("nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: "
                               "'Connection refused'.\n"));
}

// --- parse_status -----------------------------------------------------------------------------

TEST(ParseStatus, ReadsCassandra311WhereALongLoadOverflowsItsColumn)
{
    auto rows = parse_status(read_fixture("status-3.11-2dc.txt"));
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 6u);
    const StatusRow& first = (*rows)[0];
    EXPECT_EQ(first.datacenter, "dc1");
    EXPECT_EQ(first.status, 'U');
    EXPECT_EQ(first.state, 'N');
    EXPECT_EQ(first.address, "10.0.1.11");
    EXPECT_EQ(first.load, "103.67 KiB");
    EXPECT_EQ(first.token_count, 256);
    EXPECT_EQ(first.token, "");
    EXPECT_EQ(first.owns, "33.3%");
    EXPECT_EQ(first.host_id, "6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e");
    EXPECT_EQ(first.rack, "rack1");

    EXPECT_EQ((*rows)[2].status, 'D');
    EXPECT_EQ((*rows)[2].load, "1.2 GiB");
    EXPECT_EQ((*rows)[2].owns, "33.4%");
    EXPECT_EQ((*rows)[2].rack, "rack3");

    EXPECT_EQ((*rows)[3].datacenter, "dc2");
    EXPECT_EQ((*rows)[3].load, "5 bytes");
    EXPECT_EQ((*rows)[4].state, 'L');
    EXPECT_EQ((*rows)[4].load, "1023.99 MiB");
    EXPECT_EQ((*rows)[4].host_id, "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d44");
    EXPECT_EQ((*rows)[5].status, '?');
    EXPECT_EQ((*rows)[5].address, "10.0.2.100");
    EXPECT_EQ((*rows)[5].load, "?");
    EXPECT_EQ((*rows)[5].token_count, 256);
}

TEST(ParseStatus, ReadsCassandra311SingleTokenLayoutWithNote)
{
    auto rows = parse_status(read_fixture("status-3.11-single-token.txt"));
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].datacenter, "datacenter1");
    EXPECT_EQ((*rows)[0].token, "-9223372036854775808");
    EXPECT_FALSE((*rows)[0].token_count.has_value());
    EXPECT_EQ((*rows)[0].owns, "?");
    EXPECT_EQ((*rows)[0].load, "103.67 KiB");
    EXPECT_EQ((*rows)[0].host_id, "6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e");
    EXPECT_EQ((*rows)[0].rack, "rack1");
    EXPECT_EQ((*rows)[2].state, 'J');
    EXPECT_EQ((*rows)[2].token, "3074457345618258602");
}

TEST(ParseStatus, ReadsIpv6Addresses)
{
    for (const char* file : {"status-3.11-ipv6.txt", "status-5.0-ipv6.txt"}) {
        auto rows = parse_status(read_fixture(file));
        ASSERT_TRUE(rows) << file << ": " << rows.error().message;
        ASSERT_EQ(rows->size(), 2u) << file;
        EXPECT_EQ((*rows)[0].address, "0:0:0:0:0:0:0:1") << file;
        EXPECT_EQ((*rows)[1].address, "2001:db8:0:0:0:0:0:11") << file;
        EXPECT_EQ((*rows)[1].owns, "100.0%") << file;
        EXPECT_EQ((*rows)[1].rack, "rack1") << file;
    }
}

TEST(ParseStatus, ReadsCassandra40TableWithTrailingSpaces)
{
    std::string out = read_fixture("status-4.0-1dc.txt");
    ASSERT_NE(out.find("Rack \n"), std::string::npos) << "the fixture keeps TableBuilder's padding";
    auto rows = parse_status(out);
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].load, "96.55 KiB");
    EXPECT_EQ((*rows)[0].token_count, 16);
    EXPECT_EQ((*rows)[0].owns, "100.0%");
    EXPECT_EQ((*rows)[0].rack, "rack1");
    EXPECT_EQ((*rows)[1].load, "103.67 KiB");
    EXPECT_EQ((*rows)[2].address, "127.0.0.3");
}

TEST(ParseStatus, ReadsCassandra40SingleTokenLayout)
{
    auto rows = parse_status(read_fixture("status-4.0-single-token.txt"));
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[0].token, "-9223372036854775808");
    EXPECT_EQ((*rows)[0].rack, "r1");
    EXPECT_EQ((*rows)[1].status, 'D');
    EXPECT_EQ((*rows)[1].load, "?");
    EXPECT_EQ((*rows)[1].owns, "66.7%");
    EXPECT_EQ((*rows)[1].token, "-3074457345618258603");
    EXPECT_FALSE((*rows)[1].token_count.has_value());
}

TEST(ParseStatus, ReadsCassandra41DataCentersSeparatedByBlankLines)
{
    auto rows = parse_status(read_fixture("status-4.1-2dc.txt"));
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 6u);
    EXPECT_EQ((*rows)[0].datacenter, "dc1");
    EXPECT_EQ((*rows)[0].rack, "rack1");  // padded to "us-east-1a"'s width in the output
    EXPECT_EQ((*rows)[0].owns, "?");
    EXPECT_EQ((*rows)[3].datacenter, "dc2");
    EXPECT_EQ((*rows)[3].rack, "us-east-1a");
    EXPECT_EQ((*rows)[3].load, "2.5 GiB");
    EXPECT_EQ((*rows)[4].status, 'D');
    EXPECT_EQ((*rows)[4].load, "?");
    EXPECT_EQ((*rows)[5].state, 'M');
    EXPECT_EQ((*rows)[5].load, "512 bytes");
}

TEST(ParseStatus, ReadsCassandra50TwoDataCenters)
{
    auto rows = parse_status(read_fixture("status-5.0-2dc.txt"));
    ASSERT_TRUE(rows) << rows.error().message;
    ASSERT_EQ(rows->size(), 6u);
    for (std::size_t i = 0; i < rows->size(); ++i) {
        EXPECT_EQ((*rows)[i].datacenter, i < 3 ? "dc1" : "dc2");
        EXPECT_EQ((*rows)[i].status, 'U');
        EXPECT_EQ((*rows)[i].state, 'N');
        EXPECT_EQ((*rows)[i].token_count, 16);
        EXPECT_EQ((*rows)[i].owns, "100.0%");
    }
    EXPECT_EQ((*rows)[5].address, "10.0.2.13");
    EXPECT_EQ((*rows)[5].host_id, "c0ffee00-dead-4bee-8f00-123456789a55");
    EXPECT_EQ((*rows)[5].load, "1.1 MiB");
}

TEST(ParseStatus, AcceptsCarriageReturnsAndLeadingNoise)
{
    std::string out = "Picked up JAVA_TOOL_OPTIONS: -Xss1m\n" + read_fixture("status-4.0-1dc.txt");
    std::string crlf;
    for (char c : out) {
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    }
    auto rows = parse_status(crlf);
    ASSERT_TRUE(rows) << rows.error().message;
    EXPECT_EQ(rows->size(), 3u);
    EXPECT_EQ((*rows)[2].rack, "rack1");
}

TEST(ParseStatus, AcceptsLocaleDecimalCommas)
{
    auto rows = parse_status("Datacenter: dc1\n"
                             "===============\n"
                             "--  Address    Load       Tokens  Owns (effective)  Host ID                               Rack\n"
                             "UN  10.0.0.1   96,55 KiB  16      33,3%             6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  r1\n");
    ASSERT_TRUE(rows) << rows.error().message;
    EXPECT_EQ((*rows)[0].load, "96,55 KiB");
    EXPECT_EQ((*rows)[0].owns, "33,3%");
}

TEST(ParseStatus, RejectsEmptyOutput)
{
    for (const char* out : {"", "\n\n", "Datacenter: dc1\n===============\nStatus=Up/Down\n"}) {
        auto rows = parse_status(out);
        ASSERT_FALSE(rows);
        EXPECT_EQ(rows.error().kind, ErrorKind::parse);
        EXPECT_EQ(rows.error().message, "nodetool status: no node in its output");
    }
}

TEST(ParseStatus, RejectsTheKeyspaceErrorItPrints)
{
    auto rows = parse_status("\nError: The keyspace foo, does not exist\n");
    ASSERT_FALSE(rows);
    expect_parse_error_quoting(rows.error(), "\"Error: The keyspace foo, does not exist\"");
}

const char* const k_header_40 =
    "Datacenter: dc1\n"
    "===============\n"
    "Status=Up/Down\n"
    "|/ State=Normal/Leaving/Joining/Moving\n"
    "--  Address    Load       Tokens  Owns (effective)  Host ID                               Rack\n";

TEST(ParseStatus, RejectsMalformedRowsQuotingThem)
{
    struct Case {
        const char* row;
        const char* why;
    };
    for (const Case& c : {
             Case{"XN  10.0.0.1  96.55 KiB  16  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1", "status and state"},
             Case{"UX  10.0.0.1  96.55 KiB  16  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1", "status and state"},
             Case{"UN  10.0.0.1  96.55 furlongs  16  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1", "load"},
             Case{"UN  10.0.0.1  lots KiB  16  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1", "load"},
             Case{"UN  10.0.0.1  96.55 KiB  many  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1", "token count"},
             Case{"UN  10.0.0.1  96.55 KiB  16  all  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1", "ownership"},
             Case{"UN  10.0.0.1  96.55 KiB  16  100.0%  not-a-host-id  rack1", "host ID"},
             Case{"UN  10.0.0.1  96.55 KiB  16", "too few columns"},
             Case{"UN  10.0.0.1  96.55 KiB", "too few columns"},
             Case{"garbage", "too few columns"},
             Case{"U", "too few columns"},
         }) {
        auto rows = parse_status(std::string(k_header_40) + c.row + "\n");
        ASSERT_FALSE(rows) << c.row;
        expect_parse_error_quoting(rows.error(), c.why);
        expect_parse_error_quoting(rows.error(), std::string("\"") + c.row + "\"");
    }
}

TEST(ParseStatus, RejectsRowsBeforeTheHeader)
{
    auto rows = parse_status("Datacenter: dc1\n===============\n"
                             "UN  10.0.0.1  96.55 KiB  16  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1\n");
    ASSERT_FALSE(rows);
    expect_parse_error_quoting(rows.error(), "before the table header");
}

TEST(ParseStatus, RejectsAnUnknownHeader)
{
    auto rows = parse_status("Datacenter: dc1\n===============\n--  Address  Load  Owns  Host ID  Rack\n");
    ASSERT_FALSE(rows);
    expect_parse_error_quoting(rows.error(), "unexpected table header: \"--  Address  Load  Owns  Host ID  Rack\"");
}

TEST(ParseStatus, RejectsAHeaderThatDoesNotMatchItsRows)
{
    // A single-token header over vnode rows: the host ID sits where the token count is expected.
    auto rows = parse_status("Datacenter: dc1\n===============\n"
                             "--  Address    Load       Owns (effective)  Host ID  Token  Rack\n"
                             "UN  10.0.0.1  96.55 KiB  16  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1\n");
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().kind, ErrorKind::parse);
}

TEST(ParseStatus, RejectsADataCenterWithoutName)
{
    auto rows = parse_status("Datacenter: \n");
    ASSERT_FALSE(rows);
    expect_parse_error_quoting(rows.error(), "no data center name");
}

// --- parse_info -------------------------------------------------------------------------------

TEST(ParseInfo, ReadsCassandra311WithItsThriftLine)
{
    auto info = parse_info(read_fixture("info-3.11.txt"));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->host_id, "6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e");
    EXPECT_TRUE(info->gossip_active);
    EXPECT_TRUE(info->native_transport_active);
    EXPECT_EQ(info->load, "103.67 KiB");
    EXPECT_EQ(info->generation, 1732395600);
    EXPECT_EQ(info->uptime_seconds, 86523);
    EXPECT_EQ(info->datacenter, "dc1");
    EXPECT_EQ(info->rack, "rack1");
}

TEST(ParseInfo, ReadsCassandra40And41)
{
    auto v40 = parse_info(read_fixture("info-4.0.txt"));
    ASSERT_TRUE(v40) << v40.error().message;
    EXPECT_EQ(v40->host_id, "0b1f3a52-7c44-4e0e-8d43-2a6f0e9d1c11");
    EXPECT_TRUE(v40->gossip_active);
    EXPECT_FALSE(v40->native_transport_active);
    EXPECT_EQ(v40->uptime_seconds, 12);
    EXPECT_EQ(v40->generation, 1732395601);

    auto v41 = parse_info(read_fixture("info-4.1.txt"));
    ASSERT_TRUE(v41) << v41.error().message;
    EXPECT_FALSE(v41->gossip_active);
    EXPECT_FALSE(v41->native_transport_active);
    EXPECT_EQ(v41->load, "1.02 MiB");
    EXPECT_EQ(v41->uptime_seconds, 3600);
}

TEST(ParseInfo, ReadsCassandra50WithItsExtraLines)
{
    auto info = parse_info(read_fixture("info-5.0.txt"));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->host_id, "d9e8f7a6-b5c4-4d3e-8f2a-1b0c9d8e7f33");
    EXPECT_EQ(info->load, "211.45 KiB");  // not the "Uncompressed load" line
    EXPECT_EQ(info->generation, 1732395603);
    EXPECT_EQ(info->uptime_seconds, 4242);
    EXPECT_EQ(info->datacenter, "dc1");
    EXPECT_EQ(info->rack, "rack1");
}

TEST(ParseInfo, ReadsASingleTokenNode)
{
    auto info = parse_info(read_fixture("info-4.0-single-token.txt"));
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->uptime_seconds, 77);
    EXPECT_EQ(info->rack, "rack1");
}

TEST(ParseInfo, RequiresIdDataCenterAndRack)
{
    auto empty = parse_info("");
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().kind, ErrorKind::parse);
    EXPECT_EQ(empty.error().message, "nodetool info: no ID, Data Center, Rack line in its output");

    auto no_rack = parse_info("ID                     : 6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e\n"
                              "Data Center            : dc1\n");
    ASSERT_FALSE(no_rack);
    EXPECT_EQ(no_rack.error().message, "nodetool info: no Rack line in its output");
}

TEST(ParseInfo, RejectsMalformedValuesQuotingTheLine)
{
    std::string valid = read_fixture("info-4.0.txt");
    struct Case {
        const char* from;
        const char* to;
        const char* why;
    };
    for (const Case& c : {Case{"0b1f3a52-7c44-4e0e-8d43-2a6f0e9d1c11", "0b1f3a52", "host ID"},
                          Case{"Gossip active          : true", "Gossip active          : maybe", "true or false"},
                          Case{"Native Transport active: false", "Native Transport active: no", "true or false"},
                          Case{"Uptime (seconds)       : 12", "Uptime (seconds)       : twelve", "whole number"},
                          Case{"Generation No          : 1732395601", "Generation No          : -", "whole number"}}) {
        std::string out = valid;
        auto at = out.find(c.from);
        ASSERT_NE(at, std::string::npos) << c.from;
        out.replace(at, std::string(c.from).size(), c.to);
        auto info = parse_info(out);
        ASSERT_FALSE(info) << c.to;
        expect_parse_error_quoting(info.error(), c.why);
        expect_parse_error_quoting(info.error(), c.to);
    }
}

} // namespace
} // namespace ringsnap
