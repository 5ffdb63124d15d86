// SPDX-License-Identifier: Apache-2.0
// `ringsnap restore --method restart` on a lab cluster of 3.11, 4.0, 4.1 and 5.0 nodes: the
// whole cluster rolled back (unflushed writes made after the backup do not come back), the
// quarantine kept until --cleanup, a node whose start fails put back with --undo, and a host
// killed in the middle finished by a rerun.

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "support/child_process.hpp"
#include "support/cluster_file_variant.hpp"
#include "support/restore_lab.hpp"

namespace ringsnap::testing {
namespace {

namespace fs = std::filesystem;

class RestartOnLab : public RestoreLab
{
  protected:
    bool quarantine_left() const
    {
        for (const auto& name : k_nodes) {
            auto base = m_lab->dir() + "/nodes/" + name + "/ringsnap-restore";
            if (fs::exists(base)) {
                for (const auto& entry : fs::recursive_directory_iterator(base)) {
                    if (entry.path().filename() == "quarantine") {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    // A cluster file whose node `name` runs `command` instead of its start (or stop) command.
    std::string with_command(const std::string& name, const char* key, const std::string& command)
    {
        auto address = lab_address(*m_lab, name);
        return write_cluster_variant(*m_lab, std::string(key) + "-" + name, [&](YAML::Node& file) {
            for (auto dc : file["datacenters"]) {
                for (auto node : dc.second["nodes"]) {
                    if (node["host"].as<std::string>() == address) {
                        node["cassandra"][key] = command;
                    }
                }
            }
        });
    }

    std::string real_tool(const std::string& name, const char* tool) const
    {
        return m_lab->dir() + "/nodes/" + name + "/bin/" + tool;
    }

    // The restart step of `host` in the restore record.
    std::string record_step(const std::string& host) const
    {
        auto node = record_node(host);
        return node.is_object() && node.contains("restart") ? node["restart"].get<std::string>() : "";
    }
};

TEST_F(RestartOnLab, TheWholeClusterGoesBackToTheSnapshotAndUnflushedLaterWritesStayGone)
{
    start_mixed();
    cql("INSERT INTO billing.customers (id, name) VALUES (1, 'Ada')");
    run_json("snapshot", 0, {"--tag", "s1"});
    change_rows_after_the_backup(); // in the memtables and commit logs only
    cql("DROP TABLE billing.customers");
    auto report = restore(0, {"s1", "--method", "restart", "--yes"});
    EXPECT_EQ(report["restore"]["created"], json::array({"billing.customers"})) << "the dropped table came back";
    for (const auto& name : k_nodes) {
        auto customers = run_process({m_lab->dir() + "/nodes/" + name + "/bin/cqlsh", "-e",
                                      "CONSISTENCY ONE; SELECT name FROM billing.customers"});
        EXPECT_NE(customers.out.find("Ada"), std::string::npos) << name << ": " << customers.out << customers.err;
    }
    EXPECT_EQ(report["restore"]["status"], "complete");
    EXPECT_EQ(report["plan"]["start_order"].size(), 4U);
    for (const auto& node : report["restore"]["nodes"]) {
        EXPECT_EQ(node["restart"], "started") << node["host"];
        EXPECT_EQ(node["method"], "restart");
    }
    expect_rows_everywhere(first_rows());
    EXPECT_TRUE(quarantine_left()) << "the replaced files wait until --cleanup";

    std::string id = report["restore"]["id"];
    auto cleanup = run_json("restore", 0, {"--cleanup", id});
    EXPECT_EQ(cleanup["status"], "ok");
    EXPECT_FALSE(quarantine_left());
    EXPECT_FALSE(staging_left());
    expect_rows_everywhere(first_rows());
}

TEST_F(RestartOnLab, ANodeThatDoesNotStartIsReportedAndUndoPutsItsFilesBack)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    change_rows_after_the_backup();
    auto broken = with_command("dc2-n1", "start_command", "echo cannot start >&2; exit 1");
    auto report = restore(1, {"s1", "--method", "restart", "--yes"}, broken);
    std::string id = report["restore"]["id"];
    auto address = lab_address(*m_lab, "dc2-n1");
    bool told = false;
    for (const auto& note : report["notes"]) {
        told = told || note.get<std::string>().find("ringsnap restore --undo " + id + " --hosts " + address) !=
                           std::string::npos;
    }
    EXPECT_TRUE(told) << report["notes"];
    EXPECT_EQ(record_step(address), "placed");

    auto result = ringsnap(*m_lab, {"--json", "--hosts", address, "restore", "--undo", id, "--yes"});
    ASSERT_EQ(result.exit_code, 0) << result.err << result.out;
    auto undone = json::parse(result.out);
    EXPECT_EQ(undone["nodes"].size(), 1U) << "only the node --hosts names";
    EXPECT_EQ(record_step(lab_address(*m_lab, "dc2-n1")), "undone");
    Rows changed = first_rows();
    changed.erase("1|EUR 10");
    changed.erase("2|EUR 20");
    changed.insert({"2|EUR 99", "6|EUR 60"});
    EXPECT_EQ(rows_on("dc2-n1"), changed) << "its own files, as before the restore";
    EXPECT_EQ(rows_on("dc1-n1"), first_rows()) << "the others keep the backup's";
    run_json("restore", 0, {"--cleanup", id}); // what the undo set aside goes too
    EXPECT_FALSE(quarantine_left());
    EXPECT_EQ(rows_on("dc2-n1"), changed);
}

TEST_F(RestartOnLab, AHostKilledWhileItStartsIsReportedAndARerunFinishes)
{
    start_mixed();
    run_json("snapshot", 0, {"--tag", "s1"});
    change_rows_after_the_backup();
    auto slow = with_command("dc2-n2", "start_command", "sleep 30; " + real_tool("dc2-n2", "cassandra-start"));
    ChildProcess run({RINGSNAP_BIN, "-c", slow, "--json", "restore", "s1", "--method", "restart", "--yes"});
    auto address = lab_address(*m_lab, "dc2-n2");
    for (int i = 0; i < 600 && record_step(lab_address(*m_lab, "dc2-n1")) != "started"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(record_step(lab_address(*m_lab, "dc2-n1")), "started");
    std::this_thread::sleep_for(std::chrono::seconds(1)); // dc2-n2's start_command is sleeping
    m_lab->must({"kill-host", "dc2-n2"});
    auto result = run.wait();
    EXPECT_EQ(result.exit_code, 1) << result.err;
    EXPECT_EQ(record_step(address), "placed");
    m_lab->must({"revive-host", "dc2-n2"});
    auto second = restore(0, {"s1", "--method", "restart", "--yes"});
    EXPECT_TRUE(second["resumed"].get<bool>());
    expect_rows_everywhere(first_rows());
}

} // namespace
} // namespace ringsnap::testing
