// SPDX-License-Identifier: Apache-2.0
// The command line in-process: usage errors exit 2 before anything is touched.

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/logging.hpp>
#include <ringsnap/outcome.hpp>
#include <ringsnap/run_id.hpp>
#include <ringsnap/timestamp.hpp>

#include <ringsnap/catalog.hpp>
#include <ringsnap/manifest_json.hpp>

#include "cli/app.hpp"
#include "cli/context.hpp"
#include "support/manifest_samples.hpp"

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
             {{"restore", "nightly", "--method", "rsync"}, "expected auto, import, refresh, restart or sstableloader"},
             {{"restore", "nightly", "--target", "scratch.yaml"}, "go with --method sstableloader"},
             {{"restore", "nightly", "--compare-source"}, "it goes with --method sstableloader --target FILE"},
             {{"restore", "nightly", "--host-map", "map.txt"}, "give that cluster's file with --target FILE"},
             {{"restore", "nightly", "--target", "t.yaml", "--host-map", "map.txt", "--method", "sstableloader"},
              "no --method sstableloader"},
             {{"restore", "nightly", "--target", "t.yaml", "--host-map", "map.txt", "--compare-source"},
              "it goes with --method sstableloader"},
             {{"restore", "nightly", "--method", "sstableloader", "--loaders-per-dc", "0"}, "at least 1"},
             {{"restore", "nightly", "--rolling"}, "--rolling and --cleanup go with --method restart"},
             {{"restore", "nightly", "--method", "restart", "--start-timeout", "soon"}, "expected a duration like 10m"},
             {{"restore", "nightly", "--undo", "restore-20261130T101010Z"}, "go alone"},
             {{"restore", "--undo", "bad/id"}, "invalid tag"},
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
    auto nothing = run_cli({"clear"});
    EXPECT_EQ(nothing.exit_code, 2);
    EXPECT_NE(nothing.err.find("say what to clear: --tag TAG for one backup, or --older-than DUR and/or --keep N"),
              std::string::npos)
        << nothing.err;
    for (std::vector<std::string> args : {std::vector<std::string>{"clear", "--tag", "a", "--older-than", "1d"},
                                          {"clear", "--tag", "a", "--keep", "2"}}) {
        auto both = run_cli(args);
        EXPECT_EQ(both.exit_code, 2);
        EXPECT_NE(both.err.find("give --tag alone, or leave it out"), std::string::npos) << both.err;
    }
}

TEST(CommandLine, ClearRefusesABadAgeCountOrTagBeforeReadingAnything)
{
    auto age = run_cli({"clear", "--older-than", "7 days"});
    EXPECT_EQ(age.exit_code, 2);
    EXPECT_NE(age.err.find("--older-than: expected a duration like 30s"), std::string::npos) << age.err;
    EXPECT_NE(age.err.find("got \"7 days\""), std::string::npos) << age.err;
    EXPECT_EQ(run_cli({"clear", "--keep", "-1"}).exit_code, 2);
    auto everything = run_cli({"clear", "--keep", "0"});
    EXPECT_EQ(everything.exit_code, 2);
    EXPECT_NE(everything.err.find("--keep 0 without --older-than would clear every backup"), std::string::npos)
        << everything.err;
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

// --- every exit: one rule for interrupts, one JSON object, short clear messages -----------------

// A cluster whose one node refuses connections at once (port 1 of the loopback), with its
// catalog in a fresh directory.
std::string refusing_cluster(const std::string& name)
{
    auto catalog = std::filesystem::path(::testing::TempDir()) / (name + "-catalog");
    std::filesystem::remove_all(catalog);
    return write_file(name + ".yaml", "cluster: c\ncatalog: " + catalog.string() +
                                          "\nssh: {port: 1, connect_retries: 0}\n"
                                          "datacenters:\n  dc1: {nodes: [127.0.0.1]}\n");
}

// Runs with Ctrl-C already pressed, and releases it after.
CliResult run_interrupted(std::vector<std::string> args)
{
    request_cancel();
    auto result = run_cli(std::move(args));
    reset_cancel();
    return result;
}

TEST(CommandLine, InterruptedRunExitsOneHundredThirtyWhateverThePhase)
{
    auto cluster = refusing_cluster("interrupted");
    auto seedless = write_file("interrupted-seed.yaml", "cluster: c\nssh: {port: 1, connect_retries: 0}\n");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-c", seedless, "--seed", "127.0.0.1", "check"}, // in topology discovery
             {"-c", cluster, "snapshot", "--dry-run"},         // in the survey before the plan
             {"-c", cluster, "snapshot"},
             {"-c", cluster, "check"},
         }) {
        auto text = run_interrupted(args);
        EXPECT_EQ(text.exit_code, 130) << args.back() << ": " << text.err;
        EXPECT_NE(text.err.find("interrupted"), std::string::npos) << text.err;
        auto with_json = args;
        with_json.insert(with_json.begin(), "--json");
        auto json_run = run_interrupted(with_json);
        EXPECT_EQ(json_run.exit_code, 130);
        auto json = nlohmann::json::parse(json_run.out);
        EXPECT_EQ(json["status"], "interrupted") << json;
        EXPECT_EQ(json["exit_code"], 130) << json;
    }
}

// Ctrl-C while the cluster file is being opened (a FIFO nobody writes blocks there): the open
// fails with EINTR, and that too is an interrupt, not a bad file.
TEST(CommandLine, InterruptWhileOpeningTheClusterFileExitsOneHundredThirty)
{
    auto fifo = std::filesystem::path(::testing::TempDir()) / "cluster-fifo.yaml";
    std::filesystem::remove(fifo);
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    pid_t main_thread = gettid();
    pthread_t main_handle = pthread_self();
    std::atomic<bool> run_done{false};
    std::atomic<bool> signalled{false};
    // Sends SIGINT to the main thread once it sits in open(2) (/proc says which system call; three
    // polls in a row rule out the quick opens of other files), never before: a signal before it
    // would leave nothing to interrupt. If that never happens, opening the FIFO for writing
    // releases the reader, so the test cannot hang.
    std::thread interrupter([&] {
        std::string syscall_file = fmt::format("/proc/self/task/{}/syscall", main_thread);
        int seen_in_open = 0;
        for (int polls = 0; polls < 10000 && !run_done; ++polls) {
            std::ifstream in(syscall_file);
            std::string number;
            in >> number;
            bool in_open = number == std::to_string(SYS_openat) || number == std::to_string(SYS_open);
            seen_in_open = in_open ? seen_in_open + 1 : 0;
            if (seen_in_open == 3) {
                signalled = true;
                pthread_kill(main_handle, SIGINT);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK); writer >= 0) {
            ::close(writer);
        }
    });
    auto result = run_cli({"--json", "-c", fifo.string(), "list"});
    run_done = true;
    interrupter.join();
    reset_cancel();
    std::filesystem::remove(fifo);
    if (!signalled) { // the reader refused the FIFO without opening it: nothing to interrupt
        EXPECT_EQ(result.exit_code, 2) << result.err;
        EXPECT_NE(result.err.find(fifo.string()), std::string::npos) << result.err;
        return;
    }
    EXPECT_EQ(result.exit_code, 130) << result.err;
    EXPECT_EQ(nlohmann::json::parse(result.out)["status"], "interrupted") << result.out;
}

TEST(CommandLine, ListTouchesNoNodeSoNeverReachesTheSeed)
{
    // The seed refuses connections: reaching it would end in exit 3.
    auto cluster = refusing_cluster("list-seed");
    auto result = run_cli({"-c", cluster, "--seed", "127.0.0.1", "list"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("No backups in the catalog."), std::string::npos) << result.out;
    EXPECT_EQ(run_cli({"-c", cluster, "--seed", "127.0.0.1", "list", "--restores"}).exit_code, 0);
    // --live works on the nodes, so it does reach the seed.
    EXPECT_EQ(run_cli({"-c", cluster, "--seed", "127.0.0.1", "list", "--live"}).exit_code, 3);
}

TEST(CommandLine, WithJsonEveryExitPrintsExactlyOneObject)
{
    auto cluster = refusing_cluster("json-exits");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--json", "verify"},                                   // a missing positional
             {"--json", "bogusverb"},                                // an unknown verb
             {"bogusverb", "--json"},                                //
             {"-c", "a.yaml", "-c", "b.yaml", "--json", "list"},     // an option given twice
             {"--json", "-j", "0", "check"},                         // a validator
             {"--json", "--frobnicate", "check"},                    // an unknown option
             {"--json", "-c", "/nonexistent/cluster.yaml", "check"}, // refused by the verb
             {"--json", "--log-file", "/nonexistent/dir/log", "list"},
         }) {
        auto result = run_cli(args);
        EXPECT_EQ(result.exit_code, 2) << args[1];
        nlohmann::json json;
        ASSERT_NO_THROW(json = nlohmann::json::parse(result.out)) << "not one JSON object: " << result.out;
        EXPECT_EQ(json["status"], "failed") << json;
        EXPECT_EQ(json["exit_code"], 2) << json;
        EXPECT_FALSE(json["error"].get<std::string>().empty()) << json;
    }
    auto help = run_cli({"--json", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(nlohmann::json::parse(help.out)["help"].get<std::string>().find("snapshot"), std::string::npos);
}

TEST(CommandLine, UnknownVerbIsNamedWithTheVerbsThereAre)
{
    auto result = run_cli({"bogusverb"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("\"bogusverb\" is not a verb; the verbs are check, exec, snapshot"), std::string::npos)
        << result.err;
    EXPECT_NE(run_cli({"snapsht"}).err.find("(did you mean snapshot?)"), std::string::npos);
    EXPECT_NE(run_cli({}).err.find("say what to do: ringsnap [OPTIONS] VERB"), std::string::npos);
}

TEST(CommandLine, NumbersOutOfRangeSayTheRange)
{
    auto keep = run_cli({"clear", "--keep", "-3"});
    EXPECT_EQ(keep.exit_code, 2);
    EXPECT_NE(keep.err.find("--keep: expected a whole number from 0 to 1000000, got \"-3\""), std::string::npos)
        << keep.err;
    auto parallel = run_cli({"-j", "many", "check"});
    EXPECT_NE(parallel.err.find("expected a whole number from 1 to 4096, got \"many\""), std::string::npos)
        << parallel.err;
}

TEST(CommandLine, OptionGivenTwiceSaysGiveItOnce)
{
    auto result = run_cli({"-c", "a.yaml", "-c", "b.yaml", "list"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("--cluster was given 2 times; give it once"), std::string::npos) << result.err;
}

TEST(CommandLine, EmptyValuesAreRefusedNotTakenForTheDefault)
{
    auto cluster = refusing_cluster("empty-values");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-c", cluster, "snapshot", "--tag", ""},
             {"-c", cluster, "incremental", "--tag", "", "--base", ""},
             {"-c", cluster, "clear", "--older-than", ""},
             {"-c", cluster, "--seed", "", "check"},
             {"-c", cluster, "--log-file", "", "list"},
             {"-c", cluster, "exec", "--", ""},
             {"-c", "", "list"},
         }) {
        auto result = run_cli(args);
        EXPECT_EQ(result.exit_code, 2) << args[args.size() - 2];
        EXPECT_NE(result.err.find("the value is empty"), std::string::npos) << result.err;
    }
    auto blank = run_cli({"-c", cluster, "exec", "--", " "});
    EXPECT_EQ(blank.exit_code, 2);
    EXPECT_NE(blank.err.find("exec needs a command"), std::string::npos) << blank.err;
}

TEST(CommandLine, IncrementalSwitchesTakeNoOptionOfABackup)
{
    auto cluster = refusing_cluster("switch-options");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-c", cluster, "incremental", "status", "--force"},
             {"-c", cluster, "incremental", "enable", "--prune"},
             {"-c", cluster, "incremental", "disable", "--tag", "t1"},
         }) {
        auto result = run_cli(args);
        EXPECT_EQ(result.exit_code, 2) << args.back();
        EXPECT_NE(result.err.find("takes no --tag, --base, --archive, --prune or --force"), std::string::npos)
            << result.err;
    }
}

TEST(CommandLine, HugeValuesAreCutInEveryMessage)
{
    std::string huge(10 * 1024 * 1024, 'x');
    auto cluster = refusing_cluster("huge-values");
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"-c", cluster, "snapshot", "--tag", huge}, // our own check
             {"-c", cluster, "clear", "--older-than", huge},
             {"-j", huge, "check"},                         // a validator
             {"-c", cluster, "list", huge},                 // CLI11's "not expected"
             {huge},                                        // an unknown verb
             {"-c", cluster, "--dc", huge, "exec", "true"}, // the selection
         }) {
        auto result = run_cli(args);
        EXPECT_EQ(result.exit_code, 2);
        EXPECT_LT(result.err.size(), 1000u) << result.err.substr(0, 1000);
    }
    auto in_file = write_file("huge-value.yaml", "cluster: " + huge + "\n");
    auto result = run_cli({"-c", in_file, "list"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_LT(result.err.size(), 1000u) << result.err.substr(0, 1000);
}

// --- the log file ----------------------------------------------------------------------------

TEST(CommandLine, LogFileInAMissingDirectoryIsRefusedAndNothingIsCreated)
{
    auto missing = std::filesystem::path(::testing::TempDir()) / "no-such-log-dir";
    std::filesystem::remove_all(missing);
    auto result = run_cli({"--log-file", (missing / "sub" / "ringsnap.log").string(), "list"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("the directory \"" + (missing / "sub").string() + "\" does not exist"), std::string::npos)
        << result.err;
    EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(CommandLine, LogFileThatCannotBeWrittenIsRefused)
{
    auto cluster = refusing_cluster("dev-full");
    auto result = run_cli({"-c", cluster, "--log-file", "/dev/full", "list"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("cannot write log file \"/dev/full\": No space left on device"), std::string::npos)
        << result.err;
}

TEST(LogFile, AWriteErrorDuringTheRunIsSaidOnceAndTheRunIsNotASuccess)
{
    auto path = std::filesystem::path(::testing::TempDir()) / "short-log.log";
    std::filesystem::remove(path);
    ASSERT_TRUE(init_logging(LogSettings{.verbosity = Verbosity::quiet, .file = path}));
    // The disk fills up under the open log: its descriptor now writes to /dev/full.
    int full = ::open("/dev/full", O_WRONLY);
    ASSERT_GE(full, 0);
    bool replaced = false;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        if (std::filesystem::read_symlink(entry.path(), ec) == path) {
            replaced = ::dup2(full, std::stoi(entry.path().filename().string())) >= 0;
        }
    }
    ::close(full);
    ASSERT_TRUE(replaced);
    ::testing::internal::CaptureStderr();
    spdlog::debug("a line");
    spdlog::debug("and another one");
    std::string err = ::testing::internal::GetCapturedStderr();

    ASSERT_TRUE(log_file_error().has_value());
    EXPECT_NE(err.find("cannot write log file \"" + path.string() + "\": No space left on device"), std::string::npos)
        << err;
    EXPECT_EQ(err.find("cannot write log file", err.find("cannot write log file") + 1), std::string::npos)
        << "said more than once: " << err;
    cli::GlobalOptions options;
    cli::Context context(options);
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(context.finish(exit_code::ok), exit_code::partial);
    EXPECT_NE(::testing::internal::GetCapturedStderr().find("the log file is incomplete"), std::string::npos);
    ASSERT_TRUE(init_logging(LogSettings{.verbosity = Verbosity::quiet})); // let the file go
}

std::vector<std::string> lines_of(const std::filesystem::path& path)
{
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        lines.push_back(line);
    }
    return lines;
}

TEST(LogFile, RotatesBeforeALineWouldCrossItsSizeAndKeepsTheNewestFiles)
{
    auto dir = std::filesystem::path(::testing::TempDir()) / "rotating";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto path = dir / "ringsnap.log";
    ASSERT_TRUE(
        init_logging(LogSettings{.verbosity = Verbosity::quiet, .file = path, .max_file_bytes = 400, .kept_files = 2}));
    for (int i = 0; i < 40; ++i) {
        spdlog::debug("line {:02}", i);
    }
    ASSERT_TRUE(init_logging(LogSettings{.verbosity = Verbosity::quiet}));
    EXPECT_FALSE(log_file_error());
    std::vector<std::string> kept;
    for (const char* suffix : {".2", ".1", ""}) {
        auto file = dir / ("ringsnap.log" + std::string(suffix));
        ASSERT_TRUE(std::filesystem::exists(file)) << file;
        EXPECT_LE(std::filesystem::file_size(file), 400U) << file;
        for (const auto& line : lines_of(file)) {
            EXPECT_NE(line.find(" run=" + this_run_id() + " "), std::string::npos) << line;
            kept.push_back(line.substr(line.rfind(' ') + 1));
        }
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "ringsnap.log.3")) << "two rotated files kept";
    ASSERT_FALSE(kept.empty());
    EXPECT_EQ(kept.back(), "39") << "the newest line is in the file itself";
    for (std::size_t i = 1; i < kept.size(); ++i) {
        EXPECT_EQ(std::stoi(kept[i]), std::stoi(kept[i - 1]) + 1) << "oldest first, none missing in between";
    }
}

TEST(LogFile, JsonLinesCarryTimeLevelRunIdHostAndMessage)
{
    auto path = std::filesystem::path(::testing::TempDir()) / "json.log";
    std::filesystem::remove(path);
    ASSERT_TRUE(init_logging(LogSettings{.verbosity = Verbosity::quiet, .file = path, .format = LogFormat::json}));
    spdlog::info("[10.0.1.11] done in 12 ms");
    spdlog::warn("no host here");
    ASSERT_TRUE(init_logging(LogSettings{.verbosity = Verbosity::quiet}));
    auto lines = lines_of(path);
    ASSERT_EQ(lines.size(), 3U) << "the opening line, then ours";
    auto node = nlohmann::json::parse(lines[1]);
    EXPECT_EQ(node["level"], "info");
    EXPECT_EQ(node["run_id"], this_run_id());
    EXPECT_EQ(node["host"], "10.0.1.11");
    EXPECT_EQ(node["message"], "done in 12 ms");
    EXPECT_TRUE(parse_timestamp(node["time"].get<std::string>())) << node;
    auto plain = nlohmann::json::parse(lines[2]);
    EXPECT_FALSE(plain.contains("host"));
    EXPECT_EQ(plain["level"], "warning");
    EXPECT_EQ(plain["message"], "no host here");
}

TEST(CommandLine, LogOptionsAreChecked)
{
    auto cluster = refusing_cluster("log-options");
    for (std::vector<std::string> bad :
         {std::vector<std::string>{"--log-format", "xml"}, std::vector<std::string>{"--log-max-size", "lots"},
          std::vector<std::string>{"--log-keep", "0"}}) {
        std::vector<std::string> args{"-c", cluster};
        args.insert(args.end(), bad.begin(), bad.end());
        args.emplace_back("list");
        auto result = run_cli(args);
        EXPECT_EQ(result.exit_code, 2) << bad[0] << ": " << result.err;
        EXPECT_NE(result.err.find(bad[0]), std::string::npos) << result.err;
    }
}

TEST(CommandLine, AClusterFileThatIsNoRegularFileIsRefusedWithoutReadingIt)
{
    auto result = run_cli({"-c", "/dev/zero", "list"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("cannot read cluster file /dev/zero: it is a character device, not a regular file"),
              std::string::npos)
        << result.err;
}

// A catalog on disk for the verbs that read it, with its cluster file.
class CatalogCommandLine : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_cluster_file = m_dir.path() / "cluster.yaml";
        write_cluster_file(m_dir.path() / "catalog");
    }

    void write_cluster_file(const std::filesystem::path& catalog) const
    {
        testing::write_text(m_cluster_file, "cluster: prod-main\ncatalog: " + catalog.string() +
                                                "\ndatacenters:\n  dc1: {nodes: [10.0.1.11]}\n");
    }

    Catalog catalog() const { return *Catalog::open(m_dir.path() / "catalog", "prod-main"); }

    // A manifest saved, then edited as a file: `edit` gets its JSON.
    void save(const Manifest& manifest, const std::function<void(ManifestJson&)>& edit = {}) const
    {
        auto path = catalog().save(manifest);
        ASSERT_TRUE(path) << path.error().message;
        if (edit) {
            auto json = ManifestJson::parse(testing::read_text(*path));
            edit(json);
            testing::write_text(*path, json.dump(2));
        }
    }

    CliResult run(std::vector<std::string> args) const
    {
        args.insert(args.begin(), {"-c", m_cluster_file.string()});
        return run_cli(std::move(args));
    }

    testing::TempDir m_dir;
    std::filesystem::path m_cluster_file;
};

TEST_F(CatalogCommandLine, CompleteGivesTheShellVerbsOptionsTagsDataCentersAndHosts)
{
    save(testing::sample_manifest("nightly-1"));
    auto words = [&](std::vector<std::string> args) {
        args.insert(args.begin(), "complete");
        auto result = run(args);
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return result.out;
    };
    auto verbs = words({"verbs"});
    EXPECT_NE(verbs.find("snapshot\n"), std::string::npos) << verbs;
    EXPECT_EQ(verbs.find("complete"), std::string::npos) << "hidden, like in --help";
    auto options = words({"options", "clear"});
    EXPECT_NE(options.find("--older-than\n"), std::string::npos) << options;
    EXPECT_NE(options.find("--metrics-file\n"), std::string::npos) << "the global ones too";
    EXPECT_EQ(words({"tags"}), "nightly-1\n");
    EXPECT_EQ(words({"datacenters"}), "dc1\n");
    EXPECT_EQ(words({"hosts"}), "10.0.1.11\n");
}

TEST_F(CatalogCommandLine, ACatalogThatCannotBeUsedIsAConfigurationErrorNamingTheSetting)
{
    write_cluster_file("/dev/null");
    for (auto args : {std::vector<std::string>{"list"}, std::vector<std::string>{"clear", "--tag", "x"}}) {
        auto result = run(args);
        EXPECT_EQ(result.exit_code, 2) << args.front() << ": " << result.err;
        EXPECT_NE(result.err.find("catalog /dev/null: "), std::string::npos) << result.err;
        EXPECT_NE(result.err.find("the cluster file's `catalog:` setting"), std::string::npos) << result.err;
    }
}

TEST_F(CatalogCommandLine, ABadManifestExitsTwoWhateverTheVerbAndWhicheverPartIsBad)
{
    // Bad in its nodes (which list does not read) and bad in its header.
    save(testing::sample_manifest("bad-nodes"),
         [](ManifestJson& json) { json["nodes"][0]["tables"][0]["files"][0]["sha256"] = "zz"; });
    save(testing::sample_manifest("bad-header"), [](ManifestJson& json) {
        json["tag"] = "b\xc3\xa4"
                      "d";
    });
    auto path_of = [&](const char* tag) { return (catalog().manifests_directory() / tag).string() + ".json"; };
    for (const char* tag : {"bad-nodes", "bad-header"}) {
        for (auto args : {std::vector<std::string>{"verify", tag}, std::vector<std::string>{"clear", "--tag", tag}}) {
            auto result = run(args);
            EXPECT_EQ(result.exit_code, 2) << args.front() << " " << tag << ": " << result.err;
            EXPECT_NE(result.err.find(path_of(tag)), std::string::npos) << result.err;
        }
    }
    auto retention = run({"clear", "--older-than", "1d"});
    EXPECT_EQ(retention.exit_code, 2) << retention.err;
    EXPECT_NE(retention.err.find(path_of("bad-header")), std::string::npos) << retention.err;

    auto list = run({"list"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_NE(list.out.find("1 problem(s) in the catalog"), std::string::npos) << list.out;
    EXPECT_NE(list.out.find(path_of("bad-header") + ": tag: expected a name of [A-Za-z0-9_.-]"), std::string::npos)
        << list.out;
    EXPECT_NE(list.out.find("found \"b\xc3\xa4"
                            "d\""),
              std::string::npos)
        << "whole characters: " << list.out;
}

TEST_F(CatalogCommandLine, ListReportsImpossibleChainsAndEntriesThatAreNoFiles)
{
    save(testing::sample_manifest("s1"));
    Manifest looped = testing::sample_manifest("i1", "2026-11-24T02:00:00.000Z");
    looped.kind = BackupKind::incremental;
    looped.base = "i1";
    save(looped);
    std::filesystem::create_directory(catalog().manifests_directory() / "dir.json");
    auto text = run({"list"});
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("2 problem(s) in the catalog"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("i1: impossible chain: it names itself as its base"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("dir.json: it is a directory, not a regular file"), std::string::npos) << text.out;

    auto json_result = run({"--json", "list"});
    auto json = nlohmann::json::parse(json_result.out);
    ASSERT_EQ(json["problems"].size(), 2U) << json;
    EXPECT_EQ(json["problems"][1]["subject"], "i1");
}

} // namespace
} // namespace ringsnap
