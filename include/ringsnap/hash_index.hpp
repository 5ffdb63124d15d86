// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hashing must not read a node's whole data set every night (issue 4). SSTables are immutable:
// a file that still has the name, size, inode and modification time it had when an earlier
// manifest of the same node recorded it is the same file, so its SHA-256 can be reused and only
// new files are read. Snapshot and backups/ files are hard links of the live SSTable, so they
// share its inode and mtime from one run (and one kind of backup) to the next.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <ringsnap/manifest.hpp>

namespace ringsnap {

// A file on a node as a run finds it; every field must match for a hash to be reused.
struct FileIdentity {
    std::string_view host;       // NodeEntry::host
    std::string_view directory;  // TableEntry::directory
    std::string_view name;       // FileEntry::name
    std::uint64_t size = 0;
    std::uint64_t inode = 0;
    std::int64_t mtime_ns = 0;
};

// The hashes of earlier manifests of one cluster, by file identity. Only files of nodes that
// succeeded, with a recorded inode and mtime and a well-formed SHA-256, are indexed. Memory is
// about 100 bytes per distinct file: add manifests one at a time and drop each after adding it.
class HashIndex {
public:
    HashIndex() = default;

    // Adds every manifest, newest first.
    explicit HashIndex(const std::vector<Manifest>& newest_first);

    // Adds one manifest's files. Feed manifests newest first: a file already indexed keeps the
    // hash it has (the newest record of it wins).
    void add(const Manifest& manifest);

    // The SHA-256 (lowercase hex) recorded for exactly this file, or nothing: a file that
    // differs from every record in any of host, directory, name, size, inode or mtime is new.
    std::optional<std::string> find(const FileIdentity& file) const;

    std::size_t size() const { return m_files.size(); }

private:
    using Digest = std::array<std::uint8_t, 32>;

    // A file's identity with its host and directory replaced by a small number (they repeat
    // for every file of a table).
    struct Key {
        std::uint32_t location = 0;
        std::string name;
        std::uint64_t size = 0;
        std::uint64_t inode = 0;
        std::int64_t mtime_ns = 0;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& key) const;
    };

    std::uint32_t location_of(std::string_view host, std::string_view directory);
    std::optional<std::uint32_t> find_location(std::string_view host, std::string_view directory) const;

    std::unordered_map<std::string, std::uint32_t> m_locations;  // "host\0directory" -> number
    std::unordered_map<Key, Digest, KeyHash> m_files;
};

} // namespace ringsnap
