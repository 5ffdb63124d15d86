// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the archive runs on a node, and the parsers of what it prints. rclone does every transfer
// (docs/archive.md); these scripts give it its configuration and its lists on stdin, never on a
// command line:
//
//   stdin = "<bytes of the rclone config>\n" <the config> <the payload: one item per line>
//
// The script keeps both in a private temporary directory (umask 077) that it removes however it
// ends. Every name in a command is a validated one or an archive path built here from a SHA-256.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap::ops::archive_steps {

// The archive of `cluster` for a node: "<remote>/<cluster>" ("s3store:bucket/prod-main").
std::string archive_root(const Node& node, const std::string& cluster);
// Where a content lives in the archive, relative to the root: "blobs/9f/9f86d0...".
std::string blob_path(const std::string& sha256);
// "manifests/<tag>.json"; "pending/<tag>.json": a backup being archived (docs/archive.md).
std::string manifest_path(const std::string& tag);
std::string pending_path(const std::string& tag);
// Written by a sweep while it runs; a backup that finds it fresh stops (docs/archive.md).
inline constexpr const char* k_sweep_marker = "locks/sweep.json";

// stdin for every command below.
std::string rclone_input(const std::string& config, const std::string& payload);

// The staging part of upload_command, for a shell where $d is the private directory: reads
// "<sha256> <path>" lines from $d/input, links each path as $d/blobs/<sha[0:2]>/<sha>, and writes
// to $d/list the archive path of each ("blobs/<sha[0:2]>/<sha>") or "ringsnap-missing <path>".
std::string stage_blobs_script();

// Uploads blobs. Payload lines: "<sha256> <absolute path on the node>". Each path is linked
// (symbolically) under its blob name in the private directory, and rclone copies the ones the
// archive lacks or holds at another size (a truncated leftover of a killed run). Prints
// "ringsnap-missing <path>" for a listed file gone from the node.
std::string upload_command(const Node& node, const std::string& root);
// Sizes of the listed archive paths (payload: one path per line); absent ones are left out.
std::string stat_command(const Node& node, const std::string& root);
// Writes the payload to <root>/<path>, under a temporary name first: a reader never sees half.
std::string put_command(const Node& node, const std::string& root, const std::string& path);
// Prints <root>/<path>; an absent file is an error.
std::string cat_command(const Node& node, const std::string& root, const std::string& path);
// The files under <root>/<dir>, recursively: "<size> <path relative to dir>" per line.
std::string list_command(const Node& node, const std::string& root, const std::string& dir);
// Deletes the listed archive paths (payload), absent ones skipped.
std::string delete_command(const Node& node, const std::string& root);
// The linking part of download_command, for a shell where $d is the private directory: for each
// "<sha256> <staged path>" line of $d/input whose path does not exist yet, hard-links
// <download_dir>/blobs/<sha[0:2]>/<sha> there (creating its directory); prints
// "ringsnap-missing blobs/..." for a blob not downloaded. Leaves $s at 1 when one was missing, else
// 0; exits 70 when a link cannot be made.
std::string link_blobs_script(const std::string& download_dir);

// Downloads blobs and links each under its place in staging. Payload lines: "<sha256> <staged
// path>"; the blobs land in <download_dir> (fresh, on the staging's filesystem), are hard-linked
// to the staged paths not yet there, and the download directory is removed.
std::string download_command(const Node& node, const std::string& root, const std::string& download_dir);
// The SHA-256 of the listed blobs (payload: their paths), read back from the archive.
std::string hash_command(const Node& node, const std::string& root);

// What an upload's rclone said (its JSON log on stderr).
struct UploadLog
{
    std::vector<std::string> sent;    // archive paths it copied
    std::vector<std::string> errors;  // its error lines, and any line that is not JSON
    std::vector<std::string> missing; // files gone from the node (ringsnap-missing on stdout)
};
UploadLog parse_upload_log(const std::string& out, const std::string& err);
// What an rclone exit status means (rclone's documented codes), then rclone's last error line
// in `err` (its JSON log or its plain text) when there is one.
std::string describe_failure(int exit_status, const std::string& err);

// The oldest rclone whose behaviour ringsnap relies on (docs/archive.md): Debian 12's.
inline constexpr int k_min_rclone_major = 1;
inline constexpr int k_min_rclone_minor = 60;
// `rclone version`, run without a configuration; 127 when the program is not there.
std::string version_command(const Node& node);
// "rclone v1.60.1-DEV" (its first line) -> {1, 60}; nullopt when it is not rclone's.
std::optional<std::pair<int, int>> parse_rclone_version(const std::string& out);

// lsjson output: archive path -> size. ErrorKind::parse when it is not rclone's JSON.
Result<std::map<std::string, std::uint64_t>> parse_sizes(const std::string& out);
// "<size> <path>" lines (list_command).
Result<std::map<std::string, std::uint64_t>> parse_listing(const std::string& out);
// "<sha256>  <path>" lines (hash_command): path -> hash.
Result<std::map<std::string, std::string>> parse_hashes(const std::string& out);

} // namespace ringsnap::ops::archive_steps
