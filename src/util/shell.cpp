// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/shell.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace ringsnap {

namespace {

constexpr std::size_t k_max_identifier = 48; // Cassandra's SchemaConstants.NAME_LENGTH
constexpr std::size_t k_max_tag = 200;

bool is_ascii_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Characters no POSIX shell gives a meaning to inside a word (not even at its start: '=' only
// matters before the command name, '%' only to job control built-ins, '~' is left out on purpose).
bool is_bare_safe(char c)
{
    return is_ascii_alnum(c) || std::string_view("_./=:,+@%-").find(c) != std::string_view::npos;
}

bool is_identifier_char(char c)
{
    return is_ascii_alnum(c) || c == '_';
}

bool is_tag_char(char c)
{
    return is_identifier_char(c) || c == '.' || c == '-';
}

// How many bytes the UTF-8 character starting with `lead` has (1 for a byte that starts none).
std::size_t utf8_length(unsigned char lead)
{
    if (lead >= 0xf0 && lead <= 0xf4) {
        return 4;
    }
    if (lead >= 0xe0) {
        return lead <= 0xef ? 3 : 1;
    }
    return lead >= 0xc2 ? 2 : 1;
}

// The first character of `text` that `allowed` refuses, shown for a message: a whole UTF-8
// character ("ä", not its first byte "\xc3"), or the byte alone when it starts none.
std::string first_bad_char(std::string_view text, bool (*allowed)(char))
{
    auto bad = std::find_if_not(text.begin(), text.end(), allowed);
    if (bad == text.end()) {
        return std::string();
    }
    auto start = static_cast<std::size_t>(bad - text.begin());
    std::size_t length = std::min(utf8_length(static_cast<unsigned char>(*bad)), text.size() - start);
    for (std::size_t i = 1; i < length; ++i) {
        if ((static_cast<unsigned char>(text[start + i]) & 0xc0) != 0x80) {
            length = 1; // not a whole character: show the byte
        }
    }
    return quote_for_message(text.substr(start, length));
}

// How many characters escaped() writes for one byte.
std::size_t escaped_width(char c)
{
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == '\n' || c == '\t' || c == '\r') {
        return 2;
    }
    return byte < 0x20 || byte == 0x7f ? 4 : 1; // \x1b
}

std::string escaped(std::string_view text)
{
    std::string shown;
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            shown += '\\';
            shown += c;
        } else if (c == '\n') {
            shown += "\\n";
        } else if (c == '\t') {
            shown += "\\t";
        } else if (c == '\r') {
            shown += "\\r";
        } else if (byte < 0x20 || byte == 0x7f) {
            shown += fmt::format("\\x{:02x}", byte);
        } else {
            shown += c;
        }
    }
    return shown;
}

bool is_utf8_continuation(char c)
{
    return (static_cast<unsigned char>(c) & 0xc0) == 0x80;
}

} // namespace

std::string shell_quote(std::string_view arg)
{
    if (arg.find('\0') != std::string_view::npos) {
        throw std::invalid_argument("shell_quote: a shell argument cannot contain a NUL byte");
    }
    if (!arg.empty() && std::all_of(arg.begin(), arg.end(), is_bare_safe)) {
        return std::string(arg);
    }
    // Inside '...' every byte is literal; a ' ends the quoting, so it is written as '\'' (close,
    // an escaped quote, reopen).
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
    // sh -c keeps pipes, redirections and `&&` of `command` on the sudo side.
    return fmt::format("sudo -n -u {} -- sh -c {}", shell_quote(*sudo_user), shell_quote(command));
}

std::string quote_for_message(std::string_view text, std::size_t max_chars)
{
    std::size_t room = std::max<std::size_t>(max_chars, 2) - 2; // the quotes
    std::size_t width = 0;
    std::size_t cut = 0;
    while (cut < text.size() && width + escaped_width(text[cut]) <= room) {
        width += escaped_width(text[cut]);
        ++cut;
    }
    if (cut == text.size()) {
        return "\"" + escaped(text) + "\"";
    }
    std::string suffix = fmt::format("... ({} bytes)", text.size());
    while (cut > 0 && (width + suffix.size() > room || is_utf8_continuation(text[cut]))) {
        width -= escaped_width(text[--cut]);
    }
    return "\"" + escaped(text.substr(0, cut)) + "\"" + suffix;
}

Status validate_cql_identifier(std::string_view name, std::string_view what)
{
    if (name.empty()) {
        return make_error(ErrorKind::usage, fmt::format("the {} name is empty", what));
    }
    if (name.size() > k_max_identifier) {
        return make_error(ErrorKind::usage, fmt::format("{} name {} is {} characters long; Cassandra allows at most {}",
                                                        what, quote_for_message(name), name.size(), k_max_identifier));
    }
    if (!std::all_of(name.begin(), name.end(), is_identifier_char)) {
        return make_error(ErrorKind::usage,
                          fmt::format("invalid {} name {}: it contains {}; Cassandra names use only "
                                      "letters, digits and '_'",
                                      what, quote_for_message(name), first_bad_char(name, is_identifier_char)));
    }
    return {};
}

Status validate_tag(std::string_view tag)
{
    if (tag.empty()) {
        return make_error(ErrorKind::usage, "the tag is empty");
    }
    if (tag.size() > k_max_tag) {
        return make_error(ErrorKind::usage,
                          fmt::format("the tag is {} characters long; at most {}", tag.size(), k_max_tag));
    }
    if (!std::all_of(tag.begin(), tag.end(), is_tag_char)) {
        return make_error(ErrorKind::usage, fmt::format("invalid tag {}: it contains {}; use letters, digits, '_', '.' "
                                                        "and '-'",
                                                        quote_for_message(tag), first_bad_char(tag, is_tag_char)));
    }
    if (tag.front() == '.') {
        return make_error(ErrorKind::usage,
                          fmt::format("invalid tag {}: it must not start with '.'", quote_for_message(tag)));
    }
    return {};
}

Result<KeyspaceTable> parse_keyspace_table(std::string_view text)
{
    auto dot = text.find('.');
    if (dot == std::string_view::npos || text.find('.', dot + 1) != std::string_view::npos) {
        return make_error(ErrorKind::usage,
                          fmt::format("expected KEYSPACE.TABLE (one dot), got {}", quote_for_message(text)));
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
