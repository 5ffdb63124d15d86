// SPDX-License-Identifier: Apache-2.0
// `ringsnap restore --method sstableloader --target FILE`: a backup of a 2-DC x 3-node lab
// streamed into a second lab of 1 DC x 2 nodes started beside it (another topology, another
// cluster): the missing keyspace and tables created there first, exactly the backup's rows on
// every target replica afterwards, row counts compared with the source, and the plan refusing a
// target whose release the loaders cannot stream to and a target with a node down.

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "support/restore_lab.hpp"

namespace ringsnap::testing {
namespace {

class LoaderOnLab : public RestoreLab
{
  protected:
    // The source: two data centers of three nodes, RF 3 in each; the backup `nightly`.
    void SetUp() override
    {
        start(2, 3);
        if (IsSkipped()) {
            return;
        }
        auto snapshot = run_json("snapshot", 0, {"--tag", "nightly"});
        ASSERT_EQ(snapshot["status"], "ok") << snapshot.dump();
    }

    void start_target(const std::string& versions = "") { m_target = std::make_unique<Lab>(1, 2, versions); }

    std::string target_cqlsh(const std::string& name) const
    {
        return m_target->dir() + "/nodes/" + name + "/bin/cqlsh";
    }

    // billing.invoices as target node `name` alone holds it (the other one stopped).
    Rows target_rows_on(const std::string& name) const { return rows_alone_on(*m_target, name, {"dc1-n1", "dc1-n2"}); }

    json load(int expected_exit, std::vector<std::string> extra = {})
    {
        std::vector<std::string> args{"nightly",    "--method", "sstableloader", "--target", m_target->cluster_file(),
                                      "--truncate", "--yes"};
        args.insert(args.end(), extra.begin(), extra.end());
        return restore(expected_exit, args);
    }

    bool staging_left_on_source() const
    {
        for (const auto& node : std::filesystem::directory_iterator(m_lab->dir() + "/nodes")) {
            if (std::filesystem::exists(node.path() / "ringsnap-restore")) {
                return true;
            }
        }
        return false;
    }

    static const json* table_report(const json& report, const std::string& name)
    {
        for (const auto& table : report["tables"]) {
            if (table["table"] == name) {
                return &table;
            }
        }
        return nullptr;
    }

    std::unique_ptr<Lab> m_target;
};

TEST_F(LoaderOnLab, AnotherTopologyGetsExactlyTheBackupsRowsOnEveryReplica)
{
    start_target();
    change_rows_after_the_backup(); // the source moves on; the target must get the backup
    auto report = load(0, {"--count-rows"});
    EXPECT_EQ(report["status"], "ok") << report.dump();
    EXPECT_EQ(report["restore"]["target"], load_cluster_file(m_target->cluster_file())->name)
        << "the record names the cluster loaded into";
    auto created = report["restore"]["created"].get<std::vector<std::string>>();
    EXPECT_EQ(created, (std::vector<std::string>{"billing.customers", "billing.invoices"}))
        << "the target had no billing keyspace: both tables came from schema.cql";
    for (const auto& name : {"dc1-n1", "dc1-n2"}) {
        EXPECT_EQ(target_rows_on(name), first_rows()) << "on target " << name;
    }
    const auto* invoices = table_report(report, "billing.invoices");
    ASSERT_NE(invoices, nullptr) << report.dump();
    EXPECT_EQ((*invoices)["rows"], 5) << "COUNT(*) at ALL on the target";
    EXPECT_EQ((*invoices)["nodes_loaded"], 6);
    EXPECT_GT((*invoices)["bytes"].get<std::uint64_t>(), 0U);
    EXPECT_FALSE(staging_left_on_source());
}

TEST_F(LoaderOnLab, CompareSourceExitsFourWhenTheRowsDiffer)
{
    start_target();
    auto same = load(0, {"--compare-source"});
    const auto* invoices = table_report(same, "billing.invoices");
    ASSERT_NE(invoices, nullptr) << same.dump();
    EXPECT_EQ((*invoices)["rows"], 5);
    EXPECT_EQ((*invoices)["source_rows"], 5);
    EXPECT_EQ((*invoices)["rows_match"], true);

    cql("INSERT INTO billing.invoices (id, amount) VALUES (7, 'EUR 70')"); // written since the backup
    auto differ = load(4, {"--compare-source"});
    EXPECT_EQ(differ["status"], "mismatch") << differ.dump();
    ASSERT_EQ(differ["mismatches"].size(), 1U) << differ.dump();
    EXPECT_EQ(differ["mismatches"][0], "billing.invoices: 5 rows on the target, 6 on the source");
    EXPECT_EQ(target_rows_on("dc1-n1"), first_rows()) << "the load itself went well: TRUNCATE, then the backup";
}

// examples/ci-restore.sh as a CI job runs it: ringsnap and jq on the PATH, the two cluster files.
TEST_F(LoaderOnLab, TheExampleCiJobPassesOnAGoodBackupAndFailsOnADifference)
{
    if (!std::filesystem::exists("/usr/bin/jq")) {
        GTEST_SKIP() << "jq is not installed (Debian: jq)";
    }
    start_target();
    auto bin_dir = std::filesystem::path(RINGSNAP_BIN).parent_path().string();
    auto ci_job = [&] {
        return run_process({"/bin/sh", "-c", "PATH=\"$1:$PATH\" exec \"$2\" \"$3\" \"$4\" billing", "ci-job", bin_dir,
                            std::string(RINGSNAP_EXAMPLES) + "/ci-restore.sh", m_lab->cluster_file(),
                            m_target->cluster_file()});
    };
    auto good = ci_job();
    EXPECT_EQ(good.exit_code, 0) << good.out << good.err;
    EXPECT_NE(good.out.find("billing.invoices: 6/6 nodes loaded"), std::string::npos) << good.out;
    EXPECT_NE(good.out.find("rows 5 (source 5)"), std::string::npos) << good.out;

    cql("INSERT INTO billing.invoices (id, amount) VALUES (8, 'EUR 80')");
    auto differ = ci_job();
    EXPECT_EQ(differ.exit_code, 4) << differ.out << differ.err;
    EXPECT_NE(differ.err.find("billing.invoices: 5 rows on the target, 6 on the source"), std::string::npos)
        << differ.err;
}

TEST_F(LoaderOnLab, ATargetTheLoadersCannotStreamToIsRefusedInThePlan)
{
    start_target("3.11");
    auto refused = load(2);
    std::string refusals = refused["plan"]["refusals"].dump();
    EXPECT_NE(refusals.find("cannot stream to Cassandra 3.11"), std::string::npos) << refusals;
    EXPECT_FALSE(refused.contains("restore")) << "nothing ran";
    auto tables = run_process({target_cqlsh("dc1-n1"), "-e", "SELECT id FROM billing.invoices"});
    EXPECT_NE(tables.exit_code, 0) << "nothing was created on the target: " << tables.out;
}

TEST_F(LoaderOnLab, ATargetTableWithOtherColumnsIsRefusedInThePlan)
{
    start_target();
    for (const auto& statement : {"CREATE KEYSPACE billing WITH replication = {'class': 'NetworkTopologyStrategy', "
                                  "'dc1': 2}",
                                  "CREATE TABLE billing.invoices (id int PRIMARY KEY, amount int)"}) {
        auto created = run_process({target_cqlsh("dc1-n1"), "-e", statement});
        ASSERT_EQ(created.exit_code, 0) << created.err;
    }
    auto refused = load(2);
    std::string refusals = refused["plan"]["refusals"].dump();
    EXPECT_NE(refusals.find("billing.invoices exists in the cluster restored into with other columns (amount is int "
                            "there, text in the backup)"),
              std::string::npos)
        << refusals;
}

TEST_F(LoaderOnLab, ATargetNodeDownIsRefusedBeforeAnythingChanges)
{
    start_target();
    m_target->must({"stop-node", "dc1-n2"});
    auto refused = load(2);
    std::string refusals = refused["plan"]["refusals"].dump();
    EXPECT_NE(refusals.find("sstableloader streams to every replica"), std::string::npos) << refusals;
    EXPECT_FALSE(staging_left_on_source());
}

} // namespace
} // namespace ringsnap::testing
