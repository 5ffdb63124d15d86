// SPDX-License-Identifier: Apache-2.0
#pragma once

// An in-memory Executor for unit tests: runs jobs one node after another, answers each command
// with a scripted responder, and records every command it was asked to run.

#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <ringsnap/executor.hpp>

namespace ringsnap::testing {

class FakeExecutor final : public Executor {
public:
    using Responder = std::function<Result<CommandOutput>(const Node& node, const std::string& command)>;

    explicit FakeExecutor(Responder responder) : m_responder(std::move(responder)) {}

    // Nodes listed here fail to connect, as a node whose sshd is down.
    std::set<std::string> unreachable;
    // (host, command) in the order they ran.
    std::vector<std::pair<std::string, std::string>> commands_ran;

    std::vector<NodeRun> run_on_nodes(const std::vector<Node>& nodes, const NodeJob& job) override
    {
        std::vector<NodeRun> runs;
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            NodeRun run(nodes[i]);
            run.started = true;
            if (unreachable.count(nodes[i].host)) {
                run.error = make_error(ErrorKind::connect, "cannot connect: Connection refused");
                run.failed_step = "connect";
            } else {
                Shell shell(*this, run);
                if (auto status = job(shell, i); !status) {
                    run.error = status.error();
                    run.failed_step = failed_step_of(run.steps);
                }
            }
            report_done(run);
            runs.push_back(std::move(run));
        }
        return runs;
    }

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
    class Shell final : public RemoteShell {
    public:
        Shell(FakeExecutor& owner, NodeRun& run) : m_owner(owner), m_run(run) {}
        const Node& node() const override { return m_run.node; }
        Result<CommandOutput> run(const std::string& step, const std::string& command, std::optional<Duration>) override
        {
            m_owner.commands_ran.emplace_back(m_run.node.host, command);
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

    private:
        FakeExecutor& m_owner;
        NodeRun& m_run;
    };

    Responder m_responder;
};

} // namespace ringsnap::testing
