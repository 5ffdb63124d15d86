// SPDX-License-Identifier: Apache-2.0
#pragma once

// Logs go to stderr (and to --log-file); stdout is only for results (tables, --json). Every
// per-node line starts with `[host]`. Secrets never reach a log: remote commands are built from
// validated pieces and carry file paths, never passwords.

#include <filesystem>
#include <optional>
#include <string>

#include <ringsnap/result.hpp>

namespace ringsnap {

enum class Verbosity { quiet, normal, verbose, trace }; // -q, default, -v, -vv

// Sets up the stderr logger (warn with -q, info by default, debug with -v, trace with -vv) and,
// with a log file, a file sink that always records debug and above. ErrorKind::config, naming the
// file, when its directory does not exist (none is created) or a first line cannot be written.
Status init_logging(Verbosity verbosity, const std::optional<std::filesystem::path>& log_file);

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
