// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <ringsnap/outcome.hpp>

namespace ringsnap {
namespace {

NodeRun run_of(const std::string& host, bool started, std::optional<Error> error)
{
    NodeRun run{Node{host, "dc1", "rack1", {}, {}, {}}};
    run.started = started;
    run.error = std::move(error);
    return run;
}

TEST(Summarize, AllNodesOkIsOk)
{
    std::vector<NodeRun> runs{run_of("a", true, std::nullopt), run_of("b", true, std::nullopt)};
    EXPECT_EQ(summarize(runs, false), RunStatus::ok);
    EXPECT_EQ(exit_code_for(RunStatus::ok), 0);
}

TEST(Summarize, SomeFailedIsPartialWithExitOne)
{
    std::vector<NodeRun> runs{run_of("a", true, std::nullopt),
                              run_of("b", true, make_error(ErrorKind::connect, "refused"))};
    EXPECT_EQ(summarize(runs, false), RunStatus::partial);
    EXPECT_EQ(exit_code_for(RunStatus::partial), 1);
}

TEST(Summarize, NoneSucceededIsFailedWithExitThree)
{
    std::vector<NodeRun> runs{run_of("a", true, make_error(ErrorKind::timeout, "slow")),
                              run_of("b", false, std::nullopt)};
    EXPECT_EQ(summarize(runs, false), RunStatus::failed);
    EXPECT_EQ(exit_code_for(RunStatus::failed), 3);
}

TEST(Summarize, EmptyRunIsFailed)
{
    EXPECT_EQ(summarize({}, false), RunStatus::failed);
}

TEST(Summarize, InterruptWinsWhateverFinished)
{
    std::vector<NodeRun> runs{run_of("a", true, std::nullopt)};
    EXPECT_EQ(summarize(runs, true), RunStatus::interrupted);
    EXPECT_EQ(exit_code_for(RunStatus::interrupted), 130);
}

TEST(NodesJson, CarriesHostDatacenterStatusAndError)
{
    std::vector<NodeRun> runs{run_of("a", true, std::nullopt),
                              run_of("b", true, make_error(ErrorKind::host_key, "changed"))};
    runs[1].failed_step = "host key";
    auto json = nodes_json(runs, false);
    ASSERT_EQ(json.size(), 2U);
    EXPECT_EQ(json[0]["host"], "a");
    EXPECT_EQ(json[0]["datacenter"], "dc1");
    EXPECT_EQ(json[0]["status"], "ok");
    EXPECT_TRUE(json[0]["error"].is_null());
    EXPECT_EQ(json[1]["status"], "failed");
    EXPECT_EQ(json[1]["error"], "changed");
    EXPECT_EQ(json[1]["error_kind"], "host_key");
    EXPECT_EQ(json[1]["failed_step"], "host key");
}

} // namespace
} // namespace ringsnap
