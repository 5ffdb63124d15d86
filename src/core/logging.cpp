// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/logging.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <ringsnap/run_id.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap {

namespace {

// The terminal sink: log lines from `m_inner`, with the status line erased before each and
// drawn again after it.
class StatusLineSink final : public spdlog::sinks::base_sink<std::mutex>
{
  public:
    explicit StatusLineSink(spdlog::sink_ptr inner) : m_inner(std::move(inner)) {}

    void show(const std::string& text)
    {
        std::lock_guard lock(mutex_);
        m_line = text;
        erase_and_draw();
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& message) override
    {
        if (!m_line.empty()) {
            std::fputs("\r\033[K", stderr);
        }
        m_inner->log(message);
        m_inner->flush();
        draw();
    }
    void flush_() override { m_inner->flush(); }
    void set_pattern_(const std::string& pattern) override { m_inner->set_pattern(pattern); }
    void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override
    {
        m_inner->set_formatter(std::move(formatter));
    }

  private:
    void erase_and_draw()
    {
        std::fputs("\r\033[K", stderr);
        draw();
    }
    void draw()
    {
        std::fputs(m_line.c_str(), stderr);
        std::fflush(stderr);
    }

    spdlog::sink_ptr m_inner;
    std::string m_line;
};

std::shared_ptr<StatusLineSink> g_status_line; // set when stderr is a terminal and not -q

// The --log-file sink. Each line is written and flushed at once, so the log is whole up to the
// moment something goes wrong; a write error (a full disk, EIO) is said once on stderr and kept
// for the exit code, where spdlog's own file sink would create missing directories and lose
// buffered lines silently at exit. Past its size limit, the file is rotated before the line that
// would cross it.
class LogFileSink final : public spdlog::sinks::base_sink<std::mutex>
{
  public:
    LogFileSink(std::FILE* file, std::string path, std::uint64_t max_bytes, int kept)
        : m_file(file), m_path(std::move(path)), m_max_bytes(max_bytes), m_kept(kept)
    {
        std::fseek(m_file, 0, SEEK_END);
        auto size = std::ftell(m_file);
        m_size = size > 0 ? static_cast<std::uint64_t>(size) : 0;
    }
    ~LogFileSink() override
    {
        if (m_file) {
            std::fclose(m_file);
        }
    }
    LogFileSink(const LogFileSink&) = delete;
    LogFileSink& operator=(const LogFileSink&) = delete;

    // Writes `line` at once, saying nothing; the error that kept it from the file, if any.
    std::optional<std::string> write_now(std::string_view line)
    {
        std::lock_guard lock(mutex_);
        write(line);
        return m_error;
    }

    std::optional<std::string> error()
    {
        std::lock_guard lock(mutex_);
        return m_error;
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& message) override
    {
        if (m_error) {
            return; // said once; the log is incomplete from there on
        }
        spdlog::memory_buf_t formatted;
        formatter_->format(message, formatted);
        if (!write(std::string_view(formatted.data(), formatted.size()))) {
            std::fprintf(stderr, "ringsnap: %s; the log is incomplete from here on\n", m_error->c_str());
        }
    }
    void flush_() override {}

  private:
    bool write(std::string_view line)
    {
        if (m_max_bytes > 0 && m_size > 0 && m_size + line.size() > m_max_bytes && !rotate()) {
            return false;
        }
        if (std::fwrite(line.data(), 1, line.size(), m_file) != line.size() || std::fflush(m_file) != 0) {
            return fail("write", errno);
        }
        m_size += line.size();
        return true;
    }

    // FILE.{N-1} -> FILE.N, ..., FILE -> FILE.1, then a new FILE. A rename that finds nothing
    // to rename is no error: the rotation has not gone that far yet.
    bool rotate()
    {
        std::fclose(m_file);
        m_file = nullptr;
        for (int i = m_kept - 1; i >= 0; --i) {
            auto from = i == 0 ? m_path : fmt::format("{}.{}", m_path, i);
            auto to = fmt::format("{}.{}", m_path, i + 1);
            if (std::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
                return fail("rotate", errno);
            }
        }
        m_file = std::fopen(m_path.c_str(), "ae");
        if (!m_file) {
            return fail("reopen", errno);
        }
        m_size = 0;
        return true;
    }

    bool fail(const char* what, int error)
    {
        m_error = fmt::format("cannot {} log file {}: {}", what, quote_for_message(m_path), std::strerror(error));
        if (m_file) {
            std::clearerr(m_file);
        } else {
            m_file = std::fopen("/dev/null", "we"); // nothing more is written once m_error is set
        }
        return false;
    }

    std::FILE* m_file;
    std::string m_path;
    std::uint64_t m_max_bytes;
    int m_kept;
    std::uint64_t m_size = 0;
    std::optional<std::string> m_error;
};

std::shared_ptr<LogFileSink> g_log_file;

constexpr const char* k_time_pattern = "%Y-%m-%dT%H:%M:%S.%eZ";

// LogFormat::json: one object per line.
class JsonLineFormatter final : public spdlog::formatter
{
  public:
    void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& dest) override
    {
        spdlog::memory_buf_t time;
        m_time.format(message, time);
        auto level = spdlog::level::to_string_view(message.level);
        auto line =
            json_log_line(std::string_view(time.data(), time.size()), std::string_view(level.data(), level.size()),
                          std::string_view(message.payload.data(), message.payload.size()));
        dest.append(line.data(), line.data() + line.size());
        dest.push_back('\n');
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLineFormatter>(); }

  private:
    spdlog::pattern_formatter m_time{k_time_pattern, spdlog::pattern_time_type::utc, ""};
};

std::unique_ptr<spdlog::formatter> file_formatter(LogFormat format)
{
    if (format == LogFormat::json) {
        return std::make_unique<JsonLineFormatter>();
    }
    return std::make_unique<spdlog::pattern_formatter>(fmt::format("{} %l run={} %v", k_time_pattern, this_run_id()),
                                                       spdlog::pattern_time_type::utc);
}

// Opens the log for appending and writes its first line, so that a log that cannot be written
// (no such directory, /dev/full, no permission) stops the run before it touches anything.
Result<std::shared_ptr<LogFileSink>> open_log_file(const LogSettings& settings)
{
    const auto& path = *settings.file;
    auto refuse = [&](const std::string& why) {
        return make_error(ErrorKind::config,
                          fmt::format("cannot write log file {}: {}", quote_for_message(path.string()), why));
    };
    std::error_code ec;
    auto directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    auto directory_status = std::filesystem::status(directory, ec);
    if (!std::filesystem::exists(directory_status)) {
        return refuse(fmt::format("the directory {} does not exist; create it first (ringsnap creates none)",
                                  quote_for_message(directory.string())));
    }
    if (!std::filesystem::is_directory(directory_status)) {
        return refuse(fmt::format("{} is not a directory", quote_for_message(directory.string())));
    }
    if (std::filesystem::is_directory(path, ec)) {
        return refuse("it is a directory; name a file in it");
    }
    std::FILE* file = std::fopen(path.c_str(), "ae");
    if (!file) {
        return refuse(std::strerror(errno));
    }
    auto sink = std::make_shared<LogFileSink>(file, path.string(), settings.max_file_bytes, settings.kept_files);
    sink->set_formatter(file_formatter(settings.format));
    spdlog::details::log_msg opening("ringsnap", spdlog::level::info,
                                     fmt::format("-- ringsnap {} (pid {})", RINGSNAP_VERSION, getpid()));
    spdlog::memory_buf_t first;
    file_formatter(settings.format)->format(opening, first);
    if (auto problem = sink->write_now(std::string_view(first.data(), first.size()))) {
        return make_error(ErrorKind::config, *problem);
    }
    return sink;
}

spdlog::level::level_enum level_for(Verbosity verbosity)
{
    switch (verbosity) {
    case Verbosity::quiet:
        return spdlog::level::warn;
    case Verbosity::normal:
        return spdlog::level::info;
    case Verbosity::verbose:
        return spdlog::level::debug;
    case Verbosity::trace:
        return spdlog::level::trace;
    }
    return spdlog::level::info;
}

} // namespace

std::string json_log_line(std::string_view time, std::string_view level, std::string_view message)
{
    nlohmann::json line{{"time", time}, {"level", level}, {"run_id", this_run_id()}};
    if (message.starts_with('[')) {
        if (auto end = message.find("] "); end != std::string_view::npos) {
            line["host"] = message.substr(1, end - 1);
            message.remove_prefix(end + 2);
        }
    }
    line["message"] = message;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status init_logging(const LogSettings& settings)
{
    spdlog::sink_ptr console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    if (settings.format == LogFormat::json) {
        console->set_formatter(std::make_unique<JsonLineFormatter>());
    } else {
        console->set_pattern("%^%l%$: %v");
    }
    g_status_line.reset();
    bool status_line =
        isatty(STDERR_FILENO) && settings.verbosity != Verbosity::quiet && settings.format == LogFormat::text;
    if (status_line) {
        g_status_line = std::make_shared<StatusLineSink>(console);
        console = g_status_line;
    }
    console->set_level(level_for(settings.verbosity));
    std::vector<spdlog::sink_ptr> sinks{console};
    auto logger_level = level_for(settings.verbosity);
    g_log_file.reset();
    if (settings.file) {
        auto file = open_log_file(settings);
        if (!file) {
            return file.error();
        }
        g_log_file = *file;
        g_log_file->set_level(spdlog::level::debug);
        sinks.push_back(g_log_file);
        logger_level = std::min(logger_level, spdlog::level::debug);
    }
    auto logger = std::make_shared<spdlog::logger>("ringsnap", sinks.begin(), sinks.end());
    logger->set_level(logger_level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    return {};
}

std::optional<std::string> log_file_error()
{
    return g_log_file ? g_log_file->error() : std::nullopt;
}

bool status_line_enabled()
{
    return g_status_line != nullptr;
}

void show_status_line(const std::string& text)
{
    if (g_status_line) {
        g_status_line->show(text);
    }
}

} // namespace ringsnap
