// SPDX-License-Identifier: Apache-2.0
// The archive when things go wrong, on lab clusters: storage that cannot be reached (each kind),
// a node killed in the middle of its upload and the rerun that finishes, a blob deleted from the
// storage behind the catalog's back, the rclone
// configuration kept out of process lists, logs and the archive, and the handshake that keeps a
// sweep and an upload from ever running together.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ringsnap/timestamp.hpp>

#include "support/archive_lab.hpp"
#include "support/child_process.hpp"

namespace ringsnap::testing {
namespace {

std::string slurp(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& path, const std::string& text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

class ArchiveTrouble : public ArchiveLab
{
  protected:
    // An rclone for one node that says when its upload starts (a file appears), then is the
    // real one: with a bandwidth limit of 1 KiB/s on that node, the upload lasts long enough to
    // be interrupted or watched.
    std::function<void(YAML::Node&)> slow_upload_on(const std::string& node)
    {
        m_upload_started = m_lab->dir() + "/upload-started";
        auto wrapper = m_lab->dir() + "/announcing-rclone";
        write_file(wrapper, "#!/bin/sh\ncase \" $* \" in *\" copy \"*) touch '" + m_upload_started +
                                "' ;; esac\nexec rclone \"$@\"\n");
        fs::permissions(wrapper, fs::perms::owner_all);
        auto index = node.back() == '1' ? 0 : 1;
        auto dc = node.substr(0, 3);
        return [=](YAML::Node& file) {
            file["datacenters"][dc]["nodes"][index]["archive"]["rclone"] = wrapper;
            file["datacenters"][dc]["nodes"][index]["archive"]["bwlimit"] = "1k";
        };
    }

    bool wait_for_upload()
    {
        for (int i = 0; i < 600 && !fs::exists(m_upload_started); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return fs::exists(m_upload_started);
    }

    fs::path archive_root() const { return fs::path(m_store["root"].get<std::string>()) / cluster_name(); }

    // A mark as another operator host's run writes it, started `age` ago.
    static std::string mark(const std::string& what, std::chrono::hours age)
    {
        return nlohmann::json{{"what", what},
                              {"host", "ops-host-2"},
                              {"pid", 4242},
                              {"started_at", format_timestamp(now_utc() - age)},
                              {"blobs", nlohmann::json::array()}}
            .dump();
    }

    std::string m_upload_started;
};

class UnreachableStore : public ArchiveTrouble, public ::testing::WithParamInterface<std::string>
{
};

TEST_P(UnreachableStore, IsAnErrorOnEveryNodeAndTheBackupStaysWholeOnTheNodes)
{
    auto kind = GetParam();
    std::string remote_file = "/tmp/ringsnap-not-a-directory-" + std::to_string(::getpid());
    start_with_archive(kind, [&](YAML::Node& file) {
        if (kind == "local") { // a path through a regular file: nothing can be created there
            file["archive"]["remote"] = remote_file + "/archive";
        } else if (kind == "s3") {
            file["archive"]["remote"] = "labstore:no-such-bucket";
        }
    });
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    write_file(remote_file, "a file\n");
    if (kind == "sftp") {
        auto down = run_process({RINGSNAP_PYTHON, RINGSNAP_LAB, "archive", "down", "--dir", m_lab->dir()});
        ASSERT_EQ(down.exit_code, 0) << down.err;
    }
    auto taken = archived("snapshot", 1, {"--tag", "s1", "--archive"});
    fs::remove(remote_file);
    EXPECT_EQ(taken["status"], "partial") << "the snapshot is good; only its archiving failed";
    EXPECT_EQ(taken["archive"]["status"], "failed");
    ASSERT_EQ(taken["archive"]["nodes"].size(), k_nodes.size());
    for (const auto& node : taken["archive"]["nodes"]) {
        EXPECT_EQ(node["status"], "failed") << node["host"];
        ASSERT_TRUE(node["error"].is_string()) << node["host"];
        EXPECT_NE(node["error"].get<std::string>().find("rclone"), std::string::npos) << node["error"];
    }
    if (kind == "s3") {
        EXPECT_NE(taken["archive"]["nodes"][0]["error"].get<std::string>().find("NoSuchBucket"), std::string::npos)
            << taken["archive"]["nodes"][0]["error"];
    }
    EXPECT_EQ(where_of("s1"), "nodes");
    EXPECT_EQ(archived("verify", 0, {"s1"})["status"], "ok") << "nothing on the nodes changed";
    archived("restore", 2, {"s1", "--from-archive", "--yes"}); // refused in the plan: not archived
}

INSTANTIATE_TEST_SUITE_P(Storage, UnreachableStore, ::testing::Values("local", "s3", "sftp"),
                         [](const auto& kind) { return kind.param; });

TEST_F(ArchiveTrouble, ANodeKilledMidUploadLeavesThePartArchivedAndARerunFinishes)
{
    start_with_archive("local");
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    archived("snapshot", 0, {"--tag", "s1"});
    auto slow = write_cluster_variant(*m_lab, "slow-upload", [&](YAML::Node& file) {
        file["archive"]["remote"] = m_store["remote"].get<std::string>();
        file["archive"]["rclone_config"] = m_store["rclone_config"].get<std::string>();
        slow_upload_on("dc1-n2")(file);
    });
    ChildProcess run({RINGSNAP_BIN, "-c", slow, "--json", "archive", "s1"});
    ASSERT_TRUE(wait_for_upload());
    m_lab->must({"kill-host", "dc1-n2"});
    auto killed = run.wait_at_most(std::chrono::minutes(5));
    EXPECT_EQ(killed.exit_code, 1) << killed.err << killed.out;
    auto manifest = manifest_of("s1");
    EXPECT_EQ(manifest["archive"]["status"], "partial");
    for (const auto& node : manifest["nodes"]) {
        bool victim = node["host"] == lab_address(*m_lab, "dc1-n2");
        EXPECT_EQ(node["archive"]["status"], victim ? "failed" : "ok") << node["host"];
    }
    EXPECT_EQ(where_of("s1"), "nodes+archive(partial)");

    m_lab->must({"revive-host", "dc1-n2"});
    auto rerun = archived("archive", 0, {"s1"});
    EXPECT_EQ(rerun["archive"]["status"], "complete");
    EXPECT_EQ(stored_blobs(), recorded_blobs("s1"));
    // Whatever the killed upload left half-written was sent again: every blob reads back whole.
    EXPECT_EQ(archived("verify", 0, {"s1", "--archive", "--deep"})["blobs_hashed"], recorded_blobs("s1").size());
}

TEST_F(ArchiveTrouble, TheRcloneConfigurationNeverShowsInAProcessListALogOrTheArchive)
{
    std::string secret = "decoy-secret-" + std::to_string(::getpid()) + "-never-shown";
    start_with_archive("local");
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    auto config = m_lab->dir() + "/rclone-with-secret.conf";
    write_file(config, slurp(m_store["rclone_config"].get<std::string>()) +
                           "\n[decoy]\ntype = s3\naccess_key_id = AKIADECOY\nsecret_access_key = " + secret + "\n");
    archived("snapshot", 0, {"--tag", "s1"});
    auto watched = write_cluster_variant(*m_lab, "secret", [&](YAML::Node& file) {
        file["archive"]["remote"] = m_store["remote"].get<std::string>();
        file["archive"]["rclone_config"] = config;
        slow_upload_on("dc2-n1")(file);
    });
    auto log = m_lab->dir() + "/archive.log";
    std::atomic<bool> done{false};
    std::vector<std::string> process_lists;
    std::thread watcher([&] {
        while (!done) {
            process_lists.push_back(run_process({"ps", "-eo", "args"}).out);
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        }
    });
    ChildProcess run({RINGSNAP_BIN, "-c", watched, "-vv", "--log-file", log, "--json", "archive", "s1"});
    auto result = run.wait_at_most(std::chrono::minutes(5));
    done = true;
    watcher.join();
    EXPECT_EQ(result.exit_code, 0) << result.err << result.out;

    bool saw_upload = false;
    for (const auto& list : process_lists) {
        EXPECT_EQ(list.find(secret), std::string::npos) << "in a process list";
        saw_upload = saw_upload || list.find("--files-from") != std::string::npos;
    }
    EXPECT_TRUE(saw_upload) << "the watcher saw no rclone upload: it proves nothing";
    EXPECT_EQ(result.out.find(secret), std::string::npos);
    EXPECT_EQ(result.err.find(secret), std::string::npos);
    EXPECT_EQ(slurp(log).find(secret), std::string::npos) << "in the -vv log";
    EXPECT_EQ(manifest_of("s1").dump().find(secret), std::string::npos);
    for (const auto& entry : fs::recursive_directory_iterator(m_store["root"].get<std::string>())) {
        if (entry.is_regular_file()) {
            EXPECT_EQ(slurp(entry.path()).find(secret), std::string::npos) << entry.path();
        }
    }
    for (const auto& entry : fs::directory_iterator("/tmp")) {
        if (entry.path().filename().string().rfind("ringsnap-rclone.", 0) == 0 &&
            fs::exists(entry.path() / "rclone.conf")) {
            EXPECT_EQ(slurp(entry.path() / "rclone.conf").find(secret), std::string::npos) << "left on a node";
        }
    }
}

TEST_F(ArchiveTrouble, ASweepNeverRunsBesideAnUploadAndAStaleMarkBlocksNothing)
{
    start_with_archive("local");
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    archived("snapshot", 0, {"--tag", "s1", "--archive"});
    cql("INSERT INTO billing.invoices (id, amount) VALUES (6, 'EUR 60')");
    archived("snapshot", 0, {"--tag", "s2", "--archive"});
    auto both = stored_blobs();

    // Another host is archiving a backup: the sweep stops before deleting anything.
    write_file(archive_root() / "pending" / "other.json", mark("archiving other", std::chrono::hours(0)));
    auto waited = archived("clear", 1, {"--tag", "s1", "--archive"});
    ASSERT_EQ(waited["sweeps"].size(), 1U);
    auto why = waited["sweeps"][0]["error"].get<std::string>();
    EXPECT_NE(why.find("a backup is being archived"), std::string::npos) << why;
    EXPECT_NE(why.find("pid 4242 on ops-host-2"), std::string::npos) << why;
    EXPECT_EQ(stored_blobs(), both) << "nothing deleted";
    EXPECT_FALSE(fs::exists(archive_root() / "locks" / "sweep.json")) << "its mark is removed";
    fs::remove(archive_root() / "pending" / "other.json");

    // Another host is sweeping: a backup stops before uploading anything.
    write_file(archive_root() / "locks" / "sweep.json", mark("a sweep", std::chrono::hours(0)));
    cql("INSERT INTO billing.invoices (id, amount) VALUES (7, 'EUR 70')");
    auto stopped = archived("snapshot", 1, {"--tag", "s3", "--archive"});
    EXPECT_EQ(stopped["archive"]["status"], "failed");
    auto error = stopped["archive"]["nodes"][0]["error"].get<std::string>();
    EXPECT_NE(error.find("a sweep of the archive is running"), std::string::npos) << error;
    EXPECT_EQ(stored_blobs(), both) << "nothing uploaded";
    EXPECT_FALSE(fs::exists(archive_root() / "pending" / "s3.json")) << "its intent is removed";

    // A mark two days old is a run that died: it blocks nothing, and the sweep now runs.
    write_file(archive_root() / "locks" / "sweep.json", mark("a sweep", std::chrono::hours(48)));
    archived("archive", 0, {"s3"});
    auto swept = archived("clear", 0, {"--tag", "s2", "--archive"});
    EXPECT_EQ(swept["sweeps"][0]["error"], nullptr);
    EXPECT_EQ(stored_blobs(), recorded_blobs("s3"));
}

TEST_F(ArchiveTrouble, ABlobGoneFromTheArchiveIsSentAgainThoughTheCatalogSaysItIsThere)
{
    start_with_archive("local");
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    archived("snapshot", 0, {"--tag", "s1", "--archive"});
    auto lost = invoices_data_blob("s1"); // s2 holds the same SSTable: unchanged since s1
    ASSERT_TRUE(fs::remove(lost)) << lost;
    auto second = archived("snapshot", 0, {"--tag", "s2", "--archive"});
    EXPECT_EQ(second["archive"]["status"], "complete");
    EXPECT_TRUE(fs::exists(lost)) << "the confirming listing found it missing, and a holder sent it";
    EXPECT_EQ(archived("verify", 0, {"s2", "--archive", "--deep"})["problems"].size(), 0U);
}

} // namespace
} // namespace ringsnap::testing
