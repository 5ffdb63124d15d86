// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/sstable_name.hpp>

#include <algorithm>
#include <charconv>

namespace ringsnap {

namespace {

bool is_lower_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

// UUIDBasedSSTableId's text: ([0-9a-z]{4})_([0-9a-z]{4})_([0-9a-z]{5})([0-9a-z]{13}).
bool is_uuid_id(std::string_view id)
{
    if (id.size() != 28 || id[4] != '_' || id[9] != '_') {
        return false;
    }
    for (std::size_t i = 0; i < id.size(); ++i) {
        if (i != 4 && i != 9 && !is_lower_alnum(id[i])) {
            return false;
        }
    }
    return true;
}

bool is_digits(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

} // namespace

std::optional<std::uint64_t> SSTableName::generation() const
{
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), value);
    if (ec != std::errc() || end != id.data() + id.size()) {
        return std::nullopt;
    }
    return value;
}

std::optional<SSTableName> parse_sstable_name(std::string_view name)
{
    SSTableName parts;
    std::size_t first = name.find('-');
    std::size_t second = first == std::string_view::npos ? first : name.find('-', first + 1);
    std::size_t third = second == std::string_view::npos ? second : name.find('-', second + 1);
    if (third == std::string_view::npos) {
        return std::nullopt;
    }
    parts.version = std::string(name.substr(0, first));
    parts.id = std::string(name.substr(first + 1, second - first - 1));
    parts.format = std::string(name.substr(second + 1, third - second - 1));
    parts.component = std::string(name.substr(third + 1));
    bool version_ok = parts.version.size() == 2 && std::all_of(parts.version.begin(), parts.version.end(),
                                                               [](char c) { return c >= 'a' && c <= 'z'; });
    bool id_ok = is_digits(parts.id) || is_uuid_id(parts.id);
    bool format_ok = parts.format == "big" || parts.format == "bti";
    bool component_ok = !parts.component.empty() && parts.component.find('/') == std::string::npos;
    if (!version_ok || !id_ok || !format_ok || !component_ok) {
        return std::nullopt;
    }
    return parts;
}

bool can_read_sstable(const CassandraVersion& node, std::string_view mode, std::string_view version,
                      std::string_view format)
{
    if (version.size() != 2) {
        return false;
    }
    if (format == "bti") {
        return node.at_least(5, 0) && version[0] == 'd'; // BTI came with 5.0; "da" is its only version
    }
    if (format != "big") {
        return false;
    }
    // The oldest version each reads and the newest major letter it knows (3.11 writes "me", 4.x
    // "nb", 5.0 "oa" unless kept at 4.x's format by storage_compatibility_mode CASSANDRA_4).
    std::string_view oldest = node.at_least(4, 0) ? "ma" : "jb";
    char newest = 'm';
    if (node.at_least(5, 0)) {
        newest = mode == "CASSANDRA_4" ? 'n' : 'o';
    } else if (node.at_least(4, 0)) {
        newest = 'n';
    }
    return version >= oldest && version[0] <= newest;
}

} // namespace ringsnap
