// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading files on the operator host. Every file ringsnap reads there (the cluster file, the
// manifests and restore records of the catalog, a password file) is input it does not control:
// a FIFO would hang the read, a device such as /dev/zero never ends, a directory throws from
// deep inside the stream library, and a huge file would fill memory. So every such read goes
// through open_local_file, which refuses all of these up front with a message naming the file.

#include <cstdint>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <ringsnap/result.hpp>

namespace ringsnap {

// The most each kind of file may hold. They bound memory; each is far above what ringsnap writes
// (a cluster file of a thousand nodes is ~100 KB; a manifest of a large cluster, ~100 MB).
inline constexpr std::uint64_t k_max_cluster_file_bytes = 4ULL << 20;    // 4 MiB
inline constexpr std::uint64_t k_max_manifest_bytes = 2ULL << 30;        // 2 GiB
inline constexpr std::uint64_t k_max_restore_record_bytes = 64ULL << 20; // 64 MiB
inline constexpr std::uint64_t k_max_secret_file_bytes = 64ULL << 10;    // 64 KiB

// What a file is, and how large it may be, for messages: "cluster file", "manifest".
struct FileKind
{
    std::string_view name;
    std::uint64_t max_bytes = 0;
};

inline constexpr FileKind k_cluster_file{"cluster file", k_max_cluster_file_bytes};
inline constexpr FileKind k_manifest_file{"manifest", k_max_manifest_bytes};
inline constexpr FileKind k_restore_record_file{"restore record", k_max_restore_record_bytes};
inline constexpr FileKind k_secret_file{"password file", k_max_secret_file_bytes};
inline constexpr FileKind k_metrics_file{"metrics file", 16ULL << 20}; // 16 MiB

// A regular file open for reading, as a seekable stream that never yields more than its kind's
// limit (a file that grows while it is read is cut there, and exceeded() says so).
class LocalFile
{
  public:
    LocalFile(LocalFile&&) noexcept;
    LocalFile& operator=(LocalFile&&) noexcept;
    ~LocalFile();

    std::istream& stream();
    const std::filesystem::path& path() const { return m_path; }

    // Whether the file held more than the limit while it was read (it grew after it was opened).
    bool exceeded() const;

    // The error for a read that failed with the stream: the limit when it was exceeded, the
    // system's error when the stream hit one, else nothing (the content itself was at fault).
    std::optional<Error> read_error() const;

  private:
    friend Result<LocalFile> open_local_file(const std::filesystem::path&, const FileKind&);
    struct State;
    LocalFile(std::filesystem::path path, std::unique_ptr<State> state);

    std::filesystem::path m_path;
    std::unique_ptr<State> m_state;
};

// Opens `path` for reading without blocking (a FIFO is not waited on). ErrorKind::io naming the
// file and the kind when it cannot be opened (missing: the system's "No such file or
// directory"), is not a regular file (a directory, FIFO, socket or device), or is larger than
// the kind's limit. Symbolic links are followed.
[[nodiscard]] Result<LocalFile> open_local_file(const std::filesystem::path& path, const FileKind& kind);

// The whole content of a small file, through open_local_file; the same errors.
[[nodiscard]] Result<std::string> read_local_file(const std::filesystem::path& path, const FileKind& kind);

} // namespace ringsnap
