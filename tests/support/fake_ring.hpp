// SPDX-License-Identifier: Apache-2.0
#pragma once

// A ring of fake nodes and what nodetool prints about it (4.0+ formats), for scripted executors.

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace ringsnap::testing {

struct FakeNode
{
    std::string host;
    std::string datacenter;
    std::string rack;
    std::string host_id;
    std::string version = "4.1.6";
    char status = 'U';
    std::string token = "-9223372036854775808";
};

// A 4.0+ `nodetool status` as every node would print it.
inline std::string status_output(const std::vector<FakeNode>& ring)
{
    std::map<std::string, std::vector<FakeNode>> by_dc;
    for (const auto& node : ring) {
        by_dc[node.datacenter].push_back(node);
    }
    std::string out;
    for (const auto& [dc, nodes] : by_dc) {
        std::string title = "Datacenter: " + dc;
        out += title + "\n" + std::string(title.size(), '=') +
               "\nStatus=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n";
        out += "--  Address    Load       Tokens  Owns (effective)  Host ID                               Rack \n";
        for (const auto& node : nodes) {
            out += fmt::format("{}N  {}  96.55 KiB  16      50.0%             {}  {}\n", node.status, node.host,
                               node.host_id, node.rack);
        }
        out += "\n";
    }
    return out;
}

// `nodetool gossipinfo` (4.0+) as any node would print it: every ring member's release.
inline std::string gossip_output(const std::vector<FakeNode>& ring)
{
    std::string out;
    for (const auto& node : ring) {
        out += fmt::format("/{}\n  generation:1\n  heartbeat:2\n  STATUS:3:NORMAL,-1\n  DC:4:{}\n  RACK:5:{}\n"
                           "  RELEASE_VERSION:6:{}\n  HOST_ID:7:{}\n  TOKENS:8:<hidden>\n",
                           node.host, node.datacenter, node.rack, node.version, node.host_id);
    }
    return out;
}

// `nodetool info`, and with `-T` (`tokens`) the node's token.
inline std::string info_output(const FakeNode& node, bool tokens = false)
{
    return fmt::format("{:<23}: {}\n{:<23}: true\n{:<23}: true\n{:<23}: 96.55 KiB\n{:<23}: {}\n{:<23}: {}\n", "ID",
                       node.host_id, "Gossip active", "Native Transport active", "Load", "Data Center", node.datacenter,
                       "Rack", node.rack) +
           (tokens ? fmt::format("{:<23}: {}\n", "Token", node.token) : std::string());
}

} // namespace ringsnap::testing
