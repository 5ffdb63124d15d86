// SPDX-License-Identifier: Apache-2.0
// run_together's script, run by the shells a node may have, and the parser of what it prints.

#include <ringsnap/executor.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/child_process.hpp"
#include "support/shells.hpp"

namespace ringsnap {
namespace {

std::vector<CommandOutput> run_locally(const std::string& shell, const std::vector<std::string>& commands)
{
    auto result = testing::run_process({shell, "-c", together_script(commands)});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    auto parts = split_together_output(result.out, commands.size());
    EXPECT_TRUE(parts) << parts.error().message;
    return parts ? *parts : std::vector<CommandOutput>{};
}

TEST(RunTogether, EachCommandKeepsItsOwnStreamsAndStatusInOrder)
{
    for (const auto& shell : testing::node_shells()) {
        auto parts = run_locally(shell, {"sleep 0.2; echo slow", "echo fast; echo oops >&2; exit 3", "printf ''"});
        ASSERT_EQ(parts.size(), 3U) << shell;
        EXPECT_EQ(parts[0].out, "slow\n");
        EXPECT_EQ(parts[0].exit_status, 0);
        EXPECT_EQ(parts[1].out, "fast\n");
        EXPECT_EQ(parts[1].err, "oops\n");
        EXPECT_EQ(parts[1].exit_status, 3);
        EXPECT_TRUE(parts[2].out.empty());
        EXPECT_TRUE(parts[2].succeeded());
    }
}

TEST(RunInTurn, CommandsRunOneAfterTheOtherEachWithItsStreamsStatusAndDuration)
{
    for (const auto& shell : testing::node_shells()) {
        std::string dir = testing::run_process({"mktemp", "-d"}).out;
        dir.pop_back();
        // The second sees the first's file only if the first has ended: in turn, not at once.
        std::vector<std::string> commands{"sleep 0.2; touch " + dir + "/first; echo one",
                                          "[ -e " + dir + "/first ] && echo two; echo err >&2; exit 4"};
        auto result = testing::run_process({shell, "-c", in_turn_script(commands)});
        std::filesystem::remove_all(dir);
        ASSERT_EQ(result.exit_code, 0) << shell << ": " << result.err;
        auto parts = split_together_output(result.out, 2);
        ASSERT_TRUE(parts) << parts.error().message;
        EXPECT_EQ((*parts)[0].out, "one\n");
        EXPECT_GE((*parts)[0].duration.count(), 150) << "how long it took, in ms";
        EXPECT_EQ((*parts)[1].out, "two\n") << shell;
        EXPECT_EQ((*parts)[1].err, "err\n");
        EXPECT_EQ((*parts)[1].exit_status, 4);
    }
}

TEST(RunTogether, OutputThatLooksLikeAHeaderOrHasNoNewlineStaysData)
{
    auto parts = run_locally("/bin/sh", {"printf 'ringsnap-part 0 1 1\\nx'", "printf '\\000\\377binary'"});
    ASSERT_EQ(parts.size(), 2U);
    EXPECT_EQ(parts[0].out, "ringsnap-part 0 1 1\nx");
    EXPECT_EQ(parts[1].out, std::string("\0\377binary", 8));
}

TEST(RunTogether, TheyRunAtTheSameTime)
{
    // Three commands that each wait for the others' marker files would never all finish if run
    // one after the other; `timeout` ends the shell if so.
    std::string dir = testing::run_process({"mktemp", "-d"}).out;
    dir.pop_back();
    std::vector<std::string> commands;
    for (const char* me : {"a", "b", "c"}) {
        commands.push_back("touch " + dir + "/" + me + "; for i in $(seq 50); do [ -e " + dir + "/a ] && [ -e " + dir +
                           "/b ] && [ -e " + dir + "/c ] && exit 0; sleep 0.1; done; exit 1");
    }
    auto result = testing::run_process({"timeout", "20", "/bin/sh", "-c", together_script(commands)});
    auto parts = split_together_output(result.out, 3);
    ASSERT_TRUE(parts) << parts.error().message;
    for (const auto& part : *parts) {
        EXPECT_TRUE(part.succeeded());
    }
    std::filesystem::remove_all(dir);
}

TEST(RunTogether, LeavesNoTemporaryDirectoryBehind)
{
    std::string tmp = testing::run_process({"mktemp", "-d"}).out;
    tmp.pop_back();
    auto result = testing::run_process({"env", "TMPDIR=" + tmp, "/bin/sh", "-c", together_script({"true", "false"})});
    ASSERT_EQ(result.exit_code, 0);
    EXPECT_TRUE(std::filesystem::is_empty(tmp));
    std::filesystem::remove_all(tmp);
}

TEST(RunTogether, AnOutputCutShortOrWithExtraBytesIsAParseError)
{
    std::string whole = "ringsnap-part 0 3 0\nabcringsnap-part 1 0 2\nno";
    ASSERT_TRUE(split_together_output(whole, 2));
    for (const std::string& bad :
         {whole.substr(0, whole.size() - 1), whole + "x", std::string("garbage\n"), std::string("ringsnap-part 0 3")}) {
        auto parts = split_together_output(bad, 2);
        ASSERT_FALSE(parts) << bad;
        EXPECT_EQ(parts.error().kind, ErrorKind::parse);
    }
}

TEST(RunTogether, APartThatFailedIsWordedLikeRunChecked)
{
    CommandOutput output;
    output.exit_status = 1;
    output.out = "nodetool: Failed to connect to '127.0.0.1:7199'\n";
    auto status = check_succeeded("nodetool info", output);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().message,
              "nodetool info failed (exit status 1): nodetool: Failed to connect to '127.0.0.1:7199'");
}

} // namespace
} // namespace ringsnap
