// SPDX-License-Identifier: Apache-2.0
#pragma once

// The executor runs a job on many nodes at once. A job is a function of one node's remote
// shell: it may run many commands, and they all share one SSH session (one handshake per node).
// Partial failure is data: every node gets a NodeRun, ok or failed with the step, the kind of
// failure, the exit code and the stderr tail. Operations see only this interface; the SSH
// implementation lives in src/ssh and unit tests use a recording fake.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>
#include <ringsnap/duration.hpp>
#include <ringsnap/result.hpp>

namespace ringsnap {

// What a remote command printed and how it ended.
struct CommandOutput
{
    int exit_status = -1;    // -1 when the command died of a signal or sent no status
    std::string exit_signal; // "KILL", "TERM"... when it died of a signal
    std::string out;
    std::string err;
    Duration duration{};

    bool succeeded() const { return exit_status == 0; }
};

// One command a node ran, kept for the per-node report (`-v`, `--json`).
struct StepRecord
{
    std::string name;                    // what the step is for: "nodetool version"
    std::string command;                 // as sent; built only from validated, secret-free pieces
    std::optional<CommandOutput> output; // absent when it never produced one
    std::optional<Error> error;          // timeout, lost connection, interrupt
};

struct NodeRun
{
    explicit NodeRun(Node of) : node(std::move(of)) {}

    Node node;
    bool started = false;       // false: never reached (interrupted before its turn)
    std::optional<Error> error; // the failure that ended the job; none when ok
    std::string failed_step;    // the step that failed, or "connect" / "authenticate"
    std::vector<StepRecord> steps;
    Duration connect_time{}; // TCP + SSH handshake + authentication
    Duration duration{};     // connect + job

    bool ok() const { return started && !error; }
    // Adds a later job on the same node (a verb's next phase): its steps and time, and its
    // failure when it failed (a job that never started counts as interrupted).
    void then(const NodeRun& next);
};

// One node's shell for the length of a job.
class RemoteShell
{
  public:
    virtual ~RemoteShell() = default;

    virtual const Node& node() const = 0;

    // Runs `command` through the node's login shell and records it as step `step`. The
    // output comes back whatever the exit status; an Error means the command could not run to
    // its end: ErrorKind::timeout (the step's deadline, default the node's command_timeout,
    // passed and the remote process group was killed), connect (the session broke) or
    // interrupted. The command's stdin is empty.
    Result<CommandOutput> run(const std::string& step, const std::string& command,
                              std::optional<Duration> timeout = std::nullopt)
    {
        return run_with_input(step, command, {}, timeout);
    }

    // The same, with `input` on the command's stdin (then end of file). This is how secrets
    // reach a node: never on a command line, which any user of the node can read in its process
    // list. The input is never logged or recorded in the step.
    virtual Result<CommandOutput> run_with_input(const std::string& step, const std::string& command,
                                                 const std::string& input, std::optional<Duration> timeout) = 0;

    // One SSH request/reply round trip, measured now (0 for fakes or when it failed).
    virtual std::chrono::microseconds round_trip() const { return {}; }

    // What run_together and run_in_turn (below) do; a fake shell answers each command on its own.
    enum class Order { at_once, in_turn };
    virtual Result<std::vector<CommandOutput>> together(const std::string& step,
                                                        const std::vector<std::string>& commands,
                                                        std::optional<Duration> timeout, Order order);
};

// run() that also requires exit status 0: otherwise ErrorKind::command, with the exit status
// and the last line of stderr (or stdout when stderr is empty) in the message.
Result<CommandOutput> run_checked(RemoteShell& shell, const std::string& step, const std::string& command,
                                  std::optional<Duration> timeout = std::nullopt);

// run_checked, then `parse` (a function of stdout returning a Result) of what it printed.
template <class Parse>
auto run_parsed(RemoteShell& shell, const std::string& step, const std::string& command, Parse parse)
    -> decltype(parse(std::string()))
{
    auto output = run_checked(shell, step, command);
    if (!output) {
        return output.error();
    }
    return parse(output->out);
}

// ErrorKind::command for an output whose exit status is not 0, worded as run_checked words it.
Status check_succeeded(const std::string& step, const CommandOutput& output);

// Runs several commands at once in one remote shell, each with its own stdout, stderr and exit
// status, recorded as one step. On a real node every nodetool call starts a JVM (a second or
// more): three run together cost one. Each command's output is kept in a temporary directory
// on the node until all have ended. ErrorKind::parse when the combined output is not whole;
// otherwise the outputs in the order of `commands`, whatever their exit statuses.
Result<std::vector<CommandOutput>> run_together(RemoteShell& shell, const std::string& step,
                                                const std::vector<std::string>& commands,
                                                std::optional<Duration> timeout = std::nullopt);

// The same framing, but the commands run one after the other (each output kept apart, with how
// long it took): for steps that must not overlap on a node, like one `nodetool import` per
// table, sent as one remote command instead of one per table.
Result<std::vector<CommandOutput>> run_in_turn(RemoteShell& shell, const std::string& step,
                                               const std::vector<std::string>& commands,
                                               std::optional<Duration> timeout = std::nullopt);

// The scripts run_together and run_in_turn send, and the parser of what they print (exposed for
// tests).
std::string together_script(const std::vector<std::string>& commands);
std::string in_turn_script(const std::vector<std::string>& commands);
Result<std::vector<CommandOutput>> split_together_output(const std::string& out, std::size_t parts);

// The step a failed job is reported under: the first that failed (error or non-zero exit),
// else the last one run, else "job".
std::string failed_step_of(const std::vector<StepRecord>& steps);

// The job for one node; `index` is the node's position in the list given to run_on_nodes.
using NodeJob = std::function<Status(RemoteShell& shell, std::size_t index)>;

// How many nodes run at once. 0 means no limit of that kind.
struct Concurrency
{
    int parallel = 0; // nodes in flight at once
    int per_dc = 0;   // nodes in flight per data center
    int per_rack = 0; // nodes in flight per rack (of a data center)
};

// The stricter of two limits of each kind (a 0 is no limit, so the other one wins).
Concurrency tighter(const Concurrency& a, const Concurrency& b);

struct ExecutorOptions
{
    int parallel = 32;                 // -j: nodes in flight at once
    int per_dc = 0;                    // --per-dc: nodes in flight per data center (0: no limit)
    bool accept_new_host_keys = false; // record unknown host keys instead of refusing them
};

// Told of each node as soon as it is done, for progress displays.
using NodeDone = std::function<void(const NodeRun& run)>;

// Told of one node of a run_on_nodes call as soon as its job has ended: its position in the
// list given, and its run.
using NodeFinished = std::function<void(std::size_t index, const NodeRun& run)>;

class Executor
{
  public:
    virtual ~Executor() = default;

    // Runs `job` on every node through a sliding window: at most `parallel` nodes at once and
    // at most `per_dc` per data center (-j and --per-dc); a slow node never holds up the others.
    // `limits` tightens them for this call only (a restore step that must not take a whole data
    // center at once, say). Returns one NodeRun per node, in the order given. After
    // cancel_requested() no new node starts. `finished`, when given, is told of each node whose
    // job ran, from the thread that ran it, calls never overlapping: a verb that keeps a record as
    // it goes (a backup's manifest) updates it there.
    std::vector<NodeRun> run_on_nodes(const std::vector<Node>& nodes, const NodeJob& job,
                                      const Concurrency& limits = {}, const NodeFinished& finished = {})
    {
        return run_jobs(nodes, job, limits, finished);
    }

    // From now on, `callback` gets every node's finished NodeRun (ok or not) when its job ends,
    // from the thread that ran it; calls never overlap. An empty callback stops the reports.
    void on_node_done(NodeDone callback)
    {
        std::lock_guard lock(m_done_mutex);
        m_on_node_done = std::move(callback);
    }

  protected:
    virtual std::vector<NodeRun> run_jobs(const std::vector<Node>& nodes, const NodeJob& job, const Concurrency& limits,
                                          const NodeFinished& finished) = 0;

    // Tells the call's `finished` and the progress display that node `index` is done.
    void report_done(std::size_t index, const NodeRun& run, const NodeFinished& finished)
    {
        std::lock_guard lock(m_done_mutex);
        if (finished) {
            finished(index, run);
        }
        if (m_on_node_done) {
            m_on_node_done(run);
        }
    }

  private:
    std::mutex m_done_mutex;
    NodeDone m_on_node_done;
};

} // namespace ringsnap
