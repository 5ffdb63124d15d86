// SPDX-License-Identifier: Apache-2.0
#pragma once

// The survey: what ringsnap asks a node about itself before it changes anything (or, for
// `check`, instead). One remote command whose parts run at once: on a real node each nodetool
// call is a JVM start of a second or more, so three run together cost one. Every verb that
// needs to know a node (check, snapshot, incremental, restore) asks for the parts it needs.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/remote_files.hpp>

namespace ringsnap::ops {

// The step a survey is recorded under. Its errors name the part that failed ("nodetool version
// failed (exit status 1): ...").
inline constexpr const char* k_survey_step = "survey";

// Which parts to ask for. `nodetool version` is always asked.
struct SurveyParts
{
    bool info = false;         // nodetool info: host id, data center, rack, gossip
    bool tokens = false;       // ... with -T: the node's own tokens (implies info)
    bool ring = false;         // nodetool status: every ring member as this node sees it
    bool data_dirs = false;    // keyspace and table directories; unreadable data directories
    std::string tag{};         // with data_dirs: look for snapshots/<tag> too ("" = no)
    bool backup_state = false; // nodetool statusbackup
    bool config = false;       // the node's cassandra.yaml (cluster file: cassandra.config_file)
    bool round_trip = false;   // time one SSH request/reply after the parts
    // A command of the caller's, run with the others (what it prints lands in NodeFacts::extra).
    std::string extra_command{};
};

// What a node said. A part that failed leaves its fields empty; the node's NodeRun then carries
// the first failure (and `check` reports the rest).
struct NodeFacts
{
    std::optional<CassandraVersion> version;
    std::optional<NodeInfo> info;
    std::vector<StatusRow> ring;
    std::optional<DataDirSurvey> data_dirs;
    std::optional<bool> backups_running;
    std::optional<std::string> config; // cassandra.yaml as read
    std::string config_problem;        // why `config` is absent
    std::optional<std::string> extra;  // what SurveyParts::extra_command printed
    std::chrono::microseconds round_trip{};

    // Whether the node is UN in its own `nodetool status` (needs info and ring).
    bool up_and_normal() const;
    // Its table directory of ks.table, if the survey found one.
    const TableDir* table(const std::string& keyspace, const std::string& table) const;
};

// Surveys one node in a job that goes on to do more on the same session (incremental, restore).
// Returns the first part that failed, with `facts` holding the parts that did not.
Status survey_node(RemoteShell& shell, const SurveyParts& parts, NodeFacts& facts);

struct Survey
{
    std::vector<NodeRun> runs;    // one per node
    std::vector<NodeFacts> nodes; // same order
};

// Surveys every node, each as its own job.
Survey survey_nodes(Executor& executor, const std::vector<Node>& nodes, const SurveyParts& parts);

} // namespace ringsnap::ops
