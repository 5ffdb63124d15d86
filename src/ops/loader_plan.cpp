// SPDX-License-Identifier: Apache-2.0
#include "ops/loader_plan.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/cassandra_yaml.hpp>
#include <ringsnap/sstable_name.hpp>

namespace ringsnap::ops::loader_plan {

namespace {

std::string keyspace_of(const std::string& name)
{
    return name.substr(0, name.find('.'));
}

// The address Cassandra knows a node by (its own row in its ring), else the cluster file's host.
std::string address_of(const Node& node, const NodeFacts& facts)
{
    for (const auto& row : facts.ring) {
        if (facts.info && row.host_id == facts.info->host_id) {
            return row.address;
        }
    }
    return node.host;
}

// Whether any target node has a live directory of ks.table (a dropped table's does not count).
bool exists_on(const SurveyedCluster& target, const std::string& name)
{
    for (const auto& facts : target.facts) {
        if (!facts.node.data_dirs) {
            continue;
        }
        for (const auto& dir : facts.node.data_dirs->tables) {
            const auto& dropped = facts.disk.marked_dropped;
            if (dir.keyspace + "." + dir.table == name &&
                std::find(dropped.begin(), dropped.end(), dir.path()) == dropped.end()) {
                return true;
            }
        }
    }
    return false;
}

std::optional<std::string> schema_of(const Chain& chain, const std::string& name)
{
    for (const auto& node : chain.base.nodes) {
        for (const auto& table : node.tables) {
            if (table.keyspace + "." + table.table == name && table.schema_cql && !table.schema_cql->empty()) {
                return table.schema_cql;
            }
        }
    }
    return std::nullopt;
}

// "dc1:3,dc2:2": each target data center (as its ring names it) with min(3, its nodes).
std::string default_replication(const SurveyedCluster& target)
{
    std::map<std::string, int> per_dc;
    for (const auto& facts : target.facts) {
        if (!facts.node.ring.empty()) {
            for (const auto& row : facts.node.ring) {
                ++per_dc[row.datacenter];
            }
            break;
        }
    }
    if (per_dc.empty()) {
        for (const auto& node : target.nodes) {
            ++per_dc[node.datacenter];
        }
    }
    std::string text;
    for (const auto& [datacenter, nodes] : per_dc) {
        text += fmt::format("{}{}:{}", text.empty() ? "" : ",", datacenter, std::min(nodes, 3));
    }
    return text;
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
            nodes.push_back({target.nodes[i].host, *facts.version,
                             facts.config ? storage_compatibility_mode(*facts.config) : "CASSANDRA_4"});
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

LoaderTarget plan_target(const Chain& chain, const SurveyedCluster& target, const std::vector<std::string>& tables,
                         const RestoreRequest& request, RestorePlan& plan)
{
    LoaderTarget loader;
    loader.cluster = request.target ? request.target->name : "";
    for (std::size_t i = 0; i < target.nodes.size(); ++i) {
        if (target.runs[i].ok()) {
            loader.addresses.push_back(address_of(target.nodes[i], target.facts[i].node));
        }
    }
    check_target_up(target, plan);
    if (auto valid = loader_steps::parse_replication(request.replication); !request.replication.empty() && !valid) {
        plan.refusals.push_back(valid.error().message);
    }
    std::string replication = request.replication.empty() ? default_replication(target) : request.replication;
    std::set<std::string> keyspaces_created;
    for (const auto& name : tables) {
        if (exists_on(target, name)) {
            continue;
        }
        auto schema = schema_of(chain, name);
        if (!schema) {
            plan.refusals.push_back(
                fmt::format("{} does not exist on the target, and the backup {} holds no schema.cql "
                            "for it: create it there first",
                            name, chain.base.tag));
            continue;
        }
        auto keyspace = keyspace_of(name);
        bool keyspace_there = std::any_of(tables.begin(), tables.end(), [&](const std::string& other) {
            return keyspace_of(other) == keyspace && exists_on(target, other);
        });
        if (!keyspace_there && keyspaces_created.insert(keyspace).second) {
            loader.schema.push_back(loader_steps::create_keyspace_statement(keyspace, replication));
        }
        loader.created.push_back(name);
        loader.schema.push_back(*schema);
    }
    if (!loader.created.empty()) {
        plan.warnings.push_back(fmt::format(
            "the target lacks {}: created from the backup's schema.cql first{}", fmt::join(loader.created, ", "),
            keyspaces_created.empty() ? std::string()
                                      : fmt::format(" (keyspaces {} if missing, replication {})",
                                                    fmt::join(keyspaces_created, ", "), replication)));
    }
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
