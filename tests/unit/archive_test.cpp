// SPDX-License-Identifier: Apache-2.0
// The archive's pure parts: paths and commands (no secret on a command line), what rclone prints,
// and which node sends which blob; and the upload's staging script, run here with and without perl.

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include <ringsnap/ops/archive.hpp>

#include "ops/archive_steps.hpp"

namespace ringsnap {
namespace {

namespace steps = ops::archive_steps;

const std::string k_sha_a(64, 'a');
const std::string k_sha_b(64, 'b');
const std::string k_sha_c(64, 'c');

Node archived_node(const std::string& remote)
{
    Node node;
    node.host = "n1";
    node.archive.remote = remote;
    node.archive.rclone_config = "/etc/ringsnap/rclone.conf";
    node.archive.bwlimit = "10M";
    return node;
}

TEST(ArchiveSteps, RootsAndPathsFollowTheDocumentedLayout)
{
    EXPECT_EQ(steps::archive_root(archived_node("s3store:bucket"), "prod"), "s3store:bucket/prod");
    EXPECT_EQ(steps::archive_root(archived_node("s3store:"), "prod"), "s3store:prod");
    EXPECT_EQ(steps::archive_root(archived_node("/mnt/backup/"), "prod"), "/mnt/backup/prod");
    EXPECT_EQ(steps::blob_path(k_sha_a), "blobs/aa/" + k_sha_a);
    EXPECT_EQ(steps::manifest_path("nightly-1"), "manifests/nightly-1.json");
}

TEST(ArchiveSteps, TheConfigTravelsOnStdinWithItsLengthNeverOnTheCommandLine)
{
    std::string config = "[s3store]\ntype = s3\nsecret_access_key = SECRET\n";
    EXPECT_EQ(steps::rclone_input(config, "x\n"), std::to_string(config.size()) + "\n" + config + "x\n");
    auto node = archived_node("s3store:bucket");
    auto command = steps::upload_command(node, "s3store:bucket/prod");
    EXPECT_EQ(command.find("SECRET"), std::string::npos);
    EXPECT_NE(command.find("--size-only"), std::string::npos) << "a truncated leftover is sent again";
    EXPECT_NE(command.find("--no-traverse"), std::string::npos);
    EXPECT_NE(command.find("--bwlimit 10M"), std::string::npos);
    EXPECT_NE(command.find("env -u AWS_CA_BUNDLE"), std::string::npos);
    EXPECT_NE(command.find("umask 077"), std::string::npos);
}

TEST(ArchiveSteps, NoCommandEverCreatesABucket)
{
    auto node = archived_node("s3store:bucket");
    for (const auto& command :
         {steps::upload_command(node, "s3store:bucket/prod"), steps::put_command(node, "s3store:bucket/prod", "x.json"),
          steps::delete_command(node, "s3store:bucket/prod"),
          steps::download_command(node, "s3store:bucket/prod", "/d")}) {
        EXPECT_NE(command.find("--s3-no-check-bucket"), std::string::npos) << command;
    }
}

TEST(ArchiveSteps, TheUploadLogSaysWhatWasSentWhatFailedAndWhatWasGone)
{
    std::string err = "{\"level\":\"info\",\"msg\":\"Copied (new)\",\"object\":\"blobs/aa/" + k_sha_a + "\"}\n" +
                      "{\"level\":\"info\",\"msg\":\"Copied (replaced existing)\",\"object\":\"blobs/bb/" + k_sha_b +
                      "\"}\n" + "{\"level\":\"error\",\"msg\":\"NoSuchBucket: no bucket\",\"object\":\"x\"}\n" +
                      "2026/11/30 09:32:05 Failed to copy: NoSuchBucket\n";
    auto log = steps::parse_upload_log("ringsnap-missing /data/ks/t/snapshots/s/nb-1-big-Data.db\n", err);
    EXPECT_EQ(log.sent, (std::vector<std::string>{"blobs/aa/" + k_sha_a, "blobs/bb/" + k_sha_b}));
    ASSERT_EQ(log.errors.size(), 2U);
    EXPECT_NE(log.errors[0].find("NoSuchBucket"), std::string::npos);
    EXPECT_NE(log.errors[1].find("Failed to copy"), std::string::npos) << "plain-text fatal lines are kept";
    EXPECT_EQ(log.missing, (std::vector<std::string>{"/data/ks/t/snapshots/s/nb-1-big-Data.db"}));
}

TEST(ArchiveSteps, AnErrorRcloneSpreadsOverLinesIsOneLineWithItsReason)
{
    std::string err = "{\"level\":\"error\",\"msg\":\"Failed to copy: NoSuchBucket: gone\\n\\tstatus code: 404\"}\n"
                      "2026/12/01 03:51:42 Failed to rcat: NoSuchBucket: The specified bucket does not exist\n"
                      "\tstatus code: 404, request id: , host id: \n";
    auto log = steps::parse_upload_log("", err);
    ASSERT_EQ(log.errors.size(), 2U);
    EXPECT_EQ(log.errors[0], "Failed to copy: NoSuchBucket: gone status code: 404");
    EXPECT_EQ(log.errors[1], "Failed to rcat: NoSuchBucket: The specified bucket does not exist status code: 404, "
                             "request id: , host id:");
    EXPECT_EQ(steps::describe_failure(1, err).substr(steps::describe_failure(1, err).find(": Failed") + 2),
              log.errors[1]);
}

TEST(ArchiveSteps, ListingsAndHashesAreParsedAndS3sStandInForAnAbsentKeyIsNoFile)
{
    auto sizes = steps::parse_sizes(R"([{"Path":"blobs/aa/a","Size":12,"IsDir":false},)"
                                    R"({"Path":"blobs/bb/b","Size":-1,"IsDir":true}])");
    ASSERT_TRUE(sizes);
    EXPECT_EQ(*sizes, (std::map<std::string, std::uint64_t>{{"blobs/aa/a", 12}}));
    EXPECT_FALSE(steps::parse_sizes("Failed to lsjson"));
    auto listing = steps::parse_listing("12 aa/" + k_sha_a + "\n0 bb/" + k_sha_b + "\n");
    ASSERT_TRUE(listing);
    EXPECT_EQ(listing->at("aa/" + k_sha_a), 12U);
    EXPECT_FALSE(steps::parse_listing("twelve aa/x\n"));
    auto hashes = steps::parse_hashes(k_sha_b + "  blobs/aa/" + k_sha_a + "\n");
    ASSERT_TRUE(hashes);
    EXPECT_EQ(hashes->at("blobs/aa/" + k_sha_a), k_sha_b);
    EXPECT_FALSE(steps::parse_hashes("short  x\n"));
}

Manifest manifest_with(const std::vector<std::vector<std::pair<std::string, std::uint64_t>>>& node_files)
{
    Manifest manifest;
    manifest.cluster = "prod";
    manifest.tag = "s1";
    for (std::size_t n = 0; n < node_files.size(); ++n) {
        NodeEntry node;
        node.host = "n" + std::to_string(n);
        node.status = NodeStatus::ok;
        TableEntry table{"ks", "t", std::string(32, '0'), "/data/ks/t-" + std::string(32, '0'), {}, {}, {}};
        for (const auto& [sha, size] : node_files[n]) {
            table.files.push_back({sha.substr(0, 8) + "-Data.db", size, sha, {}, {}});
        }
        node.tables.push_back(table);
        manifest.nodes.push_back(node);
    }
    return manifest;
}

TEST(ArchiveSteps, RclonesVersionIsReadFromItsFirstLine)
{
    EXPECT_EQ(steps::parse_rclone_version("rclone v1.60.1-DEV\n- os/version: debian 12.5\n"), (std::pair{1, 60}));
    EXPECT_EQ(steps::parse_rclone_version("rclone v1.9.0\n"), (std::pair{1, 9}));
    EXPECT_FALSE(steps::parse_rclone_version("sh: rclone: not found\n"));
    EXPECT_FALSE(steps::parse_rclone_version("- os/version: x\nrclone v1.60.1\n")) << "only the first line";
    EXPECT_FALSE(steps::parse_rclone_version("rclone v99999999999999999999.1\n")) << "no overflow";
}

namespace fs = std::filesystem;

struct Staged
{
    std::string list;                         // $d/list
    std::map<std::string, std::string> links; // blobs/xx/<sha> -> its target
};

// Runs `script` with /bin/sh, $d being `dir` and $d/input holding `input`; returns what it
// printed, then "s=<$s>". `without_perl` leaves only mkdir and ln on the PATH, so the shell
// loops run instead of perl.
std::string run_script(const fs::path& dir, const std::string& script, const std::string& input, bool without_perl)
{
    fs::create_directories(dir / "bin");
    std::ofstream(dir / "input") << input;
    std::ofstream(dir / "run.sh") << "d='" << dir.string() << "'; " << script << "; echo \"s=$s\"\n";
    std::string path = "/usr/bin:/bin";
    if (without_perl) {
        fs::create_symlink("/bin/mkdir", dir / "bin" / "mkdir");
        fs::create_symlink("/bin/ln", dir / "bin" / "ln");
        path = (dir / "bin").string();
    }
    auto out = dir / "out";
    EXPECT_EQ(
        std::system(("env PATH=" + path + " /bin/sh " + (dir / "run.sh").string() + " > " + out.string()).c_str()), 0);
    std::stringstream printed;
    printed << std::ifstream(out).rdbuf();
    return printed.str();
}

Staged stage(const fs::path& dir, const std::string& input, bool without_perl)
{
    run_script(dir, steps::stage_blobs_script(), input, without_perl);
    Staged staged;
    std::stringstream list;
    list << std::ifstream(dir / "list").rdbuf();
    staged.list = list.str();
    for (const auto& entry : fs::recursive_directory_iterator(dir / "blobs")) {
        if (entry.is_symlink()) {
            staged.links[entry.path().lexically_relative(dir).string()] = fs::read_symlink(entry.path()).string();
        }
    }
    return staged;
}

TEST(ArchiveSteps, StagingLinksEachBlobUnderItsNameWithPerlOrWithoutAlike)
{
    auto root = fs::temp_directory_path() / ("ringsnap-stage-test-" + std::to_string(::getpid()));
    fs::create_directories(root / "src");
    std::ofstream(root / "src" / "a-Data.db") << "a";
    std::ofstream(root / "src" / "b with space-Data.db") << "b";
    auto a = (root / "src" / "a-Data.db").string();
    auto b = (root / "src" / "b with space-Data.db").string();
    std::string input =
        k_sha_a + " " + a + "\n" + k_sha_b + " " + b + "\n" + k_sha_a + " " + a + "\n" + k_sha_c + " /gone/c-Data.db\n";
    auto with_perl = stage(root / "perl", input, false);
    auto with_shell = stage(root / "shell", input, true);
    EXPECT_EQ(with_perl.list, "blobs/aa/" + k_sha_a + "\nblobs/bb/" + k_sha_b + "\nblobs/aa/" + k_sha_a +
                                  "\nringsnap-missing /gone/c-Data.db\n");
    EXPECT_EQ(with_perl.links,
              (std::map<std::string, std::string>{{"blobs/aa/" + k_sha_a, a}, {"blobs/bb/" + k_sha_b, b}}));
    EXPECT_EQ(with_shell.list, with_perl.list);
    EXPECT_EQ(with_shell.links, with_perl.links);
    fs::remove_all(root);
}

// A restore's download: blobs hard-linked under their staged names, with perl or without alike.
TEST(ArchiveSteps, DownloadedBlobsAreHardLinkedWhereTheStagingWantsThem)
{
    auto root = fs::temp_directory_path() / ("ringsnap-link-test-" + std::to_string(::getpid()));
    for (bool without_perl : {false, true}) {
        auto dir = root / (without_perl ? "shell" : "perl");
        auto download = dir / "download";
        fs::create_directories(download / "blobs" / "aa");
        fs::create_directories(download / "blobs" / "bb");
        std::ofstream(download / "blobs" / "aa" / k_sha_a) << "a";
        std::ofstream(download / "blobs" / "bb" / k_sha_b) << "b";
        auto stage = dir / "stage";
        fs::create_directories(stage);
        std::ofstream(stage / "kept-Data.db") << "already staged";
        std::string input = k_sha_a + " " + (stage / "ks" / "t-1" / "a-Data.db").string() + "\n" + k_sha_b + " " +
                            (stage / "b with space-Data.db").string() + "\n" + k_sha_a + " " +
                            (stage / "kept-Data.db").string() + "\n" + k_sha_c + " " + (stage / "c-Data.db").string() +
                            "\n";
        auto printed = run_script(dir, steps::link_blobs_script(download.string()), input, without_perl);
        EXPECT_EQ(printed, "ringsnap-missing blobs/cc/" + k_sha_c + "\ns=1\n") << "without perl: " << without_perl;
        EXPECT_TRUE(fs::equivalent(stage / "ks" / "t-1" / "a-Data.db", download / "blobs" / "aa" / k_sha_a));
        EXPECT_TRUE(fs::equivalent(stage / "b with space-Data.db", download / "blobs" / "bb" / k_sha_b));
        std::stringstream kept;
        kept << std::ifstream(stage / "kept-Data.db").rdbuf();
        EXPECT_EQ(kept.str(), "already staged") << "a staged file is never replaced";
        EXPECT_FALSE(fs::exists(stage / "c-Data.db"));
    }
    fs::remove_all(root);
}

TEST(PlanUploads, EachContentTheArchiveLacksIsSentOnceByOneNodeHoldingIt)
{
    // a is on both nodes, b only on n0, c only on n1; the archive already has b.
    auto manifest = manifest_with({{{k_sha_a, 100}, {k_sha_b, 10}}, {{k_sha_a, 100}, {k_sha_c, 50}}});
    auto groups = ops::plan_uploads(manifest, {{0, "r:prod"}, {1, "r:prod"}}, {{"r:prod", {k_sha_b}}});
    ASSERT_EQ(groups.size(), 1U);
    const auto& group = groups[0];
    EXPECT_EQ(group.blobs.size(), 3U) << "the confirmation checks every blob, sent or not";
    std::size_t sends_a = 0;
    for (const auto& [node, uploads] : group.uploads) {
        sends_a += uploads.count(k_sha_a);
        EXPECT_FALSE(uploads.count(k_sha_b)) << "the archive holds it";
    }
    EXPECT_EQ(sends_a, 1U);
    ASSERT_TRUE(group.uploads.count(1));
    EXPECT_TRUE(group.uploads.at(1).count(k_sha_c));
    EXPECT_EQ(group.uploads.at(1).at(k_sha_c),
              "/data/ks/t-" + std::string(32, '0') + "/snapshots/s1/" + k_sha_c.substr(0, 8) + "-Data.db");
}

TEST(PlanUploads, NodesOfOtherRootsAreOtherGroupsAndSendTheirOwnCopies)
{
    auto manifest = manifest_with({{{k_sha_a, 100}}, {{k_sha_a, 100}}});
    auto groups = ops::plan_uploads(manifest, {{0, "dc1:prod"}, {1, "dc2:prod"}}, {});
    ASSERT_EQ(groups.size(), 2U);
    for (const auto& group : groups) {
        EXPECT_EQ(group.uploads.size(), 1U) << group.root;
    }
}

TEST(ArchiveStatus, AFailedArchiveLeavesAGoodBackupPartialNotFailed)
{
    ops::ArchiveOutcome archive;
    archive.status = RunStatus::failed;
    EXPECT_EQ(ops::with_archive(RunStatus::ok, archive), RunStatus::partial);
    archive.status = RunStatus::ok;
    EXPECT_EQ(ops::with_archive(RunStatus::partial, archive), RunStatus::partial);
    EXPECT_EQ(ops::with_archive(RunStatus::ok, archive), RunStatus::ok);
}

} // namespace
} // namespace ringsnap
