// SPDX-License-Identifier: Apache-2.0
// `ringsnap restore TAG --target FILE --host-map FILE --from-archive`: a backup of the mixed lab
// (3.11, 4.0, 4.1, 5.0) restored node for node into a second lab built to take its place (each
// node started with the tokens of its namesake, as initial_token gives them), by import/refresh
// and by restart: each target node downloads the files of the backup node it replaces, the
// tables it lacks are created first, and exactly the backup's rows are read back on every target
// replica. A backup node left out of the map, or mapped to a node of other tokens, is refused.

#include <filesystem>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "support/archive_lab.hpp"

namespace ringsnap::testing {
namespace {

namespace fs = std::filesystem;

class HostMapOnLab : public ArchiveLab
{
  protected:
    // The source with its archive, the backup s1 archived, then rows changed on the source; a
    // target lab of the same shape and tokens, whose cluster file reaches the same archive.
    void SetUp() override
    {
        start_with_archive("local");
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        archived("snapshot", 0, {"--tag", "s1", "--archive"});
        change_rows_after_the_backup();
        m_target =
            std::make_unique<Lab>(2, 2, "3.11,4.0,4.1,5.0", std::vector<std::string>{"--tokens-from", m_lab->dir()});
        m_target_file = write_cluster_variant(*m_target, "archived", [&](YAML::Node& file) {
            file["archive"]["remote"] = m_store["remote"].get<std::string>();
            file["archive"]["rclone_config"] = m_store["rclone_config"].get<std::string>();
        });
    }

    // A host map: each source node (by name) to the target node named `to(name)`.
    std::string host_map(const std::vector<std::pair<std::string, std::string>>& pairs) const
    {
        std::string path = m_lab->dir() + "/host-map.txt";
        std::ofstream out(path);
        out << "# backup host   target host\n";
        for (const auto& [source, target] : pairs) {
            out << lab_address(*m_lab, source) << "  " << lab_address(*m_target, target) << "\n";
        }
        return path;
    }

    std::string node_for_node() const
    {
        std::vector<std::pair<std::string, std::string>> pairs;
        for (const auto& name : k_nodes) {
            pairs.emplace_back(name, name);
        }
        return host_map(pairs);
    }

    json restore_into_target(int expected_exit, const std::string& map, std::vector<std::string> extra = {})
    {
        std::vector<std::string> args{"s1", "--target", m_target_file, "--host-map", map, "--from-archive", "--yes"};
        args.insert(args.end(), extra.begin(), extra.end());
        return archived("restore", expected_exit, args);
    }

    void expect_backup_rows_on_every_target_node()
    {
        for (const auto& name : k_nodes) {
            EXPECT_EQ(rows_alone_on(*m_target, name, k_nodes), first_rows()) << "on target " << name;
        }
    }

    bool left_on_target(const std::string& what) const
    {
        for (const auto& entry : fs::recursive_directory_iterator(m_target->dir() + "/nodes")) {
            if (entry.path().filename() == what) {
                return true;
            }
        }
        return false;
    }

    std::unique_ptr<Lab> m_target;
    std::string m_target_file;
};

TEST_F(HostMapOnLab, EachTargetNodeLoadsTheFilesOfTheBackupNodeItTookThePlaceOf)
{
    auto files_before = node_files();
    auto report = restore_into_target(0, node_for_node());
    EXPECT_EQ(report["restore"]["status"], "complete") << report.dump();
    EXPECT_EQ(report["restore"]["target"], load_cluster_file(m_target_file)->name);
    EXPECT_EQ(report["restore"]["host_map"][lab_address(*m_lab, "dc2-n1")], lab_address(*m_target, "dc2-n1"));
    EXPECT_NE(report["restore"]["created"].dump().find("billing.invoices"), std::string::npos)
        << "the target had no billing keyspace";
    for (const auto& node : report["plan"]["nodes"]) {
        EXPECT_EQ(node["paired_by"], "host map") << node.dump();
        EXPECT_EQ(node["method"], node["version"].get<std::string>().rfind("3.11", 0) == 0 ? "refresh" : "import");
    }
    expect_backup_rows_on_every_target_node();
    EXPECT_FALSE(left_on_target("ringsnap-restore")) << "staging is removed after a good load";
    EXPECT_EQ(node_files(), files_before) << "the source's nodes are not touched";
    EXPECT_NE(rows_on("dc1-n1"), first_rows()) << "the source keeps its newer rows";
}

TEST_F(HostMapOnLab, ARestartRollsTheTargetNodesOntoTheBackupAndCleanupTakesTheirQuarantine)
{
    auto report = restore_into_target(0, node_for_node(), {"--method", "restart"});
    EXPECT_EQ(report["restore"]["status"], "complete") << report.dump();
    for (const auto& node : report["restore"]["nodes"]) {
        EXPECT_EQ(node["restart"], "started") << node.dump();
    }
    expect_backup_rows_on_every_target_node();
    EXPECT_TRUE(left_on_target("quarantine"));

    std::string id = report["restore"]["id"];
    auto refused = archived("restore", 2, {"--cleanup", id});
    EXPECT_NE(refused["error"].get<std::string>().find("give its cluster file with --target"), std::string::npos)
        << refused.dump();
    auto cleanup = archived("restore", 0, {"--cleanup", id, "--target", m_target_file});
    EXPECT_EQ(cleanup["status"], "ok") << cleanup.dump();
    EXPECT_FALSE(left_on_target("quarantine"));
    expect_backup_rows_on_every_target_node();
}

TEST_F(HostMapOnLab, ABackupNodeLeftOutOrMappedOntoOtherTokensIsRefusedBeforeAnythingChanges)
{
    auto left_out =
        restore_into_target(2, host_map({{"dc1-n1", "dc1-n1"}, {"dc1-n2", "dc1-n2"}, {"dc2-n1", "dc2-n1"}}));
    auto refusals = left_out["plan"]["refusals"].dump();
    EXPECT_NE(refusals.find("backup node " + lab_address(*m_lab, "dc2-n2") + " (dc2) is not in --host-map"),
              std::string::npos)
        << refusals;
    auto crossed = restore_into_target(
        2, host_map({{"dc1-n1", "dc1-n2"}, {"dc1-n2", "dc1-n1"}, {"dc2-n1", "dc2-n1"}, {"dc2-n2", "dc2-n2"}}));
    refusals = crossed["plan"]["refusals"].dump();
    EXPECT_NE(refusals.find(lab_address(*m_target, "dc1-n2") + ": its tokens are not those of backup node " +
                            lab_address(*m_lab, "dc1-n1")),
              std::string::npos)
        << refusals;
    EXPECT_FALSE(left_on_target("ringsnap-restore"));
    auto unknown = run_process({RINGSNAP_BIN, "-c", m_cluster_file, "restore", "s1", "--host-map", node_for_node(),
                                "--from-archive", "--yes"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.err.find("--host-map restores node for node into another cluster"), std::string::npos)
        << unknown.err;
}

} // namespace
} // namespace ringsnap::testing
