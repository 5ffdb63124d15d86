// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/cassandra_yaml.hpp>

#include <filesystem>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace ringsnap {

namespace {

std::optional<YAML::Node> load(const std::string& text)
{
    try {
        return YAML::Load(text);
    } catch (const YAML::Exception&) {
        return std::nullopt;
    }
}

std::optional<std::string> scalar(const YAML::Node& node)
{
    return node && node.IsScalar() ? std::optional(node.Scalar()) : std::nullopt;
}

// "host", "host:7000", "[::1]:7000" or "::1" -> the host.
std::string without_port(std::string seed)
{
    if (seed.starts_with('[')) {
        return seed.substr(1, seed.find(']') - 1);
    }
    auto colon = seed.find(':');
    return colon != std::string::npos && seed.find(':', colon + 1) == std::string::npos ? seed.substr(0, colon) : seed;
}

std::string trimmed(const std::string& text)
{
    auto first = text.find_first_not_of(" \t");
    auto last = text.find_last_not_of(" \t");
    return first == std::string::npos ? "" : text.substr(first, last - first + 1);
}

} // namespace

std::string storage_compatibility_mode(const std::string& cassandra_yaml)
{
    auto yaml = load(cassandra_yaml);
    return (yaml ? scalar((*yaml)["storage_compatibility_mode"]) : std::nullopt).value_or("CASSANDRA_4");
}

std::vector<std::string> seed_hosts(const std::string& cassandra_yaml)
{
    std::vector<std::string> hosts;
    auto yaml = load(cassandra_yaml);
    if (!yaml || !(*yaml)["seed_provider"].IsSequence()) {
        return hosts;
    }
    for (const auto& provider : (*yaml)["seed_provider"]) {
        const auto& parameters = provider["parameters"];
        if (!parameters.IsSequence()) {
            continue;
        }
        for (const auto& parameter : parameters) {
            std::istringstream seeds(scalar(parameter["seeds"]).value_or(""));
            for (std::string seed; std::getline(seeds, seed, ',');) {
                if (auto host = without_port(trimmed(seed)); !host.empty()) {
                    hosts.push_back(host);
                }
            }
        }
    }
    return hosts;
}

std::optional<std::string> commitlog_directory(const std::string& cassandra_yaml)
{
    auto yaml = load(cassandra_yaml);
    auto value = yaml ? scalar((*yaml)["commitlog_directory"]) : std::nullopt;
    if (!value || !value->starts_with('/')) {
        return std::nullopt; // relative to Cassandra's working directory: not a place to guess
    }
    auto path = std::filesystem::path(*value).lexically_normal().string();
    while (path.size() > 1 && path.ends_with('/')) {
        path.pop_back();
    }
    return path;
}

} // namespace ringsnap
