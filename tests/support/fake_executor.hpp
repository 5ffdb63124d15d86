// SPDX-License-Identifier: Apache-2.0
#pragma once

// An in-memory Executor for unit tests: answers each command with a scripted responder and
// records every command it was asked to run (commands run together are answered one by one). By default it runs jobs
// one node after another, in order; with `workers` > 1 it runs them on that many threads through the same NodeQueue as
// the SSH executor, honouring per-call limits (per data center, per rack), so tests can check what may overlap. The
// responder is then called from several threads.

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <ringsnap/executor.hpp>

#include "core/node_queue.hpp"

namespace ringsnap::testing {

class FakeExecutor final : public Executor
{
  public:
    using Responder = std::function<Result<CommandOutput>(const Node& node, const std::string& command)>;

    explicit FakeExecutor(Responder responder) : m_responder(std::move(responder)) {}

    // Nodes listed here fail to connect, as a node whose sshd is down.
    std::set<std::string> unreachable;
    // Threads that run node jobs at once (1: in order, one node after the other).
    int workers = 1;
    // (host, command) in the order they ran.
    std::vector<std::pair<std::string, std::string>> commands_ran;
    // (host, stdin) of every command given an input, in the order they ran.
    std::vector<std::pair<std::string, std::string>> inputs_sent;
    // The limits each run_on_nodes call was given, in order.
    std::vector<Concurrency> limits_seen;
    // The most nodes whose jobs ran at the same time, over all calls.
    int most_at_once = 0;

    // An answer with this stdout and exit status 0.
    static CommandOutput printed(std::string out, int exit_status = 0, std::string err = {})
    {
        CommandOutput output;
        output.exit_status = exit_status;
        output.out = std::move(out);
        output.err = std::move(err);
        return output;
    }

  private:
    std::vector<NodeRun> run_jobs(const std::vector<Node>& nodes, const NodeJob& job, const Concurrency& limits,
                                  const NodeFinished& finished) override
    {
        limits_seen.push_back(limits);
        std::vector<NodeRun> runs;
        for (const auto& node : nodes) {
            runs.emplace_back(node);
        }
        NodeQueue queue(nodes, limits);
        int threads = limits.parallel > 0 ? std::min(workers, limits.parallel) : workers;
        std::vector<std::jthread> pool;
        for (int i = 0; i < std::max(1, threads); ++i) {
            pool.emplace_back([&] {
                while (auto index = queue.take()) {
                    run_node(runs[*index], *index, job, finished);
                    queue.release(*index);
                }
            });
        }
        pool.clear(); // joins
        for (auto& run : runs) {
            if (!run.started) {
                run.error = make_error(ErrorKind::interrupted, "not started: the run was interrupted");
            }
        }
        return runs;
    }

    void run_node(NodeRun& run, std::size_t index, const NodeJob& job, const NodeFinished& finished)
    {
        run.started = true;
        int now = ++m_running;
        {
            std::lock_guard lock(m_mutex);
            most_at_once = std::max(most_at_once, now);
        }
        if (unreachable.count(run.node.host)) {
            run.error = make_error(ErrorKind::connect, "cannot connect: Connection refused");
            run.failed_step = "connect";
        } else {
            Shell shell(*this, run);
            if (auto status = job(shell, index); !status) {
                run.error = status.error();
                run.failed_step = failed_step_of(run.steps);
            }
        }
        --m_running;
        report_done(index, run, finished);
    }

    class Shell final : public RemoteShell
    {
      public:
        Shell(FakeExecutor& owner, NodeRun& run) : m_owner(owner), m_run(run) {}
        const Node& node() const override { return m_run.node; }
        Result<CommandOutput> run_with_input(const std::string& step, const std::string& command,
                                             const std::string& input, std::optional<Duration>) override
        {
            {
                std::lock_guard lock(m_owner.m_mutex);
                m_owner.commands_ran.emplace_back(m_run.node.host, command);
                if (!input.empty()) {
                    m_owner.inputs_sent.emplace_back(m_run.node.host, input);
                }
            }
            auto output = m_owner.m_responder(m_run.node, command);
            StepRecord record{step, command, std::nullopt, std::nullopt};
            if (output) {
                record.output = *output;
            } else {
                record.error = output.error();
            }
            m_run.steps.push_back(std::move(record));
            return output;
        }

        // Each command on its own, so responders answer `nodetool version` and never a script.
        Result<std::vector<CommandOutput>> together(const std::string&, const std::vector<std::string>& commands,
                                                    std::optional<Duration> timeout, Order) override
        {
            std::vector<CommandOutput> outputs;
            for (const auto& command : commands) {
                auto output = run_with_input(command, command, {}, timeout);
                if (!output) {
                    return output.error();
                }
                outputs.push_back(std::move(*output));
            }
            return outputs;
        }

      private:
        FakeExecutor& m_owner;
        NodeRun& m_run;
    };

    Responder m_responder;
    std::mutex m_mutex;
    std::atomic<int> m_running{0};
};

} // namespace ringsnap::testing
