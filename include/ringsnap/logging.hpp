// SPDX-License-Identifier: Apache-2.0
#pragma once

// Logs go to stderr (and to --log-file); stdout is only for results (tables, --json). Every
// per-node line starts with `[host]`. Every line of the log file, and every line in the JSON
// format, carries the run's id (run_id.hpp), which its manifest and the lock file also record.
// Secrets never reach a log: remote commands are built from validated pieces and carry file
// paths, never passwords.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <ringsnap/result.hpp>

namespace ringsnap {

enum class Verbosity { quiet, normal, verbose, trace }; // -q, default, -v, -vv

// text: "level: message" on stderr, "<time> <level> run=<id> message" in the file. json: one
// object per line on both, for log shippers: time, level, run_id, host (for a node's line) and
// message; no status line.
enum class LogFormat { text, json };

struct LogSettings
{
    Verbosity verbosity = Verbosity::normal;
    std::optional<std::filesystem::path> file{}; // --log-file
    std::uint64_t max_file_bytes = 0;            // --log-max-size: rotate past it (0: never)
    int kept_files = 5;                          // --log-keep: FILE.1 (newest) to FILE.N are kept
    LogFormat format = LogFormat::text;
};

// Sets up the stderr logger (warn with -q, info by default, debug with -v, trace with -vv) and,
// with a log file, a file sink that always records debug and above. A file that would grow past
// max_file_bytes is first renamed FILE.1 (FILE.1 becomes FILE.2, and so on; the oldest past
// kept_files is dropped). ErrorKind::config, naming the file, when its directory does not exist
// (none is created) or a first line cannot be written.
Status init_logging(const LogSettings& settings);

// The JSON object of one log line (without its newline), as LogFormat::json writes it: "[host] "
// at the start of a message becomes the "host" key. Exposed for tests.
std::string json_log_line(std::string_view time, std::string_view level, std::string_view message);

// Why the log file stopped being written during the run (said once on stderr when it happened),
// or nothing. A run that otherwise succeeded ends with exit 1 then: its record is incomplete.
std::optional<std::string> log_file_error();

// Whether stderr shows a status line: it is a terminal and the verbosity is not quiet. Otherwise
// progress goes out as plain log lines (cron mails and CI logs have no use for redrawn lines).
bool status_line_enabled();

// Sets the line kept at the bottom of the terminal (a run's progress); log lines are printed
// above it, so the two never mix. Empty text removes it. Does nothing unless enabled.
void show_status_line(const std::string& text);

} // namespace ringsnap
