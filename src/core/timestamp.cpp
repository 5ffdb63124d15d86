// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/timestamp.hpp>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include <ringsnap/shell.hpp>

namespace ringsnap {

Timestamp now_utc()
{
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string format_timestamp(Timestamp time)
{
    auto day = std::chrono::floor<std::chrono::days>(time);
    std::chrono::year_month_day date{day};
    std::chrono::hh_mm_ss clock{time - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), clock.hours().count(),
                       clock.minutes().count(), clock.seconds().count(), clock.subseconds().count());
}

namespace {

// Reads exactly `width` digits at `pos`; false when they are not all digits.
bool read_digits(std::string_view text, std::size_t pos, std::size_t width, int& value)
{
    if (pos + width > text.size()) {
        return false;
    }
    auto digits = text.substr(pos, width);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false; // from_chars would take a sign
    }
    auto first = text.data() + pos;
    auto [end, error] = std::from_chars(first, first + width, value);
    return error == std::errc{} && end == first + width;
}

bool separators_at(std::string_view text, std::initializer_list<std::pair<std::size_t, char>> expected)
{
    return std::all_of(expected.begin(), expected.end(),
                       [&](const auto& sep) { return sep.first < text.size() && text[sep.first] == sep.second; });
}

// The ".fff...Z" tail after the seconds: milliseconds, or nothing when malformed.
std::optional<int> read_fraction_ms(std::string_view tail)
{
    if (tail == "Z") {
        return 0;
    }
    if (tail.size() < 3 || tail.size() > 11 || tail.front() != '.' || tail.back() != 'Z') {
        return std::nullopt;
    }
    auto digits = tail.substr(1, tail.size() - 2);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    int ms = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        ms = ms * 10 + (i < digits.size() ? digits[i] - '0' : 0);
    }
    return ms;
}

} // namespace

Result<Timestamp> parse_timestamp(std::string_view text)
{
    auto bad = [&] {
        return make_error(
            ErrorKind::parse,
            fmt::format("invalid timestamp {}: expected UTC like 2026-11-23T02:00:00.120Z", quote_for_message(text)));
    };
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    bool shaped = read_digits(text, 0, 4, year) && read_digits(text, 5, 2, month) && read_digits(text, 8, 2, day) &&
                  read_digits(text, 11, 2, hour) && read_digits(text, 14, 2, minute) &&
                  read_digits(text, 17, 2, second) &&
                  separators_at(text, {{4, '-'}, {7, '-'}, {10, 'T'}, {13, ':'}, {16, ':'}});
    if (!shaped) {
        return bad();
    }
    auto ms = read_fraction_ms(text.substr(19));
    std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month(static_cast<unsigned>(month)),
                                     std::chrono::day(static_cast<unsigned>(day))};
    if (!ms || !date.ok() || hour > 23 || minute > 59 || second > 59) {
        return bad();
    }
    return Timestamp{std::chrono::sys_days{date}} + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           std::chrono::seconds(second) + std::chrono::milliseconds(*ms);
}

} // namespace ringsnap
