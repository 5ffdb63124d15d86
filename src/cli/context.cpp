// SPDX-License-Identifier: Apache-2.0
#include "cli/context.hpp"

#include <iostream>

#include <fmt/format.h>

#include <ringsnap/ops/discover.hpp>
#include <ringsnap/ssh_executor.hpp>

namespace ringsnap::cli {

Result<Context::Selection> Context::load_and_select()
{
    if (m_options.cluster_file.empty()) {
        return make_error(ErrorKind::usage, "no cluster file: pass -c FILE or set RINGSNAP_CLUSTER");
    }
    auto cluster = load_cluster_file(m_options.cluster_file);
    if (!cluster) {
        return cluster.error();
    }
    auto nodes = select(*cluster);
    if (!nodes) {
        return nodes.error();
    }
    return Selection{std::move(*cluster), std::move(*nodes)};
}

Result<std::vector<Node>> Context::select(const Cluster& cluster)
{
    std::vector<Node> nodes = cluster.nodes;
    if (!m_options.seed.empty()) {
        auto discovered = ops::discover_topology(executor(), cluster, m_options.seed);
        if (!discovered) {
            return discovered.error();
        }
        nodes = std::move(*discovered);
    } else if (nodes.empty()) {
        return make_error(ErrorKind::config,
                          fmt::format("{} lists no data centers: add `datacenters:` or pass --seed HOST",
                                      cluster.source_file.string()));
    }
    return select_nodes(nodes, NodeSelection{m_options.datacenters, m_options.hosts});
}

Executor& Context::executor()
{
    if (!m_executor) {
        m_executor =
            make_ssh_executor(ExecutorOptions{m_options.parallel, m_options.per_dc, m_options.accept_new_host_keys});
    }
    return *m_executor;
}

int Context::refuse(const Error& error) const
{
    int code = exit_code_for(error);
    std::cerr << "ringsnap: " << error.message << "\n";
    if (m_options.json) {
        nlohmann::json json{
            {"status", "failed"}, {"exit_code", code}, {"error", error.message}, {"nodes", nlohmann::json::array()}};
        std::cout << json.dump(2) << std::endl;
    }
    return code;
}

void Context::emit(const std::string& text, const nlohmann::json& json) const
{
    if (m_options.json) {
        std::cout << json.dump(2) << std::endl;
    } else {
        std::cout << text << std::flush;
    }
}

nlohmann::json run_summary_json(RunStatus status, const std::vector<NodeRun>& runs, bool with_steps)
{
    return nlohmann::json{
        {"status", to_string(status)}, {"exit_code", exit_code_for(status)}, {"nodes", nodes_json(runs, with_steps)}};
}

} // namespace ringsnap::cli
