// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/logging.hpp>

#include <memory>
#include <vector>

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace ringsnap {

namespace {

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
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_level(level_for(verbosity));
    console->set_pattern("%^%l%$: %v");
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

} // namespace ringsnap
