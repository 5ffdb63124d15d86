// SPDX-License-Identifier: Apache-2.0
// The catalog on the operator host and its run lock. Durability comes from POSIX calls used in
// a fixed order (write, fsync file, link or rename, fsync directory), so std::filesystem is used
// only where no durability is at stake.

#include <ringsnap/catalog.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <ostream>
#include <streambuf>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <ringsnap/local_file.hpp>
#include <ringsnap/manifest_json.hpp>
#include <ringsnap/run_id.hpp>
#include <ringsnap/shell.hpp>
#include <ringsnap/timestamp.hpp>

namespace ringsnap {

namespace {

namespace fs = std::filesystem;

Error io_error(std::string_view what, const fs::path& path, int error_number)
{
    return make_error(ErrorKind::io, fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(error_number)));
}

// A problem with the catalog's place on disk, found before anything was touched: the operator
// fixes it in the cluster file's `catalog:` setting or on disk (ErrorKind::catalog, exit 2).
Error place_error(const Catalog& catalog, std::string_view problem)
{
    return make_error(ErrorKind::catalog, fmt::format("catalog {}: {} (the cluster file's `catalog:` setting)",
                                                      catalog.directory().parent_path().string(), problem));
}

Error place_error(const Catalog& catalog, std::string_view what, const fs::path& path, int error_number)
{
    return place_error(catalog, fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(error_number)));
}

// Every error of reading a file of the catalog (a manifest, a restore record) is a catalog
// error, whichever layer found it: one exit code for a bad manifest whatever the verb.
Error in_catalog(Error error)
{
    error.kind = ErrorKind::catalog;
    return error;
}

// Closes a file descriptor when it goes out of scope.
class FileDescriptor
{
  public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor()
    {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    int get() const { return m_fd; }
    int release() { return std::exchange(m_fd, -1); }

  private:
    int m_fd;
};

// Makes a directory entry (a new, renamed or removed file) durable.
Status fsync_directory(const fs::path& directory)
{
    FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
        return io_error("open directory", directory, errno);
    }
    if (::fsync(fd.get()) != 0) {
        return io_error("fsync directory", directory, errno);
    }
    return {};
}

Status make_directories(const fs::path& directory)
{
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) {
        return make_error(ErrorKind::io,
                          fmt::format("cannot create directory {}: {}", directory.string(), error.message()));
    }
    return {};
}

// A manifest or record file of the catalog, read through open_local_file (no FIFO, device or
// directory, size capped) and parsed by `read`; every error names the file.
template <class Read>
auto read_catalog_file(const fs::path& path, const FileKind& kind, Read read)
    -> decltype(read(std::declval<std::istream&>()))
{
    auto file = open_local_file(path, kind);
    if (!file) {
        return in_catalog(file.error());
    }
    auto content = read(file->stream());
    if (auto error = file->read_error()) {
        return in_catalog(*error);
    }
    if (!content) {
        return in_catalog(content.error());
    }
    return content;
}

bool file_exists(const fs::path& path)
{
    struct stat info
    {
    };
    return ::lstat(path.c_str(), &info) == 0;
}

// An ostream buffer over a file descriptor, so that the manifest streams straight to the file
// that is then fsync'd (an ofstream hides its descriptor). Keeps the first write error.
class DescriptorBuffer : public std::streambuf
{
  public:
    explicit DescriptorBuffer(int fd) : m_fd(fd), m_buffer(1 << 16)
    {
        setp(m_buffer.data(), m_buffer.data() + m_buffer.size());
    }
    int error() const { return m_error; }

  protected:
    int_type overflow(int_type ch) override
    {
        if (!drain()) {
            return traits_type::eof();
        }
        if (!traits_type::eq_int_type(ch, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(ch);
            pbump(1);
        }
        return traits_type::not_eof(ch);
    }
    int sync() override { return drain() ? 0 : -1; }

  private:
    bool drain()
    {
        const char* data = pbase();
        auto left = static_cast<std::size_t>(pptr() - pbase());
        while (left > 0 && m_error == 0) {
            ssize_t written = ::write(m_fd, data, left);
            if (written < 0 && errno != EINTR) {
                m_error = errno;
            } else if (written > 0) {
                data += written;
                left -= static_cast<std::size_t>(written);
            }
        }
        setp(m_buffer.data(), m_buffer.data() + m_buffer.size());
        return m_error == 0;
    }

    int m_fd;
    std::vector<char> m_buffer;
    int m_error = 0;
};

// A hidden file next to the final one; removed unless published.
class TemporaryFile
{
  public:
    static Result<TemporaryFile> create(const fs::path& directory, std::string_view tag)
    {
        static std::atomic<unsigned> counter{0};
        for (int attempt = 0; attempt < 100; ++attempt) {
            auto path = directory / fmt::format(".{}.json.{}.{}.tmp", tag, ::getpid(), counter++);
            int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd >= 0) {
                return TemporaryFile(fd, path);
            }
            if (errno != EEXIST) {
                return io_error("create", path, errno);
            }
        }
        return make_error(ErrorKind::io, fmt::format("cannot create a temporary file in {}", directory.string()));
    }
    TemporaryFile(TemporaryFile&& other) noexcept
        : m_fd(std::exchange(other.m_fd, -1)), m_path(std::move(other.m_path)), m_published(other.m_published)
    {
        other.m_published = true;
    }
    TemporaryFile& operator=(TemporaryFile&&) = delete;
    ~TemporaryFile()
    {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        if (!m_published) {
            ::unlink(m_path.c_str());
        }
    }

    const fs::path& path() const { return m_path; }

    // Streams the document, then fsyncs and closes the file.
    Status write(const std::function<void(std::ostream&)>& writer)
    {
        DescriptorBuffer buffer(m_fd);
        std::ostream out(&buffer);
        writer(out);
        out.flush();
        if (buffer.error() != 0 || !out) {
            return io_error("write", m_path, buffer.error() != 0 ? buffer.error() : EIO);
        }
        if (::fsync(m_fd) != 0) {
            return io_error("fsync", m_path, errno);
        }
        int fd = std::exchange(m_fd, -1);
        if (::close(fd) != 0) {
            return io_error("close", m_path, errno);
        }
        return {};
    }

    // Gives the file its final name. Without `replace`, link() refuses an existing name
    // atomically (rename() would silently replace it); the temporary name is then dropped.
    Status publish(const fs::path& target, bool replace)
    {
        if (replace) {
            if (::rename(m_path.c_str(), target.c_str()) != 0) {
                return io_error(fmt::format("rename {} to", m_path.string()), target, errno);
            }
            m_published = true;
            return {};
        }
        if (::link(m_path.c_str(), target.c_str()) != 0) {
            return errno == EEXIST ? already_there(target)
                                   : io_error(fmt::format("link {} to", m_path.string()), target, errno);
        }
        ::unlink(m_path.c_str());
        m_published = true;
        return {};
    }

    static Error already_there(const fs::path& target)
    {
        return make_error(ErrorKind::usage,
                          fmt::format("a backup tagged \"{}\" is already in the catalog ({}); choose another tag, or "
                                      "clear that backup first",
                                      target.stem().string(), target.string()));
    }

  private:
    TemporaryFile(int fd, fs::path path) : m_fd(fd), m_path(std::move(path)) {}

    int m_fd;
    fs::path m_path;
    bool m_published = false;
};

Error not_in_catalog(std::string_view tag, const fs::path& directory)
{
    return make_error(ErrorKind::usage,
                      fmt::format("no backup tagged {} in the catalog {}", quote_for_message(tag), directory.string()));
}

// The manifest at `path` must be the one its place says: the catalog's cluster and the tag of
// its file name (a file copied or renamed by hand would otherwise pass for another backup).
Status check_identity(const std::string& cluster, const std::string& tag, const Catalog& catalog, const fs::path& path)
{
    if (cluster != catalog.cluster()) {
        return make_error(ErrorKind::catalog,
                          fmt::format("manifest {} belongs to cluster {}, not {}", path.string(),
                                      quote_for_message(cluster), quote_for_message(catalog.cluster())));
    }
    if (tag != path.stem().string()) {
        return make_error(ErrorKind::catalog, fmt::format("manifest {} is tagged {}, not as its file name says",
                                                          path.string(), quote_for_message(tag)));
    }
    return {};
}

Result<ManifestSummary> read_summary_file(const Catalog& catalog, const fs::path& path)
{
    auto summary = read_catalog_file(path, k_manifest_file,
                                     [&](std::istream& in) { return read_manifest_summary(in, path.string()); });
    if (!summary) {
        return summary.error();
    }
    auto identity = check_identity(summary->cluster, summary->tag, catalog, path);
    if (!identity) {
        return identity.error();
    }
    return summary;
}

bool is_manifest_file_name(const fs::path& path)
{
    auto name = path.filename().string();
    return path.extension() == ".json" && !name.empty() && name.front() != '.';
}

} // namespace

// --- Catalog ---

Result<Catalog> Catalog::open(const fs::path& root, const std::string& cluster)
{
    auto valid = validate_tag(cluster);
    if (!valid) {
        return make_error(ErrorKind::config, fmt::format("cluster name {} cannot name a catalog directory: {}",
                                                         quote_for_message(cluster), valid.error().message));
    }
    return Catalog(cluster, root / cluster);
}

Result<fs::path> Catalog::manifest_path(std::string_view tag) const
{
    auto valid = validate_tag(tag);
    if (!valid) {
        return valid.error();
    }
    return manifests_directory() / fmt::format("{}.json", tag);
}

bool Catalog::exists(std::string_view tag) const
{
    auto path = manifest_path(tag);
    return path && file_exists(*path);
}

Result<fs::path> Catalog::save(const Manifest& manifest, SaveMode mode) const
{
    auto path = manifest_path(manifest.tag);
    if (!path) {
        return path.error();
    }
    if (manifest.cluster != m_cluster) {
        return make_error(ErrorKind::internal,
                          fmt::format("a manifest of cluster {} cannot go into the catalog of {}",
                                      quote_for_message(manifest.cluster), quote_for_message(m_cluster)));
    }
    bool replace = mode == SaveMode::replace;
    if (!replace && file_exists(*path)) {
        return TemporaryFile::already_there(*path); // early, before a large write
    }
    auto created = make_directories(manifests_directory());
    if (!created) {
        return created.error();
    }
    auto temporary = TemporaryFile::create(manifests_directory(), manifest.tag);
    if (!temporary) {
        return temporary.error();
    }
    auto written = temporary->write([&](std::ostream& out) { write_manifest(out, manifest); });
    if (!written) {
        return written.error();
    }
    auto published = temporary->publish(*path, replace);
    if (!published) {
        return published.error();
    }
    auto synced = fsync_directory(manifests_directory());
    if (!synced) {
        return synced.error();
    }
    return *path;
}

Result<Manifest> Catalog::load(std::string_view tag) const
{
    auto path = manifest_path(tag);
    if (!path) {
        return path.error();
    }
    if (!file_exists(*path)) {
        return not_in_catalog(tag, m_directory);
    }
    auto manifest =
        read_catalog_file(*path, k_manifest_file, [&](std::istream& in) { return read_manifest(in, path->string()); });
    if (!manifest) {
        return manifest.error();
    }
    auto identity = check_identity(manifest->cluster, manifest->tag, *this, *path);
    if (!identity) {
        return identity.error();
    }
    return manifest;
}

Result<CatalogListing> Catalog::list() const
{
    CatalogListing listing;
    auto directory = manifests_directory();
    std::error_code error;
    fs::directory_iterator entries(directory, error);
    if (error == std::errc::no_such_file_or_directory) {
        return listing;
    }
    for (; !error && entries != fs::directory_iterator(); entries.increment(error)) {
        const auto& path = entries->path();
        if (!is_manifest_file_name(path)) {
            continue; // temporary files of saves in progress or crashed, and anything else
        }
        auto summary = read_summary_file(*this, path);
        if (summary) {
            listing.manifests.push_back(std::move(*summary));
        } else {
            listing.problems.push_back(CatalogProblem{path, summary.error()});
        }
    }
    if (error) {
        return place_error(*this, fmt::format("cannot read directory {}: {}", directory.string(), error.message()));
    }
    std::sort(listing.manifests.begin(), listing.manifests.end(), [](const auto& a, const auto& b) {
        return std::tie(a.started_at, a.tag) < std::tie(b.started_at, b.tag);
    });
    std::sort(listing.problems.begin(), listing.problems.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    return listing;
}

Result<fs::path> Catalog::restore_path(std::string_view id) const
{
    if (auto valid = validate_tag(id); !valid) {
        return make_error(ErrorKind::usage, fmt::format("invalid restore id: {}", valid.error().message));
    }
    return restores_directory() / (std::string(id) + ".json");
}

bool Catalog::restore_exists(std::string_view id) const
{
    auto path = restore_path(id);
    return path && file_exists(*path);
}

Result<fs::path> Catalog::save_restore(const RestoreRecord& record) const
{
    auto path = restore_path(record.id);
    if (!path) {
        return path.error();
    }
    if (auto created = make_directories(restores_directory()); !created) {
        return created.error();
    }
    auto temporary = TemporaryFile::create(restores_directory(), record.id);
    if (!temporary) {
        return temporary.error();
    }
    auto written = temporary->write([&](std::ostream& out) { out << to_json(record).dump(2) << "\n"; });
    if (!written) {
        return written.error();
    }
    if (auto published = temporary->publish(*path, true); !published) {
        return published.error();
    }
    if (auto synced = fsync_directory(restores_directory()); !synced) {
        return synced.error();
    }
    return *path;
}

namespace {

Result<RestoreRecord> read_restore_file(const fs::path& path)
{
    return read_catalog_file(path, k_restore_record_file, [&](std::istream& in) -> Result<RestoreRecord> {
        auto json = nlohmann::ordered_json::parse(in, nullptr, false);
        if (json.is_discarded()) {
            return make_error(ErrorKind::parse, fmt::format("{}: not valid JSON", path.string()));
        }
        auto record = restore_record_from_json(json);
        if (!record) {
            return make_error(ErrorKind::parse, fmt::format("{}: {}", path.string(), record.error().message));
        }
        return record;
    });
}

} // namespace

Result<RestoreRecord> Catalog::load_restore(std::string_view id) const
{
    auto path = restore_path(id);
    if (!path) {
        return path.error();
    }
    if (!file_exists(*path)) {
        return make_error(ErrorKind::usage,
                          fmt::format("no restore {} in the catalog ({})", id, restores_directory().string()));
    }
    return read_restore_file(*path);
}

Result<RestoreListing> Catalog::list_restores() const
{
    RestoreListing listing;
    std::error_code error;
    fs::directory_iterator entries(restores_directory(), error);
    if (error == std::errc::no_such_file_or_directory) {
        return listing;
    }
    if (error) {
        return place_error(*this,
                           fmt::format("cannot read directory {}: {}", restores_directory().string(), error.message()));
    }
    for (const auto& entry : entries) {
        if (!is_manifest_file_name(entry.path())) {
            continue;
        }
        auto record = read_restore_file(entry.path());
        if (record) {
            listing.records.push_back(std::move(*record));
        } else {
            listing.problems.push_back({entry.path(), record.error()});
        }
    }
    std::sort(listing.records.begin(), listing.records.end(), [](const RestoreRecord& a, const RestoreRecord& b) {
        return std::tie(a.started_at, a.id) < std::tie(b.started_at, b.id);
    });
    return listing;
}

Status Catalog::remove(std::string_view tag) const
{
    auto path = manifest_path(tag);
    if (!path) {
        return path.error();
    }
    if (::unlink(path->c_str()) != 0) {
        return errno == ENOENT ? not_in_catalog(tag, m_directory) : io_error("remove", *path, errno);
    }
    return fsync_directory(manifests_directory());
}

// --- CatalogLock ---

namespace {

std::string host_name()
{
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) {
        return "unknown";
    }
    return name;
}

std::string holder_record(const LockHolder& holder)
{
    nlohmann::json record{{"pid", holder.pid},
                          {"host", holder.host},
                          {"started_at", format_timestamp(holder.started_at)},
                          {"command", holder.command},
                          {"run_id", holder.run_id}};
    return record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// The record in the lock file; nothing when the file is empty (released, or its holder has
// not written it yet). A record that does not parse still means someone held the lock.
std::optional<LockHolder> read_holder(int fd)
{
    std::string text;
    char chunk[4096];
    off_t offset = 0;
    ssize_t got = 0;
    while ((got = ::pread(fd, chunk, sizeof chunk, offset)) > 0 && text.size() < 65536) {
        text.append(chunk, static_cast<std::size_t>(got));
        offset += got;
    }
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        return std::nullopt;
    }
    LockHolder holder;
    holder.command = "(an unreadable record)";
    auto record = nlohmann::json::parse(text, nullptr, false);
    if (!record.is_object()) {
        return holder;
    }
    auto text_of = [&](const char* key) {
        auto it = record.find(key);
        return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto pid = record.find("pid");
    holder.pid = pid != record.end() && pid->is_number_integer() ? pid->get<pid_t>() : 0;
    holder.host = text_of("host");
    holder.command = text_of("command");
    holder.run_id = text_of("run_id");
    auto started = parse_timestamp(text_of("started_at"));
    holder.started_at = started ? *started : Timestamp{};
    return holder;
}

// The holder writes its record right after taking the lock: a run refused in between reads an
// empty file, so it looks again for a moment before saying it does not know who.
std::optional<LockHolder> wait_for_holder(int fd)
{
    for (int attempt = 0; attempt < 20; ++attempt) {
        if (auto holder = read_holder(fd)) {
            return holder;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
}

Error busy_error(const Catalog& catalog, const fs::path& path, const std::optional<LockHolder>& holder)
{
    std::string who = holder ? describe(*holder) : "a process that has not recorded itself yet";
    return make_error(ErrorKind::usage, fmt::format("another ringsnap run on cluster {} holds the lock {}: {}; "
                                                    "one run per cluster at a time",
                                                    catalog.cluster(), path.string(), who));
}

Status write_holder(int fd, const fs::path& path, const std::string& command)
{
    LockHolder self{::getpid(), host_name(), now_utc(), command, this_run_id()};
    std::string record = holder_record(self);
    if (::ftruncate(fd, 0) != 0) {
        return io_error("truncate", path, errno);
    }
    if (::pwrite(fd, record.data(), record.size(), 0) != static_cast<ssize_t>(record.size())) {
        return io_error("write", path, errno == 0 ? EIO : errno);
    }
    return {};
}

} // namespace

std::string describe(const LockHolder& holder)
{
    return fmt::format("pid {} on {} since {}: {}", holder.pid, holder.host.empty() ? "an unknown host" : holder.host,
                       format_timestamp(holder.started_at), holder.command);
}

namespace {

// flock(LOCK_EX | LOCK_NB), tried again for a moment while it is busy: holder() takes a shared
// lock for an instant, and a run started then must not be refused for it. A run holds the lock
// for its whole length, so a moment's wait never mistakes a run for a probe.
bool lock_exclusively(int fd)
{
    for (int attempt = 0;; ++attempt) {
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
            return true;
        }
        if (errno != EWOULDBLOCK || attempt >= 20) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

} // namespace

std::optional<LockHolder> CatalogLock::holder(const Catalog& catalog)
{
    int fd = ::open(catalog.lock_path().c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return std::nullopt;
    }
    FileDescriptor guard(fd);
    struct stat info
    {
    };
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        return std::nullopt;
    }
    if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
        ::flock(fd, LOCK_UN);
        return std::nullopt;
    }
    if (errno != EWOULDBLOCK) {
        return std::nullopt;
    }
    return wait_for_holder(fd).value_or(LockHolder{});
}

Result<CatalogLock> CatalogLock::acquire(const Catalog& catalog, const std::string& command)
{
    auto created = make_directories(catalog.directory());
    if (!created) {
        return place_error(catalog, created.error().message);
    }
    auto path = catalog.lock_path();
    // O_NONBLOCK: a FIFO in the lock's place must not hang the run (it is refused just below).
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
    if (fd < 0) {
        return place_error(catalog, "open lock file", path, errno);
    }
    FileDescriptor guard(fd);
    struct stat info
    {
    };
    if (::fstat(fd, &info) != 0) {
        return place_error(catalog, "inspect lock file", path, errno);
    }
    if (!S_ISREG(info.st_mode)) {
        return place_error(catalog, fmt::format("the lock file {} is not a regular file", path.string()));
    }
    if (!lock_exclusively(fd)) {
        if (errno == EWOULDBLOCK) {
            return busy_error(catalog, path, wait_for_holder(fd));
        }
        return place_error(catalog, "lock", path, errno);
    }
    auto previous = read_holder(fd); // still there: its holder died without releasing
    auto recorded = write_holder(fd, path, command);
    if (!recorded) {
        return place_error(catalog, recorded.error().message);
    }
    return CatalogLock(guard.release(), path, std::move(previous));
}

CatalogLock::CatalogLock(CatalogLock&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_path(std::move(other.m_path)), m_taken_over(std::move(other.m_taken_over))
{
}

CatalogLock& CatalogLock::operator=(CatalogLock&& other) noexcept
{
    if (this != &other) {
        release();
        m_fd = std::exchange(other.m_fd, -1);
        m_path = std::move(other.m_path);
        m_taken_over = std::move(other.m_taken_over);
    }
    return *this;
}

CatalogLock::~CatalogLock()
{
    release();
}

void CatalogLock::release() noexcept
{
    if (m_fd < 0) {
        return;
    }
    // Empty the record first, while still holding the lock: an empty file tells the next run
    // that this one ended cleanly.
    [[maybe_unused]] int truncated = ::ftruncate(m_fd, 0);
    ::flock(m_fd, LOCK_UN);
    ::close(m_fd);
    m_fd = -1;
}

} // namespace ringsnap
