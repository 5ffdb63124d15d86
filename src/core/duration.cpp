// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/duration.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include <ringsnap/shell.hpp>

namespace ringsnap {

namespace {

// "ms" comes first so that format_duration, which walks the table from the end, tries the
// largest unit first; parse_duration compares whole suffixes, so the order does not matter there.
constexpr std::array<std::pair<std::string_view, long long>, 5> k_units{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60LL * 1000},
    {"h", 60LL * 60 * 1000},
    {"d", 24LL * 60 * 60 * 1000},
}};

Error duration_error(std::string_view text)
{
    return make_error(ErrorKind::config,
                      fmt::format("expected a duration like 30s, 5m, 2h or 7d (units: ms, s, m, h, d), got {}",
                                  quote_for_message(text)));
}

} // namespace

Result<Duration> parse_duration(std::string_view text, bool allow_zero)
{
    // Digits only: no sign, no spaces, no fraction ("1.5h" is "90m").
    auto digits_end = text.find_first_not_of("0123456789");
    if (digits_end == 0 || digits_end == std::string_view::npos) {
        return duration_error(text);
    }
    std::string_view unit = text.substr(digits_end);
    auto found = std::find_if(k_units.begin(), k_units.end(), [&](const auto& entry) { return entry.first == unit; });
    if (found == k_units.end()) {
        return duration_error(text);
    }
    long long count = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + digits_end, count);
    if (ec == std::errc::result_out_of_range ||
        (ec == std::errc() && count > std::numeric_limits<long long>::max() / found->second)) {
        return make_error(ErrorKind::config, fmt::format("duration {} is too long", quote_for_message(text)));
    }
    if (ec != std::errc() || end != text.data() + digits_end) {
        return duration_error(text);
    }
    if (count == 0 && !allow_zero) {
        return make_error(ErrorKind::config,
                          fmt::format("duration {} must be more than zero", quote_for_message(text)));
    }
    return Duration(count * found->second);
}

std::string format_duration(Duration duration)
{
    long long ms = duration.count();
    if (ms == 0) {
        return "0s";
    }
    for (auto it = k_units.rbegin(); it != k_units.rend(); ++it) {
        if (ms % it->second == 0) {
            return fmt::format("{}{}", ms / it->second, it->first);
        }
    }
    return fmt::format("{}ms", ms); // not reached: every count is a whole number of ms
}

} // namespace ringsnap
