// SPDX-License-Identifier: Apache-2.0
// 256 nodes (4 data centers x 64, each a real sshd): exec, check, snapshot, verify and list
// --live end with every node ok, each in at most 64 MiB of memory. The file descriptors (one
// socket per node, its session kept for a verb's later phases) fit because the executor raises
// its soft limit to the hard one; handshakes are paced (at most 24 in flight), so no sshd's
// MaxStartups or agent is overrun. docs/benchmarks.md gives the figures of a run.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/lab.hpp"

namespace ringsnap::testing {
namespace {

constexpr long k_memory_budget_kib = 64 * 1024;

TEST(Scale, TwoHundredFiftySixNodesEndOkWithinTheMemoryBudget)
{
    if (auto missing = Lab::missing_prerequisite(); !missing.empty()) {
        GTEST_SKIP() << missing;
    }
    Lab lab(4, 64);
    ASSERT_EQ(lab.nodes().size(), 256U);
    for (const auto& verb : std::vector<std::vector<std::string>>{{"exec", "--", "true"},
                                                                  {"check"},
                                                                  {"snapshot", "--tag", "wide"},
                                                                  {"verify", "wide"},
                                                                  {"list", "--live"}}) {
        std::vector<std::string> args{"--json", "-q"};
        args.insert(args.end(), verb.begin(), verb.end());
        auto result = ringsnap(lab, args);
        ASSERT_EQ(result.exit_code, 0) << verb.front() << ": " << result.err.substr(0, 2000);
        auto report = nlohmann::json::parse(result.out);
        ASSERT_EQ(report["nodes"].size(), 256U) << verb.front();
        for (const auto& node : report["nodes"]) {
            EXPECT_EQ(node["status"], "ok") << verb.front() << " on " << node["host"] << ": " << node.dump();
        }
        EXPECT_LE(result.peak_rss_kib, k_memory_budget_kib)
            << verb.front() << " peaked at " << result.peak_rss_kib << " KiB";
    }
}

} // namespace
} // namespace ringsnap::testing
