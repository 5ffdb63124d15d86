// SPDX-License-Identifier: Apache-2.0
#pragma once

// The archive (docs/archive.md): copies of a backup off the nodes, content-addressed. Each
// distinct file content is one blob, `<remote>/<cluster>/blobs/<sha[0:2]>/<sha>`, named by the
// SHA-256 the backup recorded, so an SSTable kept by thirty nightly snapshots is stored once.
//
// `ringsnap archive TAG` (and `snapshot --archive`, `incremental --archive`):
//
//   plan     per archive root, the blobs the backup needs minus those the archive is known to
//            hold (from the catalog's archived backups), each given to one node that holds it;
//   intent   pending/<tag>.json names every blob the backup will reference, so a sweep running
//            meanwhile keeps them; a sweep in progress stops the archiving instead;
//   upload   each node of every root sends its blobs with rclone, straight to the storage, at once;
//   confirm  one listing per root: every blob of every node, at its recorded size; what it misses
//            is sent once more by a node that holds it and looked up again. Only then is a
//            node's part recorded as archived;
//   commit   the manifest, now saying what is archived, to the catalog and to
//            manifests/<tag>.json in the archive; the intent is removed.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/outcome.hpp>

namespace ringsnap::ops {

// The rclone configurations the nodes' archive settings name (rclone_config, files on the
// operator host), read once: path -> content. A node without one gets an empty configuration
// (a plain path, or a remote rclone defines from its environment).
using RcloneConfigs = std::map<std::string, std::string>;
[[nodiscard]] Result<RcloneConfigs> read_rclone_configs(const std::vector<Node>& nodes);
const std::string& rclone_config_of(const RcloneConfigs& configs, const Node& node);

// The blobs one node uploads: sha256 -> its file's absolute path on the node.
using Uploads = std::map<std::string, std::string>;

// One archive root's share of a backup.
struct ArchiveGroup
{
    std::string root;                           // "<remote>/<cluster>"
    std::vector<std::size_t> nodes;             // indexes into the manifest's nodes
    std::map<std::string, std::uint64_t> blobs; // every blob its nodes' files need: sha256 -> size
    std::map<std::size_t, Uploads> uploads;     // manifest node index -> what it sends
};

// Pure: groups the manifest's nodes by archive root (`roots`: manifest node index -> root, for
// the nodes to archive) and gives each blob the archive lacks (`known`: root -> blobs it holds)
// to one node holding it, the largest blobs first, each to the holder with the fewest bytes so far.
std::vector<ArchiveGroup> plan_uploads(const Manifest& manifest, const std::map<std::size_t, std::string>& roots,
                                       const std::map<std::string, std::set<std::string>>& known);

// What the catalog's backups (but `except_tag`) reference in the archive: per root, every blob
// of their nodes recorded as archived there (`confirmed_only`), or of every node sent there at
// all. The upload plan skips the confirmed ones; a sweep keeps them all, and needs to know
// whether some manifest could not be read.
struct CatalogBlobs
{
    std::map<std::string, std::set<std::string>> by_root;
    std::map<std::string, std::set<std::string>> tags_by_root; // the catalog's tags with a part archived there
    std::optional<Error> unreadable; // the first manifest that could not be read: its blobs are unknown
};
[[nodiscard]] Result<CatalogBlobs> catalog_blobs(const Catalog& catalog, const std::string& except_tag,
                                                 bool confirmed_only);

struct ArchiveOutcome
{
    RunStatus status = RunStatus::failed;
    Manifest manifest; // as saved, with what is archived
    std::filesystem::path manifest_path;
    std::vector<NodeRun> runs;        // one per manifest node that holds files (upload and check)
    std::vector<std::string> notes;   // what the operator should know
    std::vector<std::string> skipped; // "host: why", for parts left to a run that selects their node
    Duration duration{};
};

// Which of a backup's nodes a run archives: every node, or only those --dc/--hosts select.
enum class ArchiveScope {
    every_node, // a part whose node is not in `nodes` fails: its files cannot be reached
    selected,   // a part whose node is not in `nodes` is skipped, left to another run
};

struct ArchiveRequest
{
    std::string tag; // validated
    std::string command = "ringsnap archive";
    ArchiveScope scope = ArchiveScope::every_node;
};

// `ringsnap archive TAG`: lock, load, archive_manifest, save.
[[nodiscard]] Result<ArchiveOutcome> run_archive(Executor& executor, const Catalog& catalog,
                                                 const std::vector<Node>& nodes, const ArchiveRequest& request,
                                                 Observer& observer);

// Archives a backup whose manifest is in the catalog, under the caller's catalog lock (snapshot
// and incremental --archive call it on the manifest they just saved). Nodes already archived
// are kept; the others are tried. The run's status counts the parts in `scope`; the manifest's
// archive status counts every part. ErrorKind::usage before anything is touched when no node
// of the backup has an archive in the cluster file, when `scope` selects none of its nodes, or
// when an rclone_config cannot be read.
[[nodiscard]] Result<ArchiveOutcome> archive_manifest(Executor& executor, const Catalog& catalog,
                                                      const std::vector<Node>& nodes, const Manifest& manifest,
                                                      Observer& observer,
                                                      ArchiveScope scope = ArchiveScope::every_node);

// For snapshot/incremental --archive, before anything is touched: ErrorKind::usage when no
// selected node has an archive, or an rclone_config cannot be read.
[[nodiscard]] Status check_archive_ready(const std::vector<Node>& nodes);

// For `check` on a node with an archive: what is wrong with its rclone (not there, not rclone,
// older than 1.60), or "" when nothing is.
std::string rclone_problem(RemoteShell& shell);

// The worse of a backup's run status and its archiving's.
RunStatus with_archive(RunStatus backup, const ArchiveOutcome& archive);

// `ringsnap verify TAG --archive [--deep [--sample N]]`: every blob the backup's archived nodes
// reference exists at its recorded size; --deep downloads them (all, or N percent picked at
// random) and compares their SHA-256 with their name.
struct ArchiveVerifyRequest
{
    std::string tag;
    bool deep = false;
    int sample_percent = 100;
};
struct ArchiveProblem
{
    std::string blob;   // sha256
    std::string where;  // "host: ks.table/name" of one file with that content
    std::string reason; // "missing", "size 10, recorded 12", "SHA-256 read back is ..."
};
struct ArchiveVerifyOutcome
{
    RunStatus status = RunStatus::failed;
    int exit_code = exit_code::failed;
    std::vector<std::string> roots;
    std::size_t blobs = 0;         // referenced
    std::size_t blobs_checked = 0; // whose size (and, deep, hash) was read
    std::size_t blobs_hashed = 0;
    std::vector<ArchiveProblem> problems;
    std::vector<std::string> errors; // roots that could not be read, nodes not archived
};
[[nodiscard]] Result<ArchiveVerifyOutcome> verify_archive(Executor& executor, const Catalog& catalog,
                                                          const std::vector<Node>& nodes,
                                                          const ArchiveVerifyRequest& request);

// `clear --archive`: the backup's manifest leaves each archive root that holds it (before the
// catalog's, so that a failure leaves it to be found by the next run). A root's manifest of the
// same tag that is another backup's stays.
[[nodiscard]] Status unarchive_manifest(Executor& executor, const std::vector<Node>& nodes,
                                        const RcloneConfigs& configs, const Manifest& manifest);

// What a sweep did in one archive root.
struct ArchiveSweep
{
    std::string root;
    std::size_t blobs = 0;   // in the archive before
    std::size_t kept = 0;    // referenced by a manifest (the catalog's or the archive's) or an intent
    std::size_t deleted = 0; // ... the others, deleted
    std::uint64_t bytes_deleted = 0;
    std::optional<std::string> error; // the sweep did not run, or not to its end
};
// Mark and sweep, after `clear --archive` removed manifests: in each root some node of `nodes`
// archives to, every blob that no manifest left (in the catalog or only in the archive) and no
// running backup's intent references is deleted. The sweep marks itself first and stops when a
// backup is being archived; a backup that starts meanwhile stops at the mark (docs/archive.md).
std::vector<ArchiveSweep> sweep_archive(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                        const RcloneConfigs& configs);

// `ringsnap catalog sync`: every manifest in manifests/ of the archive roots the nodes use that
// the catalog lacks is read, checked (a manifest of this cluster, under its own tag) and saved
// into the catalog; the catalog's own manifests are never replaced.
struct CatalogSync
{
    RunStatus status = RunStatus::failed;
    std::vector<std::string> roots;
    std::set<std::string> added;       // saved into the catalog (a dry run: would be)
    std::set<std::string> present;     // already there, left as they are
    std::vector<std::string> problems; // a root that could not be listed, a manifest refused
};
[[nodiscard]] Result<CatalogSync> sync_catalog(Executor& executor, const Catalog& catalog,
                                               const std::vector<Node>& nodes, bool dry_run);

} // namespace ringsnap::ops
