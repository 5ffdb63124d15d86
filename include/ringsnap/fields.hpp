// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading the lines remote commands print: tab-separated fields and whole numbers.

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

namespace ringsnap {

// The fields of `line` between `separator`s; empty fields are kept ("a\t\tb" has three).
inline std::vector<std::string> split_fields(const std::string& line, char separator)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        auto end = line.find(separator, start);
        parts.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) {
            return parts;
        }
        start = end + 1;
    }
}

// `text` without the spaces and tabs around it.
inline std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
        text.remove_suffix(1);
    }
    return text;
}

// The whole of `text` as a number of T; false (value untouched) for anything else.
template <class T> bool parse_number(const std::string& text, T& value)
{
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

} // namespace ringsnap
