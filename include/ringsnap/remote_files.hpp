// SPDX-License-Identifier: Apache-2.0
#pragma once

// File work on a node: listing a snapshot's files, hashing them, reading small files. Each
// function builds a command from validated pieces (shell.hpp) and parses its output; the
// operations run them through the executor. GNU find and coreutils' sha256sum are assumed on
// the node, as on every Linux a Cassandra runs on; OpenSSL's digest is used instead when the
// node has it (it uses the CPU's SHA instructions: several times faster).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap {

// A regular file under a data directory, as find saw it.
struct RemoteFile
{
    std::string data_dir; // as the cluster file names it
    std::string path;     // relative to data_dir: ks/table-<id>/snapshots/<tag>/[.<index>/]name
    std::uint64_t size = 0;
    std::uint64_t inode = 0;
    std::int64_t mtime_ns = 0;
};

// Lists the files of snapshot `tag` of `keyspaces` (validated names) in every data directory of
// the node. Keyspaces a data directory lacks are skipped: a keyspace may live in some only.
std::string list_snapshot_files_command(const Node& node, const std::vector<std::string>& keyspaces,
                                        const std::string& tag);
// Lists the files of the `backups/` directory of every table of `keyspaces` (incremental backups:
// paths ks/table-<id>/backups/[.<index>/]name), in every data directory of the node.
std::string list_backup_files_command(const Node& node, const std::vector<std::string>& keyspaces);
Result<std::vector<RemoteFile>> parse_file_listing(const std::string& out);

// The program that prints one `sha256sum` line per path given after it: `openssl dgst -sha256
// -r` when the node has openssl, else `sha256sum`. A `sh -c` script, so it also runs under xargs.
std::string sha256_program();
// Commands that print `sha256sum` lines for `paths` (absolute), split so that no command comes
// near the kernel's limit on the length of one argument (128 KiB; `sudo sh -c` quotes twice).
std::vector<std::string> hash_commands(const Node& node, const std::vector<std::string>& paths);
// path -> lowercase hex SHA-256, from "<hex>  <path>" (sha256sum) or "<hex> *<path>" (openssl
// -r, or sha256sum in binary mode) lines.
Result<std::map<std::string, std::string>> parse_sha256sum(const std::string& out);
// The SHA-256 of `paths`, computed on the node by hash_commands, recorded as step `step`.
Result<std::map<std::string, std::string>> hash_files(RemoteShell& shell, const std::vector<std::string>& paths,
                                                      const std::string& step);

// Commands that delete exactly `paths` (absolute), split like hash_commands; a path already gone
// is not an error.
std::vector<std::string> remove_files_commands(const Node& node, const std::vector<std::string>& paths);

// A file to read whole, with the size a listing gave it (snapshot files do not change).
struct SizedPath
{
    std::string path; // absolute
    std::uint64_t size = 0;
};

// Commands that `cat` the files one after the other, split like hash_commands: one process per
// command rather than one per file. Their outputs, joined in order, go to split_contents.
std::vector<std::string> read_files_commands(const Node& node, const std::vector<SizedPath>& files);
// path -> content, cutting `out` at the given sizes. ErrorKind::parse when the lengths disagree
// (a file changed size since it was listed).
Result<std::map<std::string, std::string>> split_contents(const std::string& out, const std::vector<SizedPath>& files);

// A table directory found in a data directory: <data_dir>/<keyspace>/<table>-<id>.
struct TableDir
{
    std::string data_dir; // as the cluster file names it
    std::string keyspace;
    std::string table;
    std::string id; // the 32 hex digits of the directory's name

    std::string path() const { return data_dir + "/" + keyspace + "/" + table + "-" + id; }
};

// What a node's data directories hold, for checks before anything is changed.
struct DataDirSurvey
{
    std::vector<std::string> keyspaces;       // keyspace directories
    std::vector<TableDir> tables;             // every <ks>/<table>-<id> directory
    std::vector<std::string> tag_dirs;        // <ks>/<table>-<id>/snapshots/<tag> that already exist
    std::vector<std::string> unreadable_dirs; // data directories missing or not readable
};
// `tag` empty: no snapshot is looked for.
std::string survey_data_dirs_command(const Node& node, const std::string& tag);
Result<DataDirSurvey> parse_data_dir_survey(const std::string& out);

} // namespace ringsnap
