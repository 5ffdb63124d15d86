// SPDX-License-Identifier: Apache-2.0
#include "ops/restore_restart.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/nodetool.hpp>
#include <ringsnap/ops/backup_run.hpp>

#include "ops/restart_steps.hpp"

namespace ringsnap::ops {

namespace {

constexpr auto k_poll_interval = std::chrono::seconds(2);

// nodetool could not reach the node's JMX port: its JVM is not running.
bool refused(const CommandOutput& output)
{
    return (output.err + output.out).find("Connection refused") != std::string::npos;
}

// Drains and stops the node. `may_be_down`: it is fine if the node is down already (an earlier
// run drained and stopped it, or every table goes back and its commit log goes aside with them);
// otherwise a node that was down before is refused: not drained, its commit log may hold writes
// newer than the backup, which would replay into the restored tables.
Status stop_node(RemoteShell& shell, Duration timeout, bool may_be_down)
{
    const Node& node = shell.node();
    auto drained = shell.run("nodetool drain", nodetool_command(node, {"drain"}), timeout);
    if (!drained) {
        return drained.error();
    }
    if (!drained->succeeded() && !(refused(*drained) && may_be_down)) {
        if (refused(*drained)) {
            return make_error(ErrorKind::command, "was down before the restore, so it could not be drained: its "
                                                  "commit log may hold writes newer than the backup that would replay "
                                                  "into the restored tables; start it and rerun");
        }
        return check_succeeded("nodetool drain", *drained);
    }
    if (auto stopped = run_checked(shell, "stop_command", *node.cassandra.stop_command, timeout); !stopped) {
        return stopped.error();
    }
    auto down = run_checked(shell, "wait until down", restart_steps::wait_down_command(node), timeout);
    if (!down && down.error().kind == ErrorKind::timeout) {
        return make_error(ErrorKind::timeout,
                          fmt::format("still answering nodetool {} after its stop_command: not touching its files",
                                      format_duration(timeout)));
    }
    return down ? Status{} : Status(down.error());
}

Status start_node(RemoteShell& shell, Duration timeout)
{
    auto started = run_checked(shell, "start_command", *shell.node().cassandra.start_command, timeout);
    return started ? Status{} : Status(started.error());
}

// Asks `nodetool status` on the checker's shell until the node of `host_id` is UN there.
Status wait_until_up(RemoteShell& checker, const std::string& host, const std::string& host_id, Duration timeout)
{
    if (host_id.empty()) {
        return make_error(ErrorKind::command,
                          fmt::format("the host id of {} is not known: cannot tell when it is UN", host));
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last = "not in the ring";
    while (true) {
        auto output = checker.run("wait until UN", nodetool_command(checker.node(), {"status"}));
        if (!output) {
            return output.error();
        }
        if (output->succeeded()) {
            auto rows = parse_status(output->out);
            auto row = rows ? std::find_if(rows->begin(), rows->end(),
                                           [&](const StatusRow& r) { return r.host_id == host_id; })
                            : std::vector<StatusRow>::iterator{};
            if (!rows) {
                last = rows.error().message;
            } else if (row != rows->end()) {
                if (row->status == 'U' && row->state == 'N') {
                    return {};
                }
                last = fmt::format("{}{}", row->status, row->state);
            }
        } else {
            last = fmt::format("nodetool status on {} failed: {}", checker.node().host,
                               check_succeeded("nodetool status", *output).error().message);
        }
        if (std::chrono::steady_clock::now() + k_poll_interval > deadline) {
            return make_error(ErrorKind::timeout,
                              fmt::format("{} not UN after {} in nodetool status of {} (last: {})", host,
                                          format_duration(timeout), checker.node().host, last));
        }
        if (!sleep_unless_cancelled(k_poll_interval)) {
            return make_error(ErrorKind::interrupted, "interrupted while waiting for the node to be UN");
        }
    }
}

class Restarter
{
  public:
    explicit Restarter(RestartContext& context) : m_context(context), m_id(context.plan.id) {}

    void run(const std::vector<std::size_t>& ready)
    {
        if (ready.size() < m_context.plan.nodes.size()) {
            m_context.notes.push_back("no node was stopped: not every node staged and verified its files (staging "
                                      "is kept: rerun the same command once the nodes are fixed)");
            return;
        }
        auto order = nodes_in_start_order();
        if (m_context.request.rolling) {
            for (const auto* node : order) {
                if (stop({node}).empty() || swap({node}).empty() || !start(*node)) {
                    m_context.notes.push_back(fmt::format("the roll stopped at {}: the nodes after it were not "
                                                          "touched; rerun the same command to go on",
                                                          node->node.host));
                    return;
                }
                if (m_context.request.remove_quarantine) {
                    remove_quarantine({node});
                }
            }
            return;
        }
        auto stopped = stop(order);
        if (stopped.size() < order.size()) {
            // Swapping only some would start them among replicas holding newer data.
            m_context.notes.push_back("not every node stopped: no files were swapped anywhere; the nodes that "
                                      "stopped are started again as they were");
            for (const auto* node : stopped) {
                if (step_of(node->node.host) == RestartStep::stopped && start(*node, false)) {
                    set_step(*node, RestartStep::none);
                }
            }
            return;
        }
        auto swapped = swap(stopped);
        std::vector<const NodePlan*> started;
        for (const auto* node : swapped) {
            if (cancel_requested()) {
                return;
            }
            if (start(*node)) {
                started.push_back(node);
            }
        }
        if (m_context.request.remove_quarantine) {
            remove_quarantine(started);
        }
    }

  private:
    // The planned nodes in the plan's start order, leaving out those already started.
    std::vector<const NodePlan*> nodes_in_start_order()
    {
        auto record = m_context.record.snapshot();
        std::vector<const NodePlan*> order;
        for (const auto& host : m_context.plan.start_order) {
            auto found = std::find_if(m_context.plan.nodes.begin(), m_context.plan.nodes.end(),
                                      [&](const NodePlan& node) { return node.node.host == host; });
            const auto* entry = record.node(host);
            if (found == m_context.plan.nodes.end() || !entry) {
                continue;
            }
            if (entry->restart == RestartStep::started) {
                m_first_started = m_first_started ? m_first_started : &*found;
                continue;
            }
            if (entry->restart == RestartStep::undone) {
                m_context.notes.push_back(fmt::format("{}: this restore was undone there; it is left as it is (start "
                                                      "a new restore to restore it again)",
                                                      host));
                continue;
            }
            order.push_back(&*found);
        }
        return order;
    }

    RestartStep step_of(const std::string& host)
    {
        auto record = m_context.record.snapshot();
        const auto* node = record.node(host);
        return node ? node->restart : RestartStep::none;
    }

    void set_step(const NodePlan& node, RestartStep step, std::optional<TableState> tables = std::nullopt,
                  std::optional<std::string> error = std::nullopt)
    {
        m_context.record.update([&](RestoreRecord& record) {
            auto* entry = record.node(node.node.host);
            entry->restart = step;
            entry->quarantine = node.quarantine;
            if (tables) {
                for (auto& table : entry->tables) {
                    table.state = *tables;
                    table.error = error;
                }
            }
        });
    }

    // Runs `job` on `nodes` at once as phase `what`; returns those whose job succeeded.
    template <class Job>
    std::vector<const NodePlan*> on_nodes(const char* what, const std::vector<const NodePlan*>& plans, Job job)
    {
        std::vector<Node> nodes;
        for (const auto* plan : plans) {
            nodes.push_back(plan->node);
        }
        std::vector<NodeRun> runs;
        {
            Phase phase(m_context.observer, what, nodes);
            runs = m_context.executor.run_on_nodes(
                nodes, [&](RemoteShell& shell, std::size_t index) { return job(shell, *plans[index]); });
        }
        std::vector<const NodePlan*> ok;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            m_context.note_run(runs[i]);
            if (runs[i].ok()) {
                ok.push_back(plans[i]);
            }
        }
        return ok;
    }

    std::vector<const NodePlan*> stop(const std::vector<const NodePlan*>& nodes)
    {
        auto timeout = m_context.request.start_timeout;
        return on_nodes("stop", nodes, [&](RemoteShell& shell, const NodePlan& node) -> Status {
            // A node down since an earlier run is stopped again, harmlessly: someone may have started it.
            bool may_be_down = step_of(node.node.host) >= RestartStep::stopped || node.commitlog_dir.has_value();
            if (auto stopped = stop_node(shell, timeout, may_be_down); !stopped) {
                return stopped;
            }
            if (step_of(node.node.host) < RestartStep::stopped) {
                set_step(node, RestartStep::stopped);
            }
            return {};
        });
    }

    std::vector<const NodePlan*> swap(const std::vector<const NodePlan*>& nodes)
    {
        auto swapped = on_nodes("swap files", nodes, [&](RemoteShell& shell, const NodePlan& node) -> Status {
            std::vector<const TablePlan*> tables;
            for (const auto& table : node.tables) {
                tables.push_back(&table);
            }
            if (step_of(node.node.host) < RestartStep::quarantined) {
                set_step(node, RestartStep::quarantining);
                for (const auto& command :
                     restart_steps::quarantine_commands(shell.node(), node, m_id, tables, node.commitlog_dir)) {
                    if (auto moved = run_checked(shell, "quarantine live files", command); !moved) {
                        return moved.error();
                    }
                }
                set_step(node, RestartStep::quarantined, TableState::loading);
            }
            for (const auto& command : restart_steps::place_commands(shell.node(), node, tables)) {
                if (auto placed = run_checked(shell, "place the backup's files", command); !placed) {
                    return placed.error();
                }
            }
            set_step(node, RestartStep::placed);
            m_context.observer.add_bytes(node.bytes);
            return {};
        });
        for (const auto* node : nodes) {
            if (std::find(swapped.begin(), swapped.end(), node) == swapped.end() &&
                step_of(node->node.host) >= RestartStep::quarantined) {
                m_context.notes.push_back(left_down(*node, "its files were not all put in place"));
            }
        }
        return swapped;
    }

    // Starts one node and waits until it is UN for the first node started (itself, if none).
    // `swapped`: it holds the backup's files now (else it is started as it was).
    bool start(const NodePlan& node, bool swapped = true)
    {
        auto timeout = m_context.request.start_timeout;
        auto started =
            on_nodes("start", {&node}, [&](RemoteShell& shell, const NodePlan&) { return start_node(shell, timeout); });
        const NodePlan* checker = m_first_started ? m_first_started : &node;
        if (!started.empty()) {
            started = on_nodes("wait until UN", {checker}, [&](RemoteShell& shell, const NodePlan&) {
                return wait_until_up(shell, node.node.host, node.host_id, timeout);
            });
        }
        if (started.empty() && !swapped) {
            m_context.notes.push_back(
                fmt::format("{}: did not come up again (nothing of it was changed)", node.node.host));
            return false;
        }
        if (started.empty()) {
            set_step(node, RestartStep::placed, TableState::failed,
                     "the node did not start (or not UN) after the swap");
            m_context.notes.push_back(left_down(node, "it did not come up"));
            return false;
        }
        if (!swapped) {
            return true;
        }
        set_step(node, RestartStep::started, TableState::loaded);
        m_first_started = m_first_started ? m_first_started : &node;
        return true;
    }

    // --cleanup: the quarantine of nodes that came up with the backup's files goes.
    void remove_quarantine(const std::vector<const NodePlan*>& nodes)
    {
        auto removed = on_nodes("remove quarantine", nodes, [&](RemoteShell& shell, const NodePlan& node) -> Status {
            auto done = run_checked(shell, "remove quarantine",
                                    restart_steps::remove_quarantine_command(shell.node(), node.commitlog_dir, m_id));
            return done ? Status{} : Status(done.error());
        });
        m_context.record.update([&](RestoreRecord& record) {
            for (const auto* node : removed) {
                record.node(node->node.host)->quarantine_removed = true;
            }
        });
    }

    std::string left_down(const NodePlan& node, const char* why)
    {
        return fmt::format("{0}: {1}; the files it replaced wait in {2}: rerun the same command to try again, or "
                           "`ringsnap restore --undo {3} --hosts {0}` stops it, puts them back and starts it (without "
                           "--hosts, every node of the restore goes back)",
                           node.node.host, why, fmt::join(node.quarantine, ", "), m_id);
    }

    RestartContext& m_context;
    std::string m_id;
    const NodePlan* m_first_started = nullptr;
};

} // namespace

void restart_nodes(RestartContext& context, const std::vector<std::size_t>& ready)
{
    Restarter(context).run(ready);
}

namespace {

// One node of an earlier restore by restart, with what --undo and --cleanup need of it.
struct RestartedNode
{
    Node node;
    const RestoreNode* entry = nullptr;
    std::string host_id;
    std::optional<std::string> commitlog_dir;
};

class QuarantineRun
{
  public:
    QuarantineRun(Executor& executor, RecordKeeper& record, const QuarantineRequest& request, Observer& observer)
        : m_executor(executor), m_record(record), m_request(request), m_observer(observer)
    {
    }

    std::vector<NodeRun> remove(const std::vector<RestartedNode>& nodes)
    {
        std::vector<Node> hosts;
        for (const auto& node : nodes) {
            hosts.push_back(node.node);
        }
        Phase phase(m_observer, "remove quarantine", hosts);
        return m_executor.run_on_nodes(hosts, [&](RemoteShell& shell, std::size_t index) -> Status {
            const auto& node = nodes[index];
            if (node.entry->restart != RestartStep::started && node.entry->restart != RestartStep::undone) {
                return make_error(ErrorKind::usage, fmt::format("did not start after the restore ({}): its quarantine "
                                                                "is its way back (--undo); nothing was removed",
                                                                to_string(node.entry->restart)));
            }
            auto removed = run_checked(
                shell, "remove quarantine",
                restart_steps::remove_quarantine_command(shell.node(), node.commitlog_dir, m_request.restore_id));
            if (!removed) {
                return removed.error();
            }
            m_record.update([&](RestoreRecord& record) { record.node(node.node.host)->quarantine_removed = true; });
            return {};
        });
    }

    // One node after the other: each is stopped, given its files back and started before the next.
    std::vector<NodeRun> undo(const std::vector<RestartedNode>& nodes)
    {
        std::vector<NodeRun> runs;
        const RestartedNode* first_up = nullptr;
        for (const auto& node : nodes) {
            if (cancel_requested()) {
                break;
            }
            auto run = undo_one(node);
            if (run.ok()) {
                auto checker = first_up ? first_up->node : node.node;
                run = m_executor
                          .run_on_nodes({checker},
                                        [&](RemoteShell& shell, std::size_t) {
                                            return wait_until_up(shell, node.node.host, node.host_id,
                                                                 m_request.start_timeout);
                                        })
                          .front();
            }
            if (run.ok()) {
                first_up = first_up ? first_up : &node;
                m_record.update([&](RestoreRecord& record) {
                    auto* entry = record.node(node.node.host);
                    entry->restart = RestartStep::undone;
                    entry->error = "undone: the files the restore replaced are back";
                    for (auto& table : entry->tables) {
                        table.state = TableState::failed;
                        table.error = "undone";
                    }
                });
            }
            runs.push_back(std::move(run));
        }
        return runs;
    }

  private:
    static std::optional<std::string> undo_refusal(const RestartedNode& node)
    {
        if (node.entry->quarantine_removed) {
            return "its quarantine was removed (--cleanup): nothing to put back";
        }
        if (node.entry->restart == RestartStep::undone) {
            return "already undone";
        }
        bool commitlog_kept = std::any_of(node.entry->quarantine.begin(), node.entry->quarantine.end(),
                                          [](const std::string& path) { return path.ends_with("/commitlog"); });
        if (commitlog_kept && !node.commitlog_dir) {
            return "its commit log was set aside, but neither the cluster file (cassandra.commitlog_dir) nor its "
                   "cassandra.yaml says where it goes back";
        }
        return std::nullopt;
    }

    NodeRun undo_one(const RestartedNode& node)
    {
        Phase phase(m_observer, "undo", {node.node});
        return m_executor
            .run_on_nodes({node.node},
                          [&](RemoteShell& shell, std::size_t) -> Status {
                              if (auto refusal = undo_refusal(node)) {
                                  return make_error(ErrorKind::usage, *refusal);
                              }
                              if (auto stopped = stop_node(shell, m_request.start_timeout, true); !stopped) {
                                  return stopped;
                              }
                              bool placed = node.entry->restart >= RestartStep::quarantined;
                              auto undone = run_checked(shell, "put quarantined files back",
                                                        restart_steps::undo_command(shell.node(), node.commitlog_dir,
                                                                                    m_request.restore_id, placed));
                              if (!undone) {
                                  return undone.error();
                              }
                              return start_node(shell, m_request.start_timeout);
                          })
            .front();
    }

    Executor& m_executor;
    RecordKeeper& m_record;
    const QuarantineRequest& m_request;
    Observer& m_observer;
};

// The record's nodes restored by restart, in the record's order, with their facts from a survey.
Result<std::vector<RestartedNode>> restarted_nodes(Executor& executor, const std::vector<Node>& nodes,
                                                   const RestoreRecord& record, std::vector<NodeRun>& failed)
{
    std::vector<RestartedNode> found;
    for (const auto& entry : record.nodes) {
        if (entry.method != to_string(LoadMethod::restart) || entry.restart == RestartStep::none) {
            continue;
        }
        auto node = std::find_if(nodes.begin(), nodes.end(), [&](const Node& n) { return n.host == entry.host; });
        if (node == nodes.end()) {
            continue; // left out with --hosts / --dc
        }
        found.push_back({*node, &entry, "", std::nullopt});
    }
    std::vector<Node> hosts;
    for (const auto& node : found) {
        hosts.push_back(node.node);
    }
    auto survey = survey_nodes(executor, hosts, SurveyParts{.info = true, .config = true});
    std::vector<RestartedNode> answered;
    for (std::size_t i = 0; i < found.size(); ++i) {
        if (!survey.runs[i].ok() && found[i].entry->restart == RestartStep::started) {
            failed.push_back(survey.runs[i]); // up before: it must answer now
            continue;
        }
        const auto& facts = survey.nodes[i];
        found[i].host_id = facts.info ? facts.info->host_id : found[i].entry->host_id; // down: as planned
        found[i].commitlog_dir = restart_steps::commitlog_dir_of(found[i].node, facts.config);
        answered.push_back(found[i]);
    }
    return answered;
}

} // namespace

Result<RestoreOutcome> run_quarantine_action(Executor& executor, const Catalog& catalog, const std::vector<Node>& nodes,
                                             const QuarantineRequest& request, Observer& observer)
{
    auto lock = lock_unless_dry_run(catalog, request.command, false);
    if (!lock) {
        return lock.error();
    }
    auto loaded = catalog.load_restore(request.restore_id);
    if (!loaded) {
        return loaded.error();
    }
    if (loaded->method != to_string(LoadMethod::restart)) {
        return make_error(ErrorKind::usage, fmt::format("restore {} used --method {}: it has no quarantine",
                                                        request.restore_id, loaded->method));
    }
    if (loaded->target != request.target) {
        return make_error(
            ErrorKind::usage,
            loaded->target.empty()
                ? fmt::format("restore {} restarted nodes of this cluster: leave out --target", request.restore_id)
                : fmt::format("restore {} restarted nodes of cluster {}: give its cluster file with "
                              "--target",
                              request.restore_id, loaded->target));
    }
    RecordKeeper record(catalog, *loaded);
    RestoreOutcome outcome;
    auto targets = restarted_nodes(executor, nodes, *loaded, outcome.runs);
    if (!targets) {
        return targets.error();
    }
    if (targets->empty() && outcome.runs.empty()) {
        return make_error(ErrorKind::usage, fmt::format("no selected node of the cluster file took part in restore {} "
                                                        "by restart",
                                                        request.restore_id));
    }
    QuarantineRun run(executor, record, request, observer);
    auto runs = request.action == QuarantineAction::undo ? run.undo(*targets) : run.remove(*targets);
    record.update([](RestoreRecord& r) {
        bool all_back = std::all_of(r.nodes.begin(), r.nodes.end(), [](const RestoreNode& node) {
            return node.restart == RestartStep::undone || node.restart <= RestartStep::stopped;
        });
        if (all_back && std::any_of(r.nodes.begin(), r.nodes.end(),
                                    [](const RestoreNode& node) { return node.restart == RestartStep::undone; })) {
            r.status = RestoreStatus::undone; // a rerun of the same command starts a new restore
        }
    });
    outcome.runs.insert(outcome.runs.end(), runs.begin(), runs.end());
    outcome.record = record.snapshot();
    outcome.record_path = record.path();
    outcome.status = summarize(outcome.runs, cancel_requested());
    outcome.exit_code = exit_code_for(outcome.status);
    return outcome;
}

} // namespace ringsnap::ops
