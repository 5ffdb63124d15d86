// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/shell.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace ringsnap {

namespace {

bool is_bare_safe(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_./=:,+@%-").find(c) != std::string_view::npos;
}

bool is_identifier_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Shows a user's input in a message without letting control characters garble the terminal.
std::string printable(std::string_view text)
{
    std::string shown;
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            shown += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
            shown += c;
        }
    }
    return shown;
}

} // namespace

std::string shell_quote(std::string_view arg)
{
    if (!arg.empty() && std::all_of(arg.begin(), arg.end(), is_bare_safe)) {
        return std::string(arg);
    }
    std::string quoted = "'";
    for (char c : arg) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    quoted += '\'';
    return quoted;
}

std::string shell_join(const std::vector<std::string>& argv)
{
    std::string joined;
    for (const auto& arg : argv) {
        if (!joined.empty()) {
            joined += ' ';
        }
        joined += shell_quote(arg);
    }
    return joined;
}

std::string with_sudo(const std::string& command, const std::optional<std::string>& sudo_user)
{
    if (!sudo_user || sudo_user->empty()) {
        return command;
    }
    return fmt::format("sudo -n -u {} -- sh -c {}", shell_quote(*sudo_user), shell_quote(command));
}

Status validate_cql_identifier(std::string_view name, std::string_view what)
{
    if (name.empty() || name.size() > 48 || !std::all_of(name.begin(), name.end(), is_identifier_char)) {
        return make_error(ErrorKind::usage,
                          fmt::format("invalid {} name \"{}\": use 1 to 48 letters, digits or underscores", what,
                                      printable(name)));
    }
    return {};
}

Status validate_tag(std::string_view tag)
{
    bool allowed = std::all_of(tag.begin(), tag.end(), [](char c) { return is_identifier_char(c) || c == '.' || c == '-'; });
    if (tag.empty() || tag.size() > 200 || !allowed || tag.front() == '.') {
        return make_error(ErrorKind::usage,
                          fmt::format("invalid tag \"{}\": use 1 to 200 letters, digits, '_', '.' or '-', "
                                      "not starting with '.'",
                                      printable(tag)));
    }
    return {};
}

Result<KeyspaceTable> parse_keyspace_table(std::string_view text)
{
    auto dot = text.find('.');
    if (dot == std::string_view::npos || text.find('.', dot + 1) != std::string_view::npos) {
        return make_error(ErrorKind::usage,
                          fmt::format("expected KEYSPACE.TABLE, got \"{}\"", printable(text)));
    }
    KeyspaceTable result{std::string(text.substr(0, dot)), std::string(text.substr(dot + 1))};
    if (auto status = validate_cql_identifier(result.keyspace, "keyspace"); !status) {
        return status.error();
    }
    if (auto status = validate_cql_identifier(result.table, "table"); !status) {
        return status.error();
    }
    return result;
}

} // namespace ringsnap
