// SPDX-License-Identifier: Apache-2.0
#pragma once

// Durations as operators write them in cluster files and on the command line: `500ms`, `30s`,
// `5m`, `2h`, `7d` (one number and one unit, no spaces).

#include <chrono>
#include <string>
#include <string_view>

#include <ringsnap/result.hpp>

namespace ringsnap {

using Duration = std::chrono::milliseconds;

// Parses `<digits><unit>` with unit in ms, s, m, h, d. Errors (ErrorKind::config) say what
// form is expected; zero and negative values are accepted only when `allow_zero`.
Result<Duration> parse_duration(std::string_view text, bool allow_zero = false);

// The shortest exact form: 90000ms -> "90s", 7200000ms -> "2h".
std::string format_duration(Duration duration);

} // namespace ringsnap
