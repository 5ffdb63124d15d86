// SPDX-License-Identifier: Apache-2.0
#pragma once

// A backup's files in the table directories of a node: a snapshot's in `snapshots/<tag>/`, an
// incremental's in `backups/`. Grouping a listing by table and hashing what is new are the same
// for both; only the directory under the table differs (`subdir`).

#include <cstdint>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/hash_index.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/remote_files.hpp>

namespace ringsnap::ops {

// "snapshots/<tag>": where snapshot `tag` lives in a table directory.
std::string snapshot_subdir(const std::string& tag);

// Where incremental backups live in a table directory.
inline constexpr const char* k_backups_subdir = "backups";

// <table directory>/<subdir>/<name>
std::string table_file_path(const TableEntry& table, const std::string& subdir, const std::string& name);

// A node's files (a listing of remote_files.hpp) under `subdir` of their table directories,
// grouped by table directory, with names relative to `subdir` and no hashes yet.
std::vector<TableEntry> group_by_table(const std::vector<RemoteFile>& files, const std::string& subdir);

// Fills every file's SHA-256: from `hashes` when the file is unchanged since an earlier
// manifest (same host, table directory, name, size, inode, mtime), otherwise computed on the
// node. Returns the bytes read to hash.
Result<std::uint64_t> hash_table_files(RemoteShell& shell, std::vector<TableEntry>& tables, const std::string& subdir,
                                       const HashIndex& hashes);

} // namespace ringsnap::ops
