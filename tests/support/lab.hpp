// SPDX-License-Identifier: Apache-2.0
#pragma once

// A lab cluster for one test suite: `tests/lab/lab up` in a fresh directory, `down` at the end.
// Everything else (stopping a node, freezing a host) goes through the same launcher, so the
// tests use the lab exactly as an operator would use a real cluster.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <ringsnap/cluster.hpp>

#include "support/child_process.hpp"

namespace ringsnap::testing {

class Lab
{
  public:
    // Starts `dcs` x `nodes_per_dc` nodes; `versions` as for `lab up --versions` ("" = default);
    // `extra` more options of `lab up` (--tokens-from DIR).
    Lab(int dcs, int nodes_per_dc, const std::string& versions = "", const std::vector<std::string>& extra = {})
    {
        char pattern[] = "/tmp/ringsnap-itest-XXXXXX";
        m_dir = mkdtemp(pattern);
        std::vector<std::string> args{"up", "--dcs", std::to_string(dcs), "--nodes", std::to_string(nodes_per_dc)};
        if (!versions.empty()) {
            args.insert(args.end(), {"--versions", versions});
        }
        args.insert(args.end(), extra.begin(), extra.end());
        auto result = run(args);
        if (result.exit_code != 0) {
            throw std::runtime_error("lab up failed: " + result.err + result.out);
        }
    }
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;
    ~Lab() { run({"down"}); }

    // Runs the launcher on this lab.
    ProcessResult run(std::vector<std::string> args) const
    {
        args.insert(args.begin(), {RINGSNAP_PYTHON, RINGSNAP_LAB});
        args.insert(args.begin() + 3, {"--dir", m_dir});
        return run_process(args);
    }
    void must(const std::vector<std::string>& args) const
    {
        auto result = run(args);
        ASSERT_EQ(result.exit_code, 0) << "lab " << args.front() << ": " << result.err << result.out;
    }

    const std::string& dir() const { return m_dir; }
    std::string cluster_file() const { return m_dir + "/cluster.yaml"; }
    std::string known_hosts() const { return m_dir + "/ssh/known_hosts"; }

    std::vector<Node> nodes() const
    {
        auto cluster = load_cluster_file(cluster_file());
        if (!cluster) {
            throw std::runtime_error(cluster.error().message);
        }
        return cluster->nodes;
    }

    // Whether this machine can run a lab at all (sshd and ssh-keygen present).
    static std::string missing_prerequisite()
    {
        for (const char* tool : {"/usr/sbin/sshd", "/usr/bin/ssh-keygen"}) {
            if (!std::filesystem::exists(tool)) {
                return std::string(tool) + " is not installed (Debian: openssh-server, openssh-client)";
            }
        }
        return {};
    }

  private:
    std::string m_dir;
};

// Runs the ringsnap executable with the lab's cluster file.
inline ProcessResult ringsnap(const Lab& lab, std::vector<std::string> args, const std::string& cluster_file = "")
{
    args.insert(args.begin(), {RINGSNAP_BIN, "-c", cluster_file.empty() ? lab.cluster_file() : cluster_file});
    return run_process(args);
}

} // namespace ringsnap::testing
