// SPDX-License-Identifier: Apache-2.0
#include "cli/run_metrics.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include <ringsnap/local_file.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::cli {

namespace {

struct Family
{
    const char* name;
    const char* help;
};

// Every family, in the order written. All are gauges: each sample is the last run's value.
constexpr Family k_families[] = {
    {"ringsnap_last_run_timestamp_seconds", "When the last run of the verb ended, in Unix time."},
    {"ringsnap_last_success_timestamp_seconds", "When a run of the verb last ended with exit code 0, in Unix time."},
    {"ringsnap_last_run_duration_seconds", "How long the last run of the verb took."},
    {"ringsnap_last_run_exit_code", "The exit code of the last run of the verb (docs/exit-codes.md)."},
    {"ringsnap_last_run_nodes", "Nodes of the last run of the verb, by how they ended."},
    {"ringsnap_last_run_files", "Files the last backup run recorded in its manifest."},
    {"ringsnap_last_run_bytes", "Bytes the last backup run recorded in its manifest."},
    {"ringsnap_last_run_hashed_bytes", "Bytes the last backup run read to hash (the rest reused earlier hashes)."},
    {"ringsnap_last_run_archived_bytes", "Bytes the last run sent to the archive."},
};

// A label value as the text format escapes it: backslash, double quote and newline.
std::string escaped(std::string_view value)
{
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string labels_of(const RunMetrics& run, const std::string& extra = {})
{
    return fmt::format("{{cluster=\"{}\",verb=\"{}\"{}}}", escaped(run.cluster), escaped(run.verb), extra);
}

// Sample lines of the previous text, by family; comments and unknown families are dropped.
std::map<std::string, std::vector<std::string>> samples_of(std::string_view text)
{
    std::map<std::string, std::vector<std::string>> samples;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        auto name = line.substr(0, line.find_first_of("{ "));
        for (const auto& family : k_families) {
            if (!line.starts_with('#') && name == family.name) {
                samples[name].push_back(line);
            }
        }
    }
    return samples;
}

std::string number(double value)
{
    return fmt::format("{:.3f}", value);
}

} // namespace

void add_report(RunMetrics& metrics, const nlohmann::json& report)
{
    if (auto nodes = report.find("nodes"); nodes != report.end() && nodes->is_array() && !nodes->empty()) {
        std::uint64_t ok = 0;
        for (const auto& node : *nodes) {
            ok += node.is_object() && node.value("status", "") == "ok" ? 1 : 0;
        }
        metrics.nodes_ok = ok;
        metrics.nodes_failed = nodes->size() - ok;
    }
    auto count = [](const nlohmann::json& object, const char* key) -> std::optional<std::uint64_t> {
        auto found = object.find(key);
        return found != object.end() && found->is_number_unsigned() ? std::optional(found->get<std::uint64_t>())
                                                                    : std::nullopt;
    };
    if (auto totals = report.find("totals"); totals != report.end() && totals->is_object()) {
        metrics.files = count(*totals, "files");
        metrics.bytes = count(*totals, "bytes");
        metrics.bytes_hashed = count(*totals, "bytes_hashed");
    }
    if (auto archive = report.find("archive"); archive != report.end() && archive->is_object()) {
        metrics.bytes_archived = count(*archive, "bytes_sent");
    }
}

std::string metrics_text(const RunMetrics& run, std::string_view previous)
{
    auto samples = samples_of(previous);
    auto mine = labels_of(run);
    auto ours = [&](const std::string& line) {
        return line.find(mine.substr(0, mine.size() - 1)) != std::string::npos; // its labels start like ours
    };
    std::optional<std::string> last_success;
    for (auto& [name, lines] : samples) {
        for (const auto& line : lines) {
            if (name == "ringsnap_last_success_timestamp_seconds" && ours(line)) {
                last_success = line.substr(line.rfind(' ') + 1);
            }
        }
        std::erase_if(lines, ours);
    }
    auto add = [&](const char* name, const std::string& labels, const std::string& value) {
        samples[name].push_back(fmt::format("{}{} {}", name, labels, value));
    };
    add("ringsnap_last_run_timestamp_seconds", mine, number(run.ended_at));
    if (run.exit_code == 0) {
        add("ringsnap_last_success_timestamp_seconds", mine, number(run.ended_at));
    } else if (last_success) {
        add("ringsnap_last_success_timestamp_seconds", mine, *last_success);
    }
    add("ringsnap_last_run_duration_seconds", mine, number(run.duration_seconds));
    add("ringsnap_last_run_exit_code", mine, std::to_string(run.exit_code));
    if (run.nodes_ok) {
        add("ringsnap_last_run_nodes", labels_of(run, ",state=\"ok\""), std::to_string(*run.nodes_ok));
        add("ringsnap_last_run_nodes", labels_of(run, ",state=\"failed\""), std::to_string(*run.nodes_failed));
    }
    auto add_count = [&](const char* name, const std::optional<std::uint64_t>& value) {
        if (value) {
            add(name, mine, std::to_string(*value));
        }
    };
    add_count("ringsnap_last_run_files", run.files);
    add_count("ringsnap_last_run_bytes", run.bytes);
    add_count("ringsnap_last_run_hashed_bytes", run.bytes_hashed);
    add_count("ringsnap_last_run_archived_bytes", run.bytes_archived);

    std::string text;
    for (const auto& family : k_families) {
        auto& lines = samples[family.name];
        if (lines.empty()) {
            continue;
        }
        std::sort(lines.begin(), lines.end());
        text += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", family.name, family.help, family.name);
        for (const auto& line : lines) {
            text += line + "\n";
        }
    }
    return text;
}

Status write_metrics_file(const std::filesystem::path& path, const RunMetrics& run)
{
    std::string previous;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
        auto read = read_local_file(path, k_metrics_file);
        if (!read) {
            return read.error();
        }
        previous = std::move(*read);
    }
    auto text = metrics_text(run, previous);
    auto failed = [&](const char* what, const std::filesystem::path& file) {
        return make_error(ErrorKind::io, fmt::format("cannot {} metrics file {}: {}", what,
                                                     quote_for_message(file.string()), std::strerror(errno)));
    };
    // Beside the file, so that the rename stays in one file system; hidden from the textfile
    // collector, which reads only *.prom.
    auto temporary = path;
    temporary.replace_filename(fmt::format(".{}.{}.tmp", path.filename().string(), ::getpid()));
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        return failed("write", temporary);
    }
    bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(temporary.c_str(), path.c_str()) != 0) {
        auto error = failed(written ? "rename into place" : "write", written ? path : temporary);
        ::unlink(temporary.c_str());
        return error;
    }
    return {};
}

} // namespace ringsnap::cli
