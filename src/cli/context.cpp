// SPDX-License-Identifier: Apache-2.0
#include "cli/context.hpp"

#include <iostream>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/logging.hpp>

#include <ringsnap/ops/discover.hpp>
#include <ringsnap/run_id.hpp>
#include <ringsnap/ssh_executor.hpp>

#include "cli/hooks.hpp"
#include "cli/run_metrics.hpp"

namespace ringsnap::cli {

Context::Context(const GlobalOptions& options) : m_options(options), m_started(std::chrono::system_clock::now())
{
}

Result<Cluster> Context::cluster()
{
    if (m_cluster) {
        return *m_cluster;
    }
    if (m_cluster_error) {
        return *m_cluster_error;
    }
    if (m_options.cluster_file.empty()) {
        return make_error(ErrorKind::usage, "no cluster file: pass -c FILE or set RINGSNAP_CLUSTER");
    }
    auto cluster = load_cluster_file(m_options.cluster_file);
    if (!cluster) {
        m_cluster_error = cluster.error();
        return cluster.error();
    }
    m_cluster = std::move(*cluster);
    return *m_cluster;
}

Result<std::vector<Node>> Context::selected_nodes()
{
    auto cluster = this->cluster();
    if (!cluster) {
        return cluster.error();
    }
    std::vector<Node> nodes = cluster->nodes;
    if (!m_options.seed.empty()) {
        auto discovered = ops::discover_topology(executor(), *cluster, m_options.seed);
        if (!discovered) {
            return discovered.error();
        }
        nodes = std::move(*discovered);
    } else if (nodes.empty()) {
        return make_error(ErrorKind::config,
                          fmt::format("{} lists no data centers: add `datacenters:` or pass --seed HOST",
                                      cluster->source_file.string()));
    }
    return select_nodes(nodes, NodeSelection{m_options.datacenters, m_options.hosts});
}

Result<Context::Selection> Context::load_and_select()
{
    auto nodes = selected_nodes();
    if (!nodes) {
        return nodes.error();
    }
    return Selection{*m_cluster, std::move(*nodes)};
}

Executor& Context::executor()
{
    if (!m_executor) {
        m_executor =
            make_ssh_executor(ExecutorOptions{m_options.parallel, m_options.per_dc, m_options.accept_new_host_keys});
    }
    return *m_executor;
}

namespace {

const char* status_for(int code)
{
    switch (code) {
    case exit_code::ok:
        return "ok";
    case exit_code::partial:
        return "partial";
    case exit_code::interrupted:
        return "interrupted";
    default:
        return "failed";
    }
}

void print_json(const nlohmann::json& json)
{
    std::cout << json.dump(2) << std::endl;
}

} // namespace

void Context::settle()
{
    if (!m_settled) {
        m_settled = true;
        m_interrupted = cancel_requested();
        m_log_failed = log_file_error().has_value();
    }
}

int Context::settled(int code) const
{
    if (m_interrupted) {
        return exit_code::interrupted;
    }
    return m_log_failed && code == exit_code::ok ? exit_code::partial : code;
}

int Context::refuse(const Error& error)
{
    settle();
    int code = settled(exit_code_for(error)); // the one rule of docs/exit-codes.md
    std::string message = m_interrupted ? "interrupted: " + error.message : error.message;
    std::cerr << "ringsnap: " << message << "\n";
    if (m_options.json && !m_json_printed) {
        print_json({{"status", status_for(code)},
                    {"exit_code", code},
                    {"error", message},
                    {"nodes", nlohmann::json::array()}});
        m_json_printed = true;
    }
    return code;
}

void Context::emit(const std::string& text, nlohmann::json json)
{
    settle();
    if (m_text || m_report) { // a verb's bug: a second object would break every script that reads one
        spdlog::error("internal error: a second result was not printed");
        return;
    }
    m_text = text;
    m_report = std::move(json);
}

std::string Context::hook(const std::string& option, const std::string Hooks::*from_cluster)
{
    if (!option.empty()) {
        return option;
    }
    auto loaded = cluster();
    return loaded ? (loaded->hooks.*from_cluster) : std::string();
}

namespace {

std::map<std::string, std::string> hook_variables(const std::string& verb, const std::string& cluster)
{
    return {{"RINGSNAP_VERB", verb}, {"RINGSNAP_CLUSTER", cluster}, {"RINGSNAP_RUN_ID", this_run_id()}};
}

std::string describe_hook_end(const HookResult& result)
{
    return result.timed_out ? fmt::format("it was stopped after {} min",
                                          std::chrono::duration_cast<std::chrono::minutes>(k_hook_timeout).count())
                            : fmt::format("it exited with {}", result.exit_code);
}

// Verbs that only answer the shell (completion): no hooks, no metrics.
bool leaves_a_trace(const std::string& verb)
{
    return verb != "complete";
}

} // namespace

Status Context::run_pre_hook()
{
    auto command = leaves_a_trace(m_verb) ? hook(m_options.pre_hook, &Hooks::pre) : std::string();
    if (command.empty()) {
        return {};
    }
    auto loaded = cluster();
    spdlog::info("running the pre-hook");
    auto ran = run_hook(command, hook_variables(m_verb, loaded ? loaded->name : ""));
    if (!ran || !ran->ok()) {
        m_pre_hook_failed = true;
        if (!ran) {
            return ran.error().kind == ErrorKind::interrupted
                       ? ran.error()
                       : make_error(ErrorKind::usage, fmt::format("the pre-hook could not run: {}; nothing was done",
                                                                  ran.error().message));
        }
        return make_error(ErrorKind::usage,
                          fmt::format("the pre-hook failed ({}); nothing was done", describe_hook_end(*ran)));
    }
    return {};
}

int Context::run_post_hook(int code)
{
    auto command = leaves_a_trace(m_verb) ? hook(m_options.post_hook, &Hooks::post) : std::string();
    if (command.empty() || m_pre_hook_failed) {
        return code;
    }
    if (m_interrupted) { // a hook started now would be stopped at once
        spdlog::warn("the post-hook was not run: the run was interrupted");
        return code;
    }
    auto loaded = cluster();
    auto variables = hook_variables(m_verb, loaded ? loaded->name : "");
    auto text_of = [&](const char* key) {
        if (!m_report || !m_report->contains(key) || !(*m_report)[key].is_string()) {
            return std::string();
        }
        return (*m_report)[key].get<std::string>();
    };
    variables["RINGSNAP_STATUS"] = status_for(code);
    variables["RINGSNAP_EXIT_CODE"] = std::to_string(code);
    variables["RINGSNAP_TAG"] = text_of("tag");
    variables["RINGSNAP_MANIFEST"] = text_of("manifest");
    spdlog::info("running the post-hook");
    auto ran = run_hook(command, variables);
    if (ran && ran->ok()) {
        return code;
    }
    spdlog::error("the post-hook failed: {}", ran ? describe_hook_end(*ran) : ran.error().message);
    return code == exit_code::ok ? exit_code::partial : code;
}

void Context::print_result(int code)
{
    if (!m_options.json) {
        if (m_text) {
            std::cout << *m_text << std::flush;
            m_text_emitted = true;
        }
        return;
    }
    if (m_json_printed) {
        return;
    }
    nlohmann::json json =
        m_report
            ? *m_report
            : nlohmann::json{{"status", status_for(code)}, {"exit_code", code}, {"nodes", nlohmann::json::array()}};
    if (json.value("exit_code", exit_code::ok) != code) {
        json["exit_code"] = code;
        json["status"] = status_for(code);
    }
    if (auto problem = log_file_error()) {
        json["log_file_error"] = *problem;
    }
    print_json(json);
    m_json_printed = true;
}

void Context::write_metrics(int code)
{
    if (!leaves_a_trace(m_verb)) {
        return;
    }
    auto loaded = cluster();
    std::string path = m_options.metrics_file;
    if (path.empty() && loaded && loaded->metrics_file) {
        path = loaded->metrics_file->string();
    }
    if (path.empty()) {
        return;
    }
    if (!loaded) {
        spdlog::error("no metrics written to {}: the cluster file could not be read", path);
        return;
    }
    auto ended = std::chrono::system_clock::now();
    RunMetrics metrics{loaded->name, m_verb, code, std::chrono::duration<double>(ended.time_since_epoch()).count(),
                       std::chrono::duration<double>(ended - m_started).count()};
    if (m_report) {
        add_report(metrics, *m_report);
    }
    if (auto written = write_metrics_file(path, metrics); !written) {
        spdlog::error("{}", written.error().message);
    }
}

int Context::finish(int code)
{
    settle();
    int final_code = run_post_hook(settled(code));
    print_result(final_code);
    if (m_text_emitted && m_interrupted) {
        std::cerr << "ringsnap: interrupted: what finished is reported above\n";
    }
    if (m_log_failed && !m_interrupted && code == exit_code::ok) {
        std::cerr << fmt::format("ringsnap: exit {}: the work succeeded, but the log file is incomplete: {}\n",
                                 final_code, log_file_error().value_or(""));
    }
    write_metrics(final_code);
    return final_code;
}

nlohmann::json run_summary_json(RunStatus status, const std::vector<NodeRun>& runs, bool with_steps)
{
    return nlohmann::json{
        {"status", to_string(status)}, {"exit_code", exit_code_for(status)}, {"nodes", nodes_json(runs, with_steps)}};
}

} // namespace ringsnap::cli
