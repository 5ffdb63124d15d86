// SPDX-License-Identifier: Apache-2.0
// `ringsnap clear` on lab clusters: by tag, by age, by count; a node down leaves the manifest
// for the next run; snapshots the catalog does not know are never touched.

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "support/backup_lab.hpp"
#include "support/cluster_file_variant.hpp"

namespace ringsnap::testing {
namespace {

class ClearOnLab : public BackupLab
{
  protected:
    std::string manifest_path(const std::string& tag) const
    {
        return m_lab->dir() + "/catalog/" + cluster_name() + "/manifests/" + tag + ".json";
    }

    bool in_catalog(const std::string& tag) const { return std::filesystem::exists(manifest_path(tag)); }

    // Makes a backup look `days` old, as if it had been taken then.
    void age(const std::string& tag, int days) const
    {
        nlohmann::ordered_json manifest;
        {
            std::ifstream in(manifest_path(tag));
            manifest = nlohmann::ordered_json::parse(in);
        }
        std::string year = std::to_string(2000 + 20 - days); // years stand in for days: older is older
        manifest["started_at"] = year + "-01-01T00:00:00.000Z";
        std::ofstream(manifest_path(tag)) << manifest.dump(2);
    }
};

TEST_F(ClearOnLab, ByTagClearsEveryNodeOfEveryVersionAndTheCatalogEntry)
{
    start(2, 3, "3.11,4.1,5.0");
    run_json("snapshot", 0, {"--tag", "old"});
    run_json("snapshot", 0, {"--tag", "new"});
    ASSERT_GT(snapshot_dirs("old"), 6);
    auto report = run_json("clear", 0, {"--tag", "old"});
    EXPECT_EQ(report["status"], "ok");
    EXPECT_EQ(report["cleared"][0]["nodes_cleared"], 6);
    EXPECT_EQ(report["cleared"][0]["manifest_removed"], true);
    EXPECT_EQ(snapshot_dirs("old"), 0);
    EXPECT_FALSE(in_catalog("old"));
    EXPECT_GT(snapshot_dirs("new"), 6) << "the other snapshot is untouched";
    EXPECT_TRUE(in_catalog("new"));
    run_json("clear", 2, {"--tag", "old"}); // gone: nothing to clear, said plainly
}

TEST_F(ClearOnLab, ByAgeAndByCountClearOnlyCatalogBackups)
{
    start(1, 2);
    for (const char* tag : {"d1", "d2", "d3", "d4"}) {
        run_json("snapshot", 0, {"-k", "billing", "--tag", tag});
    }
    age("d1", 10);
    age("d2", 9);
    auto foreign = run_process({m_lab->dir() + "/nodes/dc1-n1/bin/nodetool", "snapshot", "-t", "by-hand", "billing"});
    ASSERT_EQ(foreign.exit_code, 0) << foreign.err;

    run_json("clear", 0, {"--older-than", "7d"});
    EXPECT_FALSE(in_catalog("d1"));
    EXPECT_FALSE(in_catalog("d2"));
    EXPECT_EQ(snapshot_dirs("d1") + snapshot_dirs("d2"), 0);
    EXPECT_TRUE(in_catalog("d3"));

    run_json("clear", 0, {"--keep", "1"});
    EXPECT_FALSE(in_catalog("d3"));
    EXPECT_EQ(snapshot_dirs("d3"), 0);
    EXPECT_TRUE(in_catalog("d4"));
    EXPECT_GT(snapshot_dirs("d4"), 0);
    EXPECT_GT(snapshot_dirs("by-hand"), 0) << "a snapshot the catalog does not know is never cleared";

    auto nothing = run_json("clear", 0, {"--keep", "1"});
    EXPECT_TRUE(nothing["cleared"].empty());
}

TEST_F(ClearOnLab, ANodeDownKeepsTheManifestUntilAnotherRunFinishes)
{
    start(1, 3);
    run_json("snapshot", 0, {"--tag", "stubborn"});
    m_lab->must({"stop-node", "dc1-n3"});
    auto report = run_json("clear", 1, {"--tag", "stubborn"});
    EXPECT_EQ(report["status"], "partial");
    EXPECT_EQ(report["cleared"][0]["nodes_cleared"], 2);
    EXPECT_EQ(report["cleared"][0]["manifest_removed"], false);
    EXPECT_TRUE(in_catalog("stubborn"));
    EXPECT_GT(snapshot_dirs("stubborn"), 0) << "the stopped node still holds its part";

    m_lab->must({"start-node", "dc1-n3"});
    run_json("clear", 0, {"--tag", "stubborn"});
    EXPECT_FALSE(in_catalog("stubborn"));
    EXPECT_EQ(snapshot_dirs("stubborn"), 0);
}

TEST_F(ClearOnLab, DryRunListsWhatWouldGoAndChangesNothing)
{
    start(1, 2);
    run_json("snapshot", 0, {"--tag", "rehearsed"});
    auto result = ringsnap(*m_lab, {"clear", "--older-than", "0s", "--dry-run"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("rehearsed"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("clearsnapshot -t rehearsed"), std::string::npos) << result.out;
    EXPECT_TRUE(in_catalog("rehearsed"));
    EXPECT_GT(snapshot_dirs("rehearsed"), 0);
}

TEST_F(ClearOnLab, AManifestRecordingADirectoryOutsideTheDataDirsIsRefusedAndNothingIsDeleted)
{
    // An edited incremental manifest points a table at a look-alike directory elsewhere; clear
    // would run `rm -f -- <directory>/backups/<name>` there. The shape is valid, the place is not.
    start(1, 2);
    run_json("incremental", 0, {"enable"});
    run_json("snapshot", 0, {"-k", "billing", "--tag", "base"});
    cql("INSERT INTO billing.invoices (id, amount) VALUES (7, 'EUR 1')");
    run_json("incremental", 0, {"--tag", "inc"});
    nlohmann::ordered_json manifest;
    {
        std::ifstream in(manifest_path("inc"));
        manifest = nlohmann::ordered_json::parse(in);
    }
    auto& table = manifest["nodes"][0]["tables"][0];
    std::string real = table["directory"];
    std::string victim = m_lab->dir() + "/victim" + real.substr(real.find("/billing/"));
    std::filesystem::create_directories(victim + "/backups");
    for (const auto& file : table["files"]) {
        std::ofstream(victim + "/backups/" + file["name"].get<std::string>()) << "precious";
    }
    table["directory"] = victim;
    std::ofstream(manifest_path("inc")) << manifest.dump(2);

    for (bool dry_run : {true, false}) {
        std::vector<std::string> args{"--json", "clear", "--tag", "inc"};
        if (dry_run) {
            args.push_back("--dry-run");
        }
        auto result = ringsnap(*m_lab, args);
        EXPECT_EQ(result.exit_code, 2) << result.out; // a manifest that breaks a rule: fix the input
        auto report = nlohmann::json::parse(result.out);
        std::string error = report["error"];
        EXPECT_NE(error.find("manifest inc"), std::string::npos) << error;
        EXPECT_NE(error.find("not <data_dir>/billing"), std::string::npos) << error;
    }
    for (const auto& file : table["files"]) {
        EXPECT_TRUE(std::filesystem::exists(victim + "/backups/" + file["name"].get<std::string>()));
        EXPECT_TRUE(std::filesystem::exists(real + "/backups/" + file["name"].get<std::string>()))
            << "a refused manifest clears nothing, not even its good parts";
    }
    EXPECT_TRUE(in_catalog("inc"));
}

TEST_F(ClearOnLab, AnUnreadableManifestStopsRetentionUntilItIsMovedOrForced)
{
    start(1, 2);
    run_json("snapshot", 0, {"-k", "billing", "--tag", "good"});
    std::ofstream(manifest_path("broken")) << "{\"format\": \"ringsnap-manifest\", \"trunc";
    auto refused = run_json("clear", 2, {"--older-than", "0s"});
    EXPECT_NE(refused["error"].get<std::string>().find("broken.json"), std::string::npos) << refused;
    EXPECT_TRUE(in_catalog("good"));
    run_json("clear", 0, {"--older-than", "0s", "--force"});
    EXPECT_FALSE(in_catalog("good"));
}

} // namespace
} // namespace ringsnap::testing
