// SPDX-License-Identifier: Apache-2.0
// `ringsnap check`

#include <algorithm>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/ops/check.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/commands.hpp"

namespace ringsnap::cli {

namespace {

std::string milliseconds(std::chrono::microseconds duration)
{
    return duration.count() == 0 ? "-" : fmt::format("{:.1f} ms", static_cast<double>(duration.count()) / 1000.0);
}

std::string render(const ops::CheckReport& report)
{
    TextTable table({"DC", "RACK", "HOST", "HOST ID", "VERSION", "STATE", "REACHABLE", "SSH RTT"});
    for (const auto& row : report.topology) {
        std::string reachable = !row.in_cluster_file ? "not in file" : (row.reachable ? "yes" : "no");
        table.add_row({row.datacenter, row.rack.empty() ? "-" : row.rack, row.host,
                       row.host_id.empty() ? "-" : row.host_id, row.version.empty() ? "-" : row.version, row.state,
                       reachable, milliseconds(row.round_trip)});
    }
    std::string text = table.render();
    if (report.problems.empty()) {
        return text + "\nNo problems found.\n";
    }
    text += fmt::format("\n{} problem{} found:\n", report.problems.size(), report.problems.size() == 1 ? "" : "s");
    for (const auto& problem : report.problems) {
        text += "  - " + problem.message + "\n";
    }
    return text;
}

nlohmann::json topology_json(const ops::CheckReport& report)
{
    auto rows = nlohmann::json::array();
    for (const auto& row : report.topology) {
        rows.push_back({{"datacenter", row.datacenter},
                        {"rack", row.rack},
                        {"host", row.host},
                        {"host_id", row.host_id},
                        {"cassandra_version", row.version},
                        {"state", row.state},
                        {"reachable", row.reachable},
                        {"in_cluster_file", row.in_cluster_file},
                        {"ssh_rtt_ms", static_cast<double>(row.round_trip.count()) / 1000.0}});
    }
    return rows;
}

// 0 healthy, 1 problems, 3 when no node could be reached at all, 130 interrupted.
RunStatus check_status(const ops::CheckReport& report)
{
    if (cancel_requested()) {
        return RunStatus::interrupted;
    }
    bool any_reached = std::any_of(report.topology.begin(), report.topology.end(),
                                   [](const ops::TopologyRow& row) { return row.reachable; });
    if (!any_reached) {
        return RunStatus::failed;
    }
    return report.healthy() ? RunStatus::ok : RunStatus::partial;
}

int run_check(Context& context)
{
    auto selection = context.load_and_select();
    if (!selection) {
        return context.refuse(selection.error());
    }
    const auto& options = context.options();
    auto scope = !options.hosts.empty()         ? ops::RingScope::checked_nodes
                 : !options.datacenters.empty() ? ops::RingScope::checked_datacenters
                                                : ops::RingScope::whole_ring;
    auto report = ops::check_cluster(context.executor(), selection->nodes, scope);
    auto status = check_status(report);
    auto json = run_summary_json(status, report.runs, context.options().verbose > 0);
    json["healthy"] = report.healthy();
    json["topology"] = topology_json(report);
    json["problems"] = nlohmann::json::array();
    for (const auto& problem : report.problems) {
        json["problems"].push_back({{"kind", problem.kind},
                                    {"host", problem.host ? nlohmann::json(*problem.host) : nlohmann::json()},
                                    {"message", problem.message}});
    }
    context.emit(render(report), json);
    return exit_code_for(status);
}

} // namespace

void add_check_command(CLI::App& app, Action& action)
{
    auto* check = app.add_subcommand("check", "Reach every node; report topology, versions and health");
    check->footer("Per node: SSH connect and authentication, `nodetool info` and `nodetool statusbackup`,\n"
                  "the data directories listed, cassandra.yaml read, and `rclone version` when an archive\n"
                  "is set. The first node of each data center (the next one if it does not answer) also\n"
                  "runs `nodetool gossipinfo` and `nodetool status` for every node's release and state.\n"
                  "Problems (`kind` in --json): unreachable, command_failed, data_dir, placement,\n"
                  "incremental_setting, rclone, not_in_cluster_file, down, mixed_versions.\n"
                  "Exit 0 healthy, 1 problems found, 3 no node reachable.");
    check->callback([&action] { action = run_check; });
}

} // namespace ringsnap::cli
