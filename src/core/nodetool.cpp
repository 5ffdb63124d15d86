// SPDX-License-Identifier: Apache-2.0
// nodetool command lines and output parsers. The parsers read words, not columns: Cassandra 3.11
// prints `nodetool status` with printf widths that a long value overflows (a Load of
// "103.67 KiB" is wider than its %-9s), so header offsets do not locate the later columns.

#include <ringsnap/nodetool.hpp>

#include <algorithm>
#include <charconv>
#include <string_view>

#include <fmt/format.h>

#include <ringsnap/fields.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap {

namespace {

std::vector<std::string_view> split_lines(std::string_view text)
{
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        lines.push_back(line);
        if (end == std::string_view::npos) {
            break;
        }
        text.remove_prefix(end + 1);
    }
    return lines;
}

bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

std::vector<std::string_view> split_words(std::string_view line)
{
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) {
            ++i;
        }
        std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) {
            ++i;
        }
        if (i > start) {
            words.push_back(line.substr(start, i - start));
        }
    }
    return words;
}

bool starts_with(std::string_view text, std::string_view prefix)
{
    return text.substr(0, prefix.size()) == prefix;
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

Error line_error(std::string_view command, std::string_view what, std::string_view line)
{
    return make_error(ErrorKind::parse, fmt::format("nodetool {}: {}: {}", command, what, quote_for_message(line)));
}

// A whole number that fits T; nothing else on the word.
template <class T> bool read_number(std::string_view text, T& value)
{
    if (text.empty()) {
        return false;
    }
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

bool is_host_id(std::string_view text)
{
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) {
            return false;
        }
    }
    return true;
}

// FileUtils.stringifyFileSize: DecimalFormat("#.##") and a binary unit ("KB"-style from older
// releases accepted too). The decimal separator follows the JVM's locale.
bool is_load_number(std::string_view word)
{
    return !word.empty() && is_digit(word.front()) &&
           std::all_of(word.begin(), word.end(), [](char c) { return is_digit(c) || c == '.' || c == ','; });
}

bool is_load_unit(std::string_view word)
{
    static constexpr std::string_view k_units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "KB", "MB", "GB", "TB"};
    return std::find(std::begin(k_units), std::end(k_units), word) != std::end(k_units);
}

// DecimalFormat("##0.0%"), or "?" when ownership is not meaningful.
bool is_owns(std::string_view word)
{
    if (word == "?") {
        return true;
    }
    return word.size() >= 2 && word.back() == '%' && is_load_number(word.substr(0, word.size() - 1));
}

// The layout a data center's header announces.
enum class StatusLayout {
    vnodes,      // --  Address  Load  Tokens  Owns  Host ID  Rack
    single_token // --  Address  Load  Owns  Host ID  Token  Rack
};

Result<StatusLayout> read_status_header(std::string_view line)
{
    auto words = split_words(line);
    bool has_address = std::find(words.begin(), words.end(), "Address") != words.end();
    bool has_owns = std::find(words.begin(), words.end(), "Owns") != words.end();
    bool tokens = std::find(words.begin(), words.end(), "Tokens") != words.end();
    bool token = std::find(words.begin(), words.end(), "Token") != words.end();
    if (!has_address || !has_owns || tokens == token) {
        return line_error("status", "unexpected table header", line);
    }
    return tokens ? StatusLayout::vnodes : StatusLayout::single_token;
}

// A data row, e.g. "UN  127.0.0.1  96.55 KiB  16  100.0%  <host id>  rack1".
Result<StatusRow> read_status_row(std::string_view line, const std::string& datacenter, StatusLayout layout)
{
    auto bad = [&](std::string_view what) { return line_error("status", what, line); };
    auto words = split_words(line);
    if (words.size() < 6) {
        return bad("too few columns in row");
    }
    StatusRow row;
    row.datacenter = datacenter;
    std::string_view flags = words[0];
    if (flags.size() != 2 || std::string_view("UD?").find(flags[0]) == std::string_view::npos ||
        std::string_view("NLJM").find(flags[1]) == std::string_view::npos) {
        return bad("expected a status and state like UN or DN at the start of row");
    }
    row.status = flags[0];
    row.state = flags[1];
    row.address = std::string(words[1]);
    std::size_t next = 2;
    if (words[next] == "?") {
        row.load = "?";
        next += 1;
    } else if (is_load_number(words[next]) && is_load_unit(words[next + 1])) {
        row.load = fmt::format("{} {}", words[next], words[next + 1]);
        next += 2;
    } else {
        return bad("expected a load like \"96.55 KiB\" or \"?\" in row");
    }
    if (words.size() < next + 3) {
        return bad("too few columns in row");
    }
    std::string_view owns;
    std::string_view host_id;
    if (layout == StatusLayout::vnodes) {
        int count = 0;
        if (!read_number(words[next], count) || count < 0) {
            return bad("expected a token count in row");
        }
        row.token_count = count;
        owns = words[next + 1];
        host_id = words[next + 2];
    } else {
        owns = words[next];
        host_id = words[next + 1];
        row.token = std::string(words[next + 2]);
    }
    next += 3;
    if (!is_owns(owns)) {
        return bad("expected an ownership like \"33.3%\" or \"?\" in row");
    }
    if (!is_host_id(host_id)) {
        return bad("expected a host ID (a UUID) in row");
    }
    row.owns = std::string(owns);
    row.host_id = std::string(host_id);
    for (; next < words.size(); ++next) { // a rack is one word in practice; keep any spaces
        row.rack += row.rack.empty() ? std::string(words[next]) : fmt::format(" {}", words[next]);
    }
    return row;
}

// Lines of a data center's banner, which say nothing the rows do not.
bool is_banner_line(std::string_view line)
{
    return (!line.empty() && line.find_first_not_of('=') == std::string_view::npos) || starts_with(line, "Status=") ||
           starts_with(line, "|/ State=");
}

Result<bool> read_bool(std::string_view value, std::string_view line)
{
    if (value == "true") {
        return true;
    }
    if (value == "false") {
        return false;
    }
    return line_error("info", "expected true or false on line", line);
}

} // namespace

std::string nodetool_command(const Node& node, const std::vector<std::string>& args)
{
    std::vector<std::string> argv{node.nodetool()};
    // Global options first: after the subcommand airline takes them as positional arguments.
    if (node.cassandra.jmx_user) {
        argv.insert(argv.end(), {"-u", *node.cassandra.jmx_user});
        if (node.cassandra.jmx_password_file) {
            argv.insert(argv.end(), {"-pwf", *node.cassandra.jmx_password_file});
        }
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return with_sudo(shell_join(argv), node.ssh.sudo);
}

std::optional<CassandraVersion> parse_release(std::string_view text)
{
    CassandraVersion version;
    version.text = std::string(text);
    // MAJOR.MINOR[.PATCH][suffix]
    int* parts[] = {&version.major, &version.minor, &version.patch};
    std::size_t position = 0;
    int read = 0;
    for (int* part : parts) {
        auto digits_end = std::find_if_not(text.begin() + position, text.end(), is_digit) - text.begin();
        auto digits = text.substr(position, static_cast<std::size_t>(digits_end) - position);
        if (!read_number(digits, *part)) {
            break;
        }
        ++read;
        position = static_cast<std::size_t>(digits_end);
        if (position >= text.size() || text[position] != '.') {
            break;
        }
        ++position;
    }
    return read < 2 ? std::nullopt : std::optional(version);
}

Result<CassandraVersion> parse_version(const std::string& out)
{
    constexpr std::string_view label = "ReleaseVersion:";
    for (std::string_view line : split_lines(out)) {
        if (!starts_with(line, label)) {
            continue;
        }
        auto version = parse_release(trim(line.substr(label.size())));
        if (!version) {
            return line_error("version", "expected a version like 4.1.6 on line", line);
        }
        return *version;
    }
    return make_error(ErrorKind::parse, "nodetool version: no \"ReleaseVersion:\" line in its output");
}

Result<std::vector<StatusRow>> parse_status(const std::string& out)
{
    std::vector<StatusRow> rows;
    std::optional<std::string> datacenter; // none before the first "Datacenter:" line
    // A plain flag, not std::optional: g++ 12 sees a maybe-uninitialized optional<enum> here.
    StatusLayout layout = StatusLayout::vnodes;
    bool has_layout = false; // false until this data center's header
    for (std::string_view line : split_lines(out)) {
        std::string_view content = trim(line);
        if (starts_with(content, "Error:") || starts_with(content, "nodetool:")) {
            return line_error("status", "the command reported", content);
        }
        if (starts_with(line, "Datacenter:")) {
            datacenter = std::string(trim(line.substr(11)));
            has_layout = false;
            if (datacenter->empty()) {
                return line_error("status", "no data center name on line", line);
            }
            continue;
        }
        if (!datacenter || content.empty() || starts_with(content, "Note:") || is_banner_line(content)) {
            continue;
        }
        if (starts_with(line, "--")) {
            auto read = read_status_header(line);
            if (!read) {
                return read.error();
            }
            layout = *read;
            has_layout = true;
            continue;
        }
        if (!has_layout) {
            return line_error("status", "unexpected line before the table header", line);
        }
        auto row = read_status_row(line, *datacenter, layout);
        if (!row) {
            return row.error();
        }
        rows.push_back(std::move(*row));
    }
    if (rows.empty()) {
        return make_error(ErrorKind::parse, "nodetool status: no node in its output");
    }
    return rows;
}

Result<NodeInfo> parse_info(const std::string& out)
{
    NodeInfo info;
    bool has_id = false;
    bool has_datacenter = false;
    bool has_rack = false;
    for (std::string_view line : split_lines(out)) {
        // "%-23s: %s": labels hold no ':', values may ("overflow size: 0 bytes").
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        std::string_view label = trim(line.substr(0, colon));
        std::string_view value = trim(line.substr(colon + 1));
        if (label == "ID") {
            if (!is_host_id(value)) {
                return line_error("info", "expected a host ID (a UUID) on line", line);
            }
            info.host_id = std::string(value);
            has_id = true;
        } else if (label == "Gossip active" || label == "Native Transport active") {
            auto flag = read_bool(value, line);
            if (!flag) {
                return flag.error();
            }
            (label == "Gossip active" ? info.gossip_active : info.native_transport_active) = *flag;
        } else if (label == "Load") {
            info.load = std::string(value);
        } else if (label == "Generation No" || label == "Uptime (seconds)") {
            long number = 0;
            if (!read_number(value, number)) {
                return line_error("info", "expected a whole number on line", line);
            }
            (label == "Generation No" ? info.generation : info.uptime_seconds) = number;
        } else if (label == "Data Center") {
            info.datacenter = std::string(value);
            has_datacenter = !value.empty();
        } else if (label == "Rack") {
            info.rack = std::string(value);
            has_rack = !value.empty();
        } else if (label == "Token" && !value.empty() && value.front() != '(') {
            // One line per token with -T (or with a single token); otherwise a "(invoke with
            // -T/--tokens ...)" or "(node is not joined ...)" note, which holds none.
            info.tokens.emplace_back(value);
        }
    }
    if (!has_id || !has_datacenter || !has_rack) {
        std::vector<std::string_view> missing;
        for (auto [present, name] :
             {std::pair{has_id, "ID"}, std::pair{has_datacenter, "Data Center"}, std::pair{has_rack, "Rack"}}) {
            if (!present) {
                missing.emplace_back(name);
            }
        }
        return make_error(ErrorKind::parse,
                          fmt::format("nodetool info: no {} line in its output", fmt::join(missing, ", ")));
    }
    return info;
}

namespace {

// listsnapshots is a TableBuilder table: unlike 3.11's status, every column is padded to its
// widest cell (header included), so the header's offsets do cut every row.
constexpr std::string_view k_listsnapshots_titles[] = {"Snapshot name",   "Keyspace name", "Column family name",
                                                       "True size",       "Size on disk",  "Creation time",
                                                       "Expiration time", "Ephemeral"};
constexpr std::size_t k_listsnapshots_required = 5; // the columns of 3.11 and 4.0

// Where each column starts; npos for the optional ones the header lacks.
Result<std::vector<std::size_t>> read_listsnapshots_header(std::string_view line)
{
    std::vector<std::size_t> offsets;
    std::size_t previous = 0;
    for (std::size_t i = 0; i < std::size(k_listsnapshots_titles); ++i) {
        auto at = line.find(k_listsnapshots_titles[i]);
        bool in_order = at != std::string_view::npos && (i == 0 ? at == 0 : at > previous && line[at - 1] == ' ');
        if (!in_order && i < k_listsnapshots_required) {
            return line_error("listsnapshots", "unexpected table header", line);
        }
        offsets.push_back(in_order ? at : std::string_view::npos);
        previous = in_order ? at : previous;
    }
    return offsets;
}

Result<ListedSnapshot> read_listsnapshots_row(std::string_view line, const std::vector<std::size_t>& offsets)
{
    std::vector<std::size_t> present;
    for (auto offset : offsets) {
        if (offset != std::string_view::npos) {
            present.push_back(offset);
        }
    }
    std::vector<std::optional<std::string>> cells(offsets.size());
    for (std::size_t i = 0; i < offsets.size(); ++i) {
        auto start = offsets[i];
        if (start == std::string_view::npos || start >= line.size()) {
            continue; // a column this version lacks, or empty cells whose padding was trimmed
        }
        auto next = std::upper_bound(present.begin(), present.end(), start);
        auto end = next == present.end() ? line.size() : *next;
        if ((start > 0 && line[start - 1] != ' ') || (end < line.size() && line[end - 1] != ' ')) {
            return line_error("listsnapshots", "row does not fit the table's columns", line);
        }
        auto cell = trim(line.substr(start, end - start));
        if (!cell.empty()) {
            cells[i] = std::string(cell);
        }
    }
    for (std::size_t i = 0; i < k_listsnapshots_required; ++i) {
        if (!cells[i] && i < 3) {
            return line_error("listsnapshots", "row without a snapshot, keyspace or table name", line);
        }
    }
    ListedSnapshot row{*cells[0], *cells[1], *cells[2],   cells[3].value_or(""), cells[4].value_or(""),
                       cells[5],  cells[6],  std::nullopt};
    if (cells[7]) {
        if (*cells[7] != "true" && *cells[7] != "false") {
            return line_error("listsnapshots", "expected true or false in the Ephemeral column", line);
        }
        row.ephemeral = *cells[7] == "true";
    }
    return row;
}

} // namespace

Result<std::vector<ListedSnapshot>> parse_listsnapshots(const std::string& out)
{
    auto lines = split_lines(out);
    auto banner = std::find_if(lines.begin(), lines.end(),
                               [](std::string_view line) { return trim(line) == "Snapshot Details:"; });
    if (banner == lines.end()) {
        return make_error(ErrorKind::parse, "nodetool listsnapshots: no \"Snapshot Details:\" line in its output");
    }
    std::vector<ListedSnapshot> rows;
    auto line = banner + 1;
    if (line == lines.end() || trim(*line) == "There are no snapshots") {
        return rows;
    }
    auto offsets = read_listsnapshots_header(*line);
    if (!offsets) {
        return offsets.error();
    }
    for (++line; line != lines.end() && !trim(*line).empty(); ++line) {
        auto row = read_listsnapshots_row(*line, *offsets);
        if (!row) {
            return row.error();
        }
        rows.push_back(std::move(*row));
    }
    return rows;
}

Result<bool> parse_statusbackup(const std::string& out)
{
    auto lines = split_lines(out);
    while (!lines.empty() && trim(lines.back()).empty()) {
        lines.pop_back();
    }
    std::string_view last = lines.empty() ? std::string_view() : trim(lines.back());
    if (last == "running" || last == "not running") {
        return last == "running";
    }
    return line_error("statusbackup", "expected running or not running", last);
}

namespace {

// "/127.0.0.1", "localhost/127.0.0.1", "/127.0.0.1:7000", "/[::1]:7000", "/0:0:0:0:0:0:0:1".
std::string gossip_address(std::string_view header)
{
    std::string_view address = header.substr(header.rfind('/') + 1);
    if (starts_with(address, "[")) {
        return std::string(address.substr(1, address.find(']') - 1));
    }
    if (std::count(address.begin(), address.end(), ':') == 1) {
        address = address.substr(0, address.find(':'));
    }
    return std::string(address);
}

// One indented state line into `endpoint`; false when the line has none of the known forms.
bool take_gossip_state(std::string_view line, GossipEndpoint& endpoint)
{
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
        return false;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view rest = line.substr(colon + 1);
    if (name == "generation" || name == "heartbeat") {
        std::int64_t number = 0;
        auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), number);
        if (error != std::errc() || end != rest.data() + rest.size()) {
            return false;
        }
        if (name == "generation") {
            endpoint.generation = number;
        }
        return true;
    }
    if (rest == " not present") {
        return true; // "TOKENS: not present"
    }
    auto second = rest.find(':');
    if (second == std::string_view::npos || second == 0 ||
        !std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(second), is_digit)) {
        return false;
    }
    std::string_view value = rest.substr(second + 1);
    if (name == "HOST_ID") {
        endpoint.host_id = std::string(value);
    } else if (name == "RELEASE_VERSION") {
        endpoint.release = parse_release(value);
    } else if (name == "STATUS_WITH_PORT" || (name == "STATUS" && endpoint.status.empty())) {
        endpoint.status = std::string(value.substr(0, value.find(',')));
    } else if (name == "DC") {
        endpoint.datacenter = std::string(value);
    } else if (name == "RACK") {
        endpoint.rack = std::string(value);
    }
    return true;
}

} // namespace

Result<std::vector<GossipEndpoint>> parse_gossipinfo(const std::string& out)
{
    std::vector<GossipEndpoint> endpoints;
    for (std::string_view line : split_lines(out)) {
        if (line.empty()) {
            continue;
        }
        if (!is_blank(line.front())) {
            if (line.find('/') == std::string_view::npos || line.find(' ') != std::string_view::npos) {
                if (endpoints.empty()) {
                    continue; // JVM noise before the first endpoint
                }
                return line_error("gossipinfo", "expected an endpoint (\"/address\") on line", line);
            }
            endpoints.push_back({});
            endpoints.back().address = gossip_address(line);
            continue;
        }
        if (endpoints.empty() || !take_gossip_state(trim(line), endpoints.back())) {
            return line_error("gossipinfo", "expected \"STATE:version:value\" on line", line);
        }
    }
    if (endpoints.empty()) {
        return make_error(ErrorKind::parse, "nodetool gossipinfo: no endpoint in its output");
    }
    return endpoints;
}

} // namespace ringsnap
