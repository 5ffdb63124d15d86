// SPDX-License-Identifier: Apache-2.0
// Files on the operator host, read through a descriptor: open() without blocking, fstat() of
// what was opened (not of the name, which may change in between), then reads that stop at the
// limit whatever the file does meanwhile.

#include <ringsnap/local_file.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <streambuf>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <ringsnap/text_table.hpp>

namespace ringsnap {

namespace {

namespace fs = std::filesystem;

// A seekable read buffer over a descriptor that hands out at most `limit` bytes.
class LimitedBuffer : public std::streambuf
{
  public:
    LimitedBuffer(int fd, std::uint64_t limit) : m_fd(fd), m_limit(limit), m_buffer(1 << 16) {}
    LimitedBuffer(const LimitedBuffer&) = delete;
    LimitedBuffer& operator=(const LimitedBuffer&) = delete;
    ~LimitedBuffer() override { ::close(m_fd); }

    bool exceeded() const { return m_exceeded; }
    int error_number() const { return m_error; }

  protected:
    int_type underflow() override
    {
        if (gptr() < egptr()) {
            return traits_type::to_int_type(*gptr());
        }
        if (m_offset >= m_limit) {
            char probe = 0;
            m_exceeded = read_some(&probe, 1) > 0;
            return traits_type::eof();
        }
        auto wanted = static_cast<std::size_t>(std::min<std::uint64_t>(m_buffer.size(), m_limit - m_offset));
        auto got = read_some(m_buffer.data(), wanted);
        if (got <= 0) {
            return traits_type::eof();
        }
        m_offset += static_cast<std::uint64_t>(got);
        setg(m_buffer.data(), m_buffer.data(), m_buffer.data() + got);
        return traits_type::to_int_type(*gptr());
    }

    pos_type seekoff(off_type offset, std::ios_base::seekdir direction, std::ios_base::openmode /*which*/) override
    {
        auto here = static_cast<off_type>(m_offset) - static_cast<off_type>(egptr() - gptr());
        if (direction == std::ios_base::cur && offset == 0) {
            return pos_type(here); // tellg(): no need to drop the buffer
        }
        off_type target = offset;
        if (direction == std::ios_base::cur) {
            target += here;
        } else if (direction == std::ios_base::end) {
            struct stat info
            {
            };
            if (::fstat(m_fd, &info) != 0) {
                return pos_type(off_type(-1));
            }
            target += std::min<off_type>(info.st_size, static_cast<off_type>(m_limit));
        }
        if (target < 0 || ::lseek(m_fd, target, SEEK_SET) < 0) {
            return pos_type(off_type(-1));
        }
        m_offset = static_cast<std::uint64_t>(target);
        setg(m_buffer.data(), m_buffer.data(), m_buffer.data());
        return pos_type(target);
    }

    pos_type seekpos(pos_type position, std::ios_base::openmode which) override
    {
        return seekoff(off_type(position), std::ios_base::beg, which);
    }

  private:
    ssize_t read_some(char* into, std::size_t size)
    {
        ssize_t got = 0;
        do {
            got = ::read(m_fd, into, size);
        } while (got < 0 && errno == EINTR);
        if (got < 0) {
            m_error = errno;
        }
        return got;
    }

    int m_fd;
    std::uint64_t m_limit;
    std::vector<char> m_buffer;
    std::uint64_t m_offset = 0; // of the end of the buffer in the file
    bool m_exceeded = false;
    int m_error = 0;
};

const char* type_name(mode_t mode)
{
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    return "not a regular file";
}

Error cannot_read(const FileKind& kind, const fs::path& path, std::string_view why)
{
    return make_error(ErrorKind::io, fmt::format("cannot read {} {}: {}", kind.name, path.string(), why));
}

Error too_large(const FileKind& kind, const fs::path& path)
{
    return cannot_read(kind, path,
                       fmt::format("it is larger than a {} may be ({})", kind.name, format_bytes(kind.max_bytes)));
}

} // namespace

struct LocalFile::State
{
    State(int fd, const FileKind& file_kind) : kind(file_kind), buffer(fd, file_kind.max_bytes), stream(&buffer) {}
    FileKind kind;
    LimitedBuffer buffer;
    std::istream stream;
};

LocalFile::LocalFile(fs::path path, std::unique_ptr<State> state) : m_path(std::move(path)), m_state(std::move(state))
{
}
LocalFile::LocalFile(LocalFile&&) noexcept = default;
LocalFile& LocalFile::operator=(LocalFile&&) noexcept = default;
LocalFile::~LocalFile() = default;

std::istream& LocalFile::stream()
{
    return m_state->stream;
}

bool LocalFile::exceeded() const
{
    return m_state->buffer.exceeded();
}

std::optional<Error> LocalFile::read_error() const
{
    if (exceeded()) {
        return too_large(m_state->kind, m_path);
    }
    if (m_state->buffer.error_number() != 0) {
        return cannot_read(m_state->kind, m_path, std::strerror(m_state->buffer.error_number()));
    }
    return std::nullopt;
}

Result<LocalFile> open_local_file(const fs::path& path, const FileKind& kind)
{
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return cannot_read(kind, path, std::strerror(errno));
    }
    struct stat info
    {
    };
    if (::fstat(fd, &info) != 0) {
        int error = errno;
        ::close(fd);
        return cannot_read(kind, path, std::strerror(error));
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        return cannot_read(kind, path, fmt::format("it is {}, not a regular file", type_name(info.st_mode)));
    }
    if (static_cast<std::uint64_t>(info.st_size) > kind.max_bytes) {
        ::close(fd);
        return too_large(kind, path);
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return LocalFile(path, std::make_unique<LocalFile::State>(fd, kind));
}

Result<std::string> read_local_file(const fs::path& path, const FileKind& kind)
{
    auto file = open_local_file(path, kind);
    if (!file) {
        return file.error();
    }
    std::string text(std::istreambuf_iterator<char>(file->stream()), std::istreambuf_iterator<char>{});
    if (auto error = file->read_error()) {
        return *error;
    }
    return text;
}

} // namespace ringsnap
