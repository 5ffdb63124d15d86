// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/check.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/ops/archive.hpp>
#include <ringsnap/ops/incremental.hpp>
#include <ringsnap/ops/survey.hpp>

namespace ringsnap::ops {

namespace {

// What the survey found of a node, as check reports it (taken over: at 256 nodes every node's
// copy of the ring is 256 rows).
NodeHealth health_of(NodeFacts&& facts)
{
    NodeHealth health;
    health.version = facts.version;
    health.info = facts.info;
    health.ring = std::move(facts.ring);
    health.backups_running = facts.backups_running;
    health.round_trip = facts.round_trip;
    if (facts.data_dirs) {
        health.unreadable_dirs = facts.data_dirs->unreadable_dirs;
    }
    health.config_problem = facts.config_problem;
    if (facts.config) {
        auto setting = incremental_backups_setting(*facts.config);
        if (setting) {
            health.backups_configured = *setting;
        } else {
            health.config_problem = setting.error().message;
        }
    }
    return health;
}

// rclone on the nodes that answered and archive: a second short job, only when there is an
// archive to reach.
void check_rclone(Executor& executor, CheckReport& report)
{
    std::vector<Node> archiving;
    std::vector<std::size_t> index_of;
    for (std::size_t i = 0; i < report.runs.size(); ++i) {
        if (report.runs[i].ok() && report.runs[i].node.archived()) {
            archiving.push_back(report.runs[i].node);
            index_of.push_back(i);
        }
    }
    if (archiving.empty()) {
        return;
    }
    executor.run_on_nodes(archiving, [&](RemoteShell& shell, std::size_t index) -> Status {
        report.health[index_of[index]].rclone_problem = rclone_problem(shell);
        return {};
    });
}

bool reached(const NodeRun& run)
{
    return run.started && (!run.error || (run.failed_step != "connect" && run.failed_step != "authenticate" &&
                                          run.failed_step != "host key"));
}

// Everything the reachable nodes say about one ring member, keyed by host id.
struct RingMember
{
    StatusRow row;
    std::set<char> statuses; // 'U', 'D', '?' as seen by the different nodes
};

std::map<std::string, RingMember> collect_ring(const std::vector<NodeHealth>& health)
{
    std::map<std::string, RingMember> members;
    for (const auto& view : health) {
        for (const auto& row : view.ring) {
            auto& member = members.try_emplace(row.host_id, RingMember{row, {}}).first->second;
            member.statuses.insert(row.status);
        }
    }
    return members;
}

// "UN" when every view agrees; a node that any view sees down counts as down.
std::string state_of(const RingMember& member)
{
    char status = member.statuses.count('D') ? 'D' : (member.statuses.count('U') ? 'U' : '?');
    return fmt::format("{}{}", status, member.row.state);
}

const RingMember* find_member(const std::map<std::string, RingMember>& ring, const NodeRun& run,
                              const NodeHealth& health)
{
    if (health.info) {
        auto found = ring.find(health.info->host_id);
        return found == ring.end() ? nullptr : &found->second;
    }
    for (const auto& [id, member] : ring) {
        if (member.row.address == run.node.host) {
            return &member;
        }
    }
    return nullptr;
}

// "host: unreachable (connect): ..." or "host: nodetool info failed ...", naming the step once.
std::string describe_failure(const NodeRun& run)
{
    const std::string& message = run.error->message;
    if (!reached(run)) {
        return fmt::format("{}: unreachable ({}): {}", run.node.host, run.failed_step, message);
    }
    if (message.rfind(run.failed_step, 0) == 0 || run.failed_step == k_survey_step) { // it names the part
        return fmt::format("{}: {}", run.node.host, message);
    }
    return fmt::format("{}: {} failed: {}", run.node.host, run.failed_step, message);
}

// The running incremental backups setting against cassandra.yaml: a restart brings back the file's.
std::string backup_setting_problem(const Node& node, const NodeHealth& health)
{
    if (!health.config_problem.empty()) {
        return fmt::format("{}: cannot read cassandra.yaml ({}): {}; set cassandra.config_file in the cluster file",
                           node.host, node.config_file(), health.config_problem);
    }
    if (!health.backups_running || !health.backups_configured ||
        *health.backups_running == *health.backups_configured) {
        return {};
    }
    return *health.backups_running
               ? fmt::format("{}: incremental backups are running but {} does not say incremental_backups: true; "
                             "they stop at the next restart",
                             node.host, node.config_file())
               : fmt::format("{}: incremental backups are not running though {} says incremental_backups: true "
                             "(nodetool disablebackup?); they come back at the next restart",
                             node.host, node.config_file());
}

} // namespace

std::vector<TopologyRow> build_topology(const std::vector<NodeRun>& runs, const std::vector<NodeHealth>& health,
                                        RingScope scope)
{
    auto ring = collect_ring(health);
    std::set<std::string> matched_ids;
    std::set<std::string> selected_dcs;
    std::vector<TopologyRow> rows;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& run = runs[i];
        TopologyRow row;
        row.datacenter = run.node.datacenter;
        row.rack = run.node.rack;
        row.host = run.node.host;
        selected_dcs.insert(run.node.datacenter);
        row.reachable = reached(run);
        row.round_trip = health[i].round_trip;
        row.version = health[i].version ? health[i].version->text : "";
        row.host_id = health[i].info ? health[i].info->host_id : "";
        row.state = "?";
        if (const auto* member = find_member(ring, run, health[i])) {
            row.state = state_of(*member);
            row.host_id = member->row.host_id;
            matched_ids.insert(member->row.host_id);
        }
        rows.push_back(std::move(row));
    }
    if (scope != RingScope::checked_nodes) {
        for (const auto& [id, member] : ring) {
            bool in_scope = scope == RingScope::whole_ring || selected_dcs.count(member.row.datacenter);
            if (!matched_ids.count(id) && in_scope) {
                TopologyRow extra;
                extra.datacenter = member.row.datacenter;
                extra.rack = member.row.rack;
                extra.host = member.row.address;
                extra.host_id = id;
                extra.state = state_of(member);
                extra.in_cluster_file = false;
                rows.push_back(std::move(extra));
            }
        }
    }
    return rows;
}

std::vector<CheckProblem> find_problems(const std::vector<NodeRun>& runs, const std::vector<NodeHealth>& health,
                                        const std::vector<TopologyRow>& topology)
{
    std::vector<CheckProblem> problems;
    std::map<std::string, int> nodes_by_version;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const auto& run = runs[i];
        const auto& node = run.node;
        auto about_node = [&](const char* kind, std::string message) {
            problems.push_back({kind, node.host, std::move(message)});
        };
        if (run.error) {
            about_node(reached(run) ? "command_failed" : "unreachable", describe_failure(run));
        }
        for (const auto& dir : health[i].unreadable_dirs) {
            about_node("data_dir", fmt::format("{}: data directory {} is missing or not readable", node.host, dir));
        }
        if (const auto& info = health[i].info) {
            bool dc_differs = info->datacenter != node.datacenter;
            bool rack_differs = !node.rack.empty() && info->rack != node.rack;
            if (dc_differs || rack_differs) {
                about_node("placement", fmt::format("{}: the cluster file says {}/{}, the node says {}/{}", node.host,
                                                    node.datacenter, node.rack.empty() ? "-" : node.rack,
                                                    info->datacenter, info->rack));
            }
        }
        if (health[i].version) {
            ++nodes_by_version[health[i].version->text];
        }
        if (auto problem = backup_setting_problem(node, health[i]); !problem.empty()) {
            about_node("incremental_setting", problem);
        }
        if (!health[i].rclone_problem.empty()) {
            about_node("rclone", health[i].rclone_problem);
        }
    }
    for (const auto& row : topology) {
        if (!row.in_cluster_file) {
            problems.push_back({"not_in_cluster_file", row.host,
                                fmt::format("{} ({}/{}, host id {}) is in the ring but not in the cluster file",
                                            row.host, row.datacenter, row.rack, row.host_id)});
        }
        if (!row.state.empty() && row.state[0] == 'D') {
            problems.push_back({"down", row.host,
                                fmt::format("{} ({}/{}) is down ({}) according to nodetool status", row.host,
                                            row.datacenter, row.rack, row.state)});
        }
    }
    if (nodes_by_version.size() > 1) {
        std::vector<std::string> parts;
        for (const auto& [version, count] : nodes_by_version) {
            parts.push_back(fmt::format("{} on {} node{}", version, count, count == 1 ? "" : "s"));
        }
        problems.push_back(
            {"mixed_versions", std::nullopt, fmt::format("mixed Cassandra versions: {}", fmt::join(parts, ", "))});
    }
    return problems;
}

CheckReport check_cluster(Executor& executor, const std::vector<Node>& nodes, RingScope scope)
{
    CheckReport report;
    // Per node what only it can say (who it is, its backups switch, its disks and settings);
    // releases and the ring from one node per data center: two nodetool runs on most nodes.
    auto survey = survey_nodes(executor, nodes,
                               SurveyParts{.release = SurveyParts::Release::gossip,
                                           .info = true,
                                           .ring = true,
                                           .data_dirs = true,
                                           .backup_state = true,
                                           .config = true,
                                           .round_trip = true});
    report.runs = std::move(survey.runs);
    for (auto& facts : survey.nodes) {
        report.health.push_back(health_of(std::move(facts)));
    }
    check_rclone(executor, report);
    report.topology = build_topology(report.runs, report.health, scope);
    report.problems = find_problems(report.runs, report.health, report.topology);
    return report;
}

} // namespace ringsnap::ops
