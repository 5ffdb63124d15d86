// SPDX-License-Identifier: Apache-2.0
#pragma once

// The remote commands of a restore and the parsers of what they print. Every path in them is
// built by the planner from validated names (tags, CQL identifiers, table ids, the cluster file's
// data directories) and goes through shell_quote; nothing a node printed is ever pasted back
// into a command.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/ops/restore.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap::ops::restore_steps {

// The directory an absolute path names a file of: "/a/b/c" -> "/a/b".
std::string parent_of(const std::string& path);
// Words quoted for the shell and joined with spaces.
std::string quoted_list(const std::vector<std::string>& words);
// Shell snippets joined with `&&` after `prefix`, cut into commands the node's shell (and sudo)
// take as one argument; each runs with the node's sudo.
std::vector<std::string> chunk_commands(const Node& node, const std::vector<std::string>& snippets,
                                        const std::string& prefix);

// "<parent of data_dir>/ringsnap-restore": where every restore of this data directory stages.
std::string staging_base(const std::string& data_dir);
// ".../ringsnap-restore/<id>": this restore's staging beside one data directory.
std::string staging_root(const std::string& data_dir, const std::string& restore_id, std::size_t index);

// Per data directory: its device, its parent's, free space and owner; then the dropped-* and
// truncated-* snapshot directories of the tables of `keyspaces`.
std::string disk_facts_command(const Node& node, const std::vector<std::string>& keyspaces);
Result<DiskFacts> parse_disk_facts(const std::string& out);

// Creates the staging directories and hard-links every file of `tables` into them, one `ln`
// per directory. A file already in staging (a rerun) is kept, never overwritten: verification
// then checks it like the others. Directories get the data directory's owner when it is not
// the user running this.
std::vector<std::string> stage_commands(const Node& node, const NodePlan& plan,
                                        const std::vector<const TablePlan*>& tables);
// Only the staging directories (for a restore from the archive, which downloads the files).
std::vector<std::string> stage_directory_commands(const Node& node, const NodePlan& plan,
                                                  const std::vector<const TablePlan*>& tables);

// A file found under a staging root or a table directory.
struct FoundFile
{
    std::string path;
    std::uint64_t size = 0;
    std::uint64_t inode = 0;
};
// The *-Data.db files directly in each directory, and in its backups/ subdirectory.
std::string list_data_files_command(const Node& node, const std::vector<std::string>& table_dirs);
Result<std::vector<FoundFile>> parse_found_files(const std::string& out);

// What verification reads of staging, in one command: every file under `roots` (size, inode)
// and the SHA-256 of every file in `stage_dirs`, computed on the node.
struct StagedFiles
{
    std::vector<FoundFile> files;
    std::map<std::string, std::string> hashes; // path -> lowercase hex
};
std::string verify_staged_command(const Node& node, const std::vector<std::string>& roots,
                                  const std::vector<std::string>& stage_dirs);
Result<StagedFiles> parse_staged(const std::string& out);

// `nodetool import -- <ks> <table> <dir>...`: every staged directory in one call, so one
// addSSTables sees them all (loading in batches lets a tombstone purge what it should shadow).
std::string import_command(const Node& node, const TablePlan& table, const std::vector<std::string>& dirs);
// `nodetool refresh -- <ks> <table>`.
std::string refresh_command(const Node& node, const TablePlan& table);
// Hard links of staged SSTables into a live table directory under new names (refresh), each
// pair (staged path, live path).
std::vector<std::string> place_commands(const Node& node,
                                        const std::vector<std::pair<std::string, std::string>>& links);

// cqlsh running `statements` against `address` on this node. With credentials, the cqlshrc
// holding them arrives on stdin (cqlshrc_input) into a 0600 temporary file removed afterwards:
// a password never appears on a command line.
std::string cqlsh_command(const Node& node, const std::string& address, const std::string& statements,
                          bool with_credentials);
std::string cqlshrc_input(const std::string& user, const std::string& password);
// "TRUNCATE ks.t1; TRUNCATE ks.t2; ": every table in one cqlsh call.
std::string truncate_statements(const std::vector<std::string>& tables);

// Removes this restore's staging (and the ringsnap-restore directory, once empty).
std::string cleanup_command(const Node& node, const NodePlan& plan, const std::string& restore_id);

} // namespace ringsnap::ops::restore_steps
