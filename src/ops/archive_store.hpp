// SPDX-License-Identifier: Apache-2.0
#pragma once

// One archive root seen from the operator host: manifests, intents, listings, deletions and
// checks, each run by rclone on one of the nodes that use the root (the operator host needs no
// rclone and no access to the storage). When a node cannot be reached the next one is tried.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/ops/archive.hpp>
#include <ringsnap/timestamp.hpp>

namespace ringsnap::ops {

// Whether an archive's manifest `there` is that of `backup` (written by one of its archive runs),
// not of another backup that took the same tag.
bool same_backup(const ManifestSummary& there, const Manifest& backup);

// The nodes of `nodes` that use each archive root of `cluster`, by root.
std::map<std::string, std::vector<Node>> reachers_by_root(const std::vector<Node>& nodes, const std::string& cluster);

class ArchiveStore
{
  public:
    ArchiveStore(Executor& executor, std::string root, std::vector<Node> reachers, const RcloneConfigs& configs)
        : m_executor(&executor), m_root(std::move(root)), m_reachers(std::move(reachers)), m_configs(&configs)
    {
    }

    const std::string& root() const { return m_root; }

    // Writes pending/<tag>.json (who, when, every blob the backup will reference), then refuses
    // (ErrorKind::usage, intent removed) when a sweep of the archive is running.
    Status begin_backup(const std::string& tag, const std::map<std::string, std::uint64_t>& blobs);
    void end_backup(const std::string& tag);

    // The sweep's side of the same handshake: marks the sweep, then refuses when a backup is
    // being archived (a fresh intent). end_sweep removes the mark.
    Status begin_sweep();
    void end_sweep();
    // Blobs of the intents of backups still being archived (younger than a day): kept by a sweep.
    Result<std::set<std::string>> pending_blobs();

    // The size of each listed blob the archive holds, by archive path ("blobs/9f/9f86...").
    Result<std::map<std::string, std::uint64_t>> sizes(const std::map<std::string, std::uint64_t>& blobs);
    // Every blob in the archive (objects under blobs/ named as ringsnap names them): sha256 -> size.
    Result<std::map<std::string, std::uint64_t>> all_blobs();
    // The SHA-256 of the listed blobs, read back from the storage: sha256 (its name) -> hash read.
    Result<std::map<std::string, std::string>> hashes(const std::vector<std::string>& blobs);
    Status delete_blobs(const std::vector<std::string>& blobs);

    // manifests/<tag>.json
    Status put_manifest(const std::string& tag, const std::string& document);
    Result<std::string> manifest(const std::string& tag);
    // The backup manifests/<tag>.json stands for, read without its nodes; nullopt when there is
    // none. ErrorKind::parse when it is no manifest, the root's own error when it cannot be read.
    Result<std::optional<ManifestSummary>> manifest_summary(const std::string& tag);
    Status delete_manifest(const std::string& tag);
    // The tags of the manifests in the archive.
    Result<std::vector<std::string>> manifest_tags();

  private:
    // Runs `command` with the node's rclone config and `payload` on stdin, on the first node that
    // can be reached. A non-zero exit is an error naming rclone's reason.
    Result<CommandOutput> run(const std::string& step, const std::function<std::string(const Node&)>& command,
                              const std::string& payload);
    Status put(const std::string& path, const std::string& content);
    Result<std::string> cat(const std::string& path);
    Result<std::map<std::string, std::uint64_t>> list(const std::string& dir);
    Status remove(const std::vector<std::string>& paths);
    // Intents or sweep marks younger than a day, by path.
    Result<std::vector<std::string>> fresh(const std::string& dir);

    Executor* m_executor;
    std::string m_root;
    std::vector<Node> m_reachers;
    const RcloneConfigs* m_configs;
};

} // namespace ringsnap::ops
