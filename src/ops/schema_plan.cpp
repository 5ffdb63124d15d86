// SPDX-License-Identifier: Apache-2.0
#include "ops/schema_plan.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "ops/loader_steps.hpp"

namespace ringsnap::ops::schema_plan {

namespace {

std::string keyspace_of(const std::string& name)
{
    return name.substr(0, name.find('.'));
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
    // The fullest ring a node gave (a survey gives the whole ring to one node per data center).
    const std::vector<StatusRow>* ring = nullptr;
    for (const auto& facts : target.facts) {
        if (!ring || facts.node.ring.size() > ring->size()) {
            ring = &facts.node.ring;
        }
    }
    std::map<std::string, int> per_dc;
    if (ring) {
        for (const auto& row : *ring) {
            ++per_dc[row.datacenter];
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

// Whether a schema.cql holds only what Cassandra writes there for ks.table: its CREATE TABLE,
// the types and indexes it uses, and ALTER TABLE ... DROP lines. The text comes from a node and
// is run as CQL, so anything else (a DROP, an INSERT, another table) is refused rather than run.
bool is_table_schema(const std::string& cql, const std::string& name)
{
    static const std::regex allowed(
        R"(^\s*(CREATE\s+(TYPE|TABLE|INDEX|CUSTOM\s+INDEX|MATERIALIZED\s+VIEW)|ALTER\s+TABLE)\s)", std::regex::icase);
    auto dot = name.find('.');
    std::regex creates("CREATE\\s+TABLE\\s+(IF\\s+NOT\\s+EXISTS\\s+)?\"?" + name.substr(0, dot) + "\"?\\.\"?" +
                           name.substr(dot + 1) + "\"?\\s*\\(",
                       std::regex::icase);
    bool creates_it = false;
    std::size_t start = 0;
    while (start < cql.size()) {
        auto end = std::min(cql.find(';', start), cql.size());
        auto statement = cql.substr(start, end - start);
        start = end + 1;
        if (statement.find_first_not_of(" \t\r\n") == std::string::npos) {
            continue;
        }
        if (!std::regex_search(statement, allowed)) {
            return false;
        }
        creates_it = creates_it || std::regex_search(statement, creates);
    }
    return creates_it;
}

} // namespace

bool exists_on(const SurveyedCluster& target, const std::string& name)
{
    for (const auto& facts : target.facts) {
        if (!facts.node.data_dirs) {
            continue;
        }
        for (const auto& dir : facts.node.data_dirs->tables) {
            if (dir.keyspace + "." + dir.table == name && !facts.disk.dropped(dir.path())) {
                return true;
            }
        }
    }
    return false;
}

void plan_schema(const Chain& chain, const SurveyedCluster& target, const std::vector<std::string>& tables,
                 const RestoreRequest& request, RestorePlan& plan)
{
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
                fmt::format("{} does not exist in the cluster it is restored into, and the backup {} "
                            "holds no schema.cql for it: create it there first",
                            name, chain.base.tag));
            continue;
        }
        if (!is_table_schema(*schema, name)) {
            plan.refusals.push_back(fmt::format("{} does not exist in the cluster it is restored into, and its "
                                                "schema.cql in the backup {} holds more than its CREATE TABLE (and "
                                                "the types, indexes and ALTER TABLE lines Cassandra writes): create "
                                                "it yourself, then rerun",
                                                name, chain.base.tag));
            continue;
        }
        auto keyspace = keyspace_of(name);
        bool keyspace_there = std::any_of(tables.begin(), tables.end(), [&](const std::string& other) {
            return keyspace_of(other) == keyspace && exists_on(target, other);
        });
        if (!keyspace_there && keyspaces_created.insert(keyspace).second) {
            plan.schema.push_back(loader_steps::create_keyspace_statement(keyspace, replication));
        }
        plan.created.push_back(name);
        plan.schema.push_back(*schema);
    }
    if (!plan.created.empty()) {
        plan.warnings.push_back(
            fmt::format("{} does not exist in the cluster it is restored into: created from the backup's "
                        "schema.cql first{}",
                        fmt::join(plan.created, ", "),
                        keyspaces_created.empty() ? std::string()
                                                  : fmt::format(" (keyspaces {} if missing, replication {})",
                                                                fmt::join(keyspaces_created, ", "), replication)));
    }
}

void check_columns(const Chain& chain, const SurveyedCluster& target, const std::vector<std::string>& tables,
                   RestorePlan& plan)
{
    for (const auto& name : tables) {
        auto schema = schema_of(chain, name);
        auto found = target.columns ? target.columns->find(name) : TableColumns::const_iterator();
        if (!schema || !target.columns || found == target.columns->end() || !exists_on(target, name)) {
            continue; // created from the backup's schema, or nothing to compare with
        }
        std::vector<std::string> problems;
        for (const auto& [column, type] : loader_steps::schema_columns(*schema)) {
            auto there = found->second.find(column);
            if (there == found->second.end()) {
                problems.push_back(fmt::format("{} {} is missing", column, type));
            } else if (there->second != type) {
                problems.push_back(fmt::format("{} is {} there, {} in the backup", column, there->second, type));
            }
        }
        if (!problems.empty()) {
            plan.refusals.push_back(fmt::format("{} exists in the cluster restored into with other columns ({}): "
                                                "alter or drop it there first",
                                                name, fmt::join(problems, "; ")));
        }
    }
}

std::optional<std::string> table_id_in(const std::string& schema_cql)
{
    static const std::regex with_id(
        R"(WITH\s+ID\s*=\s*([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12}))",
        std::regex::icase);
    std::smatch match;
    if (!std::regex_search(schema_cql, match, with_id)) {
        return std::nullopt;
    }
    std::string id;
    for (std::size_t i = 1; i < match.size(); ++i) {
        id += match[i].str();
    }
    std::transform(id.begin(), id.end(), id.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return id;
}

} // namespace ringsnap::ops::schema_plan
