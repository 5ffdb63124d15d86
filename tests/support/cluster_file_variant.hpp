// SPDX-License-Identifier: Apache-2.0
#pragma once

// Variants of a lab's cluster file for tests that need other settings (short timeouts, another
// known_hosts), and small helpers about lab nodes.

#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>

#include <yaml-cpp/yaml.h>

#include "support/child_process.hpp"
#include "support/lab.hpp"

namespace ringsnap::testing {

// Writes <lab>/<name>.yaml: the lab's cluster file after `edit`. Returns its path.
inline std::string write_cluster_variant(const Lab& lab, const std::string& name,
                                         const std::function<void(YAML::Node&)>& edit)
{
    YAML::Node file = YAML::LoadFile(lab.cluster_file());
    edit(file);
    std::string path = lab.dir() + "/" + name + ".yaml";
    std::ofstream(path) << file << "\n";
    return path;
}

// The address of lab node `name` ("dc2-n1": the first node of dc2 in the cluster file).
inline std::string lab_address(const Lab& lab, const std::string& name)
{
    auto dash = name.find("-n");
    std::string datacenter = name.substr(0, dash);
    int position = std::stoi(name.substr(dash + 2));
    for (const auto& node : lab.nodes()) {
        if (node.datacenter == datacenter && --position == 0) {
            return node.host;
        }
    }
    throw std::runtime_error("no lab node " + name);
}

inline int count_lines(const std::string& path)
{
    std::ifstream in(path);
    int lines = 0;
    for (std::string line; std::getline(in, line);) {
        lines += line.empty() ? 0 : 1;
    }
    return lines;
}

// A copy of the lab's known_hosts in which `host`'s entries carry another, freshly made key:
// what a client sees when a node was reinstalled, or when someone sits in the middle.
inline void write_known_hosts_with_foreign_key(const Lab& lab, const std::string& host, const std::string& path)
{
    std::string key = lab.dir() + "/foreign_host_key";
    auto made = run_process({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key});
    if (made.exit_code != 0) {
        throw std::runtime_error("ssh-keygen failed: " + made.err);
    }
    std::ifstream public_key_file(key + ".pub");
    std::string type, blob;
    public_key_file >> type >> blob;
    std::ifstream in(lab.known_hosts());
    std::ofstream out(path);
    for (std::string line; std::getline(in, line);) {
        std::string name = line.substr(0, line.find(' '));
        bool is_victim = name == host || name.rfind("[" + host + "]:", 0) == 0;
        out << (is_victim ? name + " " + type + " " + blob : line) << "\n";
    }
}

} // namespace ringsnap::testing
