// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/duration.hpp>

#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace ringsnap {

namespace {

// Longest suffix first, so "ms" is not read as "m" followed by junk.
constexpr std::array<std::pair<std::string_view, long long>, 5> k_units{{
    {"ms", 1},
    {"s", 1000},
    {"m", 60 * 1000},
    {"h", 60 * 60 * 1000},
    {"d", 24 * 60 * 60 * 1000},
}};

Error duration_error(std::string_view text)
{
    return make_error(ErrorKind::config,
                      fmt::format("expected a duration like 500ms, 30s, 5m, 2h or 7d, got \"{}\"", text));
}

} // namespace

Result<Duration> parse_duration(std::string_view text, bool allow_zero)
{
    auto digits_end = text.find_first_not_of("0123456789");
    if (digits_end == 0 || digits_end == std::string_view::npos) {
        return duration_error(text);
    }
    long long count = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + digits_end, count);
    if (ec != std::errc() || end != text.data() + digits_end) {
        return duration_error(text);
    }
    std::string_view unit = text.substr(digits_end);
    for (const auto& [name, milliseconds] : k_units) {
        if (unit != name) {
            continue;
        }
        if (count > std::numeric_limits<long long>::max() / milliseconds) {
            return make_error(ErrorKind::config, fmt::format("duration \"{}\" is too long", text));
        }
        if (count == 0 && !allow_zero) {
            return make_error(ErrorKind::config, fmt::format("duration \"{}\" must be more than zero", text));
        }
        return Duration(count * milliseconds);
    }
    return duration_error(text);
}

std::string format_duration(Duration duration)
{
    long long ms = duration.count();
    for (auto it = k_units.rbegin(); it != k_units.rend(); ++it) {
        if (ms != 0 && ms % it->second == 0) {
            return fmt::format("{}{}", ms / it->second, it->first);
        }
    }
    return fmt::format("{}ms", ms);
}

} // namespace ringsnap
