// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/manifest.hpp>
#include <ringsnap/manifest_json.hpp>
#include <ringsnap/shell.hpp>
#include <ringsnap/timestamp.hpp>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/manifest_samples.hpp"

namespace ringsnap {
namespace {

using testing::at;
using testing::read_text;
using testing::sample_manifest;
using testing::sample_node;

const std::string k_data_dir = std::string(RINGSNAP_TEST_DATA_DIR) + "/manifest/";
const std::string k_schema_path = std::string(RINGSNAP_TEST_DATA_DIR) + "/../../docs/manifest.schema.json";

std::string written(const Manifest& manifest)
{
    std::ostringstream out;
    write_manifest(out, manifest);
    return out.str();
}

Result<Manifest> read_text_manifest(const std::string& text)
{
    std::istringstream in(text);
    return read_manifest(in, "test.json");
}

Result<ManifestSummary> read_text_summary(const std::string& text)
{
    std::istringstream in(text);
    return read_manifest_summary(in, "test.json");
}

std::set<std::string> keys_of(const ManifestJson& object)
{
    std::set<std::string> keys;
    for (const auto& item : object.items()) {
        keys.insert(item.key());
    }
    return keys;
}

// --- Timestamps ---

TEST(ManifestTimestamp, FormatsUtcWithMilliseconds)
{
    Timestamp time{std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + std::chrono::hours(2) +
                   std::chrono::milliseconds(120)};
    EXPECT_EQ(format_timestamp(time), "2026-11-23T02:00:00.120Z");
}

TEST(ManifestTimestamp, ParsesWhatItFormats)
{
    auto now = now_utc();
    auto parsed = parse_timestamp(format_timestamp(now));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(*parsed, now);
}

TEST(ManifestTimestamp, AcceptsZeroToNineFractionDigits)
{
    EXPECT_EQ(format_timestamp(*parse_timestamp("2026-11-23T02:00:00Z")), "2026-11-23T02:00:00.000Z");
    EXPECT_EQ(format_timestamp(*parse_timestamp("2026-11-23T02:00:00.5Z")), "2026-11-23T02:00:00.500Z");
    EXPECT_EQ(format_timestamp(*parse_timestamp("2026-11-23T02:00:00.123456789Z")), "2026-11-23T02:00:00.123Z");
}

TEST(ManifestTimestamp, RejectsOtherShapes)
{
    for (const char* text : {"2026-11-23 02:00:00Z", "2026-11-23T02:00:00", "2026-11-23T02:00:00+01:00",
                             "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-23T24:00:00Z",
                             "-026-11-23T02:00:00Z", "2026-11-23T02:00:00.Z", "2026-11-23T02:00:00.1234567890Z", ""}) {
        auto parsed = parse_timestamp(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_EQ(parsed.error().kind, ErrorKind::parse);
        EXPECT_NE(parsed.error().message.find("2026-11-23T02:00:00.120Z"), std::string::npos);
    }
}

// --- Derived values ---

TEST(ManifestStatusOf, CompleteWhenEveryNodeIsOk)
{
    std::vector<NodeEntry> nodes{sample_node("a", "dc1", "2026-11-23T02:00:00Z"),
                                 sample_node("b", "dc2", "2026-11-23T02:00:01Z")};
    EXPECT_EQ(derive_status(nodes), ManifestStatus::complete);
}

TEST(ManifestStatusOf, PartialWhenSomeFailed)
{
    std::vector<NodeEntry> nodes{sample_node("a", "dc1", "2026-11-23T02:00:00Z"), testing::failed_node("b", "dc2")};
    EXPECT_EQ(derive_status(nodes), ManifestStatus::partial);
}

TEST(ManifestStatusOf, FailedWhenNoneSucceededOrNoNodes)
{
    EXPECT_EQ(derive_status({testing::failed_node("a", "dc1"), testing::failed_node("b", "dc2")}),
              ManifestStatus::failed);
    EXPECT_EQ(derive_status({}), ManifestStatus::failed);
}

TEST(ManifestFinish, CountsTotalsKeepsBytesHashedAndMeasuresTheSpread)
{
    Manifest manifest = sample_manifest();
    EXPECT_EQ(manifest.status, ManifestStatus::partial);
    EXPECT_EQ(manifest.totals.nodes, 3U);
    EXPECT_EQ(manifest.totals.nodes_ok, 2U);
    EXPECT_EQ(manifest.totals.tables, 2U);
    EXPECT_EQ(manifest.totals.files, 6U);
    EXPECT_EQ(manifest.totals.bytes, 2U * (1048576 + 4096 + 512));
    EXPECT_EQ(manifest.totals.bytes_hashed, 512U);
    ASSERT_TRUE(manifest.snapshot_spread);
    EXPECT_EQ(manifest.snapshot_spread->first, at("2026-11-23T02:00:03.400Z"));
    EXPECT_EQ(manifest.snapshot_spread->last, at("2026-11-23T02:00:04.950Z"));
    EXPECT_EQ(manifest.snapshot_spread->spread(), std::chrono::milliseconds(1550));
    EXPECT_EQ(manifest.ringsnap_version, RINGSNAP_VERSION);
}

TEST(ManifestFinish, SpreadUsesFlushTimeOfIncrementalNodes)
{
    std::vector<NodeEntry> nodes{testing::failed_node("a", "dc1"), testing::failed_node("b", "dc1")};
    EXPECT_FALSE(compute_spread(nodes));
    nodes[0].flush_at = at("2026-11-24T02:00:01Z");
    nodes[1].flush_at = at("2026-11-24T02:00:00Z");
    auto spread = compute_spread(nodes);
    ASSERT_TRUE(spread);
    EXPECT_EQ(spread->spread(), std::chrono::seconds(1));
}

// --- JSON mapping ---

TEST(ManifestJsonMapping, RoundTripsEveryField)
{
    Manifest manifest = sample_manifest();
    manifest.kind = BackupKind::incremental;
    manifest.base = "nightly-2026-11-22";
    manifest.parent = "incr-2026-11-23";
    manifest.selection = Selection{{"billing"}, {"billing.invoices"}, {"dc1"}, {"10.0.1.11"}};
    manifest.nodes[0].flush_at = at("2026-11-23T02:00:02.000Z");
    manifest.nodes[0].pruned_at = at("2026-11-23T02:00:05.000Z");
    manifest.archive =
        ManifestArchive{ManifestStatus::partial, at("2026-11-23T02:10:00.000Z"), {"s3:b/prod-main"}, 7, 9000, 3, 4000};
    manifest.cleared_at = at("2026-11-30T02:00:00.000Z");
    manifest.expires_at = at("2026-12-07T02:00:00.000Z");
    manifest.nodes[0].archive =
        NodeArchive{"s3:b/prod-main", NodeStatus::ok, at("2026-11-23T02:09:00.000Z"), std::nullopt, 3, 4000};
    manifest.nodes[1].archive =
        NodeArchive{"s3:b/prod-main", NodeStatus::failed, std::nullopt, "rclone exited with 1", 0, 0};
    auto read = manifest_from_json(to_json(manifest));
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, manifest);
}

TEST(ManifestJsonMapping, RoundTripsARunningManifestWithItsRunId)
{
    Manifest manifest = sample_manifest();
    manifest.status = ManifestStatus::running;
    manifest.run_id = "0123456789ab";
    manifest.nodes[1].status = NodeStatus::running;
    auto json = to_json(manifest);
    EXPECT_EQ(json["status"], "running");
    EXPECT_EQ(json["run_id"], "0123456789ab");
    EXPECT_EQ(json["nodes"][1]["status"], "running");
    auto read = manifest_from_json(json);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, manifest);
    EXPECT_FALSE(is_usable(read->status));

    json["archive"] = {{"status", "running"}, {"archived_at", "2026-11-23T02:10:00.000Z"}, {"remotes", {"s3:b"}}};
    EXPECT_FALSE(manifest_from_json(json)) << "an archive is written once its run has ended: never running";
}

TEST(ManifestJsonMapping, WritesTheKeysOfTheDesignExampleAtEveryLevel)
{
    auto example = ManifestJson::parse(read_text(k_data_dir + "v1-design-example.json"));
    auto json = to_json(sample_manifest());
    auto includes = [](const std::set<std::string>& ours, const std::set<std::string>& theirs) {
        return std::includes(ours.begin(), ours.end(), theirs.begin(), theirs.end());
    };
    EXPECT_TRUE(includes(keys_of(json), keys_of(example)));
    EXPECT_TRUE(includes(keys_of(json["nodes"][0]), keys_of(example["nodes"][0])));
    EXPECT_TRUE(includes(keys_of(json["nodes"][0]["tables"][0]), keys_of(example["nodes"][0]["tables"][0])));
    EXPECT_TRUE(includes(keys_of(json["nodes"][0]["tables"][0]["files"][0]),
                         keys_of(example["nodes"][0]["tables"][0]["files"][0])));
    EXPECT_EQ(json["format"], "ringsnap-manifest");
    EXPECT_EQ(json["format_version"], 1);
    EXPECT_EQ(json["status"], "partial");
    EXPECT_TRUE(json["base"].is_null());
    EXPECT_EQ(json["started_at"], "2026-11-23T02:00:00.120Z");
    EXPECT_EQ(json["nodes"][2]["status"], "failed");
    EXPECT_EQ(json["nodes"][2]["error"], "connect: connection refused");
    EXPECT_EQ(json["nodes"][0]["tables"][0]["files"][0]["size"], 1048576);
    EXPECT_EQ(json.items().begin().key(), "format"); // readable order: format first, nodes last
    EXPECT_EQ((--json.end()).key(), "nodes");
}

TEST(ManifestJsonMapping, ReadsTheDesignExampleVerbatim)
{
    auto read = manifest_from_json(ManifestJson::parse(read_text(k_data_dir + "v1-design-example.json")));
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->cluster, "prod-main");
    EXPECT_EQ(read->status, ManifestStatus::complete);
    EXPECT_FALSE(read->base);
    EXPECT_EQ(read->finished_at, at("2026-11-23T02:01:14.031Z"));
    ASSERT_EQ(read->nodes.size(), 1U);
    const auto& file = read->nodes[0].tables[0].files[0];
    EXPECT_EQ(file.name, "nb-1-big-Data.db");
    EXPECT_EQ(file.size, 1048576U);
    EXPECT_FALSE(file.inode);
    EXPECT_FALSE(file.mtime_ns);
    EXPECT_EQ(read->totals.files, 1U); // counted: the example has no totals
    EXPECT_EQ(read->totals.bytes, 1048576U);
    EXPECT_FALSE(read->nodes[0].tables[0].cassandra_manifest);
}

TEST(ManifestJsonMapping, ReadsAMinimalIncrementalOfFormatVersionOne)
{
    std::istringstream in(read_text(k_data_dir + "v1-minimal-incremental.json"));
    auto read = read_manifest(in, "v1-minimal-incremental.json");
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->kind, BackupKind::incremental);
    EXPECT_EQ(read->base, "nightly-2026-11-23");
    EXPECT_FALSE(read->parent);
    EXPECT_EQ(read->status, ManifestStatus::partial);
    EXPECT_TRUE(read->ringsnap_version.empty());
    EXPECT_EQ(read->selection, Selection{});
    ASSERT_EQ(read->nodes.size(), 2U);
    EXPECT_EQ(read->nodes[0].flush_at, at("2026-11-24T02:00:01.000Z"));
    EXPECT_EQ(read->nodes[0].tables[0].files[1].name, ".invoices_by_customer/nb-3-big-Data.db");
    EXPECT_EQ(read->nodes[1].status, NodeStatus::failed);
    EXPECT_EQ(read->nodes[1].error, "connect: connection refused");
    EXPECT_EQ(read->nodes[1].rack, "");
    EXPECT_FALSE(read->nodes[1].host_id);
    EXPECT_EQ(read->totals.nodes, 2U);
    EXPECT_EQ(read->totals.nodes_ok, 1U);
    EXPECT_EQ(read->totals.bytes, 524288U + 4096U);
    ASSERT_TRUE(read->snapshot_spread);
    EXPECT_EQ(read->snapshot_spread->first, at("2026-11-24T02:00:01Z"));
}

TEST(ManifestJsonMapping, IgnoresKeysItDoesNotKnow)
{
    auto json = to_json(sample_manifest());
    json["added_later"] = {{"anything", 1}};
    json["nodes"][0]["tables"][0]["files"][0]["crc32"] = "abcd";
    auto read = manifest_from_json(json);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, sample_manifest());
}

TEST(ManifestJsonMapping, RefusesAnotherFormat)
{
    auto json = to_json(sample_manifest());
    json["format"] = "cassandra-manifest";
    auto read = manifest_from_json(json);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, ErrorKind::parse);
    EXPECT_NE(read.error().message.find("not a ringsnap manifest"), std::string::npos) << read.error().message;
    json.erase("format");
    EXPECT_FALSE(manifest_from_json(json));
}

TEST(ManifestJsonMapping, RefusesANewerFormatVersionBeforeAnythingElse)
{
    auto json = to_json(sample_manifest());
    json["format_version"] = 2;
    json["nodes"] = "laid out differently in version 2";
    auto read = manifest_from_json(json);
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("format_version 2 was written by a newer ringsnap"), std::string::npos)
        << read.error().message;
    EXPECT_NE(read.error().message.find("upgrade ringsnap"), std::string::npos);
    auto streamed = read_text_manifest(json.dump());
    ASSERT_FALSE(streamed);
    EXPECT_NE(streamed.error().message.find("newer ringsnap"), std::string::npos) << streamed.error().message;
}

TEST(ManifestJsonMapping, NamesThePathOfAWrongValue)
{
    auto json = to_json(sample_manifest());
    json["nodes"][1]["tables"][0]["files"][2]["size"] = -1;
    auto read = manifest_from_json(json);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().message,
              "manifest: nodes[1].tables[0].files[2].size: expected a non-negative integer, found -1");
    json = to_json(sample_manifest());
    json["nodes"][0].erase("host");
    auto streamed = read_text_manifest(json.dump());
    ASSERT_FALSE(streamed);
    EXPECT_EQ(streamed.error().message, "manifest test.json: nodes[0].host: missing");
}

TEST(ManifestJsonMapping, RefusesAnUnknownStatus)
{
    auto json = to_json(sample_manifest());
    json["status"] = "done";
    auto read = manifest_from_json(json);
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("status: unknown value \"done\"; expected one of \"complete\", \"partial\", "
                                        "\"failed\""),
              std::string::npos)
        << read.error().message;
}

// --- Text ---

TEST(ManifestText, StreamedTextIsTheDocumentOfToJson)
{
    Manifest manifest = sample_manifest();
    manifest.nodes[0].tables[0].files[0].name = "odd \"name\" with \\ and \xc3\xa9";
    manifest.nodes[2].error = "odd \"error\"\twith\nlines \x01";
    std::string text = written(manifest);
    EXPECT_EQ(ManifestJson::parse(text), to_json(manifest));
    auto read = read_text_manifest(text);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, manifest);
}

TEST(ManifestText, PutsEachFileOnOneLine)
{
    std::string text = written(sample_manifest());
    std::istringstream lines(text);
    int file_lines = 0;
    for (std::string line; std::getline(lines, line);) {
        file_lines += line.find("\"sha256\":") != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(file_lines, 6);
    EXPECT_EQ(text.rfind("}\n"), text.size() - 2);
}

TEST(ManifestText, LaysOutTheDocumentAsDocsManifestMdShows)
{
    // v1-layout.json is the example of docs/manifest.md, byte for byte.
    std::string golden = read_text(k_data_dir + "v1-layout.json");
    auto read = read_text_manifest(golden);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(written(*read), golden);
}

TEST(ManifestText, WritesAManifestWithoutNodes)
{
    Manifest manifest = sample_manifest();
    manifest.nodes.clear();
    auto read = read_text_manifest(written(manifest));
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_TRUE(read->nodes.empty());
}

TEST(ManifestText, ReplacesBytesThatAreNotUtf8)
{
    Manifest manifest = sample_manifest();
    manifest.nodes[0].tables[0].files[0].name = "nb-1-\xff-Data.db";
    auto read = read_text_manifest(written(manifest));
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->nodes[0].tables[0].files[0].name, "nb-1-\xef\xbf\xbd-Data.db");
}

TEST(ManifestText, RefusesTextThatIsNotJson)
{
    std::string text = written(sample_manifest());
    for (const std::string& bad : {std::string("not json"), text.substr(0, text.size() / 2), std::string()}) {
        auto read = read_text_manifest(bad);
        ASSERT_FALSE(read);
        EXPECT_EQ(read.error().kind, ErrorKind::parse);
        EXPECT_NE(read.error().message.find("manifest test.json: not valid JSON"), std::string::npos)
            << read.error().message;
    }
}

TEST(ManifestText, RefusesNodesThatAreNotObjects)
{
    auto read = read_text_manifest(R"({"format": "ringsnap-manifest", "format_version": 1, "nodes": [1]})");
    ASSERT_FALSE(read);
    auto json = to_json(sample_manifest());
    json["nodes"] = {1, 2};
    read = read_text_manifest(json.dump());
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("nodes: expected an array of objects"), std::string::npos)
        << read.error().message;
}

// --- Validation ---

// "/nodes/0/tables/1/keyspace" -> "nodes[0].tables[1].keyspace": a JSON pointer as the reader's
// messages name the place.
std::string path_of(const std::string& pointer)
{
    std::string path;
    std::istringstream parts(pointer.substr(1));
    for (std::string part; std::getline(parts, part, '/');) {
        bool index =
            !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
        path += index ? "[" + part + "]" : (path.empty() ? "" : ".") + part;
    }
    return path;
}

ManifestJson with_value(const std::string& pointer, const ManifestJson& value)
{
    auto json = to_json(sample_manifest());
    json[ManifestJson::json_pointer(pointer)] = value;
    return json;
}

// Reads `json` as a tree and as text: both refuse it, naming `path` and showing `value` quoted.
void expect_refused(const ManifestJson& json, const std::string& path, const std::string& value)
{
    SCOPED_TRACE(path + " = " + quote_for_message(value));
    auto read = manifest_from_json(json);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().kind, ErrorKind::parse);
    EXPECT_EQ(read.error().message.rfind("manifest: " + path + ": ", 0), 0U) << read.error().message;
    auto quoted = quote_for_message(value); // cut to 80 characters when longer
    EXPECT_NE(read.error().message.find(quoted.size() <= 80 ? quoted : quoted.substr(0, 40)), std::string::npos)
        << read.error().message;
    auto streamed = read_text_manifest(json.dump());
    ASSERT_FALSE(streamed);
    EXPECT_EQ(streamed.error().kind, ErrorKind::parse);
    EXPECT_EQ(streamed.error().message, "manifest test.json: " + read.error().message.substr(10));
}

// Puts each of `values` at `pointer` ("/nodes/0/host") of a good manifest: every one is refused.
void expect_each_refused(const std::string& pointer, const std::vector<std::string>& values)
{
    for (const auto& value : values) {
        expect_refused(with_value(pointer, value), path_of(pointer), value);
    }
}

// ... and every one of these is read back as it was.
void expect_each_read(const std::string& pointer, const std::vector<std::string>& values)
{
    for (const auto& value : values) {
        SCOPED_TRACE(pointer + " = " + quote_for_message(value));
        auto json = with_value(pointer, value);
        auto read = manifest_from_json(json);
        ASSERT_TRUE(read) << read.error().message;
        EXPECT_EQ(to_json(*read)[ManifestJson::json_pointer(pointer)], value);
        auto streamed = read_text_manifest(json.dump());
        ASSERT_TRUE(streamed) << streamed.error().message;
    }
}

const std::string k_table = "/nodes/0/tables/0";
const std::string k_file = k_table + "/files/0";

TEST(ManifestValidation, ReadsAGoodManifestWithEveryKindOfValue)
{
    Manifest manifest = sample_manifest();
    manifest.kind = BackupKind::incremental;
    manifest.base = "nightly-2026-11-22";
    manifest.parent = "incr_2026.11.23";
    NodeEntry& node = manifest.nodes[0];
    node.host = "cassandra-1.dc1.example.com";
    node.datacenter = "DC 1 (Paris)";
    node.rack = "";
    node.host_id = "6FD35C20-2C4F-4A8E-9B4E-1F3A5C7D9E01";
    node.tokens = {"0", "-9223372036854775808", "170141183460469231731687303715884105727"};
    TableEntry legacy = node.tables[0]; // a pre-2.1 table directory: no id
    legacy.table = "payments";
    legacy.table_id = "";
    legacy.directory = "/data2/cassandra/billing/payments";
    legacy.files = {testing::sample_file("billing-payments-jb-1-Data.db", 10, 7),
                    testing::sample_file(".payments_by_day/billing-payments.payments_by_day-jb-1-Data.db", 10, 8),
                    testing::sample_file(std::string(255, 'x'), 1, 9), testing::sample_file(".x/.hidden", 1, 10)};
    node.tables.push_back(legacy);
    auto read = manifest_from_json(to_json(manifest));
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, manifest);
    auto streamed = read_text_manifest(written(manifest));
    ASSERT_TRUE(streamed) << streamed.error().message;
    EXPECT_EQ(*streamed, manifest);
}

TEST(ManifestValidation, RefusesTagsAndClusterNamesThatCannotNameAFile)
{
    for (const char* key : {"/cluster", "/tag", "/base", "/parent"}) {
        expect_each_refused(key, {"", "../x", ".hidden", "a/b", "a b", "nightly\n", std::string(201, 'a')});
    }
    expect_each_read("/tag", {"a", "-", "nightly-2026-11-23", "x.y_Z", std::string(200, 'a')});
    expect_each_read("/base", {"nightly-2026-11-22"});
}

TEST(ManifestValidation, RefusesKeyspacesAndTablesThatAreNotCassandraNames)
{
    for (const std::string& key : {k_table + "/keyspace", k_table + "/table"}) {
        expect_each_refused(key, {"", "../x", "a;rm -rf /", "a-b", "a.b", "caf\xc3\xa9", std::string(49, 'a')});
    }
}

TEST(ManifestValidation, RefusesATableIdThatIsNot32LowercaseHexDigits)
{
    expect_each_refused(k_table + "/table_id",
                        {"zz", "D132E240C21711E9BBEE19821DCEA330", "d132e240c21711e9bbee19821dcea33",
                         "d132e240-c217-11e9-bbee-19821dcea330", "d132e240c21711e9bbee19821dcea330 "});
}

TEST(ManifestValidation, ReadsAnEmptyTableIdOnlyWithAPre21Directory)
{
    auto json = with_value(k_table + "/table_id", "");
    expect_refused(json, "nodes[0].tables[0].directory",
                   "/var/lib/cassandra/data/billing/invoices-d132e240c21711e9bbee19821dcea330");
    json[ManifestJson::json_pointer(k_table + "/directory")] = "/var/lib/cassandra/data/billing/invoices";
    auto read = manifest_from_json(json);
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->nodes[0].tables[0].table_id, "");
}

TEST(ManifestValidation, RefusesADirectoryThatIsNotTheTablesDirectory)
{
    const std::string id = "d132e240c21711e9bbee19821dcea330";
    expect_each_refused(
        k_table + "/directory",
        {"/", "", "var/lib/cassandra/data/billing/invoices-" + id,
         "/var/lib/cassandra/data/billing/invoices-" + id + "/", "/var/lib//cassandra/data/billing/invoices-" + id,
         "/var/lib/./cassandra/data/billing/invoices-" + id,
         "/var/lib/cassandra/data/../../../etc/billing/invoices-" + id,
         "/var/lib/cassandra/data\n/billing/invoices-" + id,
         std::string("/var/lib/cassandra/data") + '\0' + "/billing/invoices-" + id, "/billing/invoices-" + id,
         "/var/lib/cassandra/data/billing/payments-" + id, "/var/lib/cassandra/data/other/invoices-" + id,
         "/var/lib/cassandra/data/billing/invoices", "/var/lib/cassandra/data/billing/invoices-" + id + "/snapshots/x",
         "/var/lib/cassandra/data/xbilling/invoices-" + id});
    expect_each_read(k_table + "/directory",
                     {"/data/billing/invoices-" + id, "/mnt/disk 2/d\xc3\xa9j\xc3\xa0/billing/invoices-" + id});
}

TEST(ManifestValidation, RefusesFileNamesOutsideTheTablesDirectory)
{
    expect_each_refused(k_file + "/name",
                        {"", "../etc/passwd", "/etc/passwd", "..", ".", "./nb-1-big-Data.db",
                         ".idx/../nb-1-big-Data.db", "idx/nb-1-big-Data.db", ".idx/sub/nb-1-big-Data.db", ".idx/",
                         ".idx//nb-1-big-Data.db", "nb-1-big-Data.db/", "nb-1\nbig-Data.db", "nb-1\tbig-Data.db",
                         std::string("nb-1") + '\0' + "big-Data.db", std::string(256, 'x'),
                         "." + std::string(255, 'i') + "/nb-1-big-Data.db"});
    expect_each_read(k_file + "/name", {"nb-1-big-Data.db", ".idx/nb-1-big-Data.db", "manifest.json", ".hidden",
                                        "nb-1-\xc3\xa9 odd \\ name", std::string(255, 'x')});
}

TEST(ManifestValidation, RefusesASha256ThatIsNot64LowercaseHexDigits)
{
    expect_each_refused(k_file + "/sha256", {"zz", "", std::string(63, 'a'), std::string(65, 'a'), std::string(64, 'A'),
                                             std::string(63, 'a') + "g", std::string(63, 'a') + " "});
    expect_each_read(k_file + "/sha256", {"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"});
}

TEST(ManifestValidation, RefusesHostsWithSpacesOrControlCharacters)
{
    expect_each_refused("/nodes/1/host", {"", "a b", "host\t", "host\n", "\x1b[31mred", std::string(256, 'h')});
    expect_each_read("/nodes/1/host", {"10.0.2.11", "::1", "fe80::1%eth0", std::string(255, 'h')});
}

TEST(ManifestValidation, RefusesDatacentersAndRacksWithControlCharacters)
{
    for (const char* key : {"/nodes/0/datacenter", "/nodes/0/rack"}) {
        expect_each_refused(key, {"dc1\n", "dc\t1", "\x1b[2J", std::string("dc\0", 3), "dc\x7f"});
        expect_each_read(key, {"", "dc 1", "Paris-Nord \xc3\xa9"});
    }
}

TEST(ManifestValidation, RefusesAHostIdThatIsNotAUuid)
{
    expect_each_refused("/nodes/0/host_id",
                        {"", "6fd35c20-...", "6fd35c202c4f4a8e9b4e1f3a5c7d9e01", "6fd35c20-2c4f-4a8e-9b4e-1f3a5c7d9e0",
                         "6fd35c20-2c4f-4a8e-9b4e-1f3a5c7d9e0g", "{6fd35c20-2c4f-4a8e-9b4e-1f3a5c7d9e01}"});
    auto json = to_json(sample_manifest());
    json["nodes"][0]["host_id"] = nullptr;
    EXPECT_TRUE(manifest_from_json(json));
}

TEST(ManifestValidation, RefusesTokensThatAreNotDecimalIntegers)
{
    expect_each_refused("/nodes/0/tokens/1", {"", "-", "+1", "1e5", "0x10", "12 ", "-9101...", "abc",
                                              std::string(40, '9'), "-" + std::string(40, '9')});
    expect_each_read("/nodes/0/tokens/1",
                     {"0", "-1", "9223372036854775807", std::string(39, '9'), "-" + std::string(39, '9')});
}

TEST(ManifestValidation, RefusesAFileListedTwiceInATable)
{
    auto json = to_json(sample_manifest());
    auto& files = json["nodes"][1]["tables"][0]["files"];
    files.push_back(files[0]);
    files.back()["sha256"] = std::string(64, 'f');
    expect_refused(json, "nodes[1].tables[0].files[3].name", "nb-1-big-Data.db");
    auto read = manifest_from_json(json);
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("listed twice in the table (first at files[0])"), std::string::npos)
        << read.error().message;
}

TEST(ManifestValidation, RefusesATableListedTwiceOnANode)
{
    auto json = to_json(sample_manifest());
    auto& tables = json["nodes"][0]["tables"];
    tables.push_back(tables[0]);
    expect_refused(json, "nodes[0].tables[1]",
                   "/var/lib/cassandra/data/billing/invoices-d132e240c21711e9bbee19821dcea330");
    auto read = manifest_from_json(json);
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("table billing.invoices in"), std::string::npos) << read.error().message;
    // The same table on two nodes, as in every sample manifest, is fine.
    EXPECT_TRUE(manifest_from_json(to_json(sample_manifest())));
}

TEST(ManifestValidation, ReadsANodeWithManyTablesOfLongNames)
{
    Manifest manifest = sample_manifest();
    NodeEntry& node = manifest.nodes[0];
    TableEntry table = node.tables[0];
    node.tables.clear();
    for (int i = 0; i < 40; ++i) {
        table.keyspace = "keyspace_with_a_long_name_" + std::to_string(i / 10);
        table.table = "table_with_a_long_name_" + std::to_string(i);
        table.directory = "/var/lib/cassandra/data/" + table.keyspace + "/" + table.table + "-" + table.table_id;
        node.tables.push_back(table);
    }
    auto read = read_text_manifest(written(manifest));
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(*read, manifest);
}

TEST(ManifestValidation, RefusesTheHostileExamples)
{
    auto json = to_json(sample_manifest());
    json["nodes"][0]["tables"][0]["directory"] = "/";
    json["nodes"][0]["tables"][0]["files"][0]["name"] = "../etc/passwd";
    expect_refused(json, "nodes[0].tables[0].directory", "/");
    expect_each_refused(k_file + "/name", {"../etc/passwd"});
    expect_each_refused(k_table + "/keyspace", {"../x"});
    expect_each_refused(k_table + "/table", {"a;rm -rf /"});
    expect_each_refused(k_file + "/sha256", {"zz"});
    auto read = manifest_from_json(with_value(k_table + "/table", "a;rm -rf /"));
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().message, "manifest: nodes[0].tables[0].table: expected a Cassandra name, [A-Za-z0-9_], 1 "
                                    "to 48 characters, found \"a;rm -rf /\"");
}

TEST(ManifestValidation, ShowsALongOrHostileValueCutAndEscaped)
{
    std::string long_tag = std::string(5000, 'a');
    auto read = manifest_from_json(with_value("/tag", long_tag));
    ASSERT_FALSE(read);
    EXPECT_LT(read.error().message.size(), 200U) << read.error().message;
    EXPECT_NE(read.error().message.find("\"... (5000 bytes)"), std::string::npos) << read.error().message;
    std::string hostile = "\x1b]0;pwned\x07" + std::string(100, '\n') + "\xc3\xa9";
    read = manifest_from_json(with_value(k_table + "/keyspace", hostile));
    ASSERT_FALSE(read);
    const auto& message = read.error().message;
    EXPECT_EQ(message.find_first_of(std::string("\x1b\x07\n", 3)), std::string::npos) << message;
    auto found = message.find("found \"");
    ASSERT_NE(found, std::string::npos) << message;
    EXPECT_LE(message.size() - found - 6, 80U) << message;
    EXPECT_NE(message.find("\\x1b]0;pwned\\x07\\n\\n"), std::string::npos) << message;
    // A cut never splits a UTF-8 character.
    // 63 'a', then an 'é' whose second byte would be the 65th: the cut goes before the 'é'.
    read = manifest_from_json(with_value("/tag", std::string(63, 'a') + "\xc3\xa9" + std::string(20, 'b')));
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("found \"" + std::string(63, 'a') + "\"... (85 bytes)"), std::string::npos)
        << read.error().message;
}

TEST(ManifestValidation, QuotesAnUnknownStatusOrABadTimestamp)
{
    auto read = manifest_from_json(with_value("/nodes/0/status", "ok\x1b[0m"));
    ASSERT_FALSE(read);
    EXPECT_NE(read.error().message.find("nodes[0].status: unknown value \"ok\\x1b[0m\""), std::string::npos)
        << read.error().message;
    expect_refused(with_value("/started_at", "yesterday\n"), "started_at", "yesterday\n");
}

// --- Summaries ---

TEST(ManifestSummaryRead, ComesFromTheKeysBeforeNodes)
{
    Manifest manifest = sample_manifest();
    auto summary = read_text_summary(written(manifest));
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(*summary, summary_of(manifest));
}

TEST(ManifestSummaryRead, DoesNotParseTheNodes)
{
    // A node section no reader would accept does not disturb the summary: it was never parsed.
    std::string text = written(sample_manifest());
    auto nodes = text.find("\"nodes\": [");
    text.replace(nodes, std::string("\"nodes\": [").size(), "\"nodes\": [ this is not JSON ");
    EXPECT_TRUE(read_text_summary(text));
    EXPECT_FALSE(read_text_manifest(text));
}

TEST(ManifestSummaryRead, RefusesAHeaderValueThatBreaksARuleWithoutReadingTheNodes)
{
    Manifest manifest = sample_manifest();
    manifest.tag = "../../etc/cron.d/x";
    std::string text = written(manifest);
    auto nodes = text.find("\"nodes\": [");
    text.replace(nodes, std::string("\"nodes\": [").size(), "\"nodes\": [ this is not JSON ");
    auto summary = read_text_summary(text);
    ASSERT_FALSE(summary);
    EXPECT_EQ(summary.error().kind, ErrorKind::parse);
    EXPECT_EQ(summary.error().message.rfind("manifest test.json: tag: ", 0), 0U) << summary.error().message;
    EXPECT_NE(summary.error().message.find("\"../../etc/cron.d/x\""), std::string::npos) << summary.error().message;
    Manifest bad_cluster = sample_manifest();
    bad_cluster.cluster = "a/b";
    Manifest bad_base = sample_manifest();
    bad_base.base = "a/b";
    Manifest bad_parent = sample_manifest();
    bad_parent.parent = "a/b";
    for (const Manifest& bad : {bad_cluster, bad_base, bad_parent}) {
        summary = read_text_summary(written(bad));
        ASSERT_FALSE(summary);
        EXPECT_NE(summary.error().message.find(": expected a name of [A-Za-z0-9_.-]"), std::string::npos)
            << summary.error().message;
    }
}

TEST(ManifestSummaryRead, ReadsADocumentWithoutTotalsWhole)
{
    auto summary = read_text_summary(read_text(k_data_dir + "v1-minimal-incremental.json"));
    ASSERT_TRUE(summary) << summary.error().message;
    EXPECT_EQ(summary->tag, "incr-2026-11-24");
    EXPECT_EQ(summary->totals.nodes, 2U);
    EXPECT_EQ(summary->totals.files, 2U);
}

TEST(ManifestSummaryRead, RefusesANewerVersionAndATruncatedFile)
{
    auto json = to_json(sample_manifest());
    json["format_version"] = 7;
    auto newer = read_text_summary(json.dump());
    ASSERT_FALSE(newer);
    EXPECT_NE(newer.error().message.find("newer ringsnap"), std::string::npos);
    std::string text = written(sample_manifest());
    auto truncated = read_text_summary(text.substr(0, text.size() - 40));
    ASSERT_FALSE(truncated);
    EXPECT_NE(truncated.error().message.find("not valid JSON"), std::string::npos) << truncated.error().message;
}

// --- Schema ---

// Checks that `value` has every key that `schema` (and the schemas it refers to, its
// properties and its items) marks required: what docs/manifest.schema.json promises readers.
void expect_required_keys(const nlohmann::json& root, const nlohmann::json& schema, const ManifestJson& value,
                          const std::string& path)
{
    if (schema.contains("$ref")) {
        auto pointer = schema["$ref"].get<std::string>().substr(1); // "#/$defs/node" -> "/$defs/node"
        expect_required_keys(root, root.at(nlohmann::json::json_pointer(pointer)), value, path);
    }
    for (const auto& alternative : schema.value("anyOf", nlohmann::json::array())) {
        if (!value.is_null() && alternative.contains("$ref")) {
            expect_required_keys(root, alternative, value, path);
        }
    }
    if (value.is_object()) {
        for (const auto& key : schema.value("required", nlohmann::json::array())) {
            EXPECT_TRUE(value.contains(key.get<std::string>())) << path << " lacks " << key;
        }
        auto properties = schema.value("properties", nlohmann::json::object());
        for (const auto& [key, property] : properties.items()) {
            if (value.contains(key)) {
                expect_required_keys(root, property, value[key], path + "." + key);
            }
        }
    }
    if (value.is_array() && schema.contains("items")) {
        for (std::size_t i = 0; i < value.size(); ++i) {
            expect_required_keys(root, schema["items"], value[i], path + "[" + std::to_string(i) + "]");
        }
    }
}

TEST(ManifestSchema, WrittenManifestsHaveEveryRequiredKey)
{
    auto schema = nlohmann::json::parse(read_text(k_schema_path));
    ASSERT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    Manifest manifest = sample_manifest();
    expect_required_keys(schema, schema, to_json(manifest), "manifest");
    manifest.kind = BackupKind::incremental;
    manifest.base = "nightly-2026-11-22";
    expect_required_keys(schema, schema, ManifestJson::parse(written(manifest)), "incremental");
    EXPECT_TRUE(ManifestJson::parse(written(manifest)).contains("parent"));
}

TEST(ManifestSchema, RequiresNoMoreThanTheDesignExampleHas)
{
    auto schema = nlohmann::json::parse(read_text(k_schema_path));
    auto example = ManifestJson::parse(read_text(k_data_dir + "v1-design-example.json"));
    expect_required_keys(schema, schema, example, "design example");
    auto minimal = ManifestJson::parse(read_text(k_data_dir + "v1-minimal-incremental.json"));
    expect_required_keys(schema, schema, minimal, "minimal incremental");
}

} // namespace
} // namespace ringsnap
