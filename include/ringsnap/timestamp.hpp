// SPDX-License-Identifier: Apache-2.0
#pragma once

// Wall-clock instants as ringsnap records and shows them: UTC, millisecond precision, written
// ISO-8601 ("2026-11-23T02:00:00.120Z"). Manifests, the run lock and reports all use these.

#include <chrono>
#include <string>
#include <string_view>

#include <ringsnap/result.hpp>

namespace ringsnap {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

Timestamp now_utc();

// "2026-11-23T02:00:00.120Z": ISO-8601, UTC, always three fraction digits.
std::string format_timestamp(Timestamp time);

// Reads "YYYY-MM-DDTHH:MM:SS[.f...]Z" (UTC only, 0 to 9 fraction digits, truncated to
// milliseconds). ErrorKind::parse naming the text when it has another shape or is not a date.
[[nodiscard]] Result<Timestamp> parse_timestamp(std::string_view text);

} // namespace ringsnap
