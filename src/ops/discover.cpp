// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/discover.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <ringsnap/nodetool.hpp>

namespace ringsnap::ops {

namespace {

const Node* find_in_file(const Cluster& cluster, const std::string& host)
{
    auto found =
        std::find_if(cluster.nodes.begin(), cluster.nodes.end(), [&](const Node& node) { return node.host == host; });
    return found == cluster.nodes.end() ? nullptr : &*found;
}

} // namespace

Result<std::vector<Node>> discover_topology(Executor& executor, const Cluster& cluster, const std::string& seed)
{
    const Node* known = find_in_file(cluster, seed);
    Node seed_node = known ? *known : make_discovered_node(cluster, seed, "", "");
    std::vector<StatusRow> ring;
    auto runs = executor.run_on_nodes({seed_node}, [&](RemoteShell& shell, std::size_t) -> Status {
        auto output = run_checked(shell, "nodetool status", nodetool_command(shell.node(), {"status"}));
        if (!output) {
            return output.error();
        }
        auto rows = parse_status(output->out);
        if (!rows) {
            return rows.error();
        }
        ring = std::move(*rows);
        return {};
    });
    if (runs.front().error) {
        const auto& error = *runs.front().error;
        return make_error(error.kind, fmt::format("cannot read the topology from seed {}: {}", seed, error.message));
    }
    if (ring.empty()) {
        return make_error(ErrorKind::config, fmt::format("seed {} reports an empty ring", seed));
    }
    std::vector<Node> nodes;
    for (const auto& row : ring) {
        if (const Node* listed = find_in_file(cluster, row.address)) {
            Node node = *listed;
            node.datacenter = row.datacenter;
            node.rack = row.rack;
            nodes.push_back(std::move(node));
        } else {
            nodes.push_back(make_discovered_node(cluster, row.address, row.datacenter, row.rack));
        }
    }
    return nodes;
}

} // namespace ringsnap::ops
