// SPDX-License-Identifier: Apache-2.0
#include "ops/loader_steps.hpp"

#include <algorithm>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include <ringsnap/fields.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::ops::loader_steps {

namespace {

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line, '\n');) {
        // progress lines start with a carriage return to redraw themselves on a terminal
        line.erase(0, line.find_last_of('\r') == std::string::npos ? 0 : line.find_last_of('\r') + 1);
        lines.push_back(line);
    }
    return lines;
}

// `text` without the spaces and tabs around it, as a string.
std::string trimmed(const std::string& text)
{
    return std::string(trim(text));
}

// The line after `marker` in `lines`, joined to it ("Streaming to the following hosts failed: [..]").
std::optional<std::string> with_next_line(const std::vector<std::string>& lines, const std::string& marker)
{
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].find(marker) != std::string::npos) {
            return i + 1 < lines.size() ? trimmed(lines[i]) + " " + trimmed(lines[i + 1]) : trimmed(lines[i]);
        }
    }
    return std::nullopt;
}

// Why a loader failed, in its own words: the hosts a stream failed to, or the connection error;
// otherwise the last line that is not a stack frame.
std::string failure_reason(const CommandOutput& output)
{
    auto lines = lines_of(output.err + "\n" + output.out);
    for (const char* marker : {"Streaming to the following hosts failed:", "Error while connecting to initial hosts"}) {
        if (auto found = with_next_line(lines, marker)) {
            return *found;
        }
    }
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        auto line = trimmed(*it);
        if (!line.empty() && line.rfind("at ", 0) != 0 && line.rfind("usage:", 0) != 0 && line[0] != '-') {
            return line;
        }
    }
    return "";
}

std::optional<std::string> summary_value(const std::vector<std::string>& lines, const std::string& label)
{
    for (const auto& line : lines) {
        auto at = line.find(label);
        auto colon = line.find(':', at);
        if (at != std::string::npos && colon != std::string::npos) {
            return trimmed(line.substr(colon + 1));
        }
    }
    return std::nullopt;
}

} // namespace

std::vector<int> streaming_versions(const CassandraVersion& node, const std::string& storage_mode)
{
    if (!node.at_least(4, 0)) {
        return {11};
    }
    if (!node.at_least(5, 0) || storage_mode == "CASSANDRA_4") {
        return {12};
    }
    return storage_mode == "NONE" ? std::vector<int>{13} : std::vector<int>{12, 13};
}

std::vector<int> loader_versions(const CassandraVersion& loader)
{
    if (!loader.at_least(4, 0)) {
        return {11};
    }
    return loader.at_least(5, 0) ? std::vector<int>{12, 13} : std::vector<int>{12};
}

bool loader_reaches(const CassandraVersion& loader, const CassandraVersion& node, const std::string& storage_mode)
{
    auto spoken = loader_versions(loader);
    auto needed = streaming_versions(node, storage_mode);
    return std::all_of(needed.begin(), needed.end(),
                       [&](int version) { return std::find(spoken.begin(), spoken.end(), version) != spoken.end(); });
}

std::string loader_command(const Node& node, const LoaderSettings& settings, const std::string& dir)
{
    std::string targets;
    for (const auto& target : settings.targets) {
        targets += (targets.empty() ? "" : ",") + target;
    }
    std::string command = shell_join({node.sstableloader(), "-d", targets});
    if (settings.throttle_mbits) {
        command += " " + shell_join({"-t", std::to_string(*settings.throttle_mbits)});
    }
    if (settings.with_credentials) {
        command = "IFS= read -r u && IFS= read -r pw && exec " + command + " -u \"$u\" -pw \"$pw\"";
    }
    return with_sudo(command + " " + shell_quote(dir), node.ssh.sudo);
}

std::string loader_input(const std::string& user, const std::string& password)
{
    return user + "\n" + password + "\n";
}

Result<LoadReport> check_load(const CommandOutput& output, std::uint64_t sstables)
{
    if (!output.succeeded()) {
        // "sstableloader failed (exit status 1): <last line>", with the loader's reason instead
        // of a stack frame
        auto message = check_succeeded("sstableloader", output).error().message;
        auto reason = failure_reason(output);
        auto head = message.find("): ");
        if (!reason.empty() && message.find(reason) == std::string::npos) {
            message = (head == std::string::npos ? message : message.substr(0, head + 1)) + ": " + reason;
        }
        return make_error(ErrorKind::command, message);
    }
    auto lines = lines_of(output.out);
    std::vector<std::string> skipped;
    for (const auto& line : lines) {
        if (line.rfind("Skipping file", 0) == 0) {
            skipped.push_back(trimmed(line));
        }
    }
    if (!skipped.empty()) {
        return make_error(ErrorKind::command,
                          fmt::format("sstableloader skipped {} file(s), so they were not loaded: {}", skipped.size(),
                                      skipped.front()));
    }
    auto files = summary_value(lines, "Total files transferred");
    if (!files) {
        return make_error(ErrorKind::parse, "sstableloader printed no summary (Total files transferred): whether it "
                                            "loaded anything is unknown");
    }
    LoadReport report;
    try {
        report.files = std::stoull(*files);
    } catch (const std::exception&) {
        return make_error(ErrorKind::parse,
                          fmt::format("sstableloader: Total files transferred: {}", quote_for_message(*files)));
    }
    report.bytes = summary_value(lines, "Total bytes transferred").value_or("");
    if (report.files == 0 && sstables > 0) {
        return make_error(ErrorKind::command, fmt::format("sstableloader exited 0 but streamed no file of {} "
                                                          "SSTable(s)",
                                                          sstables));
    }
    return report;
}

std::string create_keyspace_statement(const std::string& keyspace, const std::string& replication)
{
    std::string dcs;
    auto pairs = parse_replication(replication);
    for (const auto& [datacenter, factor] : pairs ? *pairs : std::vector<std::pair<std::string, int>>{}) {
        dcs += fmt::format(", '{}': {}", datacenter, factor);
    }
    return fmt::format("CREATE KEYSPACE IF NOT EXISTS {} WITH replication = {{'class': "
                       "'NetworkTopologyStrategy'{}}};",
                       keyspace, dcs);
}

Result<std::vector<std::pair<std::string, int>>> parse_replication(const std::string& text)
{
    static const std::regex pair(R"(([A-Za-z0-9_.-]{1,64}):([0-9]{1,2}))");
    std::vector<std::pair<std::string, int>> pairs;
    for (const auto& item : split_fields(text, ',')) {
        std::smatch match;
        if (!std::regex_match(item, match, pair) || std::stoi(match[2].str()) < 1) {
            return make_error(ErrorKind::usage,
                              fmt::format("--replication {}: expected DC:RF pairs separated by commas, like "
                                          "dc1:3,dc2:2 (RF 1 to 99)",
                                          quote_for_message(text)));
        }
        pairs.emplace_back(match[1].str(), std::stoi(match[2].str()));
    }
    return pairs; // never empty: "" is one item, which is no DC:RF pair
}

std::string count_statements(const std::string& keyspace, const std::string& table)
{
    return fmt::format("CONSISTENCY ALL; SELECT COUNT(*) FROM {}.{};", keyspace, table);
}

Result<std::uint64_t> parse_count(const std::string& out)
{
    auto lines = lines_of(out);
    for (std::size_t i = 0; i + 2 < lines.size(); ++i) {
        auto rule = trimmed(lines[i + 1]);
        if (trimmed(lines[i]) == "count" && !rule.empty() && rule.find_first_not_of('-') == std::string::npos) {
            auto value = trimmed(lines[i + 2]);
            if (!value.empty() && value.find_first_not_of("0123456789") == std::string::npos && value.size() < 20) {
                return std::stoull(value);
            }
        }
    }
    return make_error(ErrorKind::parse, "cqlsh printed no row count (a `count` column with one number under it)");
}

std::string columns_statement(const std::string& keyspace)
{
    return fmt::format("SELECT table_name, column_name, type FROM system_schema.columns WHERE keyspace_name = '{}';",
                       keyspace);
}

Result<std::map<std::string, std::map<std::string, std::string>>> parse_columns(const std::string& keyspace,
                                                                                const std::string& out)
{
    auto lines = lines_of(out);
    std::size_t at = 0;
    while (at < lines.size() &&
           !(lines[at].find("table_name") != std::string::npos && lines[at].find("column_name") != std::string::npos)) {
        ++at;
    }
    if (at + 1 >= lines.size()) {
        return make_error(ErrorKind::parse, "cqlsh printed no table_name | column_name | type header");
    }
    std::map<std::string, std::map<std::string, std::string>> tables;
    for (at += 2; at < lines.size() && !trimmed(lines[at]).empty(); ++at) {
        auto cells = split_fields(lines[at], '|');
        for (auto& cell : cells) {
            cell = trimmed(cell);
        }
        if (cells.size() != 3 || cells[0].empty() || cells[1].empty()) {
            return make_error(ErrorKind::parse, fmt::format("cqlsh: not a table_name | column_name | type row: {}",
                                                            quote_for_message(lines[at])));
        }
        tables[keyspace + "." + cells[0]][cells[1]] = normalized_type(cells[2]);
    }
    return tables;
}

std::map<std::string, std::string> schema_columns(const std::string& schema_cql)
{
    static const std::regex create(R"(CREATE\s+TABLE[^(]*\()", std::regex::icase);
    std::smatch match;
    std::map<std::string, std::string> columns;
    if (!std::regex_search(schema_cql, match, create)) {
        return columns;
    }
    // The definitions up to the closing parenthesis, split at top-level commas (types such as
    // map<text, int> have their own).
    std::vector<std::string> items{""};
    int depth = 0;
    for (auto it = match[0].second; it != schema_cql.end() && depth >= 0; ++it) {
        char c = *it;
        depth += (c == '(' || c == '<') ? 1 : (c == ')' || c == '>') ? -1 : 0;
        if (depth < 0) {
            break;
        }
        if (c == ',' && depth == 0) {
            items.emplace_back();
        } else {
            items.back() += c;
        }
    }
    static const std::regex definition(R"(^\s*("(?:[^"]|"")+"|\w+)\s+(.+?)(\s+(STATIC|PRIMARY\s+KEY))*\s*$)",
                                       std::regex::icase);
    static const std::regex key_clause(R"(^\s*PRIMARY\s+KEY)", std::regex::icase);
    for (const auto& item : items) {
        std::smatch column;
        if (std::regex_search(item, key_clause) || !std::regex_match(item, column, definition)) {
            continue;
        }
        auto name = column[1].str();
        if (name.size() > 1 && name.front() == '"') {
            name = name.substr(1, name.size() - 2);
        }
        columns[name] = normalized_type(column[2].str());
    }
    return columns;
}

std::string normalized_type(const std::string& type)
{
    std::string text;
    for (unsigned char c : type) {
        if (!std::isspace(c)) {
            text += static_cast<char>(std::tolower(c));
        }
    }
    return text;
}

} // namespace ringsnap::ops::loader_steps
