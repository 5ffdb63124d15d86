// SPDX-License-Identifier: Apache-2.0
#include "ops/restore_loader.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>

#include "ops/loader_steps.hpp"
#include "ops/restore_steps.hpp"

namespace ringsnap::ops {

namespace {

// The Data.db files of a table staged in `dir`: what its loader run must stream.
std::uint64_t sstables_in(const TablePlan& table, const std::string& dir)
{
    return static_cast<std::uint64_t>(std::count_if(table.files.begin(), table.files.end(), [&](const PlannedFile& f) {
        return restore_steps::parent_of(f.staged) == dir && f.name.size() > 8 &&
               f.name.compare(f.name.size() - 8, 8, "-Data.db") == 0;
    }));
}

// Every loader run of one table, in turn; the first that fails ends the table.
Status load_table(RemoteShell& shell, const TablePlan& table, const std::string& input)
{
    for (std::size_t i = 0; i < table.commands.size() && i < table.stage_dirs.size(); ++i) {
        auto output = shell.run_with_input(fmt::format("sstableloader {}.{}", table.keyspace, table.table),
                                           table.commands[i], input, std::nullopt);
        if (!output) {
            return output.error();
        }
        auto loaded = loader_steps::check_load(*output, sstables_in(table, table.stage_dirs[i]));
        if (!loaded) {
            return make_error(loaded.error().kind, fmt::format("{}.{} from {}: {}", table.keyspace, table.table,
                                                               table.stage_dirs[i], loaded.error().message));
        }
    }
    return {};
}

Status load_node(LoaderContext& context, RemoteShell& shell, const NodePlan& node, const std::string& input)
{
    Status first;
    for (const auto& table : node.tables) {
        if (context.record.state_of(node.node.host, table) == TableState::loaded || cancel_requested()) {
            continue;
        }
        context.record.set_tables(node.node.host, {{&table, TableState::loading}});
        auto began = std::chrono::steady_clock::now();
        auto loaded = load_table(shell, table, input);
        auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
        context.record.set_tables(node.node.host,
                                  {{&table, loaded ? TableState::loaded : TableState::failed,
                                    loaded ? std::nullopt : std::optional(loaded.error().message), took.count()}});
        context.observer.add_bytes(loaded ? table.bytes : 0);
        if (!loaded && first) {
            first = loaded;
        }
        if (!loaded && loaded.error().kind != ErrorKind::command) {
            return first; // the connection is gone: the other tables wait for a rerun
        }
    }
    return first;
}

Result<std::uint64_t> count_of(const CommandOutput& output)
{
    if (auto ran = check_succeeded("cqlsh SELECT COUNT(*)", output); !ran) {
        return ran.error();
    }
    return loader_steps::parse_count(output.out);
}

std::string loader_credentials(const CqlEndpoint& target)
{
    const auto& user = target.node.cassandra.cql_user;
    return user ? loader_steps::loader_input(*user, target.password) : std::string();
}

} // namespace

Result<std::vector<CommandOutput>> run_cql(Executor& executor, const CqlEndpoint& endpoint, const std::string& step,
                                           const std::vector<std::string>& statements,
                                           const std::function<void(const NodeRun&)>& note_run)
{
    const auto& user = endpoint.node.cassandra.cql_user;
    std::string input = user ? restore_steps::cqlshrc_input(*user, endpoint.password) : "";
    std::vector<CommandOutput> outputs;
    auto runs = executor.run_on_nodes({endpoint.node}, [&](RemoteShell& shell, std::size_t) -> Status {
        for (const auto& text : statements) {
            auto command = restore_steps::cqlsh_command(shell.node(), endpoint.address, text, user.has_value());
            auto output = shell.run_with_input(step, command, input, std::nullopt);
            if (!output) {
                return output.error();
            }
            outputs.push_back(std::move(*output));
        }
        return {};
    });
    if (note_run) {
        note_run(runs.front());
    }
    if (!runs.front().ok()) {
        return *runs.front().error;
    }
    return outputs;
}

Status create_target_schema(LoaderContext& context)
{
    const auto& loader = *context.plan.loader;
    auto created = context.record.snapshot().created;
    bool done = std::all_of(loader.created.begin(), loader.created.end(), [&](const std::string& table) {
        return std::find(created.begin(), created.end(), table) != created.end();
    });
    if (loader.schema.empty() || done) {
        return {};
    }
    // One cqlsh call, keyspaces first: IF NOT EXISTS makes a rerun harmless.
    std::string statements = fmt::format("{}", fmt::join(loader.schema, "\n"));
    auto outputs = run_cql(context.executor, context.target, "cqlsh CREATE (schema from the backup)", {statements},
                           context.note_run);
    if (!outputs) {
        return outputs.error();
    }
    if (auto ok = check_succeeded("cqlsh CREATE (schema from the backup)", outputs->front()); !ok) {
        return ok;
    }
    context.record.update([&](RestoreRecord& record) {
        for (const auto& table : loader.created) {
            if (std::find(record.created.begin(), record.created.end(), table) == record.created.end()) {
                record.created.push_back(table);
            }
        }
    });
    return {};
}

void load_with_sstableloader(LoaderContext& context, const std::vector<std::size_t>& ready)
{
    std::vector<Node> nodes;
    for (auto index : ready) {
        nodes.push_back(context.plan.nodes[index].node);
    }
    std::string input = loader_credentials(context.target);
    std::vector<NodeRun> runs;
    {
        Phase phase(context.observer, "sstableloader", nodes);
        runs = context.executor.run_on_nodes(
            nodes,
            [&](RemoteShell& shell, std::size_t index) -> Status {
                return load_node(context, shell, context.plan.nodes[ready[index]], input);
            },
            Concurrency{.per_dc = context.request.loaders_per_dc});
    }
    for (const auto& run : runs) {
        context.note_run(run);
    }
}

std::vector<RowCount> count_rows(LoaderContext& context, const std::optional<CqlEndpoint>& source)
{
    std::vector<RowCount> counts;
    std::vector<std::string> statements;
    for (const auto& name : context.plan.tables) {
        counts.push_back(RowCount{name, std::nullopt, std::nullopt, std::nullopt});
        auto dot = name.find('.');
        statements.push_back(loader_steps::count_statements(name.substr(0, dot), name.substr(dot + 1)));
    }
    auto count_on = [&](const CqlEndpoint& endpoint, const char* side, auto field) {
        auto outputs = run_cql(context.executor, endpoint, "cqlsh SELECT COUNT(*)", statements, context.note_run);
        for (std::size_t i = 0; i < counts.size(); ++i) {
            Result<std::uint64_t> count = outputs ? count_of((*outputs)[i]) : Result<std::uint64_t>(outputs.error());
            if (count) {
                counts[i].*field = *count;
            } else if (!counts[i].error) {
                counts[i].error = fmt::format("{} ({}): {}", side, endpoint.node.host, count.error().message);
            }
        }
    };
    count_on(context.target, "target", &RowCount::target);
    if (source) {
        count_on(*source, "source", &RowCount::source);
    }
    return counts;
}

} // namespace ringsnap::ops
