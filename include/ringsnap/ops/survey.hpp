// SPDX-License-Identifier: Apache-2.0
#pragma once

// The survey: what ringsnap asks a node about itself before it changes anything (or, for
// `check`, instead). One remote command whose parts run at once: on a real node each nodetool
// call is a JVM start of a second or more, so three run together cost one. Every verb that
// needs to know a node (check, snapshot, incremental, restore) asks for the parts it needs.

#include <chrono>
#include <functional>
#include <map>
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

// Which parts to ask for. The node's release is asked, one way or the other, unless `none`.
struct SurveyParts
{
    // Where each node's release comes from. `own`: `nodetool version` on every node. `gossip`
    // (survey_nodes only): `nodetool gossipinfo` on the first node of each data center, whose
    // RELEASE_VERSION of every ring member is matched to each node by the host id of the node's
    // own `nodetool info` (so it implies info); only nodes no gossip knows run `nodetool version`,
    // after the others. The ring, when wanted, is likewise asked of the reporters only: they
    // keep it whole, and every other node gets its own row of its data center's (so the union
    // of all nodes' rings is the ring). A data center whose reporter does not answer has the
    // next node that does report for it. On a real cluster that saves JVM starts on every node (and
    // `nodetool status` computes the whole ring's ownership). `none`: no nodetool at all
    // (survey_nodes only), for nodes known to be down: their files only.
    enum class Release { own, gossip, none };
    Release release = Release::own;
    bool info = false;         // nodetool info: host id, data center, rack, gossip
    bool tokens = false;       // ... with -T: the node's own tokens (implies info)
    bool ring = false;         // nodetool status: every ring member (Release::gossip: see above)
    bool data_dirs = false;    // keyspace and table directories; unreadable data directories
    std::string tag{};         // with data_dirs: look for snapshots/<tag> too ("" = no)
    bool backup_state = false; // nodetool statusbackup
    bool config = false;       // the node's cassandra.yaml (cluster file: cassandra.config_file)
    bool round_trip = false;   // time one SSH request/reply after the parts
    // A command of the caller's for each node, run with the others (what it prints lands in
    // NodeFacts::extra); none when empty.
    std::function<std::string(const Node&)> extra_command{};
    // Release::gossip: host -> host id, for nodes whose host id is known already (from the
    // manifest of the backup a run builds on): their release is matched without `nodetool info`.
    std::map<std::string, std::string> known_host_ids{};
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
    // What `nodetool gossipinfo` said, on the nodes that were asked (Release::gossip).
    std::optional<std::vector<GossipEndpoint>> gossip;
    std::chrono::microseconds round_trip{};

    // Whether the node is UN in its own `nodetool status` (needs info and ring).
    bool up_and_normal() const;
    // Its own row in its `nodetool status` (matched by host id; needs info and ring), or null.
    const StatusRow* own_row() const;
    // 5.0's storage_compatibility_mode from its cassandra.yaml; CASSANDRA_4 (the default) when
    // the file was not read or does not say.
    std::string storage_mode() const;
    // Its table directory of ks.table, if the survey found one.
    const TableDir* table(const std::string& keyspace, const std::string& table) const;
};

// Surveys one node in a job that goes on to do more on the same session (incremental's switch).
// Returns the first part that failed, with `facts` holding the parts that did not. The release
// comes from `nodetool version` unless `parts.release` is `none`.
Status survey_node(RemoteShell& shell, const SurveyParts& parts, NodeFacts& facts);

struct Survey
{
    std::vector<NodeRun> runs;    // one per node
    std::vector<NodeFacts> nodes; // same order
};

// Surveys every node, each as its own job (and, with Release::gossip, a second short job on the
// nodes whose release gossip did not tell).
Survey survey_nodes(Executor& executor, const std::vector<Node>& nodes, const SurveyParts& parts);

} // namespace ringsnap::ops
