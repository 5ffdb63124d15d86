// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/survey.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include <ringsnap/cassandra_yaml.hpp>
#include <ringsnap/shell.hpp>

namespace ringsnap::ops {

namespace {

// One part of the survey: its command, and what to do with a successful output. A part that is
// only `reported` does not fail the node (its problem is kept, or ignored, by `take`).
struct Part
{
    std::string name; // "nodetool info"
    std::string command;
    std::function<Status(const std::string& out)> take;
    bool reported = false;
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

Part version_part(const Node& node, NodeFacts& facts)
{
    return {"nodetool version", nodetool_command(node, {"version"}),
            store("nodetool version", parse_version, facts.version)};
}

// How a node learns its release in this survey.
enum class ReleaseRole {
    own,      // nodetool version
    reporter, // nodetool gossipinfo, for itself and the others
    listener, // from a reporter's gossip
    none,     // not asked
};

std::vector<Part> parts_of(const Node& node, const SurveyParts& wanted, ReleaseRole role, NodeFacts& facts)
{
    std::vector<Part> parts;
    if (role == ReleaseRole::own) {
        parts.push_back(version_part(node, facts));
    } else if (role == ReleaseRole::reporter) {
        // Reported only: a node whose gossip cannot be read is still surveyed; its data center
        // learns releases from another reporter or from `nodetool version`.
        parts.push_back({"nodetool gossipinfo", nodetool_command(node, {"gossipinfo"}),
                         store("nodetool gossipinfo", parse_gossipinfo, facts.gossip), true});
    }
    bool needs_host_id =
        (role == ReleaseRole::reporter || role == ReleaseRole::listener) && !wanted.known_host_ids.count(node.host);
    if (!facts.info && (wanted.info || wanted.tokens || needs_host_id)) {
        std::vector<std::string> args{"info"};
        if (wanted.tokens) {
            args.push_back("-T");
        }
        parts.push_back(
            {"nodetool info", nodetool_command(node, args), store("nodetool info", parse_info, facts.info)});
    }
    if (wanted.ring && role != ReleaseRole::listener) { // a listener gets its reporter's
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
    if (wanted.extra_command) {
        parts.push_back({"survey command", wanted.extra_command(node), [&facts](const std::string& out) -> Status {
                             facts.extra = out;
                             return {};
                         }});
    }
    if (wanted.config) {
        // Reported, not a failure of the node: `check` says why it could not be read.
        parts.push_back({"read " + node.config_file(),
                         with_sudo("cat -- " + shell_quote(node.config_file()), node.ssh.sudo),
                         [&facts](const std::string& out) -> Status {
                             facts.config = out;
                             return {};
                         },
                         true});
    }
    return parts;
}

Status survey_as(RemoteShell& shell, const SurveyParts& wanted, ReleaseRole role, NodeFacts& facts)
{
    auto parts = parts_of(shell.node(), wanted, role, facts);
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
        if (!status && parts[i].reported) {
            if (wanted.config && parts[i].name.starts_with("read ")) {
                facts.config_problem = status.error().message;
            }
        } else if (!status && first) {
            first = status;
        }
    }
    if (wanted.round_trip) {
        facts.round_trip = shell.round_trip();
    }
    return first;
}

// The first node of each data center reports gossip; the others listen.
std::vector<ReleaseRole> release_roles(const std::vector<Node>& nodes, SurveyParts::Release release)
{
    if (release != SurveyParts::Release::gossip) {
        return std::vector<ReleaseRole>(nodes.size(),
                                        release == SurveyParts::Release::own ? ReleaseRole::own : ReleaseRole::none);
    }
    std::vector<ReleaseRole> roles(nodes.size());
    std::set<std::string> reported;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        roles[i] = reported.insert(nodes[i].datacenter).second ? ReleaseRole::reporter : ReleaseRole::listener;
    }
    return roles;
}

// Each surveyed node's release from the gossip of any reporter, by host id (its own, or the one
// known already).
void take_releases_from_gossip(const std::vector<Node>& nodes, const SurveyParts& parts, std::vector<NodeFacts>& facts)
{
    std::map<std::string, CassandraVersion> by_host_id;
    for (const auto& reporter : facts) {
        for (const auto& endpoint : reporter.gossip.value_or(std::vector<GossipEndpoint>{})) {
            if (endpoint.release && !endpoint.host_id.empty()) {
                by_host_id.emplace(endpoint.host_id, *endpoint.release);
            }
        }
    }
    for (std::size_t i = 0; i < facts.size(); ++i) {
        auto known = parts.known_host_ids.find(nodes[i].host);
        auto host_id = facts[i].info ? facts[i].info->host_id
                                     : (known != parts.known_host_ids.end() ? known->second : std::string());
        if (auto found = by_host_id.find(host_id); !host_id.empty() && found != by_host_id.end()) {
            facts[i].version = found->second;
        }
    }
}

// Data centers whose reporter did not answer: the next node of the data center that did answers
// for it (its gossip, and its ring when wanted), in a short second job.
void ask_second_reporters(Executor& executor, const SurveyParts& wanted, std::vector<ReleaseRole>& roles,
                          Survey& survey)
{
    std::set<std::string> reported;
    for (std::size_t i = 0; i < roles.size(); ++i) {
        if (roles[i] == ReleaseRole::reporter && survey.runs[i].ok()) {
            reported.insert(survey.runs[i].node.datacenter);
        }
    }
    std::vector<std::size_t> seconds;
    std::vector<Node> nodes;
    for (std::size_t i = 0; i < roles.size(); ++i) {
        const auto& node = survey.runs[i].node;
        if (roles[i] == ReleaseRole::listener && survey.runs[i].ok() && reported.insert(node.datacenter).second) {
            roles[i] = ReleaseRole::reporter;
            seconds.push_back(i);
            nodes.push_back(node);
        }
    }
    if (seconds.empty()) {
        return;
    }
    SurveyParts ring_wide{.release = SurveyParts::Release::gossip, .ring = wanted.ring};
    auto runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) {
        return survey_as(shell, ring_wide, ReleaseRole::reporter, survey.nodes[seconds[index]]);
    });
    for (std::size_t i = 0; i < seconds.size(); ++i) { // reported only: the node's survey stands
        auto& steps = survey.runs[seconds[i]].steps;
        steps.insert(steps.end(), runs[i].steps.begin(), runs[i].steps.end());
    }
}

// Every node without a ring of its own gets its own row of its data center's reporter's ring
// (else any reporter's): what it needs to know whether it is up and normal, and at which
// address. The whole ring stays with the reporters: at 256 nodes, a copy per node would be 65536
// rows.
void share_rings(const std::vector<ReleaseRole>& roles, Survey& survey)
{
    std::map<std::string, std::size_t> reporter_of;
    std::optional<std::size_t> any;
    for (std::size_t i = 0; i < roles.size(); ++i) {
        if (roles[i] == ReleaseRole::reporter && !survey.nodes[i].ring.empty()) {
            reporter_of.emplace(survey.runs[i].node.datacenter, i);
            any = any.value_or(i);
        }
    }
    for (std::size_t i = 0; i < roles.size(); ++i) {
        auto& facts = survey.nodes[i];
        auto found = reporter_of.find(survey.runs[i].node.datacenter);
        auto from = found != reporter_of.end() ? std::optional(found->second) : any;
        if (!facts.ring.empty() || !from || !facts.info) {
            continue;
        }
        for (const auto& row : survey.nodes[*from].ring) {
            if (row.host_id == facts.info->host_id) {
                facts.ring.push_back(row);
            }
        }
    }
}

// Asks `nodetool version` of the surveyed nodes whose release is still unknown, recording the
// job in their runs.
void ask_missing_releases(Executor& executor, Survey& survey)
{
    std::vector<std::size_t> missing;
    std::vector<Node> nodes;
    for (std::size_t i = 0; i < survey.runs.size(); ++i) {
        if (survey.runs[i].ok() && !survey.nodes[i].version) {
            missing.push_back(i);
            nodes.push_back(survey.runs[i].node);
        }
    }
    if (missing.empty()) {
        return;
    }
    auto runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) -> Status {
        auto& facts = survey.nodes[missing[index]];
        auto part = version_part(shell.node(), facts);
        auto output = shell.run(k_survey_step, part.command);
        if (!output) {
            return output.error();
        }
        auto status = check_succeeded(part.name, *output);
        return status ? part.take(output->out) : status;
    });
    for (std::size_t i = 0; i < missing.size(); ++i) {
        survey.runs[missing[i]].then(runs[i]);
    }
}

} // namespace

bool NodeFacts::up_and_normal() const
{
    const auto* self = own_row();
    return self && self->status == 'U' && self->state == 'N';
}

const StatusRow* NodeFacts::own_row() const
{
    if (!info) {
        return nullptr;
    }
    auto self =
        std::find_if(ring.begin(), ring.end(), [&](const StatusRow& row) { return row.host_id == info->host_id; });
    return self == ring.end() ? nullptr : &*self;
}

std::string NodeFacts::storage_mode() const
{
    return config ? storage_compatibility_mode(*config) : "CASSANDRA_4";
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
    return survey_as(shell, wanted, wanted.release == SurveyParts::Release::none ? ReleaseRole::none : ReleaseRole::own,
                     facts);
}

Survey survey_nodes(Executor& executor, const std::vector<Node>& nodes, const SurveyParts& parts)
{
    Survey survey;
    survey.nodes.resize(nodes.size());
    auto roles = release_roles(nodes, parts.release);
    survey.runs = executor.run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t index) {
        return survey_as(shell, parts, roles[index], survey.nodes[index]);
    });
    if (parts.release == SurveyParts::Release::gossip) {
        ask_second_reporters(executor, parts, roles, survey);
        if (parts.ring) {
            share_rings(roles, survey);
        }
        take_releases_from_gossip(nodes, parts, survey.nodes);
        ask_missing_releases(executor, survey);
    }
    return survey;
}

} // namespace ringsnap::ops
