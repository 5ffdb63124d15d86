// SPDX-License-Identifier: Apache-2.0
#pragma once

// `ringsnap check`: can we reach every node, and is the cluster what the file says it is?

#include <optional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/nodetool.hpp>

namespace ringsnap::ops {

// What one node told us about itself and about the ring.
struct NodeHealth
{
    std::optional<CassandraVersion> version;
    std::optional<NodeInfo> info;
    std::vector<StatusRow> ring;              // its `nodetool status`
    std::vector<std::string> unreadable_dirs; // data directories it cannot list
    std::optional<bool> backups_running;      // `nodetool statusbackup`
    std::optional<bool> backups_configured;   // incremental_backups in its cassandra.yaml
    std::string config_problem;               // why backups_configured is unknown
    std::string rclone_problem;               // a node with an archive: its rclone missing or too old
    std::chrono::microseconds round_trip{};   // one SSH request/reply
};

// One line of the topology table: a node of the file, or a ring member the file lacks.
struct TopologyRow
{
    std::string datacenter;
    std::string rack;
    std::string host;
    std::string host_id;
    std::string version;
    std::string state; // "UN", "DN", ... as the reachable nodes see it; "?" when none does
    bool reachable = false;
    bool in_cluster_file = true;
    std::chrono::microseconds round_trip{};
};

// One thing check found wrong. `kind` lets a script filter (the README lists them):
// unreachable, command_failed, data_dir, placement, incremental_setting, rclone,
// not_in_cluster_file, down, mixed_versions.
struct CheckProblem
{
    std::string kind;
    std::optional<std::string> host; // the node it is about; none for the cluster as a whole
    std::string message;             // what is printed, the host named in it
};

struct CheckReport
{
    std::vector<NodeRun> runs;
    std::vector<NodeHealth> health; // same order as runs
    std::vector<TopologyRow> topology;
    std::vector<CheckProblem> problems;

    bool healthy() const { return problems.empty(); }
};

// Which ring members missing from the checked nodes count as a problem: none (--hosts picked
// some nodes), those of the checked data centers (--dc), or all of them (the whole file).
enum class RingScope { checked_nodes, checked_datacenters, whole_ring };

// Per node: connect and authenticate, `nodetool version`, `nodetool info`, `nodetool status`,
// and the data directories readable. Then compares what the nodes say with the file: a node
// unreachable, nodetool failing, a node down, data center or rack differing, a ring member
// missing from the file (within `scope`), mixed versions.
CheckReport check_cluster(Executor& executor, const std::vector<Node>& nodes, RingScope scope);

// The two halves of the comparison; separate so unit tests can feed them directly.
std::vector<TopologyRow> build_topology(const std::vector<NodeRun>& runs, const std::vector<NodeHealth>& health,
                                        RingScope scope);
std::vector<CheckProblem> find_problems(const std::vector<NodeRun>& runs, const std::vector<NodeHealth>& health,
                                        const std::vector<TopologyRow>& topology);

} // namespace ringsnap::ops
