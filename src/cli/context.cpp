// SPDX-License-Identifier: Apache-2.0
#include "cli/context.hpp"

#include <iostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/logging.hpp>

#include <ringsnap/ops/discover.hpp>
#include <ringsnap/ssh_executor.hpp>

namespace ringsnap::cli {

Result<Cluster> Context::cluster()
{
    if (m_cluster) {
        return *m_cluster;
    }
    if (m_options.cluster_file.empty()) {
        return make_error(ErrorKind::usage, "no cluster file: pass -c FILE or set RINGSNAP_CLUSTER");
    }
    auto cluster = load_cluster_file(m_options.cluster_file);
    if (!cluster) {
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
    if (!m_options.json) {
        std::cout << text << std::flush;
        m_text_emitted = true;
        return;
    }
    if (m_json_printed) { // a verb's bug: a second object would break every script that reads one
        spdlog::error("internal error: a second result was not printed");
        return;
    }
    int code = json.value("exit_code", exit_code::ok);
    if (int final_code = settled(code); final_code != code) {
        json["exit_code"] = final_code;
        json["status"] = status_for(final_code);
    }
    if (auto problem = log_file_error()) {
        json["log_file_error"] = *problem;
    }
    print_json(json);
    m_json_printed = true;
}

int Context::finish(int code)
{
    settle();
    int final_code = settled(code);
    if (m_options.json && !m_json_printed) {
        print_json({{"status", status_for(final_code)}, {"exit_code", final_code}, {"nodes", nlohmann::json::array()}});
        m_json_printed = true;
    }
    if (m_text_emitted && m_interrupted) {
        std::cerr << "ringsnap: interrupted: what finished is reported above\n";
    }
    if (m_log_failed && !m_interrupted && code == exit_code::ok) {
        std::cerr << fmt::format("ringsnap: exit {}: the work succeeded, but the log file is incomplete: {}\n",
                                 final_code, log_file_error().value_or(""));
    }
    return final_code;
}

nlohmann::json run_summary_json(RunStatus status, const std::vector<NodeRun>& runs, bool with_steps)
{
    return nlohmann::json{
        {"status", to_string(status)}, {"exit_code", exit_code_for(status)}, {"nodes", nodes_json(runs, with_steps)}};
}

} // namespace ringsnap::cli
