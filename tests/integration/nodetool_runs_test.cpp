// SPDX-License-Identifier: Apache-2.0
// How many times each verb starts nodetool on each node of a 2-DC x 3-node lab, as the nodes'
// own ~/.cassandra/nodetool.history records it (real nodetool keeps the same file). On a real
// node every run is a JVM start of a second or more of CPU and hundreds of MB of memory, so a
// verb asks a node only what the node alone knows, and ring-wide facts (who is up, releases) of
// one node per data center: at most two more runs there. The limits are those of
// docs/benchmarks.md; a change that asks more fails here.

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "support/backup_lab.hpp"

namespace ringsnap::testing {
namespace {

namespace fs = std::filesystem;

class NodetoolRuns : public BackupLab
{
  protected:
    void SetUp() override
    {
        start(2, 3);
        if (IsSkipped()) {
            return;
        }
        run_json("incremental", 0, {"enable"});
        run_json("snapshot", 0, {"--tag", "base"});
    }

    // nodetool runs per node since the last call ("dc1-n1" -> count), the histories emptied.
    std::map<std::string, int> runs_since()
    {
        std::map<std::string, int> counts;
        for (const auto& node : fs::directory_iterator(m_lab->dir() + "/nodes")) {
            auto history = node.path() / "home" / ".cassandra" / "nodetool.history";
            int lines = 0;
            if (fs::exists(history)) {
                std::ifstream in(history);
                for (std::string line; std::getline(in, line);) {
                    ++lines;
                }
                fs::remove(history);
            }
            counts[node.path().filename().string()] = lines;
        }
        return counts;
    }

    // Runs `verb` and checks every node against `per_node`, the first node of each data center
    // (which reports the ring-wide facts) against `per_node + reporter_extra`.
    void expect_at_most(const std::vector<std::string>& verb, int per_node, int reporter_extra, int exit_code = 0)
    {
        runs_since();
        auto args = verb;
        auto name = args.front();
        args.erase(args.begin());
        run_json(name, exit_code, args);
        auto counts = runs_since();
        ASSERT_EQ(counts.size(), 6U);
        for (const auto& [node, count] : counts) {
            bool reporter = node.ends_with("-n1");
            EXPECT_LE(count, per_node + (reporter ? reporter_extra : 0)) << name << " on " << node;
            if (!reporter) {
                EXPECT_GE(count, per_node == 0 ? 0 : 1) << name << " on " << node << ": asked nothing?";
            }
        }
    }
};

TEST_F(NodetoolRuns, EachVerbStaysWithinItsCountPerNode)
{
    // info -T, snapshot; the first node of each data center adds gossipinfo and status.
    expect_at_most({"snapshot", "--tag", "s1"}, 2, 2);
    // statusbackup, flush; + gossipinfo.
    expect_at_most({"incremental", "--tag", "i1"}, 2, 1);
    // info, statusbackup; + gossipinfo, status. Exit 1: enablebackup is not in cassandra.yaml.
    expect_at_most({"check"}, 2, 2, 1);
    // Files only.
    expect_at_most({"verify", "s1"}, 0, 0);
    // listsnapshots.
    expect_at_most({"list", "--live"}, 1, 0);
}

} // namespace
} // namespace ringsnap::testing
