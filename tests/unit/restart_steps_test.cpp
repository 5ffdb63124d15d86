// SPDX-License-Identifier: Apache-2.0
// The shell scripts of a restore by restart, run for real by /bin/sh on a directory tree shaped
// like a node's: the live files go aside, the backup's take their place, and --undo brings the
// live ones back, every step safe to run twice (a rerun after a crash).

#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "ops/restart_steps.hpp"
#include "ops/restore_steps.hpp"
#include "support/child_process.hpp"

namespace ringsnap::ops {
namespace {

namespace fs = std::filesystem;

class RestartSteps : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_root = fs::temp_directory_path() / ("ringsnap-restart-steps-" + std::to_string(::getpid()));
        fs::remove_all(m_root);
        m_data = (m_root / "data").string();
        m_table = m_data + "/ks/t-0123456789abcdef0123456789abcdef";
        m_commitlog = (m_root / "commitlog").string();
        node.host = "n1";
        node.cassandra.data_dirs = std::vector<std::string>{m_data};
        write(m_table + "/nb-7-big-Data.db", "live 7");
        write(m_table + "/nb_txn_compaction_1.log", "txn");
        write(m_table + "/.idx/nb-7-big-Data.db", "index");
        write(m_table + "/snapshots/s1/nb-1-big-Data.db", "backup 1");
        write(m_table + "/backups/nb-5-big-Data.db", "incremental 5");
        write(m_commitlog + "/CommitLog-7-1.log", "segment");

        plan.node = node;
        plan.staging_roots = {restore_steps::staging_root(m_data, "r1", 0)};
        table.keyspace = "ks";
        table.table = "t";
        table.live_id = "0123456789abcdef0123456789abcdef";
        table.live_dirs = {m_table};
        std::string stage = plan.staging_roots[0] + "/s1/ks/t";
        table.files.push_back(
            {"nb-1-big-Data.db", 8, "", "s1", m_table + "/snapshots/s1/nb-1-big-Data.db", stage + "/nb-1-big-Data.db"});
        fs::create_directories(stage);
        fs::create_hard_link(table.files[0].source, table.files[0].staged);
    }
    void TearDown() override { fs::remove_all(m_root); }

    static void write(const std::string& path, const std::string& text)
    {
        fs::create_directories(fs::path(path).parent_path());
        std::ofstream(path) << text;
    }

    static std::string read(const std::string& path)
    {
        std::ifstream in(path);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    static void run_all(const std::vector<std::string>& commands)
    {
        for (const auto& command : commands) {
            auto result = testing::run_process({"/bin/sh", "-c", command});
            ASSERT_EQ(result.exit_code, 0) << result.err << "\n" << command;
        }
    }

    std::set<std::string> files_in(const std::string& dir) const
    {
        std::set<std::string> names;
        for (const auto& entry : fs::directory_iterator(dir)) {
            names.insert(entry.path().filename().string());
        }
        return names;
    }

    void quarantine() { run_all(restart_steps::quarantine_commands(node, plan, "r1", {&table}, m_commitlog)); }
    void place() { run_all(restart_steps::place_commands(node, plan, {&table})); }
    void undo(bool placed) { run_all({restart_steps::undo_command(node, m_commitlog, "r1", placed)}); }

    Node node;
    NodePlan plan;
    TablePlan table;
    fs::path m_root;
    std::string m_data, m_table, m_commitlog;
};

TEST_F(RestartSteps, TheLiveFilesGoAsideAndTheBackupsTakeTheirPlaceKeepingSnapshotsAndBackups)
{
    quarantine();
    quarantine(); // a rerun moves nothing twice
    EXPECT_EQ(files_in(m_table), (std::set<std::string>{"snapshots", "backups"}));
    EXPECT_TRUE(fs::is_empty(m_commitlog));
    auto kept = restart_steps::quarantine_root(m_data, "r1", 0) + "/ks/" + fs::path(m_table).filename().string();
    EXPECT_EQ(files_in(kept), (std::set<std::string>{"nb-7-big-Data.db", "nb_txn_compaction_1.log", ".idx"}));
    place();
    place();
    EXPECT_EQ(read(m_table + "/nb-1-big-Data.db"), "backup 1");
    EXPECT_TRUE(fs::equivalent(m_table + "/nb-1-big-Data.db", m_table + "/snapshots/s1/nb-1-big-Data.db"));
    EXPECT_EQ(read(m_table + "/backups/nb-5-big-Data.db"), "incremental 5");
}

TEST_F(RestartSteps, UndoPutsTheLiveFilesBackAndSetsTheBackupsAsideAndASecondUndoDoesNothing)
{
    quarantine();
    place();
    write(m_commitlog + "/CommitLog-7-2.log", "written since the start");
    undo(true);
    undo(true);
    EXPECT_EQ(read(m_table + "/nb-7-big-Data.db"), "live 7");
    EXPECT_EQ(read(m_table + "/.idx/nb-7-big-Data.db"), "index");
    EXPECT_FALSE(fs::exists(m_table + "/nb-1-big-Data.db")) << "the backup's file went aside";
    EXPECT_EQ(read(m_commitlog + "/CommitLog-7-1.log"), "segment");
    EXPECT_FALSE(fs::exists(m_commitlog + "/CommitLog-7-2.log"));
    auto undone = restore_steps::staging_base(m_data) + "/r1/undone";
    EXPECT_EQ(read(undone + "/d0/ks/" + fs::path(m_table).filename().string() + "/nb-1-big-Data.db"), "backup 1");
    EXPECT_EQ(read(restore_steps::staging_base(m_commitlog) + "/r1/undone/commitlog/CommitLog-7-2.log"),
              "written since the start");
    EXPECT_EQ(read(m_table + "/snapshots/s1/nb-1-big-Data.db"), "backup 1");

    run_all({restart_steps::remove_quarantine_command(node, m_commitlog, "r1")});
    EXPECT_FALSE(fs::exists(restore_steps::staging_base(m_data) + "/r1/quarantine"));
    EXPECT_EQ(read(m_table + "/nb-7-big-Data.db"), "live 7");
}

TEST_F(RestartSteps, UndoOfAQuarantineCutShortOnlyBringsBackWhatMoved)
{
    // As if the quarantine stopped after one file: the others are still in the table directory.
    auto kept = restart_steps::quarantine_root(m_data, "r1", 0) + "/ks/" + fs::path(m_table).filename().string();
    fs::create_directories(kept);
    fs::rename(m_table + "/nb-7-big-Data.db", kept + "/nb-7-big-Data.db");
    undo(false);
    EXPECT_EQ(read(m_table + "/nb-7-big-Data.db"), "live 7");
    EXPECT_EQ(read(m_table + "/nb_txn_compaction_1.log"), "txn") << "left where it was, not set aside";
}

TEST_F(RestartSteps, StagedCopiesArePlacedAndAStrangerOfTheSameNameIsRefused)
{
    // As --from-archive stages them: files of their own, not links of a snapshot.
    fs::remove(table.files[0].staged);
    write(table.files[0].staged, "backup 1");
    quarantine();
    place();
    EXPECT_EQ(read(m_table + "/nb-1-big-Data.db"), "backup 1");
    EXPECT_FALSE(fs::exists(table.files[0].staged)) << "moved, not copied";
    write(table.files[0].staged, "backup 1"); // downloaded again by a rerun: the same bytes
    place();

    write(table.files[0].staged, "backup 1");
    write(m_table + "/nb-1-big-Data.db", "someone else's");
    auto commands = restart_steps::place_commands(node, plan, {&table});
    auto result = testing::run_process({"/bin/sh", "-c", commands.front()});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("nb-1-big-Data.db is not the backup's file (staged as "), std::string::npos)
        << result.err;
    EXPECT_EQ(read(m_table + "/nb-1-big-Data.db"), "someone else's") << "nothing is overwritten";
    EXPECT_EQ(read(table.files[0].staged), "backup 1");
}

TEST_F(RestartSteps, NothingIsMovedOverAFileOfTheSameName)
{
    auto kept = restart_steps::quarantine_root(m_data, "r1", 0) + "/ks/" + fs::path(m_table).filename().string();
    write(kept + "/nb-7-big-Data.db", "older");
    auto commands = restart_steps::quarantine_commands(node, plan, "r1", {&table}, std::nullopt);
    auto result = testing::run_process({"/bin/sh", "-c", commands.front()});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.err.find("already holds nb-7-big-Data.db"), std::string::npos) << result.err;
    EXPECT_EQ(read(kept + "/nb-7-big-Data.db"), "older");
    EXPECT_EQ(read(m_table + "/nb-7-big-Data.db"), "live 7");
}

} // namespace
} // namespace ringsnap::ops
