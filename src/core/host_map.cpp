// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/host_map.hpp>

#include <sstream>
#include <vector>

#include <fmt/format.h>

#include <ringsnap/local_file.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap {

namespace {

// A host map names a node per line: the cluster file's limit is far above any real one.
constexpr FileKind k_host_map_file{"host map", k_max_cluster_file_bytes};

std::vector<std::string> words_of(const std::string& line)
{
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string word; in >> word;) {
        words.push_back(word);
    }
    return words;
}

} // namespace

Result<HostMap> parse_host_map(std::string_view text, const std::string& origin)
{
    HostMap map;
    std::map<std::string, std::size_t> target_line;
    std::map<std::string, std::size_t> source_line;
    std::istringstream in{std::string(text)};
    std::size_t number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        auto words = words_of(line);
        if (words.empty() || words.front().front() == '#') {
            continue;
        }
        auto fail = [&](const std::string& why) {
            return make_error(ErrorKind::parse, fmt::format("{} line {}: {}", origin, number, why));
        };
        if (words.size() != 2) {
            return fail(fmt::format("expected the backup node's host, then the target node's host; found {} words "
                                    "in {}",
                                    words.size(), quote_for_message(line)));
        }
        const auto& source = words[0];
        const auto& target = words[1];
        if (auto seen = source_line.find(source); seen != source_line.end()) {
            return fail(
                fmt::format("backup node {} is mapped already on line {}", quote_for_message(source), seen->second));
        }
        if (auto seen = target_line.find(target); seen != target_line.end()) {
            return fail(fmt::format("target node {} takes the place of another backup node already, on line {}",
                                    quote_for_message(target), seen->second));
        }
        source_line.emplace(source, number);
        target_line.emplace(target, number);
        map.emplace(source, target);
    }
    if (map.empty()) {
        return make_error(ErrorKind::parse,
                          fmt::format("{}: no pair of hosts (a line per backup node: its host, then the target "
                                      "node's host)",
                                      origin));
    }
    return map;
}

Result<HostMap> load_host_map(const std::filesystem::path& path)
{
    auto text = read_local_file(path, k_host_map_file);
    if (!text) {
        return text.error();
    }
    return parse_host_map(*text, path.string());
}

} // namespace ringsnap
