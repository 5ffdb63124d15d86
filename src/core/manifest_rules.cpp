// SPDX-License-Identifier: Apache-2.0
// The rules of manifest_rules.hpp. Bytes are checked as bytes: names on a node's disk are byte
// strings, and the JSON reader has already turned the text into valid UTF-8.

#include "core/manifest_rules.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <ringsnap/shell.hpp>

namespace ringsnap::manifest_rules {

namespace {

constexpr std::size_t k_max_component = 255; // NAME_MAX of Linux file systems
constexpr std::size_t k_max_host = 255;
constexpr std::size_t k_max_token_digits = 39; // 2^127, RandomPartitioner's largest token

bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool is_hex(char c)
{
    return is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool is_control(char c)
{
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

bool is_lower_hex_of_size(std::string_view value, std::size_t size)
{
    return value.size() == size && std::all_of(value.begin(), value.end(), is_lower_hex);
}

bool contains_any(std::string_view value, std::string_view bytes)
{
    return value.find_first_of(bytes) != std::string_view::npos;
}

// The parts of a path between its slashes: "a//b" has an empty one, "/a" starts with one.
template <class Visit> void for_each_component(std::string_view path, Visit visit)
{
    std::size_t start = 0;
    while (true) {
        auto slash = path.find('/', start);
        visit(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
        if (slash == std::string_view::npos) {
            return;
        }
        start = slash + 1;
    }
}

bool is_bad_component(std::string_view component)
{
    return component.empty() || component == "." || component == "..";
}

} // namespace

Problem check_backup_name(std::string_view value)
{
    if (validate_tag(value)) {
        return std::nullopt;
    }
    return "expected a name of [A-Za-z0-9_.-], 1 to 200 characters, not starting with '.'";
}

Problem check_cql_name(std::string_view value)
{
    if (validate_cql_identifier(value, "")) {
        return std::nullopt;
    }
    return "expected a Cassandra name, [A-Za-z0-9_], 1 to 48 characters";
}

Problem check_table_id(std::string_view value)
{
    if (value.empty() || is_lower_hex_of_size(value, 32)) {
        return std::nullopt;
    }
    return "expected 32 lowercase hex digits (or \"\" for a pre-2.1 table directory)";
}

Problem check_table_directory(std::string_view directory, std::string_view keyspace, std::string_view table,
                              std::string_view table_id)
{
    if (contains_any(directory, std::string_view("\0\n", 2))) {
        return "expected a path without NUL or newline";
    }
    if (directory.empty() || directory.front() != '/') {
        return "expected an absolute path";
    }
    bool bad_component = false;
    for_each_component(directory.substr(1), [&](std::string_view part) { bad_component |= is_bad_component(part); });
    if (bad_component) {
        return "expected an absolute path without empty, \".\" or \"..\" components";
    }
    std::string ending =
        table_id.empty() ? fmt::format("/{}/{}", keyspace, table) : fmt::format("/{}/{}-{}", keyspace, table, table_id);
    if (directory.size() <= ending.size() || directory.substr(directory.size() - ending.size()) != ending) {
        return fmt::format("expected a data directory followed by {}", quote_for_message(ending));
    }
    return std::nullopt;
}

Problem check_file_name(std::string_view value)
{
    if (value.empty()) {
        return "expected a file name";
    }
    if (contains_any(value, std::string_view("\0\n\t", 3))) {
        return "expected a file name without NUL, newline or tab";
    }
    if (value.front() == '/') {
        return "expected a name relative to the table's directory, not starting with '/'";
    }
    std::size_t components = 0;
    bool bad_component = false;
    bool too_long = false;
    for_each_component(value, [&](std::string_view part) {
        ++components;
        bad_component |= is_bad_component(part);
        too_long |= part.size() > k_max_component;
    });
    if (bad_component) {
        return "expected a file name without empty, \".\" or \"..\" components";
    }
    if (components > 2 || (components == 2 && value.front() != '.')) {
        return "expected \"<file>\" or \".<index>/<file>\"";
    }
    if (too_long) {
        return fmt::format("expected components of at most {} bytes", k_max_component);
    }
    return std::nullopt;
}

Problem check_sha256(std::string_view value)
{
    if (is_lower_hex_of_size(value, 64)) {
        return std::nullopt;
    }
    return "expected 64 lowercase hex digits";
}

Problem check_host(std::string_view value)
{
    if (value.empty()) {
        return "expected a host name or address";
    }
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == ' ' || is_control(c); })) {
        return "expected a host name or address without whitespace or control characters";
    }
    if (value.size() > k_max_host) {
        return fmt::format("expected a host name or address of at most {} bytes", k_max_host);
    }
    return std::nullopt;
}

Problem check_label(std::string_view value)
{
    if (std::none_of(value.begin(), value.end(), is_control)) {
        return std::nullopt;
    }
    return "expected text without control characters";
}

Problem check_host_id(std::string_view value)
{
    bool ok = value.size() == 36;
    for (std::size_t i = 0; ok && i < value.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        ok = dash ? value[i] == '-' : is_hex(value[i]);
    }
    if (ok) {
        return std::nullopt;
    }
    return "expected a UUID, 8-4-4-4-12 hex digits";
}

Problem check_token(std::string_view value)
{
    std::string_view digits = !value.empty() && value.front() == '-' ? value.substr(1) : value;
    if (!digits.empty() && digits.size() <= k_max_token_digits && std::all_of(digits.begin(), digits.end(), is_digit)) {
        return std::nullopt;
    }
    return fmt::format("expected a decimal integer of at most {} digits", k_max_token_digits);
}

std::string shown(std::string_view value)
{
    return quote_for_message(value, k_shown_chars);
}

} // namespace ringsnap::manifest_rules
