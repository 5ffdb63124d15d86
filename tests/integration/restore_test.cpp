// SPDX-License-Identifier: Apache-2.0
// `ringsnap restore` on lab clusters of Cassandra 3.11, 4.0, 4.1 and 5.0 nodes mixed (refresh on
// 3.11, import on the others), checked row by row on every replica: truncate or not, one table,
// a dropped and recreated table, a point in time, a tampered file, nodes down or killed, colliding
// generations, and the dry run.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/cluster_file_variant.hpp"
#include "support/restore_lab.hpp"

namespace ringsnap::testing {
namespace {

namespace fs = std::filesystem;

class RestoreOnLab : public RestoreLab
{
};

TEST_F(RestoreOnLab, WithTruncateEveryReplicaHoldsExactlyTheSnapshotsRowsAgain)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    change_rows_after_the_backup();
    auto report = restore(0, {"s1", "--truncate", "--yes"});
    EXPECT_EQ(report["status"], "ok");
    EXPECT_EQ(report["restore"]["status"], "complete");
    std::set<std::string> methods;
    for (const auto& node : report["plan"]["nodes"]) {
        methods.insert(node["method"].get<std::string>() + " " + node["version"].get<std::string>().substr(0, 3));
    }
    EXPECT_EQ(methods, (std::set<std::string>{"refresh 3.1", "import 4.0", "import 4.1", "import 5.0"}));
    expect_rows_everywhere(first_rows());
    EXPECT_FALSE(staging_left());
    EXPECT_EQ(truncate_snapshots(), 0) << "TRUNCATE's snapshots are removed";
    auto restores = run_json("list", 0, {"--restores"});
    ASSERT_EQ(restores["restores"].size(), 1U);
    EXPECT_EQ(restores["restores"][0]["status"], "complete");
}

TEST_F(RestoreOnLab, WithoutTruncateNewerDeletesAndWritesWinAndThePlanSaysSo)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    change_rows_after_the_backup();
    auto report = restore(0, {"s1", "--yes"});
    bool warned = false;
    for (const auto& warning : report["plan"]["warnings"]) {
        warned = warned || warning.get<std::string>().find("without --truncate") != std::string::npos;
    }
    EXPECT_TRUE(warned);
    Rows expected = first_rows();
    expected.erase("1|EUR 10");
    expected.erase("2|EUR 20");
    expected.insert({"2|EUR 99", "6|EUR 60"});
    expect_rows_everywhere(expected);
}

TEST_F(RestoreOnLab, ATruncatedTableComesBackAlone)
{
    start_mixed();
    cql("INSERT INTO billing.customers (id, name) VALUES (1, 'Ada')");
    run_json("snapshot", 0, {"--tag", "s1"});
    cql("TRUNCATE billing.invoices");
    cql("INSERT INTO billing.customers (id, name) VALUES (2, 'Bob')");
    auto report = restore(0, {"s1", "-t", "billing.invoices", "--yes"});
    EXPECT_EQ(report["plan"]["tables"], json::array({"billing.invoices"}));
    expect_rows_everywhere(first_rows());
    auto customers =
        run_process({m_lab->dir() + "/nodes/dc1-n1/bin/cqlsh", "-e", "SELECT count(*) FROM billing.customers"});
    EXPECT_NE(customers.out.find(" 2"), std::string::npos) << "the other table is untouched: " << customers.out;
}

TEST_F(RestoreOnLab, ADroppedAndRecreatedTableGetsItsRowsIntoTheNewTable)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    cql("DROP TABLE billing.invoices");
    cql("CREATE TABLE billing.invoices (id int PRIMARY KEY, amount text)");
    auto report = restore(0, {"s1", "-t", "billing.invoices", "--yes"});
    const auto& table = report["plan"]["nodes"][0]["tables"][0];
    EXPECT_EQ(table["table"], "invoices");
    EXPECT_NE(table["live_table_id"], table["backup_table_id"]);
    expect_rows_everywhere(first_rows());
}

TEST_F(RestoreOnLab, ADroppedTableIsCreatedAgainFromSchemaCqlAndGetsItsRows)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    cql("DROP TABLE billing.invoices");
    auto report = restore(0, {"s1", "-t", "billing.invoices", "--yes"});
    EXPECT_EQ(report["restore"]["created"], json::array({"billing.invoices"}));
    const auto& table = report["plan"]["nodes"][0]["tables"][0];
    EXPECT_EQ(table["live_table_id"], table["backup_table_id"]) << "schema.cql's WITH ID: the old directory again";
    expect_rows_everywhere(first_rows());
}

TEST_F(RestoreOnLab, PointInTimeGivesTheSnapshotPlusWhatWasFlushedByThen)
{
    start_mixed();
    run_json("incremental", 0, {"enable"});
    run_json("snapshot", 0, {"--tag", "s1"});
    cql("INSERT INTO billing.invoices (id, amount) VALUES (10, 'A')");
    run_json("incremental", 0, {"--tag", "inc-1"});
    cql("INSERT INTO billing.invoices (id, amount) VALUES (11, 'B')");
    run_json("incremental", 0, {"--tag", "inc-2"});
    cql("INSERT INTO billing.invoices (id, amount) VALUES (12, 'C')");
    std::string until = manifest_of("inc-1")["finished_at"];
    auto report = restore(0, {"s1", "--until", until, "--truncate", "--yes"});
    EXPECT_EQ(report["plan"]["backups"], json::array({"s1", "inc-1"}));
    Rows expected = first_rows();
    expected.insert("10|A");
    expect_rows_everywhere(expected);

    // Restoring an incremental by its tag takes its base and the chain up to it.
    report = restore(0, {"inc-2", "--truncate", "--yes"});
    EXPECT_EQ(report["plan"]["backups"], json::array({"s1", "inc-1", "inc-2"}));
    expected.insert("11|B");
    expect_rows_everywhere(expected);
}

TEST_F(RestoreOnLab, ATamperedFileStopsTheRestoreBeforeAnyNodeChanges)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    change_rows_after_the_backup();
    // One byte changed in dc2-n1's snapshot copy only (a new inode: the live file stays intact).
    std::string victim;
    for (const auto& entry : fs::recursive_directory_iterator(m_lab->dir() + "/nodes/dc2-n1/data/billing")) {
        if (entry.path().string().find("/snapshots/s1/") != std::string::npos &&
            entry.path().string().ends_with("-Data.db")) {
            victim = entry.path().string();
        }
    }
    ASSERT_FALSE(victim.empty());
    fs::copy_file(victim, victim + ".tmp");
    {
        std::fstream file(victim + ".tmp", std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(30);
        file.put('#');
    }
    fs::rename(victim + ".tmp", victim);
    auto before = node_files();
    auto report = restore(4, {"s1", "--truncate", "--yes"});
    ASSERT_EQ(report["mismatches"].size(), 1U);
    EXPECT_NE(report["mismatches"][0].get<std::string>().find(victim), std::string::npos) << report["mismatches"];
    EXPECT_EQ(node_files(), before) << "nothing changed on any node";
    EXPECT_FALSE(staging_left());
}

TEST_F(RestoreOnLab, ANodeDownFailsAloneAndARerunCompletesIt)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    cql("TRUNCATE billing.invoices");
    m_lab->must({"stop-node", "dc1-n2"});
    auto refused = restore(2, {"s1", "--truncate", "--yes"});
    EXPECT_FALSE(refused["plan"]["refusals"].empty()) << "TRUNCATE needs every node up";

    auto first = restore(1, {"s1", "--yes"});
    EXPECT_EQ(first["restore"]["status"], "partial");
    m_lab->must({"start-node", "dc1-n2"});
    auto second = restore(0, {"s1", "--yes"});
    EXPECT_TRUE(second["resumed"].get<bool>());
    EXPECT_EQ(second["restore"]["id"], first["restore"]["id"]);
    expect_rows_everywhere(first_rows());
    EXPECT_FALSE(staging_left());
}

TEST_F(RestoreOnLab, ANodeThatCannotStageFailsAloneAndARerunCompletesIt)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    cql("TRUNCATE billing.invoices");
    std::string blocker = m_lab->dir() + "/nodes/dc2-n2/ringsnap-restore";
    std::ofstream(blocker) << "in the way\n"; // staging cannot be created there, whoever runs
    auto first = restore(1, {"s1", "--yes"});
    bool failed = false;
    for (const auto& node : first["restore"]["nodes"]) {
        if (node["host"] == lab_address(*m_lab, "dc2-n2")) {
            failed = node["tables"][0]["state"] == "failed";
        } else {
            EXPECT_EQ(node["tables"][0]["state"], "loaded") << node["host"];
        }
    }
    EXPECT_TRUE(failed);
    fs::remove(blocker);
    restore(0, {"s1", "--yes"});
    expect_rows_everywhere(first_rows());
}

TEST_F(RestoreOnLab, AHostKilledMidRestoreIsReportedTheOthersFinishAndARerunCompletesIt)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    cql("TRUNCATE billing.invoices");
    // dc2-n1's nodetool waits before loading, so the host can be killed in the middle.
    std::string slow = m_lab->dir() + "/slow-nodetool";
    std::string real = m_lab->dir() + "/nodes/dc2-n1/bin/nodetool";
    std::ofstream(slow) << "#!/bin/sh\ncase \"$*\" in *import*) sleep 20;; esac\nexec " << real << " \"$@\"\n";
    fs::permissions(slow, fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read |
                              fs::perms::group_exec | fs::perms::others_exec);
    auto address = lab_address(*m_lab, "dc2-n1");
    auto variant = write_cluster_variant(*m_lab, "slow", [&](YAML::Node& file) {
        for (auto node : file["datacenters"]["dc2"]["nodes"]) {
            if (node["host"].as<std::string>() == address) {
                node["cassandra"]["nodetool"] = slow;
            }
        }
    });
    ChildProcess run({RINGSNAP_BIN, "-c", variant, "--json", "restore", "s1", "--yes"});
    for (int i = 0; i < 300 && record_state(address) != "loading"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(record_state(address), "loading");
    m_lab->must({"kill-host", "dc2-n1"});
    auto result = run.wait();
    EXPECT_EQ(result.exit_code, 1) << result.err;
    auto report = json::parse(result.out);
    EXPECT_EQ(report["restore"]["status"], "partial");
    m_lab->must({"revive-host", "dc2-n1"});
    auto second = restore(0, {"s1", "--yes"});
    EXPECT_TRUE(second["resumed"].get<bool>());
    expect_rows_everywhere(first_rows());
}

TEST_F(RestoreOnLab, GenerationsThatCollideWithLiveOnesOverwriteNothing)
{
    start(1, 1, "3.11");
    run_json("snapshot", 0, {"--tag", "s1"});
    cql("TRUNCATE billing.invoices");
    // After a restart the 3.11 node numbers SSTables from the highest in its table directory,
    // now empty: its next flush takes the snapshot's own name (me-1) for other rows.
    m_lab->must({"stop-node", "dc1-n1"});
    m_lab->must({"start-node", "dc1-n1"});
    cql("INSERT INTO billing.invoices (id, amount) VALUES (7, 'EUR 70')");
    auto flushed = run_process({m_lab->dir() + "/nodes/dc1-n1/bin/nodetool", "flush", "--", "billing"});
    ASSERT_EQ(flushed.exit_code, 0) << flushed.err;
    std::map<std::string, std::string> live_before;
    for (const auto& entry : fs::directory_iterator(m_lab->dir() + "/nodes/dc1-n1/data/billing")) {
        if (entry.path().filename().string().rfind("invoices-", 0) == 0) {
            for (const auto& file : fs::directory_iterator(entry.path())) {
                if (file.is_regular_file()) {
                    live_before[file.path().string()] = sha256_of(file.path().string());
                }
            }
        }
    }
    ASSERT_FALSE(live_before.empty());
    restore(0, {"s1", "--yes"});
    for (const auto& [path, sha] : live_before) {
        EXPECT_TRUE(fs::exists(path) && sha256_of(path) == sha) << path << " was overwritten";
    }
    Rows expected = first_rows();
    expected.insert("7|EUR 70");
    EXPECT_EQ(select_rows("dc1-n1"), expected);
}

TEST_F(RestoreOnLab, TheDryRunPrintsThePlanAndLeavesEveryNodeUnchanged)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    change_rows_after_the_backup();
    auto before = node_files();
    auto plan = restore(0, {"s1", "--truncate", "--dry-run"});
    EXPECT_TRUE(plan["dry_run"].get<bool>());
    EXPECT_EQ(plan["plan"]["nodes"].size(), 4U);
    for (const auto& table : plan["plan"]["nodes"][0]["tables"]) {
        EXPECT_EQ(table["files"].empty(), table["table"] == "customers") << "customers holds no row, invoices five";
    }
    EXPECT_EQ(node_files(), before);
    EXPECT_FALSE(fs::exists(m_lab->dir() + "/catalog/" + cluster_name() + "/restores"));

    auto text = ringsnap(*m_lab, {"restore", "s1", "--dry-run"});
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("nodetool import -- billing invoices"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("nodetool refresh -- billing invoices"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("Dry run: nothing was changed."), std::string::npos);

    auto unconfirmed = ringsnap(*m_lab, {"restore", "s1"});
    EXPECT_EQ(unconfirmed.exit_code, 2) << "stdin is not a terminal: --yes is required";
    EXPECT_EQ(node_files(), before);
}

} // namespace
} // namespace ringsnap::testing
