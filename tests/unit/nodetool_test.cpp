// SPDX-License-Identifier: Apache-2.0
// nodetool command lines and the parsers of its outputs. The outputs under tests/data/nodetool
// are byte-exact (trailing spaces, blank lines, overflowing columns); see the README there.

#include <ringsnap/nodetool.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <ringsnap/shell.hpp>

#include "support/child_process.hpp"

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

// The host IDs the fixtures use, in the order they appear.
const char* const k_id1 = "6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e";
const char* const k_id2 = "0b1f3a52-7c44-4e0e-8d43-2a6f0e9d1c11";
const char* const k_id3 = "a4c2e8d0-15b3-4f6a-9e27-3d8b5c1f0e22";
const char* const k_id4 = "d9e8f7a6-b5c4-4d3e-8f2a-1b0c9d8e7f33";
const char* const k_id5 = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d44";
const char* const k_id6 = "c0ffee00-dead-4bee-8f00-123456789a55";

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

TEST(NodetoolCommand, PutsOnlyTheUserWhenThereIsNoPasswordFile)
{
    // The cluster file refuses this pair half-set; the command line still never invents a flag.
    Node node = plain_node();
    node.cassandra.jmx_user = "monitor";
    EXPECT_EQ(nodetool_command(node, {"info"}), "nodetool -u monitor info");
}

// A stand-in nodetool at a path that needs quoting: it prints each argument it got in brackets.
class HostileNodetoolPath : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_dir = std::filesystem::temp_directory_path() / ("ringsnap-nodetool-test-" + std::to_string(getpid()));
        std::filesystem::create_directories(m_dir / "it's a $(dir)");
        m_program = m_dir / "it's a $(dir)" / "node tool;`x`";
        std::ofstream(m_program) << "#!/bin/sh\nprintf '[%s]' \"$@\"\n";
        chmod(m_program.c_str(), 0755);
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    Node node() const
    {
        Node node = plain_node();
        node.cassandra.nodetool = m_program.string();
        node.cassandra.jmx_user = "monitor";
        node.cassandra.jmx_password_file = "/etc/cassandra/jmx pw";
        return node;
    }

    static std::string run(const std::string& script)
    {
        auto result = testing::run_process({"/bin/sh", "-c", script});
        EXPECT_EQ(result.exit_code, 0) << script << "\n" << result.err;
        return result.out;
    }

    std::filesystem::path m_dir;
    std::filesystem::path m_program;
};

TEST_F(HostileNodetoolPath, QuotesTheProgramPath)
{
    EXPECT_EQ(nodetool_command(node(), {"status"}),
              "'" + m_dir.string() +
                  "/it'\\''s a $(dir)/node tool;`x`' -u monitor -pwf '/etc/cassandra/jmx pw' status");
}

TEST_F(HostileNodetoolPath, RunsWithEveryArgumentIntactInARealShell)
{
    EXPECT_EQ(run(nodetool_command(node(), {"snapshot", "-t", "it's a tag", "--", "billing"})),
              "[-u][monitor][-pwf][/etc/cassandra/jmx pw][snapshot][-t][it's a tag][--][billing]");
}

TEST_F(HostileNodetoolPath, RunsWithEveryArgumentIntactThroughSudo)
{
    // A shell function stands in for sudo: it checks its options and runs what follows `--`.
    const std::string fake_sudo = "sudo() { [ \"$1 $2 $3 $4\" = '-n -u cassandra --' ] || exit 9; shift 4; \"$@\"; }; ";
    Node sudo_node = node();
    sudo_node.ssh.sudo = "cassandra";
    std::string command = nodetool_command(sudo_node, {"flush", "--", "ks"});
    EXPECT_EQ(command.rfind("sudo -n -u cassandra -- sh -c ", 0), 0u) << command;
    EXPECT_EQ(run(fake_sudo + command), "[-u][monitor][-pwf][/etc/cassandra/jmx pw][flush][--][ks]");
}

// --- parse_version ----------------------------------------------------------------------------

TEST(ParseVersion, ReadsEverySupportedRelease)
{
    struct Case
    {
        const char* file;
        int major, minor, patch;
        const char* text;
    };
    for (const Case& c :
         {Case{"version-3.11.txt", 3, 11, 18, "3.11.18"}, Case{"version-4.0.txt", 4, 0, 13, "4.0.13"},
          Case{"version-4.1.txt", 4, 1, 6, "4.1.6"}, Case{"version-5.0.txt", 5, 0, 3, "5.0.3"},
          Case{"version-5.0-verbose.txt", 5, 0, 3, "5.0.3"}, Case{"version-5.0-beta1.txt", 5, 0, 0, "5.0-beta1"}}) {
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

    auto rc = parse_version("ReleaseVersion: 4.0-rc2"); // no final newline
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

// A row of the vnode layout (Tokens column) and of the one-token layout (Token column).
StatusRow vnode_row(const char* dc, const char* flags, const char* address, const char* load, int tokens,
                    const char* owns, const char* host_id, const char* rack)
{
    return StatusRow{dc, flags[0], flags[1], address, load, tokens, "", owns, host_id, rack};
}

StatusRow token_row(const char* dc, const char* flags, const char* address, const char* load, const char* token,
                    const char* owns, const char* host_id, const char* rack)
{
    return StatusRow{dc, flags[0], flags[1], address, load, std::nullopt, token, owns, host_id, rack};
}

// Every field of every row, in output order.
void expect_rows(const std::string& fixture, const std::vector<StatusRow>& want)
{
    auto got = parse_status(read_fixture(fixture));
    ASSERT_TRUE(got) << fixture << ": " << got.error().message;
    ASSERT_EQ(got->size(), want.size()) << fixture;
    for (std::size_t i = 0; i < want.size(); ++i) {
        SCOPED_TRACE(fixture + " row " + std::to_string(i));
        const StatusRow& row = (*got)[i];
        EXPECT_EQ(row.datacenter, want[i].datacenter);
        EXPECT_EQ(row.status, want[i].status);
        EXPECT_EQ(row.state, want[i].state);
        EXPECT_EQ(row.address, want[i].address);
        EXPECT_EQ(row.load, want[i].load);
        EXPECT_EQ(row.token_count, want[i].token_count);
        EXPECT_EQ(row.token, want[i].token);
        EXPECT_EQ(row.owns, want[i].owns);
        EXPECT_EQ(row.host_id, want[i].host_id);
        EXPECT_EQ(row.rack, want[i].rack);
    }
}

TEST(ParseStatus, FixturesKeepTheLayoutCassandraPrints)
{
    // Guards the fixtures against editors that trim trailing spaces or re-align columns: each
    // line below is what the format of its version prints (cassandra-behaviour.md §8.1).
    struct Case
    {
        const char* fixture;
        std::string line;
    };
    for (const Case& c : {
             // 3.11 printf: "103.67 KiB" overflows %-9s and pushes the rest of its line right.
             Case{"status-3.11-2dc.txt",
                  std::string("\nUN  10.0.1.11   103.67 KiB  256          33.3%             ") + k_id1 + "  rack1\n"},
             Case{"status-3.11-2dc.txt", "\n?N  10.0.2.100  ?          256          33.4%             "},
             // 3.11: no blank line between data centers, one after the last.
             Case{"status-3.11-2dc.txt", "rack3\nDatacenter: dc2\n"},
             Case{"status-3.11-single-token.txt", "--  Address    Load       Owns    Host ID  "},
             Case{"status-3.11-single-token.txt",
                  "rack1\n\nNote: Non-system keyspaces don't have the same replication settings, effective "
                  "ownership information is meaningless\n"},
             // 4.0+ TableBuilder: the last column is padded too, widths are shared by the data centers.
             Case{"status-4.0-2dc.txt", "Rack  \nUN  10.0.1.11   96.55 KiB    16      33.3%  "},
             Case{"status-4.0-2dc.txt", "r3    \n\nDatacenter: dc2\n"},
             Case{"status-4.1-2dc.txt", "rack1     \n"},
             Case{"status-4.1-one-token.txt", "Host ID                               Token                 Rack \n"},
             Case{"status-5.0-down-node.txt", "\nDN  127.0.0.2  ?           16      ?     "},
         }) {
        EXPECT_NE(read_fixture(c.fixture).find(c.line), std::string::npos) << c.fixture << ": " << c.line;
    }
}

TEST(ParseStatus, ReadsCassandra311WhereALongLoadOverflowsItsColumn)
{
    expect_rows("status-3.11-2dc.txt",
                {
                    vnode_row("dc1", "UN", "10.0.1.11", "103.67 KiB", 256, "33.3%", k_id1, "rack1"),
                    vnode_row("dc1", "UN", "10.0.1.12", "96.55 KiB", 256, "33.3%", k_id2, "rack2"),
                    vnode_row("dc1", "DN", "10.0.1.13", "1.2 GiB", 256, "33.4%", k_id3, "rack3"),
                    vnode_row("dc2", "UN", "10.0.2.11", "5 bytes", 256, "33.3%", k_id4, "rack1"),
                    vnode_row("dc2", "UL", "10.0.2.12", "1023.99 MiB", 256, "33.3%", k_id5, "rack1"),
                    vnode_row("dc2", "?N", "10.0.2.100", "?", 256, "33.4%", k_id6, "rack1"),
                });
}

TEST(ParseStatus, ReadsCassandra311SingleTokenLayoutWithNote)
{
    expect_rows(
        "status-3.11-single-token.txt",
        {
            token_row("datacenter1", "UN", "127.0.0.1", "103.67 KiB", "-9223372036854775808", "?", k_id1, "rack1"),
            token_row("datacenter1", "UN", "127.0.0.2", "96.55 KiB", "-3074457345618258603", "?", k_id2, "rack1"),
            token_row("datacenter1", "UJ", "127.0.0.3", "1.15 MiB", "3074457345618258602", "?", k_id3, "rack1"),
        });
}

TEST(ParseStatus, ReadsIpv6Addresses)
{
    expect_rows("status-3.11-ipv6.txt",
                {
                    vnode_row("datacenter1", "UN", "0:0:0:0:0:0:0:1", "103.67 KiB", 256, "100.0%", k_id1, "rack1"),
                    vnode_row("datacenter1", "UN", "2001:db8:0:0:0:0:0:11", "96.55 KiB", 256, "100.0%", k_id2, "rack1"),
                });
    expect_rows("status-5.0-ipv6.txt",
                {
                    vnode_row("datacenter1", "UN", "0:0:0:0:0:0:0:1", "96.55 KiB", 16, "100.0%", k_id1, "rack1"),
                    vnode_row("datacenter1", "UN", "2001:db8:0:0:0:0:0:11", "103.67 KiB", 16, "100.0%", k_id2, "rack1"),
                });
}

TEST(ParseStatus, ReadsCassandra40TableWithTrailingSpaces)
{
    ASSERT_NE(read_fixture("status-4.0-1dc.txt").find("Rack \n"), std::string::npos)
        << "the fixture keeps TableBuilder's padding";
    expect_rows("status-4.0-1dc.txt",
                {
                    vnode_row("datacenter1", "UN", "127.0.0.1", "96.55 KiB", 16, "100.0%", k_id1, "rack1"),
                    vnode_row("datacenter1", "UN", "127.0.0.2", "103.67 KiB", 16, "100.0%", k_id2, "rack1"),
                    vnode_row("datacenter1", "UN", "127.0.0.3", "1.02 MiB", 16, "100.0%", k_id3, "rack1"),
                });
}

TEST(ParseStatus, ReadsCassandra40WidthsSharedByTwoDataCenters)
{
    expect_rows("status-4.0-2dc.txt",
                {
                    vnode_row("dc1", "UN", "10.0.1.11", "96.55 KiB", 16, "33.3%", k_id1, "r1"),
                    vnode_row("dc1", "UN", "10.0.1.12", "103.67 KiB", 16, "33.3%", k_id2, "r2"),
                    vnode_row("dc1", "UL", "10.0.1.13", "88 bytes", 16, "33.4%", k_id3, "r3"),
                    vnode_row("dc2", "UN", "10.0.2.100", "1023.99 MiB", 16, "33.3%", k_id4, "rack-a"),
                    vnode_row("dc2", "UJ", "10.0.2.101", "0 bytes", 16, "33.3%", k_id5, "rack-b"),
                    vnode_row("dc2", "UN", "10.0.2.102", "4.01 GiB", 16, "33.4%", k_id6, "rack-c"),
                });
}

TEST(ParseStatus, ReadsCassandra40SingleTokenLayout)
{
    expect_rows("status-4.0-single-token.txt",
                {
                    token_row("dc1", "UN", "10.0.1.11", "96.55 KiB", "-9223372036854775808", "66.7%", k_id1, "r1"),
                    token_row("dc1", "DN", "10.0.1.12", "?", "-3074457345618258603", "66.7%", k_id2, "r1"),
                    token_row("dc1", "UN", "10.0.1.13", "103.67 KiB", "3074457345618258602", "66.7%", k_id3, "r1"),
                });
}

TEST(ParseStatus, ReadsCassandra41DataCentersSeparatedByBlankLines)
{
    expect_rows("status-4.1-2dc.txt",
                {
                    vnode_row("dc1", "UN", "10.0.1.11", "96.55 KiB", 16, "?", k_id1, "rack1"),
                    vnode_row("dc1", "UN", "10.0.1.12", "103.67 KiB", 16, "?", k_id2, "rack2"),
                    vnode_row("dc1", "UN", "10.0.1.13", "1.02 MiB", 16, "?", k_id3, "rack3"),
                    vnode_row("dc2", "UN", "10.0.2.11", "2.5 GiB", 16, "?", k_id4, "us-east-1a"),
                    vnode_row("dc2", "DN", "10.0.2.12", "?", 16, "?", k_id5, "us-east-1b"),
                    vnode_row("dc2", "UM", "10.0.2.13", "512 bytes", 16, "?", k_id6, "us-east-1c"),
                });
}

TEST(ParseStatus, ReadsCassandra41OneTokenPerNodeInTwoDataCenters)
{
    expect_rows("status-4.1-one-token.txt",
                {
                    token_row("dc1", "UN", "10.0.1.11", "96.55 KiB", "-9223372036854775808", "33.3%", k_id1, "rack1"),
                    token_row("dc1", "UN", "10.0.1.12", "103.67 KiB", "-3074457345618258603", "33.3%", k_id2, "rack1"),
                    token_row("dc1", "UN", "10.0.1.13", "1.02 MiB", "3074457345618258602", "33.4%", k_id3, "rack1"),
                    token_row("dc2", "UN", "10.0.2.11", "97.1 KiB", "-9223372036854775708", "33.3%", k_id4, "rack1"),
                    token_row("dc2", "DN", "10.0.2.12", "?", "-3074457345618258503", "33.3%", k_id5, "rack1"),
                    token_row("dc2", "UN", "10.0.2.13", "99.99 KiB", "3074457345618258702", "33.4%", k_id6, "rack1"),
                });
}

TEST(ParseStatus, ReadsCassandra50TwoDataCenters)
{
    expect_rows("status-5.0-2dc.txt",
                {
                    vnode_row("dc1", "UN", "10.0.1.11", "211.45 KiB", 16, "100.0%", k_id1, "rack1"),
                    vnode_row("dc1", "UN", "10.0.1.12", "198.2 KiB", 16, "100.0%", k_id2, "rack1"),
                    vnode_row("dc1", "UN", "10.0.1.13", "205.77 KiB", 16, "100.0%", k_id3, "rack1"),
                    vnode_row("dc2", "UN", "10.0.2.11", "189.03 KiB", 16, "100.0%", k_id4, "rack1"),
                    vnode_row("dc2", "UN", "10.0.2.12", "202.9 KiB", 16, "100.0%", k_id5, "rack1"),
                    vnode_row("dc2", "UN", "10.0.2.13", "1.1 MiB", 16, "100.0%", k_id6, "rack1"),
                });
}

TEST(ParseStatus, ReadsCassandra50DownAndUnknownNodes)
{
    expect_rows("status-5.0-down-node.txt",
                {
                    vnode_row("datacenter1", "UN", "127.0.0.1", "211.45 KiB", 16, "?", k_id1, "rack1"),
                    vnode_row("datacenter1", "DN", "127.0.0.2", "?", 16, "?", k_id2, "rack1"),
                    vnode_row("datacenter1", "DN", "127.0.0.3", "198.2 KiB", 16, "?", k_id3, "rack2"),
                    vnode_row("datacenter1", "?N", "127.0.0.4", "?", 16, "?", k_id4, "rack2"),
                });
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
    auto rows =
        parse_status("Datacenter: dc1\n"
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
    struct Case
    {
        const char* row;
        const char* why;
    };
    for (const Case& c : {
             Case{"XN  10.0.0.1  96.55 KiB  16  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1",
                  "status and state"},
             Case{"UX  10.0.0.1  96.55 KiB  16  100.0%  6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e  rack1",
                  "status and state"},
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

TEST(ParseStatus, QuotesTheWholeOffendingLineOfARealOutput)
{
    // The last row of a 4.1 output cut short in its host ID, as a broken pipe would leave it.
    std::string out = read_fixture("status-4.1-2dc.txt");
    std::string row = std::string("UM  10.0.2.13  512 bytes   16      ?     ") + k_id6 + "  us-east-1c";
    auto at = out.find(row);
    ASSERT_NE(at, std::string::npos);
    out.replace(at, row.size(), "UM  10.0.2.13  512 bytes   16      ?     c0ffee00-dead");
    auto rows = parse_status(out);
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().kind, ErrorKind::parse);
    EXPECT_EQ(rows.error().message,
              "nodetool status: expected a host ID (a UUID) in row: \"UM  10.0.2.13  512 bytes   16      ?     "
              "c0ffee00-dead\"");
}

TEST(ParseStatus, RejectsAConnectionFailureItPrints)
{
    auto rows = parse_status("nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection "
                             "refused'.\n");
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().kind, ErrorKind::parse);
    EXPECT_EQ(rows.error().message, "nodetool status: the command reported: \"nodetool: Failed to connect to "
                                    "'127.0.0.1:7199' - ConnectException: 'Connection refused'.\"");
}

// --- parse_info -------------------------------------------------------------------------------

// Every field parse_info fills.
void expect_info(const std::string& fixture, const NodeInfo& want)
{
    auto got = parse_info(read_fixture(fixture));
    ASSERT_TRUE(got) << fixture << ": " << got.error().message;
    SCOPED_TRACE(fixture);
    EXPECT_EQ(got->host_id, want.host_id);
    EXPECT_EQ(got->gossip_active, want.gossip_active);
    EXPECT_EQ(got->native_transport_active, want.native_transport_active);
    EXPECT_EQ(got->load, want.load);
    EXPECT_EQ(got->generation, want.generation);
    EXPECT_EQ(got->uptime_seconds, want.uptime_seconds);
    EXPECT_EQ(got->datacenter, want.datacenter);
    EXPECT_EQ(got->rack, want.rack);
    EXPECT_EQ(got->tokens, want.tokens);
}

TEST(ParseInfo, ReadsCassandra311WithItsThriftLine)
{
    expect_info("info-3.11.txt", NodeInfo{.host_id = k_id1,
                                          .gossip_active = true,
                                          .native_transport_active = true,
                                          .load = "103.67 KiB",
                                          .generation = 1732395600,
                                          .uptime_seconds = 86523,
                                          .datacenter = "dc1",
                                          .rack = "rack1",
                                          .tokens = {}});
}

TEST(ParseInfo, ReadsCassandra40)
{
    expect_info("info-4.0.txt", NodeInfo{.host_id = k_id2,
                                         .gossip_active = true,
                                         .native_transport_active = false,
                                         .load = "96.55 KiB",
                                         .generation = 1732395601,
                                         .uptime_seconds = 12,
                                         .datacenter = "dc1",
                                         .rack = "rack1",
                                         .tokens = {}});
}

TEST(ParseInfo, ReadsCassandra41)
{
    expect_info("info-4.1.txt", NodeInfo{.host_id = k_id3,
                                         .gossip_active = false,
                                         .native_transport_active = false,
                                         .load = "1.02 MiB",
                                         .generation = 1732395602,
                                         .uptime_seconds = 3600,
                                         .datacenter = "dc1",
                                         .rack = "rack1",
                                         .tokens = {}});
}

TEST(ParseInfo, ReadsCassandra50WithItsExtraLines)
{
    // Load, not the "Uncompressed load" line that follows it.
    expect_info("info-5.0.txt", NodeInfo{.host_id = k_id4,
                                         .gossip_active = true,
                                         .native_transport_active = true,
                                         .load = "211.45 KiB",
                                         .generation = 1732395603,
                                         .uptime_seconds = 4242,
                                         .datacenter = "dc1",
                                         .rack = "rack1",
                                         .tokens = {}});
}

TEST(ParseInfo, ReadsTheTokenOfASingleTokenNode)
{
    expect_info("info-4.0-single-token.txt", NodeInfo{.host_id = k_id5,
                                                      .gossip_active = true,
                                                      .native_transport_active = true,
                                                      .load = "96.55 KiB",
                                                      .generation = 1732395604,
                                                      .uptime_seconds = 77,
                                                      .datacenter = "dc1",
                                                      .rack = "rack1",
                                                      .tokens = {"-9223372036854775808"}});
}

TEST(ParseInfo, ReadsEveryTokenLineOfInfoDashT)
{
    std::string out = read_fixture("info-4.1.txt");
    const std::string note = "Token                  : (invoke with -T/--tokens to see all 16 tokens)\n";
    auto at = out.find(note);
    ASSERT_NE(at, std::string::npos);
    out.replace(at, note.size(),
                "Token                  : -9223372036854775808\n"
                "Token                  : -3074457345618258603\n"
                "Token                  : 3074457345618258602\n");
    auto info = parse_info(out);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->tokens,
              (std::vector<std::string>{"-9223372036854775808", "-3074457345618258603", "3074457345618258602"}));
    EXPECT_EQ(info->rack, "rack1");
}

TEST(ParseInfo, ReadsNoTokenFromANodeNotJoined)
{
    std::string out = read_fixture("info-4.1.txt");
    const std::string from = "(invoke with -T/--tokens to see all 16 tokens)";
    out.replace(out.find(from), from.size(), "(node is not joined to the cluster)");
    auto info = parse_info(out);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_TRUE(info->tokens.empty());
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
    struct Case
    {
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

namespace ringsnap {
namespace {

// The value, or nothing for an error, so EXPECT_EQ can compare it.
std::optional<bool> value_of(const Result<bool>& result)
{
    return result ? std::optional<bool>(*result) : std::nullopt;
}

TEST(NodetoolStatusbackup, ReadsRunningOrNotRunningAndNothingElse)
{
    EXPECT_EQ(value_of(parse_statusbackup("running\n")), true);
    EXPECT_EQ(value_of(parse_statusbackup("not running\n")), false);
    EXPECT_EQ(value_of(parse_statusbackup("OpenJDK 64-Bit Server VM warning: ...\nrunning\n\n")), true);
    auto garbled = parse_statusbackup("nodetool: Failed to connect\n");
    ASSERT_FALSE(garbled);
    EXPECT_EQ(garbled.error().kind, ErrorKind::parse);
    EXPECT_NE(garbled.error().message.find("Failed to connect"), std::string::npos);
}

// --- parse_gossipinfo -------------------------------------------------------------------------

std::string release_of(const GossipEndpoint& endpoint)
{
    return endpoint.release ? endpoint.release->text : "";
}

TEST(ParseGossipinfo, A311NodeReadsItsPeersAndA40PeersUnknownStates)
{
    auto endpoints = parse_gossipinfo(read_fixture("gossipinfo-3.11.txt"));
    ASSERT_TRUE(endpoints) << endpoints.error().message;
    ASSERT_EQ(endpoints->size(), 3U);
    const auto& peer = (*endpoints)[0];
    EXPECT_EQ(peer.address, "127.0.1.2");
    EXPECT_EQ(peer.host_id, "8a1c4f02-51d7-4c3e-9a64-0f3b2d7e5c11");
    EXPECT_EQ(release_of(peer), "3.11.17");
    EXPECT_EQ(peer.status, "NORMAL");
    EXPECT_EQ(peer.datacenter, "dc1");
    EXPECT_EQ(peer.rack, "rack2");
    EXPECT_EQ(peer.generation, 1737140801);
    const auto& newer = (*endpoints)[2];
    EXPECT_EQ(newer.address, "127.0.2.1");
    ASSERT_TRUE(newer.release);
    EXPECT_TRUE(newer.release->at_least(4, 0));
    EXPECT_EQ(newer.release->patch, 13);
    EXPECT_EQ(newer.status, "NORMAL") << "X3 is STATUS_WITH_PORT to a 3.11 node: the legacy STATUS tells";
}

TEST(ParseGossipinfo, AShutDownPeerAndTheNodesOwnNamedEntry)
{
    auto endpoints = parse_gossipinfo(read_fixture("gossipinfo-4.1-shutdown.txt"));
    ASSERT_TRUE(endpoints) << endpoints.error().message;
    ASSERT_EQ(endpoints->size(), 3U);
    EXPECT_EQ((*endpoints)[0].address, "127.0.2.1") << "localhost/127.0.2.1";
    EXPECT_EQ((*endpoints)[0].status, "NORMAL");
    EXPECT_EQ((*endpoints)[1].status, "shutdown");
    EXPECT_EQ(release_of((*endpoints)[1]), "4.1.6");
    EXPECT_EQ((*endpoints)[2].status, "NORMAL") << "STATUS_WITH_PORT alone";
    EXPECT_EQ((*endpoints)[2].datacenter, "dc2");
}

TEST(ParseGossipinfo, APeerNotHeardFromYetHasNoState)
{
    auto endpoints = parse_gossipinfo(read_fixture("gossipinfo-5.0-saved-peer.txt"));
    ASSERT_TRUE(endpoints) << endpoints.error().message;
    ASSERT_EQ(endpoints->size(), 2U);
    const auto& saved = (*endpoints)[0];
    EXPECT_EQ(saved.generation, 0);
    EXPECT_TRUE(saved.host_id.empty());
    EXPECT_FALSE(saved.release);
    EXPECT_EQ(release_of((*endpoints)[1]), "5.0.3");
}

TEST(ParseGossipinfo, PortsAndIpv6AreStrippedFromTheAddress)
{
    auto endpoints = parse_gossipinfo("/127.0.0.1:7000\n  generation:1\n  heartbeat:2\n"
                                      "/[::1]:7000\n  generation:1\n  heartbeat:2\n"
                                      "/0:0:0:0:0:0:0:1\n  generation:1\n  heartbeat:2\n");
    ASSERT_TRUE(endpoints) << endpoints.error().message;
    ASSERT_EQ(endpoints->size(), 3U);
    EXPECT_EQ((*endpoints)[0].address, "127.0.0.1");
    EXPECT_EQ((*endpoints)[1].address, "::1");
    EXPECT_EQ((*endpoints)[2].address, "0:0:0:0:0:0:0:1");
}

TEST(ParseGossipinfo, NoiseBeforeTheFirstEndpointIsSkippedAndGarbageAfterItIsAnError)
{
    auto noisy = parse_gossipinfo("WARN  JVM says something\n/127.0.0.1\n  generation:1\n  heartbeat:2\n");
    ASSERT_TRUE(noisy) << noisy.error().message;
    EXPECT_EQ(noisy->size(), 1U);
    for (const char* out : {"/127.0.0.1\n  generation:x\n", "/127.0.0.1\n  HOST_ID\n", "/127.0.0.1\n  DC:v:dc1\n",
                            "/127.0.0.1\n  generation:1\nnodetool: Failed to connect\n"}) {
        auto bad = parse_gossipinfo(out);
        ASSERT_FALSE(bad) << out;
        EXPECT_EQ(bad.error().kind, ErrorKind::parse);
        EXPECT_NE(bad.error().message.find("gossipinfo"), std::string::npos) << bad.error().message;
    }
    EXPECT_FALSE(parse_gossipinfo("nodetool: Failed to connect to '127.0.0.1:7199'\n"));
    EXPECT_FALSE(parse_gossipinfo(""));
}

} // namespace
} // namespace ringsnap
