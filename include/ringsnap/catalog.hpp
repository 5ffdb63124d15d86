// SPDX-License-Identifier: Apache-2.0
#pragma once

// The catalog: the manifests of one cluster's backups, kept on the operator host, and the lock
// that keeps two runs on one cluster from overlapping (docs/manifest.md, "Catalog"):
//
//   <catalog>/<cluster>/lock                  the run lock (flock), naming its holder
//   <catalog>/<cluster>/manifests/<tag>.json  one manifest per backup
//
// A manifest is saved whole or not at all: it is streamed to a hidden temporary file in the same
// directory, fsync'd, then linked into place and the directory fsync'd. Tags cannot start with
// '.', so a temporary file left by a crash never passes for a manifest.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include <ringsnap/cluster.hpp>
#include <ringsnap/manifest.hpp>
#include <ringsnap/restore_record.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap {

enum class SaveMode {
    refuse_existing, // a tag already in the catalog is an error: nothing is ever lost silently
    replace,         // overwrite it (atomically: readers see the old or the new document)
};

// A manifest the catalog could not read, reported by list() instead of stopping it.
struct CatalogProblem
{
    std::filesystem::path path;
    Error error;
};

struct RestoreListing
{
    std::vector<RestoreRecord> records;   // oldest first
    std::vector<CatalogProblem> problems; // unreadable records
};

struct CatalogListing
{
    std::vector<ManifestSummary> manifests; // oldest first (started_at, then tag)
    std::vector<CatalogProblem> problems;   // unreadable or inconsistent files, by file name
};

class Catalog
{
  public:
    // The catalog of `cluster` under `root`. Nothing is created until something is saved or
    // locked. ErrorKind::config when the cluster name is not a safe directory name (the rules of
    // tags: letters, digits, '_', '.', '-', no leading dot).
    [[nodiscard]] static Result<Catalog> open(const std::filesystem::path& root, const std::string& cluster);
    [[nodiscard]] static Result<Catalog> open(const Cluster& cluster) { return open(cluster.catalog, cluster.name); }

    const std::string& cluster() const { return m_cluster; }
    const std::filesystem::path& directory() const { return m_directory; } // <catalog>/<cluster>
    std::filesystem::path manifests_directory() const { return m_directory / "manifests"; }
    std::filesystem::path lock_path() const { return m_directory / "lock"; }

    // Where the manifest of `tag` lives (or would). ErrorKind::usage for a tag that
    // validate_tag refuses: a tag never becomes a file name unchecked.
    [[nodiscard]] Result<std::filesystem::path> manifest_path(std::string_view tag) const;

    // Whether a manifest of `tag` is in the catalog. An invalid tag never is.
    bool exists(std::string_view tag) const;

    // Writes `manifest` as <tag>.json, whole or not at all, and returns its path. Refused before
    // anything is written: an invalid tag (ErrorKind::usage), a manifest of another cluster
    // (ErrorKind::internal), an existing tag unless `mode` is replace (ErrorKind::usage; also
    // checked atomically at the end, so a concurrent save of the same tag cannot be lost).
    // ErrorKind::io, naming the path, when a directory cannot be created or a write, fsync or
    // rename fails; the temporary file is then removed.
    [[nodiscard]] Result<std::filesystem::path> save(const Manifest& manifest,
                                                     SaveMode mode = SaveMode::refuse_existing) const;

    // The manifest of `tag`. ErrorKind::usage when the tag is invalid or not in the catalog;
    // ErrorKind::catalog, naming the file, when it cannot be read (not a regular file, larger
    // than k_max_manifest_bytes, a read error), is not a readable manifest, or holds another
    // cluster or tag than its place says.
    [[nodiscard]] Result<Manifest> load(std::string_view tag) const;

    // The summaries of every manifest, oldest first. A file that cannot be read or parsed (a
    // directory or FIFO named like a manifest included: it is never opened for reading), or whose
    // cluster or tag does not match its place, becomes a CatalogProblem (ErrorKind::catalog) and
    // the listing goes on. Only the keys before "nodes" are parsed (plus a check that the file ends whole),
    // so a corrupt node section shows up at load(), not here. An absent catalog lists empty.
    // ErrorKind::catalog (naming the `catalog:` setting) only when the manifests directory
    // cannot be read: the catalog's place is a file, a device, a symlink loop, unreadable.
    [[nodiscard]] Result<CatalogListing> list() const;

    // ---- restore records (<catalog>/<cluster>/restores/<id>.json)

    std::filesystem::path restores_directory() const { return m_directory / "restores"; }
    bool restore_exists(std::string_view id) const;

    // Writes a restore record whole, replacing its earlier version atomically (readers see one or
    // the other). ErrorKind::usage for an invalid id; ErrorKind::io naming the path.
    [[nodiscard]] Result<std::filesystem::path> save_restore(const RestoreRecord& record) const;

    // ErrorKind::usage when there is no such record; ErrorKind::catalog when it cannot be read.
    [[nodiscard]] Result<RestoreRecord> load_restore(std::string_view id) const;

    // Every record, oldest first; unreadable ones become problems. ErrorKind::catalog as list().
    [[nodiscard]] Result<RestoreListing> list_restores() const;

    // Deletes the manifest of `tag` (for `clear`) and fsyncs the directory. ErrorKind::usage when
    // the tag is invalid or not in the catalog; ErrorKind::io when the file cannot be removed.
    [[nodiscard]] Status remove(std::string_view tag) const;

  private:
    Result<std::filesystem::path> restore_path(std::string_view id) const;

    Catalog(std::string cluster, std::filesystem::path directory)
        : m_cluster(std::move(cluster)), m_directory(std::move(directory))
    {
    }

    std::string m_cluster;
    std::filesystem::path m_directory;
};

// Who holds (or last held) a catalog lock, as recorded in the lock file.
struct LockHolder
{
    pid_t pid = 0;
    std::string host; // the operator host's name
    Timestamp started_at{};
    std::string command; // what it runs, e.g. "ringsnap snapshot --tag nightly-2026-11-23"
    std::string run_id;  // this_run_id() of the holder; empty in records of older builds
};

// One run per cluster at a time. The lock is flock() on <catalog>/<cluster>/lock: the kernel
// ties it to the open file and drops it when the process ends however it ends, so a lock can
// never outlive its holder and two processes can never both hold it. The file records the
// holder; the holder empties it on release, so a record found by the next run means the
// previous one died holding the lock (taken_over()). The file itself is never deleted: removing
// it would let one run lock the old file and another a new one.
//
// On NFS, Linux emulates flock with byte-range locks: it works, but depends on the NFS locking
// service; a catalog is best kept on a local disk.
class CatalogLock
{
  public:
    // Takes the lock without waiting, creating the catalog directory if needed, and records this
    // process (pid, host name, now, `command`). ErrorKind::usage when another run holds it, with
    // a message naming that run's pid, host, start time and command and the lock file;
    // ErrorKind::catalog, naming the `catalog:` setting and the path, when the directory or the
    // file cannot be created, locked or written, or the lock is not a regular file.
    [[nodiscard]] static Result<CatalogLock> acquire(const Catalog& catalog, const std::string& command);

    // The run holding the lock now, if any, found without taking it: a shared lock tried for an
    // instant fails only while a run holds it (acquire() rides over such an instant). A holder
    // that has not recorded itself yet comes back with an empty record. Nothing when there is no
    // lock file or it cannot be opened.
    static std::optional<LockHolder> holder(const Catalog& catalog);

    CatalogLock(CatalogLock&& other) noexcept;
    CatalogLock& operator=(CatalogLock&& other) noexcept;
    CatalogLock(const CatalogLock&) = delete;
    CatalogLock& operator=(const CatalogLock&) = delete;

    // Empties the record and releases the lock.
    ~CatalogLock();

    const std::filesystem::path& path() const { return m_path; }

    // The run that held the lock before and ended without releasing it (it crashed or was
    // killed), if any: the caller warns "taking over the lock of pid N (COMMAND), which is gone".
    const std::optional<LockHolder>& taken_over() const { return m_taken_over; }

  private:
    CatalogLock(int fd, std::filesystem::path path, std::optional<LockHolder> taken_over)
        : m_fd(fd), m_path(std::move(path)), m_taken_over(std::move(taken_over))
    {
    }
    void release() noexcept;

    int m_fd = -1;
    std::filesystem::path m_path;
    std::optional<LockHolder> m_taken_over;
};

// "pid 4242 on ops-1 since 2026-11-23T02:00:00.120Z: ringsnap snapshot --tag x", for messages.
std::string describe(const LockHolder& holder);

} // namespace ringsnap
