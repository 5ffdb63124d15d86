// SPDX-License-Identifier: Apache-2.0
// Per-call concurrency limits: the NodeQueue both executors share, and the fake executor running
// nodes at once under them.

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/node_queue.hpp"
#include "support/fake_executor.hpp"

namespace ringsnap {
namespace {

using testing::FakeExecutor;

std::vector<Node> two_dcs_three_racks()
{
    std::vector<Node> nodes;
    for (const char* dc : {"dc1", "dc2"}) {
        for (const char* rack : {"r1", "r1", "r2", "r3"}) {
            nodes.push_back(Node{fmt::format("{}-{}-{}", dc, rack, nodes.size()), dc, rack, {}, {}, {}});
        }
    }
    return nodes;
}

TEST(Concurrency, TighterTakesTheStricterLimitOfEachKind)
{
    auto limits = tighter(Concurrency{8, 0, 2}, Concurrency{32, 3, 0});
    EXPECT_EQ(limits.parallel, 8);
    EXPECT_EQ(limits.per_dc, 3);
    EXPECT_EQ(limits.per_rack, 2);
}

TEST(NodeQueue, HandsOutNodesInOrderWithoutLimits)
{
    auto nodes = two_dcs_three_racks();
    NodeQueue queue(nodes, {});
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        EXPECT_EQ(queue.take(), i);
    }
    EXPECT_FALSE(queue.take());
}

TEST(NodeQueue, SkipsNodesOfAFullRackAndComesBackForThem)
{
    auto nodes = two_dcs_three_racks(); // dc1: r1, r1, r2, r3
    NodeQueue queue(nodes, Concurrency{0, 0, 1});
    EXPECT_EQ(queue.take(), 0U);
    EXPECT_EQ(queue.take(), 2U); // node 1 shares rack r1 with node 0, which runs
    EXPECT_EQ(queue.take(), 3U);
    queue.release(0);
    EXPECT_EQ(queue.take(), 1U);
}

// Counts, per data center and per rack, the most jobs that ever ran at the same time.
class Overlap
{
  public:
    void enter(const Node& node)
    {
        std::lock_guard lock(m_mutex);
        m_most_dc[node.datacenter] = std::max(m_most_dc[node.datacenter], ++m_now_dc[node.datacenter]);
        auto rack = node.datacenter + "/" + node.rack;
        m_most_rack[rack] = std::max(m_most_rack[rack], ++m_now_rack[rack]);
    }
    void leave(const Node& node)
    {
        std::lock_guard lock(m_mutex);
        --m_now_dc[node.datacenter];
        --m_now_rack[node.datacenter + "/" + node.rack];
    }
    int most_in_a_dc() const { return most(m_most_dc); }
    int most_in_a_rack() const { return most(m_most_rack); }

  private:
    static int most(const std::map<std::string, int>& counts)
    {
        int top = 0;
        for (const auto& [key, count] : counts) {
            top = std::max(top, count);
        }
        return top;
    }
    std::mutex m_mutex;
    std::map<std::string, int> m_now_dc, m_now_rack, m_most_dc, m_most_rack;
};

Status one_step(RemoteShell& shell, std::size_t)
{
    auto output = shell.run("step", "true");
    return output ? Status{} : Status(output.error());
}

// Runs one 30 ms step on every node with 8 workers under `limits`; returns who overlapped.
struct TimedRun
{
    explicit TimedRun(const Concurrency& limits)
        : fake([this](const Node& node, const std::string&) -> Result<CommandOutput> {
              overlap.enter(node);
              std::this_thread::sleep_for(std::chrono::milliseconds(30));
              overlap.leave(node);
              return FakeExecutor::printed("");
          })
    {
        fake.workers = 8;
        runs = fake.run_on_nodes(two_dcs_three_racks(), one_step, limits);
    }
    Overlap overlap;
    FakeExecutor fake;
    std::vector<NodeRun> runs;
};

TEST(FakeExecutor, RunsNodesAtOnceWithinThePerCallLimits)
{
    TimedRun free({});
    EXPECT_GT(free.fake.most_at_once, 2) << "without limits, nodes run at once";

    TimedRun per_dc(Concurrency{0, 1, 0});
    EXPECT_EQ(per_dc.overlap.most_in_a_dc(), 1);
    EXPECT_EQ(per_dc.fake.most_at_once, 2); // one in each data center
    EXPECT_TRUE(std::all_of(per_dc.runs.begin(), per_dc.runs.end(), [](const NodeRun& run) { return run.ok(); }));

    TimedRun per_rack(Concurrency{0, 0, 1});
    EXPECT_EQ(per_rack.overlap.most_in_a_rack(), 1);
    EXPECT_GT(per_rack.overlap.most_in_a_dc(), 1);

    TimedRun parallel(Concurrency{3, 0, 0});
    EXPECT_LE(parallel.fake.most_at_once, 3);
    EXPECT_EQ(parallel.fake.limits_seen.front().parallel, 3);
}

} // namespace
} // namespace ringsnap
