// SPDX-License-Identifier: Apache-2.0
// The archive on lab clusters, against each kind of storage the lab can start (a local
// directory, an S3 server, an SFTP server): snapshot --archive, a second snapshot that sends only
// new contents, a restore from the archive after the snapshots left the nodes (rows read back on
// every replica), verify --archive --deep, and a corrupted blob refused by both; clear with and
// without --archive (the sweep deletes exactly the blobs no backup needs any more), the catalog
// rebuilt from the archive, and a node whose data directory was wiped restored from it.

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/archive_lab.hpp"

namespace ringsnap::testing {
namespace {

class ArchiveOnLab : public ArchiveLab, public ::testing::WithParamInterface<std::string>
{
  protected:
    void start_with_archive() { ArchiveLab::start_with_archive(GetParam()); }
};

TEST_P(ArchiveOnLab, SendsEachContentOnceRestoresFromItAndFindsACorruptedBlob)
{
    start_with_archive();
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    auto first = archived("snapshot", 0, {"--tag", "s1", "--archive"});
    EXPECT_EQ(first["archive"]["status"], "complete");
    EXPECT_EQ(first["archive"]["blobs_sent"], first["archive"]["blobs"]) << "the first backup sends everything";
    EXPECT_EQ(stored_blobs(), recorded_blobs("s1"));

    cql("INSERT INTO billing.invoices (id, amount) VALUES (6, 'EUR 60')");
    auto second = archived("snapshot", 0, {"--tag", "s2", "--archive"});
    EXPECT_EQ(second["archive"]["status"], "complete");
    auto s1 = recorded_blobs("s1");
    auto s2 = recorded_blobs("s2");
    std::size_t new_contents = 0;
    for (const auto& blob : s2) {
        new_contents += s1.count(blob) ? 0 : 1;
    }
    EXPECT_EQ(second["archive"]["blobs_sent"], new_contents) << "only contents the archive lacked travel";
    EXPECT_LT(new_contents, s2.size());
    auto all = s1;
    all.insert(s2.begin(), s2.end());
    EXPECT_EQ(stored_blobs(), all);

    auto listing = archived("list", 0, {});
    for (const auto& backup : listing["backups"]) {
        EXPECT_EQ(backup["where"], "nodes+archive") << backup["tag"];
    }
    EXPECT_EQ(archived("verify", 0, {"s2", "--archive", "--deep"})["blobs_hashed"], s2.size());

    // The snapshots leave the nodes and rows change: the archive alone brings s2 back.
    remove_snapshots_from_the_nodes();
    change_rows_after_the_backup();
    auto restored = archived("restore", 0, {"s2", "--from-archive", "--truncate", "--yes"});
    EXPECT_EQ(restored["restore"]["status"], "complete");
    auto expected = first_rows();
    expected.insert("6|EUR 60");
    expect_rows_everywhere(expected);
    EXPECT_FALSE(staging_left());

    // A blob altered in the storage: verify --deep names it, and a restore loads nothing.
    auto blob = invoices_data_blob("s2");
    ASSERT_TRUE(fs::exists(blob)) << blob;
    {
        std::fstream file(blob, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(0);
        file.put('X');
    }
    auto deep = archived("verify", 4, {"s2", "--archive", "--deep"});
    ASSERT_EQ(deep["problems"].size(), 1U);
    EXPECT_NE(deep["problems"][0]["reason"].get<std::string>().find("SHA-256"), std::string::npos);
    cql("INSERT INTO billing.invoices (id, amount) VALUES (7, 'EUR 70')");
    archived("restore", 4, {"s2", "--from-archive", "--truncate", "--yes"});
    auto unchanged = expected;
    unchanged.insert("7|EUR 70");
    EXPECT_EQ(select_rows("dc1-n1"), unchanged) << "nothing was truncated or loaded";
}

TEST_P(ArchiveOnLab, OutlivesTheNodesAndTheCatalogAndSweepsWhatNoBackupNeeds)
{
    start_with_archive();
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    archived("snapshot", 0, {"--tag", "s1", "--archive"});
    cql("INSERT INTO billing.invoices (id, amount) VALUES (6, 'EUR 60')");
    archived("snapshot", 0, {"--tag", "s2", "--archive"});
    auto s1 = recorded_blobs("s1");
    auto s2 = recorded_blobs("s2");

    // Cleared from the nodes only: s1 lives on in the archive, and is restored from there only.
    auto cleared = archived("clear", 0, {"--tag", "s1"});
    EXPECT_EQ(cleared["cleared"][0]["kept_in_archive"], true);
    EXPECT_EQ(snapshot_dirs("s1"), 0);
    EXPECT_EQ(where_of("s1"), "archive");
    auto from_nodes = archived("restore", 2, {"s1", "--yes"});
    EXPECT_NE(from_nodes.dump().find("--from-archive"), std::string::npos) << from_nodes.dump();
    archived("clear", 2, {"--tag", "s1"}); // nothing left on the nodes: says --archive

    // --archive: its manifest leaves the archive, and exactly the blobs only s1 referenced go.
    std::set<std::string> only_s1;
    for (const auto& blob : s1) {
        if (!s2.count(blob)) {
            only_s1.insert(blob);
        }
    }
    ASSERT_FALSE(only_s1.empty()) << "s2 was taken after a write: some content of s1 is not in s2";
    auto swept = archived("clear", 0, {"--tag", "s1", "--archive"});
    EXPECT_EQ(swept["cleared"][0]["removed_from_archive"], true);
    ASSERT_EQ(swept["sweeps"].size(), 1U);
    EXPECT_EQ(swept["sweeps"][0]["deleted"], only_s1.size());
    EXPECT_EQ(swept["sweeps"][0]["kept"], s2.size());
    EXPECT_EQ(stored_blobs(), s2);
    EXPECT_FALSE(fs::exists(archived_manifest("s1")));
    EXPECT_TRUE(fs::exists(archived_manifest("s2")));

    // The operator host's catalog is lost: the archive alone gives it back.
    fs::remove_all(m_lab->dir() + "/catalog/" + cluster_name() + "/manifests");
    auto synced = archived("catalog", 0, {"sync"});
    EXPECT_EQ(synced["added"], json::array({"s2"}));
    EXPECT_EQ(recorded_blobs("s2"), s2);
    EXPECT_EQ(archived("catalog", 0, {"sync"})["present"], json::array({"s2"})) << "never replaced";

    // A node loses its disk, snapshots included: its rows come back from the archive.
    wipe_data_directory("dc1-n1");
    auto restored = archived("restore", 0, {"s2", "--from-archive", "--truncate", "--yes"});
    EXPECT_EQ(restored["restore"]["status"], "complete");
    auto expected = first_rows();
    expected.insert("6|EUR 60");
    expect_rows_everywhere(expected);
}

INSTANTIATE_TEST_SUITE_P(Storage, ArchiveOnLab, ::testing::Values("local", "s3", "sftp"),
                         [](const auto& kind) { return kind.param; });

// A data center may archive to its own place (a DC-local bucket): each root gets the contents
// of its own nodes, both are uploaded in one phase, and each is checked on its own.
TEST_F(ArchiveLab, EachDataCenterArchivesToItsOwnRoot)
{
    std::string dc2_remote;
    start_with_archive("local", [&](YAML::Node& file) {
        dc2_remote = file["archive"]["remote"].as<std::string>() + "-dc2";
        file["datacenters"]["dc2"]["archive"]["remote"] = dc2_remote;
    });
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    auto taken = archived("snapshot", 0, {"--tag", "s1", "--archive"});
    EXPECT_EQ(taken["archive"]["status"], "complete");
    EXPECT_EQ(taken["archive"]["remotes"].size(), 2U);
    std::map<std::string, std::set<std::string>> by_root;
    auto manifest = manifest_of("s1");
    for (const auto& node : manifest["nodes"]) {
        auto root = node["archive"]["remote"].get<std::string>();
        bool in_dc2 = node["datacenter"] == "dc2";
        EXPECT_EQ(root, (in_dc2 ? dc2_remote : m_store["remote"].get<std::string>()) + "/" + cluster_name());
        for (const auto& table : node["tables"]) {
            for (const auto& file : table["files"]) {
                by_root[root].insert(file["sha256"].get<std::string>());
            }
        }
    }
    ASSERT_EQ(by_root.size(), 2U);
    for (const auto& [root, blobs] : by_root) {
        auto on_disk = root.substr(root.find(':') + 1); // "labstore:/tmp/..." names a local path
        std::set<std::string> stored;
        for (const auto& entry : fs::recursive_directory_iterator(on_disk + "/blobs")) {
            if (entry.is_regular_file()) {
                stored.insert(entry.path().filename().string());
            }
        }
        EXPECT_EQ(stored, blobs) << root;
        EXPECT_TRUE(fs::exists(on_disk + "/manifests/s1.json")) << root;
    }
    EXPECT_EQ(archived("verify", 0, {"s1", "--archive", "--deep"})["problems"].size(), 0U);
}

TEST_F(ArchiveLab, AnIncrementalOfAQuietHourHasNothingToSendAndIsComplete)
{
    start_with_archive("local");
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    archived("snapshot", 0, {"--tag", "s1", "--archive"});
    archived("incremental", 0, {"enable"});
    auto quiet = archived("incremental", 0, {"--tag", "quiet", "--archive"});
    EXPECT_EQ(quiet["totals"]["files"], 0) << "nothing was flushed since s1";
    EXPECT_EQ(quiet["archive"]["status"], "complete") << quiet;
    EXPECT_EQ(manifest_of("quiet")["archive"]["status"], "complete");
    EXPECT_EQ(archived("archive", 0, {"quiet"})["status"], "ok");
}

// One data center at a time (a DC-local archive run in its own window): each run archives its
// selected nodes and ends ok; the backup's archive is partial until the last part is there.
TEST_F(ArchiveLab, ADataCenterAtATimeSkipsTheOthersAndEndsOk)
{
    start_with_archive("local");
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    archived("snapshot", 0, {"--tag", "s1"});

    auto first = archived("archive", 0, {"s1", "--dc", "dc1"});
    EXPECT_EQ(first["status"], "ok") << first;
    EXPECT_EQ(first["archive"]["status"], "partial") << "dc2's part is not archived yet";
    std::set<std::string> skipped;
    for (const auto& line : first["archive"]["skipped"]) {
        skipped.insert(line.get<std::string>().substr(0, line.get<std::string>().find(':')));
    }
    std::set<std::string> in_dc2;
    auto manifest = manifest_of("s1"); // kept: a range over a temporary's member would dangle
    for (const auto& node : manifest["nodes"]) {
        bool in_dc1 = node["datacenter"] == "dc1";
        EXPECT_EQ(node.contains("archive") && !node["archive"].is_null(), in_dc1) << node["host"];
        if (!in_dc1) {
            in_dc2.insert(node["host"].get<std::string>());
        }
    }
    EXPECT_EQ(skipped, in_dc2) << first;

    auto second = archived("archive", 0, {"s1", "--dc", "dc2"});
    EXPECT_EQ(second["archive"]["status"], "complete") << second;
    EXPECT_EQ(second["archive"]["skipped"].size(), 0U);
    EXPECT_EQ(manifest_of("s1")["archive"]["status"], "complete");
    EXPECT_EQ(archived("verify", 0, {"s1", "--archive"})["problems"].size(), 0U);
}

// A tag alone does not make two backups the same: when the catalog's backup of a tag is not the
// one the archive holds under that tag (another operator host's, or one from before the catalog
// was lost), archiving it is refused rather than replacing the archived manifest, a sweep
// still keeps the archived one's blobs, and clearing the new one with --archive leaves it.
TEST_F(ArchiveLab, ABackupReusingAnArchivedTagNeitherReplacesNorSweepsTheArchivedOne)
{
    start_with_archive("local");
    if (HasFatalFailure() || IsSkipped()) {
        return;
    }
    archived("snapshot", 0, {"--tag", "s1", "--archive"});
    auto first_s1 = recorded_blobs("s1");
    archived("clear", 0, {"--tag", "s1"}); // off the nodes, kept in the archive
    fs::remove(m_lab->dir() + "/catalog/" + cluster_name() + "/manifests/s1.json");
    cql("INSERT INTO billing.invoices (id, amount) VALUES (7, 'EUR 70')");
    archived("snapshot", 0, {"--tag", "s1"}); // the same tag, another backup, not archived
    auto first_document = text_of(archived_manifest("s1"));

    // Archiving the new s1 would replace the archived one's manifest: refused, nothing sent.
    auto refused = archived("archive", 3, {"s1"});
    EXPECT_NE(refused.dump().find("the archive already holds another backup named s1"), std::string::npos) << refused;
    EXPECT_EQ(text_of(archived_manifest("s1")), first_document);

    archived("snapshot", 0, {"--tag", "s2", "--archive"});

    auto swept = archived("clear", 0, {"--tag", "s2", "--archive"});
    ASSERT_EQ(swept["sweeps"].size(), 1U);
    auto stored = stored_blobs();
    for (const auto& blob : first_s1) {
        EXPECT_TRUE(stored.count(blob)) << blob << " of the archived s1 was swept";
    }
    EXPECT_EQ(text_of(archived_manifest("s1")), first_document);

    // Clearing the catalog's s1 from the archive too leaves the other s1 there, blobs and all.
    archived("clear", 0, {"--tag", "s1", "--archive"});
    EXPECT_EQ(text_of(archived_manifest("s1")), first_document);
    stored = stored_blobs();
    for (const auto& blob : first_s1) {
        EXPECT_TRUE(stored.count(blob)) << blob << " of the archived s1 was swept";
    }
}

} // namespace
} // namespace ringsnap::testing
