// SPDX-License-Identifier: Apache-2.0
// The pieces of a restore with sstableloader: which loader reaches which node, the loader's
// command line, what its output means, and the CQL around it (schema, row counts).

#include <gtest/gtest.h>

#include "ops/loader_steps.hpp"

namespace ringsnap::ops::loader_steps {
namespace {

CassandraVersion release(int major, int minor)
{
    return CassandraVersion{major, minor, 0, std::to_string(major) + "." + std::to_string(minor)};
}

CommandOutput output(int status, std::string out, std::string err = "")
{
    CommandOutput result;
    result.exit_status = status;
    result.out = std::move(out);
    result.err = std::move(err);
    return result;
}

const std::string k_good_load = "Established connection to initial hosts\n"
                                "Opening sstables and calculating sections to stream\n"
                                "Streaming relevant part of /s/billing/invoices/nb-1-big-Data.db  to "
                                "[/127.0.0.1:7000, /127.0.0.2:7000]\n"
                                "\rprogress: [/127.0.0.1:7000]0:1/1 100% total: 100% 0.018KiB/s (avg: 0.018KiB/s)\n"
                                "\n"
                                "Summary statistics: \n"
                                "   Connections per host    : 1         \n"
                                "   Total files transferred : 2         \n"
                                "   Total bytes transferred : 4.600KiB  \n"
                                "   Total duration          : 3106 ms   \n"
                                "   Average transfer rate   : 1.48KiB/s \n"
                                "   Peak transfer rate      : 1.48KiB/s \n\n";

TEST(LoaderVersions, AReceiverTakesStreamsAtItsOwnMessagingVersionOnly)
{
    EXPECT_TRUE(loader_reaches(release(3, 11), release(3, 11), "CASSANDRA_4"));
    EXPECT_FALSE(loader_reaches(release(3, 11), release(4, 1), "CASSANDRA_4"));
    EXPECT_FALSE(loader_reaches(release(4, 1), release(3, 11), "CASSANDRA_4"));
    EXPECT_TRUE(loader_reaches(release(4, 0), release(4, 1), "CASSANDRA_4")) << "4.0 and 4.1 are both 12";
    EXPECT_TRUE(loader_reaches(release(4, 1), release(5, 0), "CASSANDRA_4"));
    EXPECT_FALSE(loader_reaches(release(4, 1), release(5, 0), "NONE"));
    EXPECT_FALSE(loader_reaches(release(4, 1), release(5, 0), "UPGRADING")) << "may be either: not sure is no";
    EXPECT_TRUE(loader_reaches(release(5, 0), release(5, 0), "NONE"));
    EXPECT_TRUE(loader_reaches(release(5, 0), release(4, 1), "CASSANDRA_4")) << "a 5.0 loader speaks 12 and 13";
    EXPECT_FALSE(loader_reaches(release(5, 0), release(3, 11), "CASSANDRA_4"));
}

TEST(LoaderCommand, PointsAtTheTargetAndTakesCredentialsFromStdin)
{
    Node node{"n1", "dc1", "r1", {}, {}, {}};
    LoaderSettings settings{{"10.0.0.1", "10.0.0.2"}, std::nullopt, false};
    EXPECT_EQ(loader_command(node, settings, "/stage/nightly/billing/invoices"),
              "sstableloader -d 10.0.0.1,10.0.0.2 /stage/nightly/billing/invoices");

    node.cassandra.sstableloader = "/opt/cassandra/bin/sstableloader";
    node.ssh.sudo = "cassandra";
    settings.throttle_mbits = 100;
    settings.with_credentials = true;
    auto command = loader_command(node, settings, "/stage/it's");
    EXPECT_EQ(command.rfind("sudo -n -u cassandra -- sh -c ", 0), 0U) << command;
    EXPECT_NE(command.find("IFS= read -r u && IFS= read -r pw && exec /opt/cassandra/bin/sstableloader -d "
                           "10.0.0.1,10.0.0.2 -t 100 -u \"$u\" -pw \"$pw\""),
              std::string::npos)
        << command;
    EXPECT_EQ(loader_input("loader", "s3cret"), "loader\ns3cret\n");
    EXPECT_EQ(command.find("s3cret"), std::string::npos);
}

TEST(LoaderOutput, ASummaryWithFilesIsALoad)
{
    auto report = check_load(output(0, k_good_load), 1);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->files, 2U);
    EXPECT_EQ(report->bytes, "4.600KiB");
}

TEST(LoaderOutput, AFailedStreamSaysWhichHosts)
{
    auto report = check_load(output(1, "Established connection to initial hosts\n",
                                    "Streaming to the following hosts failed:\n[/127.0.0.2:7000]\n"
                                    "java.util.concurrent.ExecutionException: ... Stream failed\n"
                                    "\tat org.apache.cassandra.tools.BulkLoader.load(BulkLoader.java:117)\n"),
                             1);
    ASSERT_FALSE(report);
    EXPECT_NE(report.error().message.find("exit status 1"), std::string::npos) << report.error().message;
    EXPECT_NE(report.error().message.find("Streaming to the following hosts failed: [/127.0.0.2:7000]"),
              std::string::npos)
        << report.error().message;

    auto refused = check_load(output(1, "",
                                     "Error while connecting to initial hosts\n"
                                     "com.datastax.driver.core.exceptions.AuthenticationException: "
                                     "Authentication error on host /10.0.0.1:9042: Provided username x "
                                     "and/or password are incorrect\n\tat org.apache...\n"),
                              1);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("AuthenticationException"), std::string::npos) << refused.error().message;
}

TEST(LoaderOutput, SkippedFilesAndNothingStreamedAreFailuresDespiteExitZero)
{
    auto skipped = check_load(output(0, "Established connection to initial hosts\n"
                                        "Opening sstables and calculating sections to stream\n"
                                        "Skipping file nb-1-big-Data.db: table billing.invoices doesn't exist\n" +
                                            k_good_load.substr(k_good_load.find("\nSummary"))),
                              1);
    ASSERT_FALSE(skipped);
    EXPECT_NE(skipped.error().message.find("table billing.invoices doesn't exist"), std::string::npos);

    std::string none = k_good_load;
    none.replace(none.find(": 2 "), 4, ": 0 ");
    EXPECT_FALSE(check_load(output(0, none), 1));
    EXPECT_TRUE(check_load(output(0, none), 0)) << "nothing to stream, nothing streamed";
    EXPECT_FALSE(check_load(output(0, "Established connection to initial hosts\n"), 1)) << "no summary: unknown";
}

TEST(RowCount, ReadsCqlshCountOutput)
{
    auto count = parse_count("Consistency level set to ALL.\n\n count\n-------\n    21\n\n(1 rows)\n\nWarnings :\n"
                             "Aggregation query used without partition key\n\n");
    ASSERT_TRUE(count) << count.error().message;
    EXPECT_EQ(*count, 21U);
    EXPECT_FALSE(parse_count("\n id | amount\n----+-------\n  1 | EUR 1\n"));
    EXPECT_FALSE(parse_count(" count\n-------\n  many\n"));
    EXPECT_EQ(count_statements("billing", "invoices"), "CONSISTENCY ALL; SELECT COUNT(*) FROM billing.invoices;");
}

TEST(Replication, IsDataCentersWithFactors)
{
    auto pairs = parse_replication("dc1:3,dc-2:1");
    ASSERT_TRUE(pairs);
    EXPECT_EQ(pairs->size(), 2U);
    EXPECT_EQ((*pairs)[1], (std::pair<std::string, int>{"dc-2", 1}));
    for (const char* bad : {"", "dc1", "dc1:0", "dc1:3;drop", "dc1:3,", "'dc1':3"}) {
        EXPECT_FALSE(parse_replication(bad)) << bad;
    }
    EXPECT_EQ(create_keyspace_statement("billing", "dc1:3,dc2:2"),
              "CREATE KEYSPACE IF NOT EXISTS billing WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': "
              "3, 'dc2': 2};");
}

TEST(TableColumns, AreReadFromSystemSchemaAndFromSchemaCql)
{
    auto read = parse_columns("billing", "\n table_name | column_name | type\n"
                                         "------------+-------------+----------------\n"
                                         "   invoices |          id |            int\n"
                                         "   invoices |      amount |           text\n"
                                         "  customers |        tags | map<text, int>\n\n(3 rows)\n");
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ((*read)["billing.invoices"], (std::map<std::string, std::string>{{"amount", "text"}, {"id", "int"}}));
    EXPECT_EQ((*read)["billing.customers"]["tags"], "map<text,int>");
    EXPECT_FALSE(parse_columns("billing", "<stdin>:1:InvalidRequest: Error from server\n"));
    EXPECT_TRUE(parse_columns("billing", "\n table_name | column_name | type\n---+---+---\n\n(0 rows)\n")->empty());

    auto schema = schema_columns("CREATE TYPE IF NOT EXISTS billing.address (street text, city text);\n"
                                 "CREATE TABLE IF NOT EXISTS billing.invoices (\n\tid int,\n\tday text,\n"
                                 "\t\"Amount\" decimal,\n\ttags map<text, int>,\n\tnote text static,\n"
                                 "\tPRIMARY KEY (id, day))\n\tWITH ID = d132e240-c217-11e9-bbee-19821dcea330\n"
                                 "\tAND comment = 'a, b';\n");
    EXPECT_EQ(schema,
              (std::map<std::string, std::string>{
                  {"Amount", "decimal"}, {"day", "text"}, {"id", "int"}, {"note", "text"}, {"tags", "map<text,int>"}}));
    EXPECT_EQ(schema_columns("CREATE TABLE ks.t (id int PRIMARY KEY, v frozen<list<text>>)"),
              (std::map<std::string, std::string>{{"id", "int"}, {"v", "frozen<list<text>>"}}));
    EXPECT_EQ(columns_statement("billing"),
              "SELECT table_name, column_name, type FROM system_schema.columns WHERE keyspace_name = 'billing';");
}

} // namespace
} // namespace ringsnap::ops::loader_steps
