// SPDX-License-Identifier: Apache-2.0
#include "ops/restore_cql.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ops/loader_steps.hpp"
#include "ops/restore_steps.hpp"

namespace ringsnap::ops {

namespace {

Result<std::uint64_t> count_of(const CommandOutput& output)
{
    if (auto ran = check_succeeded("cqlsh SELECT COUNT(*)", output); !ran) {
        return ran.error();
    }
    return loader_steps::parse_count(output.out);
}

} // namespace

std::optional<std::string> cql_host_of(const SurveyedCluster& cluster)
{
    for (std::size_t i = 0; i < cluster.nodes.size(); ++i) {
        if (cluster.runs[i].ok() && cluster.facts[i].node.up_and_normal()) {
            return cluster.nodes[i].host;
        }
    }
    return std::nullopt;
}

std::optional<CqlEndpoint> cql_endpoint(const SurveyedCluster& cluster, const std::optional<std::string>& host,
                                        const std::string& password)
{
    for (std::size_t i = 0; host && i < cluster.nodes.size(); ++i) {
        if (cluster.nodes[i].host != *host) {
            continue;
        }
        const auto* self = cluster.facts[i].node.own_row();
        return CqlEndpoint{cluster.nodes[i], self ? self->address : cluster.nodes[i].host, password};
    }
    return std::nullopt;
}

Result<std::vector<CommandOutput>> run_cql(Executor& executor, const CqlEndpoint& endpoint, const std::string& step,
                                           const std::vector<std::string>& statements, const NoteRun& note_run)
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

Status create_schema(Executor& executor, const CqlEndpoint& target, const RestorePlan& plan, RecordKeeper& record,
                     const NoteRun& note_run)
{
    auto created = record.snapshot().created;
    bool done = std::all_of(plan.created.begin(), plan.created.end(), [&](const std::string& table) {
        return std::find(created.begin(), created.end(), table) != created.end();
    });
    if (plan.schema.empty() || done) {
        return {};
    }
    // One cqlsh call, keyspaces first: IF NOT EXISTS makes a rerun harmless.
    std::string statements = fmt::format("{}", fmt::join(plan.schema, "\n"));
    auto outputs = run_cql(executor, target, "cqlsh CREATE (schema from the backup)", {statements}, note_run);
    if (!outputs) {
        return outputs.error();
    }
    if (auto ok = check_succeeded("cqlsh CREATE (schema from the backup)", outputs->front()); !ok) {
        return ok;
    }
    record.update([&](RestoreRecord& r) {
        for (const auto& table : plan.created) {
            if (std::find(r.created.begin(), r.created.end(), table) == r.created.end()) {
                r.created.push_back(table);
            }
        }
    });
    return {};
}

std::vector<RowCount> count_rows(Executor& executor, const CqlEndpoint& target,
                                 const std::optional<CqlEndpoint>& source, const std::vector<std::string>& tables,
                                 const NoteRun& note_run)
{
    std::vector<RowCount> counts;
    std::vector<std::string> statements;
    for (const auto& name : tables) {
        counts.push_back(RowCount{name, std::nullopt, std::nullopt, std::nullopt});
        auto dot = name.find('.');
        statements.push_back(loader_steps::count_statements(name.substr(0, dot), name.substr(dot + 1)));
    }
    auto count_on = [&](const CqlEndpoint& endpoint, const char* side, auto field) {
        auto outputs = run_cql(executor, endpoint, "cqlsh SELECT COUNT(*)", statements, note_run);
        for (std::size_t i = 0; i < counts.size(); ++i) {
            Result<std::uint64_t> count = outputs ? count_of((*outputs)[i]) : Result<std::uint64_t>(outputs.error());
            if (count) {
                counts[i].*field = *count;
            } else if (!counts[i].error) {
                counts[i].error = fmt::format("{} ({}): {}", side, endpoint.node.host, count.error().message);
            }
        }
    };
    count_on(target, "target", &RowCount::target);
    if (source) {
        count_on(*source, "source", &RowCount::source);
    }
    return counts;
}

} // namespace ringsnap::ops
