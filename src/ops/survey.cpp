// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/survey.hpp>

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include <ringsnap/shell.hpp>

namespace ringsnap::ops {

namespace {

// One part of the survey: its command, and what to do with a successful output.
struct Part
{
    std::string name; // "nodetool info"
    std::string command;
    std::function<Status(const std::string& out)> take;
};

// A parser's result stored into `slot`, or its error naming the part.
template <class T, class Parser>
std::function<Status(const std::string&)> store(const std::string& name, Parser parse, T& slot)
{
    return [name, parse, &slot](const std::string& out) -> Status {
        auto parsed = parse(out);
        if (!parsed) {
            return make_error(ErrorKind::parse, fmt::format("{}: {}", name, parsed.error().message));
        }
        slot = std::move(*parsed);
        return {};
    };
}

std::vector<Part> parts_of(const Node& node, const SurveyParts& wanted, NodeFacts& facts)
{
    std::vector<Part> parts;
    parts.push_back({"nodetool version", nodetool_command(node, {"version"}),
                     store("nodetool version", parse_version, facts.version)});
    if (wanted.info || wanted.tokens) {
        std::vector<std::string> args{"info"};
        if (wanted.tokens) {
            args.push_back("-T");
        }
        parts.push_back(
            {"nodetool info", nodetool_command(node, args), store("nodetool info", parse_info, facts.info)});
    }
    if (wanted.ring) {
        parts.push_back({"nodetool status", nodetool_command(node, {"status"}),
                         store("nodetool status", parse_status, facts.ring)});
    }
    if (wanted.data_dirs) {
        parts.push_back({"data directories", survey_data_dirs_command(node, wanted.tag),
                         store("data directories", parse_data_dir_survey, facts.data_dirs)});
    }
    if (wanted.backup_state) {
        parts.push_back({"nodetool statusbackup", nodetool_command(node, {"statusbackup"}),
                         store("nodetool statusbackup", parse_statusbackup, facts.backups_running)});
    }
    if (!wanted.extra_command.empty()) {
        parts.push_back({"survey command", wanted.extra_command, [&facts](const std::string& out) -> Status {
                             facts.extra = out;
                             return {};
                         }});
    }
    if (wanted.config) {
        parts.push_back({"read " + node.config_file(),
                         with_sudo("cat -- " + shell_quote(node.config_file()), node.ssh.sudo),
                         [&facts](const std::string& out) -> Status {
                             facts.config = out;
                             return {};
                         }});
    }
    return parts;
}

} // namespace

bool NodeFacts::up_and_normal() const
{
    if (!info) {
        return false;
    }
    auto self =
        std::find_if(ring.begin(), ring.end(), [&](const StatusRow& row) { return row.host_id == info->host_id; });
    return self != ring.end() && self->status == 'U' && self->state == 'N';
}

const TableDir* NodeFacts::table(const std::string& keyspace, const std::string& name) const
{
    if (!data_dirs) {
        return nullptr;
    }
    auto found = std::find_if(data_dirs->tables.begin(), data_dirs->tables.end(),
                              [&](const TableDir& dir) { return dir.keyspace == keyspace && dir.table == name; });
    return found == data_dirs->tables.end() ? nullptr : &*found;
}

Status survey_node(RemoteShell& shell, const SurveyParts& wanted, NodeFacts& facts)
{
    auto parts = parts_of(shell.node(), wanted, facts);
    std::vector<std::string> commands;
    for (const auto& part : parts) {
        commands.push_back(part.command);
    }
    auto outputs = run_together(shell, k_survey_step, commands);
    if (!outputs) {
        return outputs.error();
    }
    Status first;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto status = check_succeeded(parts[i].name, (*outputs)[i]);
        if (status) {
            status = parts[i].take((*outputs)[i].out);
        }
        if (!status && wanted.config && i + 1 == parts.size()) {
            facts.config_problem = status.error().message; // reported, not a failure of the node
        } else if (!status && first) {
            first = status;
        }
    }
    if (wanted.round_trip) {
        facts.round_trip = shell.round_trip();
    }
    return first;
}

Survey survey_nodes(Executor& executor, const std::vector<Node>& nodes, const SurveyParts& parts)
{
    Survey survey;
    survey.nodes.resize(nodes.size());
    survey.runs = executor.run_on_nodes(
        nodes, [&](RemoteShell& shell, std::size_t index) { return survey_node(shell, parts, survey.nodes[index]); });
    return survey;
}

} // namespace ringsnap::ops
