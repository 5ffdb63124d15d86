// SPDX-License-Identifier: Apache-2.0
// The command line in-process: usage errors exit 2 before anything is touched.

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ringsnap/catalog.hpp>
#include <ringsnap/manifest_json.hpp>

#include "cli/app.hpp"
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
