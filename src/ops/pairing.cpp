// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/pairing.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ringsnap/shell.hpp>

namespace ringsnap::ops {

namespace {

// The first node not yet taken that `matches`.
template <class Match>
std::optional<std::size_t> first_free(std::size_t count, const std::vector<bool>& taken, Match matches)
{
    for (std::size_t i = 0; i < count; ++i) {
        if (!taken[i] && matches(i)) {
            return i;
        }
    }
    return std::nullopt;
}

std::string describe_difference(const NodeEntry& entry, const Node& node, const std::optional<NodeIdentity>& identity,
                                const NodePair& pair)
{
    std::vector<std::string> notes;
    if (entry.host != node.host) {
        notes.push_back(fmt::format("recorded as {}, now reached as {}", entry.host, node.host));
    }
    if (identity && entry.host_id && !identity->host_id.empty() && *entry.host_id != identity->host_id) {
        notes.push_back(fmt::format("host id {} at the backup, {} now", *entry.host_id, identity->host_id));
    }
    if (pair.tokens_differ) {
        notes.push_back("its tokens differ from the backup's");
    }
    return fmt::format("{}", fmt::join(notes, "; "));
}

// Where a recorded table directory is under its data directory: "/<keyspace>/<table>-<id>" (the
// pre-2.1 layout has no id in the directory name: manifest_rules::check_table_id).
std::string path_under_data_dir(const TableEntry& table)
{
    return "/" + table.keyspace + "/" + (table.table_id.empty() ? table.table : table.table + "-" + table.table_id);
}

bool tokens_differ(const NodeEntry& entry, const std::optional<NodeIdentity>& identity)
{
    return identity && !identity->tokens.empty() && !entry.tokens.empty() &&
           !same_tokens(identity->tokens, entry.tokens);
}

// Pairs by host id, then tokens, then host name (see pair_entries).
Pairing pair_by_identity(const std::vector<NodeEntry>& entries, const std::vector<Node>& nodes,
                         const std::vector<std::optional<NodeIdentity>>& identities)
{
    auto identity = [&](std::size_t node) -> const std::optional<NodeIdentity>& {
        static const std::optional<NodeIdentity> unknown;
        return identities.empty() ? unknown : identities[node];
    };
    Pairing pairing;
    std::vector<bool> taken(nodes.size(), false);
    std::vector<std::optional<NodePair>> found(entries.size());
    // Strongest evidence first, over all entries, so a weak match never takes a node that a
    // stronger one needs.
    for (PairedBy by : {PairedBy::host_id, PairedBy::tokens, PairedBy::host}) {
        for (std::size_t e = 0; e < entries.size(); ++e) {
            if (found[e]) {
                continue;
            }
            const auto& entry = entries[e];
            auto node = first_free(nodes.size(), taken, [&](std::size_t n) {
                const auto& id = identity(n);
                switch (by) {
                case PairedBy::host_id:
                    return entry.host_id && id && id->host_id == *entry.host_id;
                case PairedBy::tokens:
                    return !entry.tokens.empty() && id && same_tokens(id->tokens, entry.tokens);
                case PairedBy::host:
                    return nodes[n].host == entry.host;
                case PairedBy::host_map:
                    return false; // pair_by_host_map
                }
                return false;
            });
            if (node) {
                taken[*node] = true;
                NodePair pair{e, *node, by, false, {}};
                const auto& id = identity(*node);
                pair.tokens_differ = tokens_differ(entry, id);
                pair.note = describe_difference(entry, nodes[*node], id, pair);
                found[e] = pair;
            }
        }
    }
    for (std::size_t e = 0; e < entries.size(); ++e) {
        if (found[e]) {
            pairing.pairs.push_back(*found[e]);
        } else {
            pairing.unmatched_entries.push_back(e);
        }
    }
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        if (!taken[n]) {
            pairing.unmatched_nodes.push_back(n);
        }
    }
    return pairing;
}

} // namespace

const char* to_string(PairedBy by)
{
    switch (by) {
    case PairedBy::host_id:
        return "host id";
    case PairedBy::tokens:
        return "tokens";
    case PairedBy::host:
        return "host name";
    case PairedBy::host_map:
        return "host map";
    }
    return "host name";
}

bool same_tokens(const std::vector<std::string>& a, const std::vector<std::string>& b)
{
    auto sorted_a = a;
    auto sorted_b = b;
    std::sort(sorted_a.begin(), sorted_a.end());
    std::sort(sorted_b.begin(), sorted_b.end());
    return sorted_a == sorted_b;
}

const NodePair* Pairing::for_entry(std::size_t entry) const
{
    auto found = std::find_if(pairs.begin(), pairs.end(), [&](const NodePair& pair) { return pair.entry == entry; });
    return found == pairs.end() ? nullptr : &*found;
}

const NodePair* Pairing::for_node(std::size_t node) const
{
    auto found = std::find_if(pairs.begin(), pairs.end(), [&](const NodePair& pair) { return pair.node == node; });
    return found == pairs.end() ? nullptr : &*found;
}

std::optional<std::size_t> data_dir_of(const Node& node, const TableEntry& table)
{
    auto under = path_under_data_dir(table);
    auto dirs = node.data_dirs();
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        if (table.directory == dirs[i] + under) {
            return i;
        }
    }
    return std::nullopt;
}

namespace {

Status check_recorded_directories(const Manifest& manifest, const Pairing& pairing, const std::vector<Node>& nodes)
{
    for (const auto& pair : pairing.pairs) {
        const auto& entry = manifest.nodes[pair.entry];
        const auto& node = nodes[pair.node];
        for (std::size_t t = 0; t < entry.tables.size(); ++t) {
            if (!data_dir_of(node, entry.tables[t])) {
                return make_error(
                    ErrorKind::catalog,
                    fmt::format("manifest {}: node {}, tables[{}].directory {} is not <data_dir>/{}/<table>-<id> for "
                                "any of the node's data_dirs in the cluster file ({}); refusing the manifest. If "
                                "the node's data directories moved, list the old one in cassandra.data_dirs.",
                                manifest.tag, entry.host, t, quote_for_message(entry.tables[t].directory),
                                entry.tables[t].keyspace, fmt::join(node.data_dirs(), ", ")));
            }
        }
    }
    return {};
}

} // namespace

Result<Pairing> pair_entries(const Manifest& manifest, const std::vector<Node>& nodes,
                             const std::vector<std::optional<NodeIdentity>>& identities)
{
    const auto& entries = manifest.nodes;
    auto pairing = pair_by_identity(entries, nodes, identities);
    if (auto checked = check_recorded_directories(manifest, pairing, nodes); !checked) {
        return checked.error();
    }
    return pairing;
}

Result<Pairing> pair_by_host_map(const Manifest& manifest, const std::vector<Node>& nodes,
                                 const std::vector<std::optional<NodeIdentity>>& identities, const HostMap& map)
{
    std::map<std::string, std::size_t> node_of; // host -> index in `nodes`
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        node_of.emplace(nodes[n].host, n);
    }
    for (const auto& [source, target] : map) {
        if (std::none_of(manifest.nodes.begin(), manifest.nodes.end(),
                         [&](const NodeEntry& entry) { return entry.host == source; })) {
            return make_error(ErrorKind::usage, fmt::format("--host-map names {}, which is no node of the backup {}",
                                                            quote_for_message(source), manifest.tag));
        }
        if (!node_of.count(target)) {
            return make_error(ErrorKind::usage, fmt::format("--host-map maps {} to {}, which is no node of the "
                                                            "target's cluster file",
                                                            source, quote_for_message(target)));
        }
    }
    Pairing pairing;
    std::vector<bool> taken(nodes.size(), false);
    for (std::size_t e = 0; e < manifest.nodes.size(); ++e) {
        auto mapped = map.find(manifest.nodes[e].host);
        if (mapped == map.end()) {
            pairing.unmatched_entries.push_back(e);
            continue;
        }
        auto n = node_of.at(mapped->second);
        taken[n] = true;
        NodePair pair{e, n, PairedBy::host_map, false, {}};
        pair.tokens_differ = tokens_differ(manifest.nodes[e], identities.empty() ? std::nullopt : identities[n]);
        pairing.pairs.push_back(pair);
    }
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        if (!taken[n]) {
            pairing.unmatched_nodes.push_back(n);
        }
    }
    return pairing;
}

Result<NodeEntry> relocate_entry(const NodeEntry& entry, const Node& node)
{
    auto targets = node.data_dirs();
    std::vector<std::string> recorded_dirs; // the entry's data directories, in order of first use
    NodeEntry relocated = entry;
    for (auto& table : relocated.tables) {
        auto suffix = path_under_data_dir(table);
        const auto& directory = table.directory;
        if (directory.size() <= suffix.size() ||
            directory.compare(directory.size() - suffix.size(), suffix.size(), suffix) != 0) {
            return make_error(ErrorKind::catalog, fmt::format("node {}: table directory {} is not <data_dir>{}",
                                                              entry.host, quote_for_message(directory), suffix));
        }
        auto data_dir = directory.substr(0, directory.size() - suffix.size());
        auto known = std::find(recorded_dirs.begin(), recorded_dirs.end(), data_dir);
        auto index = static_cast<std::size_t>(known - recorded_dirs.begin());
        if (known == recorded_dirs.end()) {
            recorded_dirs.push_back(data_dir);
        }
        table.directory = targets[index % targets.size()] + suffix;
    }
    return relocated;
}

} // namespace ringsnap::ops
