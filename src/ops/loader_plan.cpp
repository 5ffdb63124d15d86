// SPDX-License-Identifier: Apache-2.0
#include "ops/loader_plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/sstable_name.hpp>

namespace ringsnap::ops::loader_plan {

namespace {

// The address Cassandra knows a node by (its own row in its ring), else the cluster file's host.
std::string address_of(const Node& node, const NodeFacts& facts)
{
    const auto* self = facts.own_row();
    return self ? self->address : node.host;
}

// Every target node answered and sees every node up: a loader streams to every replica, and one
// that is down fails the load after the others took their share.
void check_target_up(const SurveyedCluster& target, RestorePlan& plan)
{
    std::set<std::string> refusals;
    for (std::size_t i = 0; i < target.nodes.size(); ++i) {
        if (!target.runs[i].ok()) {
            refusals.insert(fmt::format("target node {} did not answer ({}): sstableloader streams to every replica, "
                                        "and fails when one is down",
                                        target.nodes[i].host,
                                        target.runs[i].error ? target.runs[i].error->message : "not reached"));
            continue;
        }
        for (const auto& row : target.facts[i].node.ring) {
            if (row.status != 'U' || row.state != 'N') {
                refusals.insert(fmt::format("target node {} ({}) is {}{} in the ring: sstableloader streams to every "
                                            "replica, and fails when one is not up",
                                            row.address, row.datacenter, row.status, row.state));
            }
        }
    }
    plan.refusals.insert(plan.refusals.end(), refusals.begin(), refusals.end());
}

struct TargetNode
{
    std::string host;
    CassandraVersion version;
    std::string mode;
};

std::vector<TargetNode> target_nodes(const SurveyedCluster& target)
{
    std::vector<TargetNode> nodes;
    for (std::size_t i = 0; i < target.nodes.size(); ++i) {
        const auto& facts = target.facts[i].node;
        if (target.runs[i].ok() && facts.version) {
            nodes.push_back({target.nodes[i].host, *facts.version, facts.storage_mode()});
        }
    }
    return nodes;
}

std::string release_of(const TargetNode& node)
{
    return node.version.at_least(5, 0) ? fmt::format("{} ({})", node.version.text, node.mode) : node.version.text;
}

// Each SSTable version-format of a node's tables ("nb-big"), once.
std::set<std::pair<std::string, std::string>> file_versions(const NodePlan& node)
{
    std::set<std::pair<std::string, std::string>> versions;
    for (const auto& table : node.tables) {
        for (const auto& file : table.files) {
            if (auto name = parse_sstable_name(file.name)) {
                versions.emplace(name->version, name->format);
            }
        }
    }
    return versions;
}

} // namespace

LoaderTarget plan_target(const SurveyedCluster& target, const RestoreRequest& request, RestorePlan& plan)
{
    LoaderTarget loader;
    loader.cluster = request.target ? request.target->name : "";
    for (std::size_t i = 0; i < target.nodes.size(); ++i) {
        if (target.runs[i].ok()) {
            loader.addresses.push_back(address_of(target.nodes[i], target.facts[i].node));
        }
    }
    check_target_up(target, plan);
    return loader;
}

loader_steps::LoaderSettings settings_for(const LoaderTarget& loader, const SurveyedCluster& target,
                                          const RestoreRequest& request)
{
    loader_steps::LoaderSettings settings;
    settings.targets = loader.addresses;
    settings.throttle_mbits = request.throttle_mbits;
    settings.with_credentials = !target.nodes.empty() && target.nodes.front().cassandra.cql_user.has_value();
    return settings;
}

void check_versions(const SurveyedCluster& target, RestorePlan& plan)
{
    auto receivers = target_nodes(target);
    // One refusal per pair of releases, naming the nodes: not one per pair of nodes.
    std::map<std::pair<std::string, std::string>, std::pair<std::set<std::string>, std::set<std::string>>> unreachable;
    std::map<std::string, std::set<std::string>> unreadable; // "<release> ... <version>" -> target hosts
    for (const auto& node : plan.nodes) {
        auto loader = parse_release(node.version);
        if (node.unreachable || !loader) {
            continue;
        }
        auto versions = file_versions(node);
        for (const auto& receiver : receivers) {
            if (!loader_steps::loader_reaches(*loader, receiver.version, receiver.mode)) {
                auto& [sources, targets] = unreachable[{loader->text, release_of(receiver)}];
                sources.insert(node.node.host);
                targets.insert(receiver.host);
            }
            for (const auto& [version, format] : versions) {
                if (!can_read_sstable(receiver.version, receiver.mode, version, format)) {
                    unreadable[fmt::format("Cassandra {} on the target cannot read SSTables of version {}-{}",
                                           release_of(receiver), version, format)]
                        .insert(receiver.host);
                }
            }
        }
    }
    for (const auto& [releases, hosts] : unreachable) {
        plan.refusals.push_back(fmt::format("the sstableloader of Cassandra {} (on {}) cannot stream to Cassandra {} "
                                            "(on {}): a node accepts streams at its own messaging version only; load "
                                            "from nodes of the target's major version, or upgrade the target first",
                                            releases.first, fmt::join(hosts.first, ", "), releases.second,
                                            fmt::join(hosts.second, ", ")));
    }
    for (const auto& [what, hosts] : unreadable) {
        plan.refusals.push_back(fmt::format("{} (on {}): it would skip them", what, fmt::join(hosts, ", ")));
    }
    if (!target.nodes.empty() && target.nodes.front().cassandra.cql_user) {
        plan.warnings.push_back(
            "sstableloader takes the target's CQL credentials only as arguments: while it runs, its "
            "process on each source node shows them to that node's users (ringsnap's own commands "
            "carry them on stdin); use a role that may only modify the restored keyspaces");
    }
    plan.warnings.push_back("sstableloader sends each row to every replica that owns it: the target receives the "
                            "backup's bytes once per replica, and compacts them afterwards");
}

} // namespace ringsnap::ops::loader_plan
