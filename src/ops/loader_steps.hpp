// SPDX-License-Identifier: Apache-2.0
#pragma once

// What a restore with sstableloader runs, and the parsers of what it prints: the loader itself
// (run on the source node, over its verified staging), the schema created on the target first,
// and the row counts read back. Every name in a command comes from the manifest or the cluster
// files, validated, and goes through shell_quote.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap::ops::loader_steps {

// ---- which loader can stream to which node

// The internode messaging versions a node may stream at (MessagingService.current_version):
// 3.11 is 11 and 4.x 12; 5.0 is 12 in storage_compatibility_mode CASSANDRA_4 and 13 in NONE,
// and UPGRADING may be either.
std::vector<int> streaming_versions(const CassandraVersion& node, const std::string& storage_mode);
// The versions a loader of this release streams at: a receiver accepts only its own, so a 3.11
// loader reaches 3.11 nodes only and a 4.x loader 4.x nodes; a 5.0 loader speaks 12 and 13.
std::vector<int> loader_versions(const CassandraVersion& loader);
// Whether every version the node may be at is one the loader speaks.
bool loader_reaches(const CassandraVersion& loader, const CassandraVersion& node, const std::string& storage_mode);

// ---- the load

struct LoaderSettings
{
    std::vector<std::string> targets;  // -d: the target cluster's nodes, as Cassandra knows them
    std::optional<int> throttle_mbits; // -t (megabits per second; every release has it)
    bool with_credentials = false;     // -u/-pw, read from stdin (loader_input) first
};

// `sstableloader -d <targets> [-t N] [-u "$u" -pw "$pw"] <dir>` with the node's sudo. The
// keyspace is the name of the directory's parent, the table its own name: staging is shaped
// <stage>/<backup>/<ks>/<table>. Credentials arrive on stdin, so they are on no command line
// ringsnap sends; sstableloader itself takes them only as arguments, so its own process on the
// node shows them while it runs.
std::string loader_command(const Node& node, const LoaderSettings& settings, const std::string& dir);
std::string loader_input(const std::string& user, const std::string& password);

// What one loader run did, from its output.
struct LoadReport
{
    std::uint64_t files = 0; // "Total files transferred"
    std::string bytes;       // "Total bytes transferred", as printed ("4.600KiB")
};

// Checks a loader run: exit status 0, no file skipped (a missing table or component is a skip
// with exit 0, not an error), a summary, and something streamed when there were SSTables. The
// error says why in the loader's own words (the failed hosts, the connection error).
Result<LoadReport> check_load(const CommandOutput& output, std::uint64_t sstables);

// ---- schema and rows on the target

// `CREATE KEYSPACE IF NOT EXISTS` with NetworkTopologyStrategy and `replication`
// ("dc1:3,dc2:2"), for a keyspace the target may lack.
std::string create_keyspace_statement(const std::string& keyspace, const std::string& replication);
// "dc1:3,dc2:2" -> validated pairs, or ErrorKind::usage naming what is wrong.
[[nodiscard]] Result<std::vector<std::pair<std::string, int>>> parse_replication(const std::string& text);

// `CONSISTENCY ALL; SELECT COUNT(*) FROM ks.table;`: every replica answers, so a replica the load
// missed shows.
std::string count_statements(const std::string& keyspace, const std::string& table);
// The count of a cqlsh `SELECT COUNT(*)` result ("\n count\n-------\n     5\n\n(1 rows)").
[[nodiscard]] Result<std::uint64_t> parse_count(const std::string& out);

// The columns of a keyspace's tables as the cluster's schema says: `SELECT table_name,
// column_name, type FROM system_schema.columns WHERE keyspace_name = '<ks>'`, and its output
// read into "ks.table" -> column -> type.
std::string columns_statement(const std::string& keyspace);
[[nodiscard]] Result<std::map<std::string, std::map<std::string, std::string>>>
parse_columns(const std::string& keyspace, const std::string& out);
// The columns of the CREATE TABLE in a schema.cql: column -> type.
std::map<std::string, std::string> schema_columns(const std::string& schema_cql);
// A type as system_schema writes it, for comparing: lowercase, no spaces.
std::string normalized_type(const std::string& type);

} // namespace ringsnap::ops::loader_steps
