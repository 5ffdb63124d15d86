// SPDX-License-Identifier: Apache-2.0
#include "ops/restore_loader.hpp"

#include <algorithm>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/sstable_name.hpp>

#include "ops/loader_steps.hpp"
#include "ops/restore_steps.hpp"

namespace ringsnap::ops {

namespace {

// The Data.db files of a table staged in `dir`: what its loader run must stream.
std::uint64_t sstables_in(const TablePlan& table, const std::string& dir)
{
    return static_cast<std::uint64_t>(std::count_if(table.files.begin(), table.files.end(), [&](const PlannedFile& f) {
        auto name = parse_sstable_name(f.name);
        return restore_steps::parent_of(f.staged) == dir && name && name->component == "Data.db";
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
        bool node_lost =
            !loaded && (loaded.error().kind == ErrorKind::connect || loaded.error().kind == ErrorKind::timeout ||
                        loaded.error().kind == ErrorKind::interrupted);
        if (node_lost) {
            return first; // the session is gone or the run stops: the other tables wait for a rerun
        }
    }
    return first;
}

std::string loader_credentials(const CqlEndpoint& target)
{
    const auto& user = target.node.cassandra.cql_user;
    return user ? loader_steps::loader_input(*user, target.password) : std::string();
}

} // namespace

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

} // namespace ringsnap::ops
