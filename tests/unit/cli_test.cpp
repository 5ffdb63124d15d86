// SPDX-License-Identifier: Apache-2.0
// The command line in-process: usage errors exit 2 before anything is touched.

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/app.hpp"

namespace ringsnap {
namespace {

struct CliResult
{
    int exit_code;
    std::string out;
    std::string err;
};

CliResult run_cli(std::vector<std::string> args)
{
    args.insert(args.begin(), "ringsnap");
    std::vector<char*> argv;
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    ::testing::internal::CaptureStdout();
    ::testing::internal::CaptureStderr();
    int code = cli::run(static_cast<int>(argv.size()), argv.data());
    CliResult result{code, ::testing::internal::GetCapturedStdout(), ::testing::internal::GetCapturedStderr()};
    return result;
}

std::string write_file(const std::string& name, const std::string& text)
{
    std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

TEST(CommandLine, VersionAndHelpExitZero)
{
    auto version = run_cli({"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_NE(version.out.find("ringsnap "), std::string::npos);
    auto help = run_cli({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    for (const char* verb : {"check", "exec", "snapshot", "incremental", "restore", "list", "verify", "clear"}) {
        EXPECT_NE(help.out.find(verb), std::string::npos) << verb;
    }
    EXPECT_NE(help.out.find("130 interrupted"), std::string::npos) << "exit codes belong in --help";
}

TEST(CommandLine, UnknownOptionIsAUsageError)
{
    EXPECT_EQ(run_cli({"--frobnicate", "check"}).exit_code, 2);
}

TEST(CommandLine, MissingVerbIsAUsageError)
{
    EXPECT_EQ(run_cli({}).exit_code, 2);
}

TEST(CommandLine, ParallelismOutOfRangeIsAUsageError)
{
    EXPECT_EQ(run_cli({"-j", "0", "check"}).exit_code, 2);
}

TEST(CommandLine, RestoreRefusesBadRequestsBeforeReadingAnything)
{
    struct Case
    {
        std::vector<std::string> args;
        std::string says;
    };
    for (const auto& [args, says] : std::vector<Case>{
             {{"restore"}, "say which backup to restore"},
             {{"restore", "bad/tag"}, "invalid tag"},
             {{"restore", "nightly", "--method", "restart"}, "restart and sstableloader are not available yet"},
             {{"restore", "nightly", "--until", "yesterday"}, "expected a UTC time"},
             {{"restore", "nightly", "-t", "billing"}, "billing"},
             {{"restore", "nightly", "--keep-truncate-snapshots"}, "goes with --truncate"},
             {{"restore", "--resume", "--truncate"}, "--resume continues a restore as it was first asked"},
         }) {
        auto result = run_cli(args);
        EXPECT_EQ(result.exit_code, 2) << args.back();
        EXPECT_NE(result.err.find(says), std::string::npos) << args.back() << ": " << result.err;
    }
}

TEST(CommandLine, ClearNeedsExactlyOneWayOfSayingWhat)
{
    for (std::vector<std::string> args : {std::vector<std::string>{"clear"},
                                          {"clear", "--tag", "a", "--older-than", "7d"},
                                          {"clear", "--tag", "a", "--keep", "2"}}) {
        auto result = run_cli(args);
        EXPECT_EQ(result.exit_code, 2);
        EXPECT_NE(result.err.find("--tag TAG, or --older-than DUR and/or --keep N"), std::string::npos) << result.err;
    }
}

TEST(CommandLine, ClearRefusesABadAgeCountOrTagBeforeReadingAnything)
{
    auto age = run_cli({"clear", "--older-than", "7 days"});
    EXPECT_EQ(age.exit_code, 2);
    EXPECT_NE(age.err.find("--older-than 7 days"), std::string::npos) << age.err;
    EXPECT_EQ(run_cli({"clear", "--keep", "-1"}).exit_code, 2);
    auto tag = run_cli({"clear", "--tag", "x;rm -rf /"});
    EXPECT_EQ(tag.exit_code, 2);
    EXPECT_NE(tag.err.find("tag"), std::string::npos) << tag.err;
}

TEST(CommandLine, MissingClusterFileSaysHowToGiveOne)
{
    unsetenv("RINGSNAP_CLUSTER");
    auto result = run_cli({"check"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("-c FILE or set RINGSNAP_CLUSTER"), std::string::npos) << result.err;
}

TEST(CommandLine, BadClusterFileIsAUsageErrorAndJsonSaysSo)
{
    auto path = write_file("bad-cluster.yaml", "cluster: c\nssh: {prot: 22}\n");
    auto result = run_cli({"-c", path, "--json", "exec", "true"});
    EXPECT_EQ(result.exit_code, 2);
    auto json = nlohmann::json::parse(result.out);
    EXPECT_EQ(json["status"], "failed");
    EXPECT_EQ(json["exit_code"], 2);
    EXPECT_NE(json["error"].get<std::string>().find("ssh.prot"), std::string::npos) << json;
}

TEST(CommandLine, UnknownDataCenterIsAUsageErrorNamingTheKnownOnes)
{
    auto path = write_file("two-dcs.yaml",
                           "cluster: c\ndatacenters:\n  dc1: {nodes: [10.0.0.1]}\n  dc2: {nodes: [10.0.1.1]}\n");
    auto result = run_cli({"-c", path, "--dc", "dc3", "exec", "true"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("dc1, dc2"), std::string::npos) << result.err;
}

TEST(CommandLine, ExecWithoutACommandIsAUsageError)
{
    auto path = write_file("one-dc.yaml", "cluster: c\ndatacenters:\n  dc1: {nodes: [10.0.0.1]}\n");
    EXPECT_EQ(run_cli({"-c", path, "exec"}).exit_code, 2);
    EXPECT_EQ(run_cli({"-c", path, "exec", "--"}).exit_code, 2);
}

TEST(CommandLine, UnwritableLogFileIsAUsageError)
{
    auto not_a_directory = write_file("plain-file", "x");
    auto result = run_cli({"--log-file", not_a_directory + "/ringsnap.log", "check"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("cannot write log file"), std::string::npos) << result.err;
}

} // namespace
} // namespace ringsnap
