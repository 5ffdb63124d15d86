// SPDX-License-Identifier: Apache-2.0
#pragma once

// What every verb shares: the global options, the cluster they select, the executor, and the
// one place that writes results to stdout.

#include <chrono>
#include <cstdint>
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
    std::uint64_t log_max_size = 0; // bytes; 0: never rotated
    int log_keep = 5;
    std::string log_format = "text";
    std::string metrics_file; // --metrics-file, else the cluster file's metrics_file
    std::string pre_hook;     // --pre-hook, else the cluster file's hooks.pre
    std::string post_hook;    // --post-hook, else the cluster file's hooks.post
    bool accept_new_host_keys = false;
};

// Every run ends through one Context: it decides the exit code once (an interrupt makes it 130
// whatever phase the run was in; a log file that could not be written, or a failing post-hook,
// makes a success partial), with --json sees to it that exactly one JSON object reaches stdout,
// usage errors included, and runs the hooks and writes the metrics file around the verb.
class Context
{
  public:
    explicit Context(const GlobalOptions& options);

    const GlobalOptions& options() const { return m_options; }

    // The cluster file, read once per run. Errors are for refuse().
    Result<Cluster> cluster();

    // The nodes --dc / --hosts / --seed select. Only verbs that work on nodes ask for them: with
    // --seed this is where the seed is reached, so a verb that touches no node never connects.
    Result<std::vector<Node>> selected_nodes();

    // Both, for the verbs that work on nodes. Errors come before anything on a node was touched.
    struct Selection
    {
        Cluster cluster;
        std::vector<Node> nodes;
    };
    Result<Selection> load_and_select();

    Executor& executor();

    // Ends a run that stopped before it could produce a result: the message on stderr (and the
    // JSON object with --json). Returns 130 when interrupted, else exit_code_for(error): the one
    // rule of docs/exit-codes.md.
    int refuse(const Error& error);

    // Results go to stdout when the run finishes: `text` normally, `json` with --json (exactly
    // one object; its status and exit_code are those finish() will return).
    void emit(const std::string& text, nlohmann::json json);

    // The verb being run ("snapshot"), for the hooks and the metrics.
    void set_verb(std::string verb) { m_verb = std::move(verb); }

    // The pre-hook, if any, before the verb touches anything. ErrorKind::usage when it fails,
    // times out or cannot start: the run must stop there (exit 2), and no post-hook runs.
    Status run_pre_hook();

    // The exit code of a run whose verb returned `code`: runs the post-hook (a failing one turns
    // 0 into 1), prints what emit() kept (with --json, a JSON object if nothing did), and writes
    // the metrics file. Every path out of cli::run goes through here, once.
    int finish(int code);

  private:
    int settled(int code) const;
    void settle();
    std::string hook(const std::string& option, const std::string Hooks::*from_cluster);
    int run_post_hook(int code);
    void print_result(int code);
    void write_metrics(int code);

    const GlobalOptions& m_options;
    std::optional<Cluster> m_cluster;
    std::optional<Error> m_cluster_error; // read once: the hooks and metrics ask again
    std::unique_ptr<Executor> m_executor;
    bool m_settled = false;     // whether the run's outcome is decided (a result was reported)
    bool m_interrupted = false; // ...and what was known then
    bool m_log_failed = false;
    bool m_json_printed = false;
    bool m_text_emitted = false;
    bool m_pre_hook_failed = false;
    std::string m_verb;
    std::chrono::system_clock::time_point m_started;
    std::optional<std::string> m_text; // what emit() was given, printed by finish()
    std::optional<nlohmann::json> m_report;
};

// A verb's work, stored while parsing and run after it (parsing itself does no work).
using Action = std::function<int(Context&)>;

// The JSON every verb prints: status, exit_code and the per-node part (design.md).
nlohmann::json run_summary_json(RunStatus status, const std::vector<NodeRun>& runs, bool with_steps);

} // namespace ringsnap::cli
