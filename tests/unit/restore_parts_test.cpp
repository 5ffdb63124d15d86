// SPDX-License-Identifier: Apache-2.0
// The pieces restore is built from: SSTable names and which Cassandra reads them, manifest
// entries paired with nodes, chains read back from a catalog, the restore record and its
// storage, and the remote commands' shapes and parsers.

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ringsnap/cassandra_yaml.hpp>
#include <ringsnap/catalog.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/pairing.hpp>
#include <ringsnap/sstable_name.hpp>

#include "ops/restore_steps.hpp"

namespace ringsnap {
namespace {

CassandraVersion version(int major, int minor)
{
    return CassandraVersion{major, minor, 0, fmt::format("{}.{}", major, minor)};
}

TEST(SSTableName, ReadsSequenceAndUuidIdsAndNothingElse)
{
    auto name = parse_sstable_name("nb-12-big-Data.db");
    ASSERT_TRUE(name);
    EXPECT_EQ(name->version, "nb");
    EXPECT_EQ(name->generation(), 12U);
    EXPECT_EQ(name->prefix(), "nb-12-big");
    auto uuid = parse_sstable_name("nb-3g1m_0nuf_3vj5m2k1125165rxa7-big-Statistics.db");
    ASSERT_TRUE(uuid);
    EXPECT_FALSE(uuid->generation());
    EXPECT_EQ(uuid->component, "Statistics.db");
    for (const char* other : {"manifest.json", "schema.cql", "nb_txn_compaction_1.log", "NB-1-big-Data.db",
                              "nb-1-sst-Data.db", "nb--big-Data.db", "nb-1-big-"}) {
        EXPECT_FALSE(parse_sstable_name(other)) << other;
    }
}

TEST(SSTableName, EachVersionReadsWhatCassandraReads)
{
    auto reads = [](CassandraVersion node, const char* mode, const char* sstable, const char* format) {
        return can_read_sstable(node, mode, sstable, format);
    };
    EXPECT_TRUE(reads(version(3, 11), "", "me", "big"));
    EXPECT_TRUE(reads(version(3, 11), "", "mc", "big"));
    EXPECT_FALSE(reads(version(3, 11), "", "nb", "big")) << "4.x backups cannot go back to 3.11";
    EXPECT_TRUE(reads(version(4, 0), "", "me", "big"));
    EXPECT_TRUE(reads(version(4, 1), "", "nb", "big"));
    EXPECT_FALSE(reads(version(4, 1), "", "oa", "big"));
    EXPECT_FALSE(reads(version(4, 1), "", "da", "bti"));
    EXPECT_FALSE(reads(version(5, 0), "CASSANDRA_4", "oa", "big")) << "5.0's default mode skips oa";
    EXPECT_TRUE(reads(version(5, 0), "NONE", "oa", "big"));
    EXPECT_TRUE(reads(version(5, 0), "CASSANDRA_4", "da", "bti"));
    EXPECT_FALSE(reads(version(4, 0), "", "la", "big")) << "older than 3.0's ma";
    EXPECT_EQ(storage_compatibility_mode("cluster_name: x\n"), "CASSANDRA_4");
    EXPECT_EQ(storage_compatibility_mode("storage_compatibility_mode: NONE\n"), "NONE");
}

TEST(CassandraYaml, SeedsWithoutPortsAndTheCommitLogDirectory)
{
    const std::string yaml = "cluster_name: x\n"
                             "seed_provider:\n"
                             "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
                             "    parameters:\n"
                             "      - seeds: \"10.0.0.1:7000, cass-2,[::1]:7000,fe80::1\"\n"
                             "commitlog_directory: /var/lib/cassandra/commitlog\n";
    EXPECT_EQ(seed_hosts(yaml), (std::vector<std::string>{"10.0.0.1", "cass-2", "::1", "fe80::1"}));
    EXPECT_EQ(commitlog_directory(yaml), "/var/lib/cassandra/commitlog");
    EXPECT_TRUE(seed_hosts("cluster_name: x\n").empty());
    EXPECT_TRUE(seed_hosts(": not yaml [").empty());
    EXPECT_FALSE(commitlog_directory("cluster_name: x\n"));
    EXPECT_EQ(commitlog_directory("commitlog_directory: /var/lib//cassandra/commitlog/\n"),
              "/var/lib/cassandra/commitlog");
    EXPECT_FALSE(commitlog_directory("commitlog_directory: data/commitlog\n")) << "relative: not guessed";
}

NodeEntry recorded(const std::string& host, const std::string& host_id, std::vector<std::string> tokens)
{
    NodeEntry entry;
    entry.host = host;
    entry.host_id = host_id;
    entry.tokens = std::move(tokens);
    entry.status = NodeStatus::ok;
    return entry;
}

TEST(Pairing, HostIdFirstThenTokensThenHostName)
{
    Manifest manifest;
    manifest.tag = "base";
    manifest.nodes = {recorded("a", "id-a", {"1"}), recorded("b", "id-b", {"2"}), recorded("c", "id-c", {"3"}),
                      recorded("d", "id-d", {"4"})};
    std::vector<Node> nodes{
        {"b", "dc1", "", {}, {}, {}}, {"new-a", "dc1", "", {}, {}, {}}, {"c", "dc1", "", {}, {}, {}}, {"d", "dc1", "", {}, {}, {}}};
    std::vector<std::optional<ops::NodeIdentity>> identities{ops::NodeIdentity{"id-b", {"2"}},
                                                             ops::NodeIdentity{"id-a", {"1"}},
                                                             ops::NodeIdentity{"id-new", {"3"}}, std::nullopt};
    auto pairing = ops::pair_entries(manifest, nodes, identities).value();
    ASSERT_EQ(pairing.pairs.size(), 4U);
    EXPECT_EQ(pairing.for_entry(0)->node, 1U);
    EXPECT_EQ(pairing.for_entry(0)->by, ops::PairedBy::host_id);
    EXPECT_NE(pairing.for_entry(0)->note.find("recorded as a, now reached as new-a"), std::string::npos);
    EXPECT_EQ(pairing.for_entry(2)->by, ops::PairedBy::tokens);
    EXPECT_NE(pairing.for_entry(2)->note.find("host id id-c at the backup, id-new now"), std::string::npos);
    EXPECT_EQ(pairing.for_entry(3)->by, ops::PairedBy::host) << "unknown identity: the host name";
    EXPECT_TRUE(pairing.unmatched_nodes.empty());

    identities[3] = ops::NodeIdentity{"id-other", {"9"}};
    auto other = ops::pair_entries(manifest, nodes, identities).value();
    EXPECT_TRUE(other.for_entry(3)->tokens_differ) << "same name, another node";
    EXPECT_TRUE(ops::pair_entries(manifest, {}).value().unmatched_entries.size() == 4U);
}

TableEntry table_in_directory(const std::string& directory)
{
    TableEntry table;
    table.keyspace = "ks";
    table.table = "t";
    table.table_id = std::string(32, 'a');
    table.directory = directory;
    return table;
}

TEST(Pairing, RefusesAManifestWhoseTableDirectoryIsOutsideTheNodesDataDirs)
{
    // The manifest reader checks the shape (<dir>/ks/t-<id>); which data directory it starts
    // with can only be checked against the node's configured ones.
    Manifest manifest;
    manifest.tag = "evil";
    manifest.nodes = {recorded("a", "id-a", {"1"})};
    Node node{"a", "dc1", "", {}, {}, {}};
    node.cassandra.data_dirs = std::vector<std::string>{"/data1", "/data2"};
    std::string id(32, 'a');

    manifest.nodes[0].tables = {table_in_directory("/data2/ks/t-" + id)};
    ASSERT_TRUE(ops::pair_entries(manifest, {node}).has_value());
    EXPECT_EQ(ops::data_dir_of(node, manifest.nodes[0].tables[0]), 1U);

    manifest.nodes[0].tables = {table_in_directory("/data1/ks/t-" + id), table_in_directory("/etc/ks/t-" + id)};
    auto refused = ops::pair_entries(manifest, {node});
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().kind, ErrorKind::catalog);
    for (const char* named : {"manifest evil", "node a", "tables[1].directory", "\"/etc/ks/t-", "/data1, /data2"}) {
        EXPECT_NE(refused.error().message.find(named), std::string::npos) << named << " in " << refused.error().message;
    }
    Node elsewhere{"b", "dc1", "", {}, {}, {}}; // an entry no node pairs with builds no command: nothing to refuse
    EXPECT_TRUE(ops::pair_entries(manifest, {elsewhere}).has_value());
}

class CatalogOnDisk : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_root = std::filesystem::temp_directory_path() / fmt::format("ringsnap-parts-{}-{}", ::getpid(), counter++);
        std::filesystem::remove_all(m_root);
        catalog.emplace(*Catalog::open(m_root, "test"));
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }

    void save(const std::string& tag, BackupKind kind, std::optional<std::string> base = {},
              std::optional<std::string> parent = {}, int minutes = 0)
    {
        Manifest manifest;
        manifest.cluster = "test";
        manifest.tag = tag;
        manifest.kind = kind;
        manifest.base = base;
        manifest.parent = parent;
        manifest.started_at = Timestamp{} + std::chrono::hours(24 * 365 * 50) + std::chrono::minutes(minutes);
        manifest.nodes.push_back(recorded("a", "6fd35c20-9bb6-4b1f-9f2c-4c1e6f2b2a7e", {"1"}));
        finish_manifest(manifest);
        ASSERT_TRUE(catalog->save(manifest));
    }

    static inline int counter = 0;
    std::optional<Catalog> catalog;
    std::filesystem::path m_root;
};

TEST_F(CatalogOnDisk, ARestoreChainIsTheBaseAndTheIncrementalsUpToTheTagOrTheTime)
{
    save("s1", BackupKind::snapshot, {}, {}, 0);
    save("i1", BackupKind::incremental, "s1", {}, 10);
    save("i2", BackupKind::incremental, "s1", "i1", 20);
    save("i3", BackupKind::incremental, "s1", "i2", 30);
    auto to_i2 = ops::load_restore_chain(*catalog, "i2", std::nullopt);
    ASSERT_TRUE(to_i2) << to_i2.error().message;
    EXPECT_EQ(to_i2->base.tag, "s1");
    ASSERT_EQ(to_i2->incrementals.size(), 2U);
    EXPECT_EQ(to_i2->incrementals[1].tag, "i2");

    EXPECT_TRUE(ops::load_restore_chain(*catalog, "s1", std::nullopt)->incrementals.empty());
    auto base_time = to_i2->base.started_at;
    auto until = ops::load_restore_chain(*catalog, "s1", base_time + std::chrono::minutes(25));
    ASSERT_TRUE(until);
    EXPECT_EQ(until->incrementals.size(), 2U) << "i1 and i2 started before the time";

    auto before = ops::load_restore_chain(*catalog, "s1", base_time - std::chrono::minutes(1));
    ASSERT_FALSE(before);
    EXPECT_NE(before.error().message.find("is before the base snapshot s1"), std::string::npos)
        << before.error().message;
    EXPECT_FALSE(ops::load_restore_chain(*catalog, "nope", std::nullopt));
}

TEST_F(CatalogOnDisk, AnImpossibleChainIsRefusedNamingIt)
{
    save("s1", BackupKind::snapshot);
    save("i1", BackupKind::incremental, "s1", "i2", 10);
    save("i2", BackupKind::incremental, "s1", "i1", 20); // a cycle: neither follows from the base
    auto chain = ops::load_restore_chain(*catalog, "s1", std::nullopt);
    ASSERT_FALSE(chain);
    EXPECT_NE(chain.error().message.find("impossible chain on base s1"), std::string::npos) << chain.error().message;
}

TEST_F(CatalogOnDisk, RestoreRecordsAreSavedWholeReadBackAndListedOldestFirst)
{
    RestoreRecord record;
    record.id = "restore-20261130T100000Z";
    record.cluster = "test";
    record.tag = "s1";
    record.backups = {"s1", "i1"};
    record.method = "auto";
    record.truncate = true;
    record.started_at = Timestamp{} + std::chrono::hours(24 * 365 * 56);
    record.truncated = {"billing.invoices"};
    record.method = "sstableloader";
    record.target = "scratch";
    record.created = {"billing.invoices"};
    record.row_counts = {{"billing.invoices", 5, 6, std::nullopt}, {"billing.customers", std::nullopt, 2, "target: x"}};
    RestoreNode node;
    node.host = "a";
    node.method = "import";
    node.tables.push_back({"billing", "invoices", TableState::loaded, 8, 2, 1000, std::nullopt, 120});
    record.nodes.push_back(node);
    auto path = catalog->save_restore(record);
    ASSERT_TRUE(path) << path.error().message;
    auto loaded = catalog->load_restore(record.id);
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(*loaded, record);

    auto second = record;
    second.id = "restore-20261130T110000Z";
    second.started_at += std::chrono::hours(1);
    ASSERT_TRUE(catalog->save_restore(second));
    record.status = RestoreStatus::complete;
    ASSERT_TRUE(catalog->save_restore(record)) << "saving again replaces";
    auto listing = catalog->list_restores();
    ASSERT_TRUE(listing);
    ASSERT_EQ(listing->records.size(), 2U);
    EXPECT_EQ(listing->records[0].status, RestoreStatus::complete);
    EXPECT_TRUE(listing->records[0].same_request(listing->records[1]));

    std::ofstream(catalog->restores_directory() / "broken.json") << "{\"format\": \"ringsnap-restore\"";
    EXPECT_EQ(catalog->list_restores()->problems.size(), 1U);
    auto hostile = to_json(record);
    hostile["nodes"][0]["tables"][0]["table"] = "a;rm -rf /";
    EXPECT_FALSE(restore_record_from_json(hostile));
    hostile = to_json(record);
    hostile["created"] = {"billing.x;DROP"};
    EXPECT_FALSE(restore_record_from_json(hostile));
    hostile = to_json(record);
    hostile["row_counts"][0]["table"] = "\x1b[2J";
    EXPECT_FALSE(restore_record_from_json(hostile));
}

TEST(RestoreSteps, DiskFactsAreReadAndTheirUnitsKept)
{
    auto facts = ops::restore_steps::parse_disk_facts(
        "D\t0\t/data\t2049\t2049\t1024\t999:999\nX\t/data/billing/invoices-0123/snapshots/"
        "dropped-1700000000000-invoices\n"
        "X\t/data/billing/invoices-4567/snapshots/truncated-1700000000001-invoices\n");
    ASSERT_TRUE(facts) << facts.error().message;
    ASSERT_EQ(facts->data_dirs.size(), 1U);
    EXPECT_EQ(facts->data_dirs[0].free_bytes, 1024U * 1024U) << "df's KiB";
    EXPECT_EQ(facts->marked_dropped, (std::vector<std::string>{"/data/billing/invoices-0123"}));
    EXPECT_EQ(facts->truncate_snapshots.size(), 1U);
    EXPECT_FALSE(ops::restore_steps::parse_disk_facts("D\t0\t/data\t1\t1\t8.2e+10\t0:0\n"));
}

TEST(RestoreSteps, StagingSitsBesideTheDataDirectory)
{
    EXPECT_EQ(ops::restore_steps::staging_root("/var/lib/cassandra/data", "restore-1", 0),
              "/var/lib/cassandra/ringsnap-restore/restore-1/d0");
    EXPECT_EQ(ops::restore_steps::staging_root("/data1/cassandra", "restore-1", 1),
              "/data1/ringsnap-restore/restore-1/d1");
}

TEST(RestoreSteps, TheCqlPasswordIsNeverOnTheCommandLine)
{
    Node node{"h", "dc1", "", {}, {}, {}};
    auto truncate = ops::restore_steps::truncate_statements({"billing.invoices"});
    auto command = ops::restore_steps::cqlsh_command(node, "10.0.0.1", truncate, true);
    EXPECT_NE(command.find("--cqlshrc \"$rc\""), std::string::npos) << command;
    EXPECT_NE(command.find("umask 077"), std::string::npos);
    EXPECT_NE(command.find("rm -f -- \"$rc\""), std::string::npos);
    auto input = ops::restore_steps::cqlshrc_input("restorer", "pw");
    EXPECT_EQ(input, "[authentication]\nusername = restorer\npassword = pw\n");
    EXPECT_EQ(ops::restore_steps::cqlsh_command(node, "10.0.0.1", truncate, false),
              "cqlsh --request-timeout=300 -e 'TRUNCATE billing.invoices; ' 10.0.0.1");
}

} // namespace
} // namespace ringsnap
