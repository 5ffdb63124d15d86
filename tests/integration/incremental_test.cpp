// SPDX-License-Identifier: Apache-2.0
// `ringsnap incremental` on lab clusters: chains of manifests that each hold exactly the SSTables
// flushed since the one before, a node down and catching up, prune, enable / disable / status.

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "support/backup_lab.hpp"
#include "support/cluster_file_variant.hpp"

namespace ringsnap::testing {
namespace {

using Paths = std::set<std::string>; // "<table directory>/<name>"

class IncrementalOnLab : public BackupLab
{
  protected:
    void insert(int id)
    {
        cql("INSERT INTO billing.invoices (id, amount) VALUES (" + std::to_string(id) + ", 'EUR 1')");
    }

    // The files in the backups/ directories of `node`'s billing tables, as on disk.
    Paths backups_on(const std::string& node) const
    {
        Paths paths;
        std::string keyspace = m_lab->dir() + "/nodes/" + node + "/data/billing";
        for (const auto& table : std::filesystem::directory_iterator(keyspace)) {
            auto backups = table.path() / "backups";
            if (!std::filesystem::exists(backups)) {
                continue;
            }
            for (const auto& file : std::filesystem::recursive_directory_iterator(backups)) {
                if (file.is_regular_file()) {
                    paths.insert(table.path().string() + "/" +
                                 std::filesystem::relative(file.path(), backups).string());
                }
            }
        }
        return paths;
    }

    // The files `tag` recorded for `node`, in the same form.
    Paths recorded(const std::string& tag, const std::string& node) const
    {
        Paths paths;
        auto manifest = manifest_of(tag); // kept: a range over a temporary's member would dangle
        for (const auto& entry : manifest["nodes"]) {
            if (entry["host"] != lab_address(*m_lab, node)) {
                continue;
            }
            for (const auto& table : entry["tables"]) {
                if (table["keyspace"] != "billing") {
                    continue;
                }
                for (const auto& file : table["files"]) {
                    paths.insert(table["directory"].get<std::string>() + "/" + file["name"].get<std::string>());
                }
            }
        }
        return paths;
    }

    static Paths only_in_both(const Paths& a, const Paths& b)
    {
        Paths both;
        for (const auto& path : a) {
            if (b.count(path)) {
                both.insert(path);
            }
        }
        return both;
    }
};

TEST_F(IncrementalOnLab, EachIncrementalHoldsExactlyWhatWasFlushedSinceTheOneBefore)
{
    start(1, 3, "3.11,4.1,5.0");
    run_json("incremental", 0, {"enable"});
    run_json("snapshot", 0, {"--tag", "base"}); // billing and system_schema: one flush each
    insert(101);
    auto first = run_json("incremental", 0, {"--tag", "inc-1"});
    EXPECT_EQ(first["base"], "base");
    EXPECT_TRUE(first["parent"].is_null());
    insert(102);
    auto second = run_json("incremental", 0, {"--tag", "inc-2"});
    EXPECT_EQ(second["parent"], "inc-1");

    for (const char* node : {"dc1-n1", "dc1-n2", "dc1-n3"}) {
        auto in_base = recorded("base", node);
        auto one = recorded("inc-1", node);
        auto two = recorded("inc-2", node);
        EXPECT_FALSE(one.empty()) << node;
        EXPECT_FALSE(two.empty()) << node;
        EXPECT_TRUE(only_in_both(one, two).empty()) << node;
        EXPECT_TRUE(only_in_both(one, in_base).empty()) << node << ": an SSTable of the base is not new";
        Paths all = in_base;
        all.insert(one.begin(), one.end());
        all.insert(two.begin(), two.end());
        for (const auto& path : backups_on(node)) {
            EXPECT_TRUE(all.count(path)) << node << ": " << path << " was flushed but no manifest has it";
        }
    }
    auto manifest = manifest_of("inc-2");
    EXPECT_EQ(manifest["kind"], "incremental");
    for (const auto& entry : manifest["nodes"]) {
        EXPECT_FALSE(entry["flush_at"].is_null()) << entry["host"];
        for (const auto& table : entry["tables"]) {
            for (const auto& file : table["files"]) {
                std::string path =
                    table["directory"].get<std::string>() + "/backups/" + file["name"].get<std::string>();
                EXPECT_EQ(sha256_of(path), file["sha256"]) << path;
            }
        }
    }
    run_json("verify", 0, {"inc-1"});
    auto listed = run_json("list", 0, {});
    EXPECT_EQ(listed["backups"][2]["base"], "base");
}

TEST_F(IncrementalOnLab, ANodeDownIsPartialAndTheNextIncrementalCatchesUpWhatItFlushed)
{
    start(1, 3);
    run_json("incremental", 0, {"enable"});
    run_json("snapshot", 0, {"-k", "billing", "--tag", "base"});
    insert(201);
    m_lab->must({"stop-node", "dc1-n3"}); // drains: its memtable reaches backups/ while it is down
    auto partial = run_json("incremental", 1, {"--tag", "inc-1"});
    EXPECT_EQ(partial["status"], "partial");
    EXPECT_TRUE(recorded("inc-1", "dc1-n3").empty());
    m_lab->must({"start-node", "dc1-n3"});
    run_json("incremental", 0, {"enable"}); // a restart reverts enablebackup (cassandra.yaml says false)
    run_json("incremental", 0, {"--tag", "inc-2"});
    Paths expected;
    auto in_base = recorded("base", "dc1-n3");
    for (const auto& path : backups_on("dc1-n3")) {
        if (!in_base.count(path)) {
            expected.insert(path);
        }
    }
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(recorded("inc-2", "dc1-n3"), expected);
}

TEST_F(IncrementalOnLab, PruneDeletesExactlyWhatTheManifestRecorded)
{
    start(1, 2);
    run_json("incremental", 0, {"enable"});
    run_json("snapshot", 0, {"-k", "billing", "--tag", "base"});
    insert(301);
    run_json("incremental", 0, {"--tag", "kept"});
    insert(302);
    auto before = backups_on("dc1-n1");
    auto unarchived = run_json("incremental", 2, {"--tag", "pruned", "--prune"});
    EXPECT_NE(unarchived["error"].get<std::string>().find("--archive"), std::string::npos) << unarchived;
    EXPECT_EQ(backups_on("dc1-n1"), before) << "the refusal touched nothing";
    auto report = run_json("incremental", 0, {"--tag", "pruned", "--prune", "--force"});
    EXPECT_EQ(report["pruned"].size(), 2U);
    auto pruned = recorded("pruned", "dc1-n1");
    ASSERT_FALSE(pruned.empty());
    Paths expected_left;
    for (const auto& path : before) {
        if (!pruned.count(path)) {
            expected_left.insert(path);
        }
    }
    EXPECT_EQ(backups_on("dc1-n1"), expected_left) << "only the recorded files went";
    EXPECT_FALSE(manifest_of("pruned")["nodes"][0]["pruned_at"].is_null());
    run_json("verify", 0, {"kept"});

    // Chains in clear: the base stays while its incrementals do; the newest end goes first.
    auto refused = run_json("clear", 2, {"--tag", "base"});
    EXPECT_NE(refused["error"].get<std::string>().find("kept incremental"), std::string::npos) << refused;
    run_json("clear", 2, {"--tag", "kept"}); // parent of pruned
    run_json("clear", 0, {"--tag", "pruned"});
    auto kept = recorded("kept", "dc1-n1");
    ASSERT_FALSE(only_in_both(backups_on("dc1-n1"), kept).empty());
    run_json("clear", 0, {"--tag", "kept"});
    EXPECT_TRUE(only_in_both(backups_on("dc1-n1"), kept).empty()) << "clearing an incremental deletes its files";
    run_json("clear", 0, {"--tag", "base"});
}

TEST_F(IncrementalOnLab, EnableDisableAndStatusOnMixedVersionsAndCheckSeesTheDrift)
{
    start(1, 3, "3.11,4.1,5.0");
    auto off = run_json("incremental", 0, {"status"});
    for (const auto& node : off["nodes"]) {
        EXPECT_EQ(node["backups_running"], false) << node;
        EXPECT_EQ(node["backups_in_config"], false) << node;
    }
    auto on = run_json("incremental", 0, {"enable"});
    for (const auto& node : on["nodes"]) {
        EXPECT_EQ(node["backups_running"], true) << node;
    }
    auto text = ringsnap(*m_lab, {"incremental", "enable"});
    EXPECT_NE(text.out.find("lasts until the node restarts"), std::string::npos) << text.out;
    auto check = run_json("check", 1, {}); // 1 anyway: mixed versions are a problem of their own
    EXPECT_NE(check.dump().find("they stop at the next restart"), std::string::npos) << check;
    auto disabled = run_json("incremental", 0, {"disable"});
    for (const auto& node : disabled["nodes"]) {
        EXPECT_EQ(node["backups_running"], false) << node;
    }
    EXPECT_EQ(run_json("check", 1, {}).dump().find("next restart"), std::string::npos);
}

TEST_F(IncrementalOnLab, WithoutABaseOrWithBackupsOffNothingIsPretended)
{
    start(1, 2);
    auto no_base = run_json("incremental", 2, {});
    EXPECT_NE(no_base["error"].get<std::string>().find("take one first"), std::string::npos) << no_base;
    run_json("snapshot", 0, {"-k", "billing", "--tag", "base"});
    run_json("incremental", 2, {"--base", "nope"});
    run_json("incremental", 2, {"--tag", "x", "status"});
    EXPECT_EQ(ringsnap(*m_lab, {"incremental", "--base", "../base"}).exit_code, 2);

    auto off = run_json("incremental", 3, {"--tag", "while-off"}); // backups never enabled
    for (const auto& node : off["nodes"]) {
        EXPECT_NE(node["error"].get<std::string>().find("incremental backups are off"), std::string::npos) << node;
    }
    // No node recorded anything: no manifest takes the tag or becomes the next one's parent.
    EXPECT_TRUE(off["manifest"].is_null()) << off;
    EXPECT_FALSE(std::filesystem::exists(m_lab->dir() + "/catalog/" + cluster_name() + "/manifests/while-off.json"));
    run_json("incremental", 3, {"--tag", "while-off"}); // the tag is still free (a taken one exits 2)
}

} // namespace
} // namespace ringsnap::testing
