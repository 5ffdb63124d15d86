// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/outcome.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace ringsnap {

const char* to_string(RunStatus status)
{
    switch (status) {
    case RunStatus::ok:
        return "ok";
    case RunStatus::partial:
        return "partial";
    case RunStatus::failed:
        return "failed";
    case RunStatus::interrupted:
        return "interrupted";
    }
    return "failed";
}

int exit_code_for(RunStatus status)
{
    switch (status) {
    case RunStatus::ok:
        return exit_code::ok;
    case RunStatus::partial:
        return exit_code::partial;
    case RunStatus::failed:
        return exit_code::failed;
    case RunStatus::interrupted:
        return exit_code::interrupted;
    }
    return exit_code::failed;
}

int exit_code_for(const Error& error)
{
    switch (error.kind) {
    case ErrorKind::usage:
    case ErrorKind::config:
    case ErrorKind::catalog:
        return exit_code::usage;
    default:
        return exit_code::failed;
    }
}

RunStatus summarize(const std::vector<NodeRun>& runs, bool interrupted)
{
    if (interrupted) {
        return RunStatus::interrupted;
    }
    auto succeeded = std::count_if(runs.begin(), runs.end(), [](const NodeRun& run) { return run.ok(); });
    if (!runs.empty() && succeeded == static_cast<std::ptrdiff_t>(runs.size())) {
        return RunStatus::ok;
    }
    return succeeded == 0 ? RunStatus::failed : RunStatus::partial;
}

std::string describe(const Error& error)
{
    auto first_line = error.message.substr(0, error.message.find('\n'));
    return fmt::format("{}: {}", to_string(error.kind), first_line);
}

namespace {

nlohmann::json step_json(const StepRecord& step)
{
    nlohmann::json json{{"step", step.name}, {"command", step.command}};
    if (step.output) {
        json["exit_status"] = step.output->exit_status;
        if (!step.output->exit_signal.empty()) {
            json["exit_signal"] = step.output->exit_signal;
        }
        json["stdout"] = step.output->out;
        json["stderr"] = step.output->err;
        json["duration_ms"] = step.output->duration.count();
    }
    if (step.error) {
        json["error"] = step.error->message;
        json["error_kind"] = to_string(step.error->kind);
    }
    return json;
}

} // namespace

nlohmann::json nodes_json(const std::vector<NodeRun>& runs, bool with_steps)
{
    auto nodes = nlohmann::json::array();
    for (const auto& run : runs) {
        nlohmann::json node{
            {"host", run.node.host},
            {"datacenter", run.node.datacenter},
            {"rack", run.node.rack},
            {"status", run.ok() ? "ok" : "failed"},
            {"error", run.error ? nlohmann::json(run.error->message) : nlohmann::json(nullptr)},
            {"error_kind", run.error ? nlohmann::json(to_string(run.error->kind)) : nlohmann::json(nullptr)},
            {"failed_step", run.error ? nlohmann::json(run.failed_step) : nlohmann::json(nullptr)},
            {"connect_ms", run.connect_time.count()},
            {"duration_ms", run.duration.count()},
        };
        if (with_steps) {
            node["steps"] = nlohmann::json::array();
            for (const auto& step : run.steps) {
                node["steps"].push_back(step_json(step));
            }
        }
        nodes.push_back(std::move(node));
    }
    return nodes;
}

} // namespace ringsnap
