// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <ringsnap/ops/exec.hpp>
#include <ringsnap/outcome.hpp>

#include "support/fake_executor.hpp"

namespace ringsnap {
namespace {

using testing::FakeExecutor;

std::vector<Node> three_nodes()
{
    return {Node{"10.0.0.1", "dc1", "r1", {}, {}, {}}, Node{"10.0.0.2", "dc1", "r2", {}, {}, {}},
            Node{"10.0.1.1", "dc2", "r1", {}, {}, {}}};
}

TEST(ExecOperation, RunsTheCommandAsGivenOnEveryNode)
{
    FakeExecutor executor([](const Node&, const std::string&) -> Result<CommandOutput> {
        return FakeExecutor::printed("hi\n");
    });
    auto runs = ops::exec_everywhere(executor, three_nodes(), "echo hi | tr a-z A-Z");
    ASSERT_EQ(executor.commands_ran.size(), 3U);
    EXPECT_EQ(executor.commands_ran[2].first, "10.0.1.1");
    EXPECT_EQ(executor.commands_ran[2].second, "echo hi | tr a-z A-Z");
    EXPECT_EQ(summarize(runs, false), RunStatus::ok);
}

TEST(ExecOperation, NonZeroExitFailsTheNodeAndKeepsItsOutput)
{
    FakeExecutor executor([](const Node& node, const std::string&) -> Result<CommandOutput> {
        return node.host == "10.0.0.2" ? FakeExecutor::printed("partial\n", 5, "disk full\n")
                                       : FakeExecutor::printed("ok\n");
    });
    auto runs = ops::exec_everywhere(executor, three_nodes(), "work");
    EXPECT_EQ(summarize(runs, false), RunStatus::partial);
    ASSERT_TRUE(runs[1].error);
    EXPECT_EQ(runs[1].error->kind, ErrorKind::command);
    EXPECT_NE(runs[1].error->message.find("exit status 5"), std::string::npos) << runs[1].error->message;
    EXPECT_NE(runs[1].error->message.find("disk full"), std::string::npos);
    EXPECT_EQ(runs[1].failed_step, "exec");
    ASSERT_TRUE(runs[1].steps[0].output);
    EXPECT_EQ(runs[1].steps[0].output->out, "partial\n");
}

TEST(ExecOperation, UnreachableNodeFailsWithoutRunningAnything)
{
    FakeExecutor executor([](const Node&, const std::string&) -> Result<CommandOutput> {
        return FakeExecutor::printed("");
    });
    executor.unreachable.insert("10.0.0.1");
    auto runs = ops::exec_everywhere(executor, three_nodes(), "true");
    EXPECT_EQ(runs[0].error->kind, ErrorKind::connect);
    EXPECT_EQ(executor.commands_ran.size(), 2U);
    EXPECT_EQ(summarize(runs, false), RunStatus::partial);
}

TEST(ExecOperation, AChannelClosedWithoutExitStatusIsAFailureThatSaysSo)
{
    FakeExecutor executor([](const Node&, const std::string&) -> Result<CommandOutput> {
        return FakeExecutor::printed("", -1);
    });
    auto runs = ops::exec_everywhere(executor, three_nodes(), "true");
    ASSERT_TRUE(runs[0].error);
    EXPECT_NE(runs[0].error->message.find("no exit status"), std::string::npos) << runs[0].error->message;
}

TEST(ExecOperation, ATimeoutIsReportedAsSuch)
{
    FakeExecutor executor([](const Node&, const std::string&) -> Result<CommandOutput> {
        return make_error(ErrorKind::timeout, "no result within 30s");
    });
    auto runs = ops::exec_everywhere(executor, three_nodes(), "sleep 99");
    EXPECT_EQ(summarize(runs, false), RunStatus::failed);
    EXPECT_EQ(runs[0].error->kind, ErrorKind::timeout);
}

} // namespace
} // namespace ringsnap
