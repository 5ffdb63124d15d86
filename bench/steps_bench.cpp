// SPDX-License-Identifier: Apache-2.0
// Runs one command N times on every node of a cluster file through the SSH executor (one session
// per node), as an operation like snapshot does. Used by bench/exec_bench.py to compare against
// N rounds of parallel-ssh. Prints one JSON object: nodes, ok, steps, seconds.

#include <chrono>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include <ringsnap/cluster.hpp>
#include <ringsnap/ssh_executor.hpp>

int main(int argc, char** argv)
{
    if (argc != 5) {
        std::cerr << "usage: ringsnap_steps_bench CLUSTER_FILE STEPS PARALLEL COMMAND\n";
        return 2;
    }
    auto cluster = ringsnap::load_cluster_file(argv[1]);
    if (!cluster) {
        std::cerr << cluster.error().message << "\n";
        return 2;
    }
    int steps = std::stoi(argv[2]);
    int parallel = std::stoi(argv[3]);
    std::string command = argv[4];

    auto start = std::chrono::steady_clock::now();
    auto executor = ringsnap::make_ssh_executor(ringsnap::ExecutorOptions{parallel, 0, false});
    auto runs = executor->run_on_nodes(cluster->nodes, [&](ringsnap::RemoteShell& shell, std::size_t) {
        for (int step = 0; step < steps; ++step) {
            auto output = ringsnap::run_checked(shell, "step", command);
            if (!output) {
                return ringsnap::Status(output.error());
            }
        }
        return ringsnap::Status();
    });
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    int ok = 0;
    for (const auto& run : runs) {
        ok += run.ok() ? 1 : 0;
    }
    std::cout << nlohmann::json{{"nodes", runs.size()}, {"ok", ok}, {"steps", steps}, {"seconds", elapsed.count()}}
              << "\n";
    return ok == static_cast<int>(runs.size()) ? 0 : 1;
}
