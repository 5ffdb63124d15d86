// SPDX-License-Identifier: Apache-2.0
#pragma once

// nodetool: the command lines ringsnap runs and the parsers of their outputs. Each output has
// exactly one parser here, tested against verbatim outputs of Cassandra 3.11, 4.0, 4.1 and 5.0
// (docs/cassandra-behaviour.md); operations never parse nodetool text themselves.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap {

// `<nodetool> [-u USER -pwf FILE] <args...>`, every piece shell-quoted, run through sudo when the
// node has a sudo user. Global options go before the subcommand: after it, nodetool reads them
// as positional arguments. The JMX password is never on the command line, only its file.
std::string nodetool_command(const Node& node, const std::vector<std::string>& args);

struct CassandraVersion
{
    int major = 0;
    int minor = 0;
    int patch = 0;
    std::string text; // as printed: "4.1.6", "5.0-beta1"

    bool at_least(int want_major, int want_minor) const
    {
        return major > want_major || (major == want_major && minor >= want_minor);
    }
};

// `nodetool version`: "ReleaseVersion: 4.1.6" (5.0 -v adds a GitSHA line, which is skipped).
// Accepts MAJOR.MINOR[.PATCH] with any suffix ("5.0-beta1", "4.1.6-SNAPSHOT"); a missing patch
// reads as 0. ErrorKind::parse when there is no ReleaseVersion line or it holds no version.
Result<CassandraVersion> parse_version(const std::string& out);

// One row of `nodetool status`.
struct StatusRow
{
    std::string datacenter;
    char status = '?'; // 'U' up, 'D' down, '?' unknown
    char state = '?';  // 'N' normal, 'L' leaving, 'J' joining, 'M' moving
    std::string address;
    std::string load;               // "96.55 KiB", or "?"
    std::optional<int> token_count; // vnodes: the Tokens column
    std::string token;              // one token per node: the Token column
    std::string owns;               // "33.3%", or "?"
    std::string host_id;
    std::string rack;
};

// `nodetool status`, 3.11 (printf columns that overflow) and 4.0+ (TableBuilder) formats, every
// data center, both the vnode (Tokens) and the single-token (Token) layouts. Rows come in output
// order. Lines before the first "Datacenter:" are skipped (JVM noise); inside a data center any
// line that is neither banner, header, row, blank nor "Note:" is an ErrorKind::parse error quoting
// it, as is an "Error:" line or an output with no node at all.
Result<std::vector<StatusRow>> parse_status(const std::string& out);

// What `nodetool info` says about the node itself.
struct NodeInfo
{
    std::string host_id;
    bool gossip_active = false;
    bool native_transport_active = false;
    std::string load;    // "96.55 KiB"
    long generation = 0; // gossip generation: changes at every restart
    long uptime_seconds = 0;
    std::string datacenter;
    std::string rack;
    std::vector<std::string> tokens; // with `info -T` (or one token per node); else empty
};

// `nodetool info`: "%-23s: %s" lines (3.11 adds Thrift, 5.0 more lines; unknown labels are
// skipped). The ID (a UUID), Data Center and Rack lines are required; a boolean or number line
// that does not read as one is an ErrorKind::parse error quoting it.
Result<NodeInfo> parse_info(const std::string& out);

// `nodetool statusbackup`: "running" (true) or "not running" (false), identical in 3.11 to 5.0.
// Lines before the last (JVM noise) are skipped; anything else is ErrorKind::parse quoting it.
Result<bool> parse_statusbackup(const std::string& out);

// One row of `nodetool listsnapshots`: one table of one snapshot.
struct ListedSnapshot
{
    std::string tag;
    std::string keyspace;
    std::string table;
    std::string true_size; // as printed: "4.86 KiB", "0 bytes"
    std::string size_on_disk;
    std::optional<std::string> created_at; // 4.1+: "2023-11-16T06:48:49.071Z"
    std::optional<std::string> expires_at; // 4.1+, snapshots taken with a TTL
    std::optional<bool> ephemeral;         // 5.0 with -e
};

// `nodetool listsnapshots`: "Snapshot Details: " then "There are no snapshots", or a table whose
// header names the columns (five in 3.11 and 4.0, seven in 4.1, eight in 5.0 with -e) and whose
// every column is padded to its widest cell, so the header's offsets cut every row (cells hold
// spaces: "4.86 KiB"). The rows end at the blank line before "Total TrueDiskSpaceUsed". Lines
// before the banner are skipped (JVM noise). ErrorKind::parse quoting the line for a missing
// banner, a header without the five columns, or a row that does not fit the header.
Result<std::vector<ListedSnapshot>> parse_listsnapshots(const std::string& out);

// A release as Cassandra prints it ("4.1.6", "5.0-beta1", "3.11.17-SNAPSHOT"); nothing when it
// is not one.
std::optional<CassandraVersion> parse_release(std::string_view text);

// One endpoint of `nodetool gossipinfo`: a ring member as the asked node's gossip knows it. What
// it does not know is empty: a peer loaded from the saved peers at start-up has no state yet.
struct GossipEndpoint
{
    std::string address;                     // "127.0.0.1" or "::1", without the port
    std::string host_id;                     // HOST_ID
    std::optional<CassandraVersion> release; // RELEASE_VERSION: the release the node runs
    std::string status;                      // STATUS_WITH_PORT, else STATUS, up to its ',': "NORMAL", "shutdown"
    std::string datacenter;                  // DC
    std::string rack;                        // RACK
    std::int64_t generation = 0;             // 0: never heard from since this node started
};

// `nodetool gossipinfo` without -r (3.11 to 5.0): per endpoint a "/address" line ("name/address",
// "/address:port" with -pp), then indented "generation:N", "heartbeat:N" and
// "STATE:version:value" lines ("TOKENS: not present" when it has none). States the parser does
// not use (3.11 shows a 4.0 peer's as X1..X3) are skipped. Lines before the first endpoint are
// skipped (JVM noise); any other line that is not of these forms is ErrorKind::parse quoting it.
Result<std::vector<GossipEndpoint>> parse_gossipinfo(const std::string& out);

} // namespace ringsnap
