// SPDX-License-Identifier: Apache-2.0
#pragma once

// What every verb shares: the global options, the cluster they select, the executor, and the
// one place that writes results to stdout.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <ringsnap/cluster.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/outcome.hpp>

namespace ringsnap::cli {

struct GlobalOptions
{
    std::string cluster_file; // -c, or RINGSNAP_CLUSTER
    std::vector<std::string> datacenters;
    std::vector<std::string> hosts;
    std::string seed; // --seed: topology from `nodetool status` on this host
    int parallel = 32;
    int per_dc = 0;
    bool json = false;
    bool quiet = false;
    int verbose = 0;
    std::string log_file;
    bool accept_new_host_keys = false;
};

class Context
{
  public:
    explicit Context(const GlobalOptions& options) : m_options(options) {}

    const GlobalOptions& options() const { return m_options; }

    // The cluster file, and the nodes --dc / --hosts / --seed select from it. Errors come before
    // anything on a node was touched (hand them to refuse()).
    struct Selection
    {
        Cluster cluster;
        std::vector<Node> nodes;
    };
    Result<Selection> load_and_select();

    Executor& executor();

    // Ends a run that stopped before any node was touched: the message on stderr (and the JSON
    // object with --json). Returns exit_code_for(error): the one rule of docs/exit-codes.md.
    int refuse(const Error& error) const;

    // Results go to stdout: `text` normally, `json` with --json (exactly one object).
    void emit(const std::string& text, const nlohmann::json& json) const;

  private:
    Result<std::vector<Node>> select(const Cluster& cluster);

    const GlobalOptions& m_options;
    std::unique_ptr<Executor> m_executor;
};

// A verb's work, stored while parsing and run after it (parsing itself does no work).
using Action = std::function<int(Context&)>;

// The JSON every verb prints: status, exit_code and the per-node part (design.md).
nlohmann::json run_summary_json(RunStatus status, const std::vector<NodeRun>& runs, bool with_steps);

} // namespace ringsnap::cli
