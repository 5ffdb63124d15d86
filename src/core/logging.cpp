// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/logging.hpp>

#include <unistd.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace ringsnap {

namespace {

// The terminal sink: log lines from `m_inner`, with the status line erased before each and
// drawn again after it.
class StatusLineSink final : public spdlog::sinks::base_sink<std::mutex> {
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

std::shared_ptr<StatusLineSink> g_status_line;  // set when stderr is a terminal and not -q

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

Status init_logging(Verbosity verbosity, const std::optional<std::filesystem::path>& log_file)
{
    spdlog::sink_ptr console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_pattern("%^%l%$: %v");
    g_status_line.reset();
    if (isatty(STDERR_FILENO) && verbosity != Verbosity::quiet) {
        g_status_line = std::make_shared<StatusLineSink>(console);
        console = g_status_line;
    }
    console->set_level(level_for(verbosity));
    std::vector<spdlog::sink_ptr> sinks{console};
    auto logger_level = level_for(verbosity);
    if (log_file) {
        try {
            auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file->string());
            file->set_level(spdlog::level::debug);
            file->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %l %v",
                                                                            spdlog::pattern_time_type::utc));
            sinks.push_back(file);
            logger_level = std::min(logger_level, spdlog::level::debug);
        } catch (const spdlog::spdlog_ex& e) {
            return make_error(ErrorKind::config, fmt::format("cannot write log file {}: {}", log_file->string(), e.what()));
        }
    }
    auto logger = std::make_shared<spdlog::logger>("ringsnap", sinks.begin(), sinks.end());
    logger->set_level(logger_level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
    return {};
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
