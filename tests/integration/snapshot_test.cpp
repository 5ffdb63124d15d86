// SPDX-License-Identifier: Apache-2.0
// `ringsnap snapshot` on lab clusters: the manifest against the nodes' files byte for byte,
// partial runs, refusals before anything is touched, the catalog lock.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ringsnap/catalog.hpp>

#include "support/backup_lab.hpp"
#include "support/child_process.hpp"
#include "support/cluster_file_variant.hpp"

namespace ringsnap::testing {
namespace {

using nlohmann::json;

using SnapshotOnLab = BackupLab;

TEST_F(SnapshotOnLab, EveryRecordedFileMatchesTheNodesFileByteForByte)
{
    start(2, 3, "3.11,4.1,5.0");
    auto report = run_json("snapshot", 0, {"--tag", "nightly-1"});
    EXPECT_EQ(report["status"], "ok");
    auto manifest = manifest_of("nightly-1");
    EXPECT_EQ(manifest["status"], "complete");
    ASSERT_EQ(manifest["nodes"].size(), 6U);
    int files_checked = 0;
    for (const auto& node : manifest["nodes"]) {
        EXPECT_EQ(node["status"], "ok") << node["host"];
        EXPECT_FALSE(node["tokens"].empty());
        bool saw_invoices = false;
        for (const auto& table : node["tables"]) {
            EXPECT_NE(table["keyspace"], "system") << "left out by default";
            if (table["keyspace"] == "billing" && table["table"] == "invoices") {
                saw_invoices = true;
                // Cassandra's own manifest.json (every version lists "files") and schema.cql.
                EXPECT_TRUE(table["cassandra_manifest"].contains("files")) << table["cassandra_manifest"];
                EXPECT_NE(table["schema_cql"].get<std::string>().find("CREATE TABLE IF NOT EXISTS billing.invoices"),
                          std::string::npos);
            }
            for (const auto& file : table["files"]) {
                std::string path =
                    table["directory"].get<std::string>() + "/snapshots/nightly-1/" + file["name"].get<std::string>();
                ASSERT_TRUE(std::filesystem::exists(path)) << path;
                EXPECT_EQ(std::filesystem::file_size(path), file["size"].get<std::uint64_t>()) << path;
                EXPECT_EQ(sha256_of(path), file["sha256"]) << path;
                ++files_checked;
            }
        }
        EXPECT_TRUE(saw_invoices) << node["host"];
    }
    EXPECT_GT(files_checked, 6 * 10);
}

TEST_F(SnapshotOnLab, ASecondSnapshotReusesTheHashesOfUnchangedSSTables)
{
    start(1, 2);
    auto first = run_json("snapshot", 0, {"-k", "billing", "--tag", "one"});
    auto second = run_json("snapshot", 0, {"-k", "billing", "--tag", "two"});
    std::uint64_t recorded = second["totals"]["bytes"];
    std::uint64_t hashed = second["totals"]["bytes_hashed"];
    EXPECT_EQ(first["totals"]["bytes_hashed"], first["totals"]["bytes"]); // nothing to reuse yet
    EXPECT_LT(hashed, recorded) << "only the new manifest.json and schema.cql need reading";
    // And the reused hashes are still right.
    auto manifest = manifest_of("two");
    for (const auto& table : manifest["nodes"][0]["tables"]) {
        for (const auto& file : table["files"]) {
            std::string path =
                table["directory"].get<std::string>() + "/snapshots/two/" + file["name"].get<std::string>();
            EXPECT_EQ(sha256_of(path), file["sha256"]) << path;
        }
    }
}

TEST_F(SnapshotOnLab, TableSelectionSnapshotsOnlyThatTable)
{
    start(1, 2);
    run_json("snapshot", 0, {"-t", "billing.invoices", "--tag", "one-table"});
    auto manifest = manifest_of("one-table");
    for (const auto& node : manifest["nodes"]) {
        ASSERT_EQ(node["tables"].size(), 1U);
        EXPECT_EQ(node["tables"][0]["table"], "invoices");
    }
}

TEST_F(SnapshotOnLab, NodeDownGivesAPartialManifestAndExitOne)
{
    start(2, 2);
    m_lab->must({"stop-node", "dc2-n1"});
    auto report = run_json("snapshot", 1, {"--tag", "with-one-down"});
    EXPECT_EQ(report["status"], "partial");
    auto manifest = manifest_of("with-one-down");
    EXPECT_EQ(manifest["status"], "partial");
    std::string down = lab_address(*m_lab, "dc2-n1");
    for (const auto& node : manifest["nodes"]) {
        if (node["host"] == down) {
            EXPECT_EQ(node["status"], "failed");
            EXPECT_NE(node["error"].get<std::string>().find("Failed to connect"), std::string::npos) << node;
            EXPECT_TRUE(node["tables"].empty());
        } else {
            EXPECT_EQ(node["status"], "ok") << node;
        }
    }
}

TEST_F(SnapshotOnLab, FrozenHostTimesOutAndTheRestIsRecorded)
{
    start(1, 3);
    auto cluster = write_cluster_variant(*m_lab, "short-connect-timeout",
                                         [](YAML::Node& file) { file["ssh"]["connect_timeout"] = "2s"; });
    m_lab->must({"freeze-host", "dc1-n3"});
    auto report = run_json("snapshot", 1, {"--tag", "frozen"}, cluster);
    m_lab->must({"thaw-host", "dc1-n3"});
    auto manifest = manifest_of("frozen");
    EXPECT_EQ(manifest["status"], "partial");
    EXPECT_EQ(manifest["totals"]["nodes_ok"], 2);
}

TEST_F(SnapshotOnLab, TagAlreadyOnANodeIsRefusedBeforeAnyNodeIsTouched)
{
    start(1, 3);
    auto made = run_process({m_lab->dir() + "/nodes/dc1-n2/bin/nodetool", "snapshot", "-t", "taken", "billing"});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    int before = snapshot_dirs("taken");
    auto report = run_json("snapshot", 2, {"--tag", "taken"});
    EXPECT_NE(report["error"].get<std::string>().find("already exists on " + lab_address(*m_lab, "dc1-n2")),
              std::string::npos)
        << report;
    EXPECT_EQ(snapshot_dirs("taken"), before) << "no other node got the snapshot";
}

TEST_F(SnapshotOnLab, UnknownKeyspaceAndHostileNamesAreRefusedBeforeAnyNodeIsTouched)
{
    start(1, 2);
    EXPECT_NE(run_json("snapshot", 2, {"-k", "nope", "--tag", "a"})["error"].get<std::string>().find(
                  "keyspace nope does not exist"),
              std::string::npos);
    run_json("snapshot", 2, {"-k", "billing; rm -rf /", "--tag", "b"});
    run_json("snapshot", 2, {"--tag", "../../etc"});
    run_json("snapshot", 2, {"--tag", "$(reboot)"});
    run_json("snapshot", 2, {"-t", "billing.invoices.x"});
    EXPECT_EQ(snapshot_dirs("a") + snapshot_dirs("b"), 0);
    EXPECT_FALSE(std::filesystem::exists(m_lab->dir() + "/catalog/" + cluster_name() + "/manifests"));
}

TEST_F(SnapshotOnLab, TagAlreadyInTheCatalogIsRefused)
{
    start(1, 2);
    run_json("snapshot", 0, {"--tag", "once"});
    auto again = run_json("snapshot", 2, {"--tag", "once"});
    EXPECT_NE(again["error"].get<std::string>().find("already in the catalog"), std::string::npos) << again;
}

TEST_F(SnapshotOnLab, ASecondConcurrentRunIsRefusedAndLosesNothing)
{
    start(1, 2);
    auto catalog = Catalog::open(m_lab->dir() + "/catalog", cluster_name());
    ASSERT_TRUE(catalog);
    auto held = CatalogLock::acquire(*catalog, "ringsnap snapshot --tag first-run");
    ASSERT_TRUE(held) << held.error().message;
    auto refused = run_json("snapshot", 2, {"--tag", "second-run"});
    EXPECT_NE(refused["error"].get<std::string>().find("first-run"), std::string::npos) << refused;
    EXPECT_EQ(snapshot_dirs("second-run"), 0);
}

TEST_F(SnapshotOnLab, ARunKilledWithSigkillIsOnRecordAsInterruptedAndNeverBlocksTheNext)
{
    start(1, 2);
    // dc1-n2's `nodetool snapshot` hangs: the run is killed with dc1-n1's part done, dc1-n2's not.
    std::string slow = m_lab->dir() + "/slow-nodetool";
    std::ofstream(slow) << "#!/bin/sh\ncase \" $* \" in *\" snapshot \"*) sleep 60; exit 1;; esac\nexec "
                        << m_lab->dir() << "/nodes/dc1-n2/bin/nodetool \"$@\"\n";
    std::filesystem::permissions(slow, std::filesystem::perms::owner_all);
    auto fast = lab_address(*m_lab, "dc1-n1");
    auto hung = lab_address(*m_lab, "dc1-n2");
    auto file = write_cluster_variant(*m_lab, "slow", [&](YAML::Node& cluster) {
        for (auto dc : cluster["datacenters"]) {
            for (auto node : dc.second["nodes"]) {
                if (node["host"].as<std::string>() == hung) {
                    node["cassandra"]["nodetool"] = slow;
                }
            }
        }
    });
    auto record = m_lab->dir() + "/catalog/" + cluster_name() + "/manifests/killed.json";
    ChildProcess killed({RINGSNAP_BIN, "-c", file, "snapshot", "--tag", "killed"});
    bool fast_one_recorded = false;
    for (int i = 0; i < 600 && !fast_one_recorded; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        std::ifstream in(record);
        auto saved = json::parse(in, nullptr, false);
        fast_one_recorded = !saved.is_discarded() && saved["status"] == "running" &&
                            std::any_of(saved["nodes"].begin(), saved["nodes"].end(), [&](const json& node) {
                                return node["host"] == fast && node["status"] == "ok";
                            });
    }
    ASSERT_TRUE(fast_one_recorded) << "the running manifest never showed dc1-n1 done";
    killed.send_signal(SIGKILL);
    EXPECT_EQ(killed.wait().exit_code, 128 + SIGKILL);

    auto listed = run_json("list", 0, {});
    ASSERT_EQ(listed["backups"].size(), 1U) << listed;
    const auto& backup = listed["backups"][0];
    EXPECT_EQ(backup["status"], "interrupted") << backup;
    EXPECT_EQ(backup["interrupted"]["done"], json::array({fast})) << backup;
    EXPECT_EQ(backup["interrupted"]["unfinished"], json::array({hung})) << backup;
    auto text = ringsnap(*m_lab, {"list"});
    EXPECT_NE(text.out.find("killed was interrupted"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("ringsnap clear --tag killed"), std::string::npos) << text.out;

    for (std::vector<std::string> refused :
         {std::vector<std::string>{"verify", "killed"}, std::vector<std::string>{"restore", "killed", "--yes"}}) {
        auto result = ringsnap(*m_lab, refused);
        EXPECT_EQ(result.exit_code, 2) << refused[0] << ": " << result.err;
        EXPECT_NE(result.err.find("killed never finished"), std::string::npos) << result.err;
    }

    EXPECT_GT(snapshot_dirs("killed"), 0) << "dc1-n1's snapshot is on the node";
    auto cleared = run_json("clear", 0, {"--tag", "killed"});
    EXPECT_EQ(cleared["status"], "ok") << cleared;
    EXPECT_EQ(snapshot_dirs("killed"), 0);
    EXPECT_FALSE(std::filesystem::exists(record));

    auto next = run_json("snapshot", 0, {"--tag", "next"});
    EXPECT_EQ(next["status"], "ok") << "the kernel dropped the dead run's flock";
    EXPECT_GT(snapshot_dirs("next"), 0);
}

TEST_F(SnapshotOnLab, DryRunShowsTheCommandsAndChangesNothing)
{
    start(1, 2);
    auto result = ringsnap(*m_lab, {"snapshot", "--dry-run", "--tag", "rehearsal"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("snapshot -t rehearsal -- billing system_schema"), std::string::npos) << result.out;
    EXPECT_EQ(snapshot_dirs("rehearsal"), 0);
}

TEST_F(SnapshotOnLab, ProgressIsALiveLineOnATerminalAndPlainLinesOtherwise)
{
    start(2, 2);
    auto plain = ringsnap(*m_lab, {"snapshot", "--tag", "logged"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_NE(plain.err.find("snapshot done in"), std::string::npos) << plain.err;
    EXPECT_NE(plain.err.find("(4 of 4 nodes)"), std::string::npos) << plain.err;
    EXPECT_EQ(plain.err.find('\r'), std::string::npos) << "no redrawn line off a terminal";

    // script(1) gives ringsnap a terminal; its stdout and stderr both arrive on ours.
    std::string command = std::string(RINGSNAP_BIN) + " -c " + m_lab->cluster_file() + " snapshot --tag on-a-tty";
    auto tty = run_process({"script", "-qec", command, "/dev/null"});
    ASSERT_EQ(tty.exit_code, 0) << tty.err << tty.out;
    EXPECT_NE(tty.out.find("\r\033[Ksnapshot: dc1 2/2, dc2 2/2"), std::string::npos) << tty.out;
    EXPECT_EQ(tty.out.find("snapshot done in"), std::string::npos) << "the line replaces the per-node lines";
    EXPECT_NE(tty.out.find("\r\033[KDC"), std::string::npos) << "the line is erased before the table";
}

// Replaces a snapshot file by a modified copy: the live SSTable is a hard link of the same
// inode, so editing in place would change the node's data too.
void replace_with_modified_copy(const std::string& path, bool same_size)
{
    std::string content;
    {
        std::ifstream in(path, std::ios::binary);
        content.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    if (same_size && !content.empty()) {
        content[0] = static_cast<char>(content[0] ^ 0x01);
    } else {
        content += "X";
    }
    std::string copy = path + ".new";
    std::ofstream(copy, std::ios::binary) << content;
    std::filesystem::rename(copy, path);
}

TEST_F(SnapshotOnLab, VerifyFindsChangedMissingAndExtraFiles)
{
    start(1, 3);
    run_json("snapshot", 0, {"-k", "billing", "--tag", "checked"});
    auto clean = ringsnap(*m_lab, {"--json", "verify", "checked"});
    ASSERT_EQ(clean.exit_code, 0) << clean.err << clean.out;
    EXPECT_TRUE(json::parse(clean.out)["mismatches"].empty());

    auto manifest = manifest_of("checked");
    auto file_of = [&](int node, const std::string& suffix) {
        for (const auto& table : manifest["nodes"][node]["tables"]) {
            for (const auto& file : table["files"]) {
                std::string name = file["name"];
                if (name.ends_with(suffix)) {
                    return table["directory"].get<std::string>() + "/snapshots/checked/" + name;
                }
            }
        }
        throw std::runtime_error("no file " + suffix);
    };
    std::string grown = file_of(0, "Data.db");
    std::string flipped = file_of(1, "Data.db");
    std::string removed = file_of(2, "Index.db");
    replace_with_modified_copy(grown, false);
    replace_with_modified_copy(flipped, true);
    std::filesystem::remove(removed);
    std::string extra = std::filesystem::path(removed).parent_path().string() + "/stray.txt";
    std::ofstream(extra) << "not from the snapshot";

    auto result = ringsnap(*m_lab, {"--json", "verify", "checked"});
    EXPECT_EQ(result.exit_code, 4) << result.err << result.out;
    auto report = json::parse(result.out);
    EXPECT_EQ(report["exit_code"], 4);
    std::map<std::string, std::string> reasons;
    for (const auto& mismatch : report["mismatches"]) {
        reasons[mismatch["path"]] = mismatch["reason"];
    }
    EXPECT_EQ(reasons.size(), 4U) << report["mismatches"];
    EXPECT_EQ(reasons[flipped], "SHA-256 differs");
    EXPECT_EQ(reasons[removed], "missing");
    EXPECT_EQ(reasons[extra], "not in the manifest");
    EXPECT_NE(reasons[grown].find("size"), std::string::npos) << reasons[grown];
}

// snapshot --ttl: the manifest says when Cassandra removes the snapshot. Once that time has
// passed (moved back here, in the manifest and in the nodes' own ttl records, rather than
// waited for), the backup is expired, not gone: list says so and exits 0, restore and verify
// refuse it, and clear drops its manifest.
TEST_F(SnapshotOnLab, ASnapshotWhoseTtlRanOutIsExpiredNotGone)
{
    start(1, 2, "4.1,5.0");
    run_json("snapshot", 0, {"--tag", "short-lived", "--ttl", "2h"});
    auto manifest = manifest_of("short-lived");
    ASSERT_TRUE(manifest.contains("expires_at")) << manifest.dump().substr(0, 400);
    EXPECT_GT(manifest["expires_at"].get<std::string>(), manifest["started_at"].get<std::string>());
    EXPECT_EQ(run_json("list", 0, {})["backups"][0]["where"], "nodes");

    manifest["expires_at"] = "2020-01-01T00:00:00.000Z";
    std::ofstream(m_lab->dir() + "/catalog/" + cluster_name() + "/manifests/short-lived.json") << manifest.dump(2);
    for (const auto& name : {"dc1-n1", "dc1-n2"}) {
        auto records = m_lab->dir() + "/nodes/" + name + "/state/ttl_snapshots.json";
        auto pending = json::parse(std::ifstream(records));
        ASSERT_FALSE(pending.empty()) << records;
        for (auto& item : pending) {
            item["expires_at"] = 0;
        }
        std::ofstream(records) << pending.dump();
    }

    auto listed = run_json("list", 0, {})["backups"][0];
    EXPECT_EQ(listed["where"], "expired");
    EXPECT_EQ(listed["on_nodes"], false);
    auto live = run_json("list", 0, {"--live"});
    EXPECT_EQ(live["backups"][0]["live"]["expired"], true) << live;
    EXPECT_TRUE(live["backups"][0]["live"]["holding"].empty()) << "the nodes removed it";
    for (const std::vector<std::string>& refused : {std::vector<std::string>{"restore", "short-lived", "--yes"},
                                                    std::vector<std::string>{"verify", "short-lived"}}) {
        auto result = ringsnap(*m_lab, refused);
        EXPECT_EQ(result.exit_code, 2) << result.err << result.out;
        EXPECT_NE((result.err + result.out).find("expired at 2020-01-01"), std::string::npos)
            << result.err << result.out;
    }
    run_json("clear", 0, {"--tag", "short-lived"});
    EXPECT_FALSE(std::filesystem::exists(m_lab->dir() + "/catalog/" + cluster_name() + "/manifests/short-lived.json"));
}

TEST_F(SnapshotOnLab, VerifyWithAHostDownIsPartialAndUnknownTagsAreRefused)
{
    start(1, 2);
    run_json("snapshot", 0, {"--tag", "kept"});
    m_lab->must({"kill-host", "dc1-n2"});
    auto result = ringsnap(*m_lab, {"verify", "kept"});
    EXPECT_EQ(result.exit_code, 1) << result.err << result.out;
    EXPECT_EQ(ringsnap(*m_lab, {"verify", "never-taken"}).exit_code, 2);
    EXPECT_EQ(ringsnap(*m_lab, {"verify", "../kept"}).exit_code, 2);
}

TEST_F(SnapshotOnLab, VerifySaysMatchOnlyOfWhatItComparedAndNamesWhatItCouldNot)
{
    start(1, 2);
    run_json("snapshot", 0, {"--tag", "kept"});
    std::string down = lab_address(*m_lab, "dc1-n2");
    m_lab->must({"kill-host", "dc1-n2"});
    auto partly = ringsnap(*m_lab, {"verify", "kept"});
    EXPECT_EQ(partly.exit_code, 1) << partly.err << partly.out;
    EXPECT_NE(partly.out.find("of 1 node(s) checked: they match the manifest. NOT checked: " + down + " (1 of 2"),
              std::string::npos)
        << partly.out;

    m_lab->must({"kill-host", "dc1-n1"});
    auto none = ringsnap(*m_lab, {"verify", "kept"});
    EXPECT_EQ(none.exit_code, 3) << none.err << none.out;
    EXPECT_EQ(none.out.find("match"), std::string::npos) << "nothing was compared: " << none.out;
    EXPECT_NE(none.out.find("nothing was checked"), std::string::npos) << none.out;
    auto report = json::parse(ringsnap(*m_lab, {"--json", "verify", "kept"}).out);
    EXPECT_EQ(report["checked"]["nodes"], 0);
    EXPECT_EQ(report["checked"]["files"], 0);
    EXPECT_EQ(report["checked"]["nodes_not_checked"], 2);
    EXPECT_EQ(report["status"], "failed");
}

} // namespace
} // namespace ringsnap::testing
