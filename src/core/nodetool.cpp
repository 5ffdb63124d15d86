// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/nodetool.hpp>

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include <ringsnap/shell.hpp>

namespace ringsnap {

namespace {

std::vector<std::string> split_lines(const std::string& text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(std::move(line));
    }
    return lines;
}

std::vector<std::string> split_words(const std::string& line)
{
    std::vector<std::string> words;
    std::istringstream in(line);
    for (std::string word; in >> word;) {
        words.push_back(std::move(word));
    }
    return words;
}

std::string trim(const std::string& text)
{
    auto start = text.find_first_not_of(" \t");
    if (start == std::string::npos) {
        return {};
    }
    return text.substr(start, text.find_last_not_of(" \t") - start + 1);
}

Error parse_error(const std::string& what, const std::string& line)
{
    return make_error(ErrorKind::parse, fmt::format("unexpected {} line: \"{}\"", what, line));
}

bool is_host_id(const std::string& text)
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

bool is_load_unit(const std::string& word)
{
    return word == "bytes" || word == "KiB" || word == "MiB" || word == "GiB" || word == "TiB" || word == "KB" ||
           word == "MB" || word == "GB" || word == "TB";
}

// A data row: "UN  127.0.0.1  96.55 KiB  16  100.0%  <host id>  rack1". Words, not columns: in
// 3.11 a Load longer than its printf width pushes every later column to the right.
Result<StatusRow> parse_status_row(const std::string& line, const std::string& datacenter, bool single_token)
{
    auto words = split_words(line);
    if (words.size() < 6 || words[0].size() != 2) {
        return parse_error("nodetool status", line);
    }
    StatusRow row;
    row.datacenter = datacenter;
    row.status = words[0][0];
    row.state = words[0][1];
    row.address = words[1];
    std::size_t next = 2;
    if (words[next] == "?") {
        row.load = "?";
        next += 1;
    } else if (next + 1 < words.size() && is_load_unit(words[next + 1])) {
        row.load = words[next] + " " + words[next + 1];
        next += 2;
    } else {
        return parse_error("nodetool status", line);
    }
    std::size_t needed = next + 3;  // owns, host id and tokens, in the layout's order
    if (words.size() < needed) {
        return parse_error("nodetool status", line);
    }
    if (single_token) {
        row.owns = words[next];
        row.host_id = words[next + 1];
        row.token = words[next + 2];
        next += 3;
    } else {
        try {
            row.token_count = std::stoi(words[next]);
        } catch (const std::exception&) {
            return parse_error("nodetool status", line);
        }
        row.owns = words[next + 1];
        row.host_id = words[next + 2];
        next += 3;
    }
    if (!is_host_id(row.host_id) || std::string("UD?").find(row.status) == std::string::npos) {
        return parse_error("nodetool status", line);
    }
    for (; next < words.size(); ++next) {
        if (!row.rack.empty()) {
            row.rack += ' ';
        }
        row.rack += words[next];
    }
    return row;
}

bool parse_bool(const std::string& value)
{
    return value == "true";
}

} // namespace

std::string nodetool_command(const Node& node, const std::vector<std::string>& args)
{
    std::vector<std::string> argv{node.nodetool()};
    if (node.cassandra.jmx_user) {
        argv.insert(argv.end(), {"-u", *node.cassandra.jmx_user});
        if (node.cassandra.jmx_password_file) {
            argv.insert(argv.end(), {"-pwf", *node.cassandra.jmx_password_file});
        }
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return with_sudo(shell_join(argv), node.ssh.sudo);
}

Result<CassandraVersion> parse_version(const std::string& out)
{
    for (const auto& line : split_lines(out)) {
        constexpr std::string_view label = "ReleaseVersion:";
        if (line.rfind(label, 0) != 0) {
            continue;
        }
        CassandraVersion version;
        version.text = trim(line.substr(label.size()));
        int* parts[] = {&version.major, &version.minor, &version.patch};
        std::size_t position = 0;
        for (int* part : parts) {
            std::size_t used = 0;
            try {
                *part = std::stoi(version.text.substr(position), &used);
            } catch (const std::exception&) {
                break;
            }
            position += used;
            if (position >= version.text.size() || version.text[position] != '.') {
                break;
            }
            ++position;
        }
        if (version.major == 0) {
            return parse_error("nodetool version", line);
        }
        return version;
    }
    return make_error(ErrorKind::parse, "nodetool version printed no ReleaseVersion line");
}

Result<std::vector<StatusRow>> parse_status(const std::string& out)
{
    std::vector<StatusRow> rows;
    std::string datacenter;
    bool single_token = false;
    bool seen_header = false;
    for (const auto& line : split_lines(out)) {
        if (line.rfind("Datacenter: ", 0) == 0) {
            datacenter = trim(line.substr(12));
            seen_header = false;
        } else if (line.rfind("--  ", 0) == 0) {
            auto words = split_words(line);
            single_token = std::find(words.begin(), words.end(), "Token") != words.end();
            seen_header = true;
        } else if (seen_header && line.size() >= 2 && std::string("UD?").find(line[0]) != std::string::npos &&
                   std::string("NLJM?").find(line[1]) != std::string::npos) {
            auto row = parse_status_row(line, datacenter, single_token);
            if (!row) {
                return row.error();
            }
            rows.push_back(std::move(*row));
        } else if (line.rfind("Error: ", 0) == 0) {
            return make_error(ErrorKind::parse, fmt::format("nodetool status: {}", line));
        }
    }
    if (rows.empty()) {
        return make_error(ErrorKind::parse, "nodetool status printed no node");
    }
    return rows;
}

Result<NodeInfo> parse_info(const std::string& out)
{
    NodeInfo info;
    bool has_id = false, has_dc = false, has_rack = false;
    for (const auto& line : split_lines(out)) {
        auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        std::string label = trim(line.substr(0, colon));
        std::string value = trim(line.substr(colon + 1));
        if (label == "ID") {
            info.host_id = value;
            has_id = is_host_id(value);
        } else if (label == "Gossip active") {
            info.gossip_active = parse_bool(value);
        } else if (label == "Native Transport active") {
            info.native_transport_active = parse_bool(value);
        } else if (label == "Load") {
            info.load = value;
        } else if (label == "Data Center") {
            info.datacenter = value;
            has_dc = !value.empty();
        } else if (label == "Rack") {
            info.rack = value;
            has_rack = !value.empty();
        } else if (label == "Uptime (seconds)") {
            try {
                info.uptime_seconds = std::stol(value);
            } catch (const std::exception&) {
                return parse_error("nodetool info", line);
            }
        }
    }
    if (!has_id || !has_dc || !has_rack) {
        return make_error(ErrorKind::parse, "nodetool info lacks its ID, Data Center or Rack line");
    }
    return info;
}

} // namespace ringsnap
