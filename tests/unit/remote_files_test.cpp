// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include <ringsnap/remote_files.hpp>

#include "support/child_process.hpp"

namespace ringsnap {
namespace {

Node node_with(std::vector<std::string> data_dirs, std::optional<std::string> sudo = std::nullopt)
{
    Node node;
    node.host = "10.0.0.1";
    node.cassandra.data_dirs = std::move(data_dirs);
    node.ssh.sudo = std::move(sudo);
    return node;
}

TEST(FileListing, ReadsPathSizeInodeAndNanosecondMtime)
{
    auto files =
        parse_file_listing("/data\tks/t-0123/snapshots/tag/nb-1-big-Data.db\t1048576\t4242\t1732327200.123456789\n"
                           "/data\tks/t-0123/snapshots/tag/.t_v_idx/nb-1-big-Data.db\t10\t7\t1732327200\n");
    ASSERT_TRUE(files) << files.error().message;
    ASSERT_EQ(files->size(), 2U);
    EXPECT_EQ((*files)[0].data_dir, "/data");
    EXPECT_EQ((*files)[0].path, "ks/t-0123/snapshots/tag/nb-1-big-Data.db");
    EXPECT_EQ((*files)[0].size, 1048576U);
    EXPECT_EQ((*files)[0].inode, 4242U);
    EXPECT_EQ((*files)[0].mtime_ns, 1732327200123456789);
    EXPECT_EQ((*files)[1].mtime_ns, 1732327200000000000);
}

TEST(FileListing, RejectsALineOfAnotherShape)
{
    auto files = parse_file_listing("/data\tks/x\tbig\t1\t2\n");
    ASSERT_FALSE(files);
    EXPECT_EQ(files.error().kind, ErrorKind::parse);
    EXPECT_NE(files.error().message.find("ks/x"), std::string::npos);
}

TEST(FileListing, CommandListsTheTagInEveryDataDirectoryLocally)
{
    // Run the real command against a local tree: it is plain sh and GNU find.
    std::string root = ::testing::TempDir() + "ringsnap-listing";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root + "/d1/ks/t-01/snapshots/tag/.idx");
    std::filesystem::create_directories(root + "/d1/ks/t-01/snapshots/other");
    std::filesystem::create_directories(root + "/d2/ks/u-02/snapshots/tag");
    std::ofstream(root + "/d1/ks/t-01/snapshots/tag/a-Data.db") << "abc";
    std::ofstream(root + "/d1/ks/t-01/snapshots/tag/.idx/b-Data.db") << "x";
    std::ofstream(root + "/d1/ks/t-01/snapshots/other/c-Data.db") << "no";
    std::ofstream(root + "/d2/ks/u-02/snapshots/tag/manifest.json") << "{}";
    auto node = node_with({root + "/d1", root + "/d2", root + "/missing"});
    auto result = testing::run_process({"/bin/sh", "-c", list_snapshot_files_command(node, {"ks", "absent"}, "tag")});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto files = parse_file_listing(result.out);
    ASSERT_TRUE(files) << files.error().message;
    std::set<std::string> paths;
    for (const auto& file : *files) {
        paths.insert(file.data_dir + "|" + file.path + "|" + std::to_string(file.size));
    }
    EXPECT_EQ(paths, (std::set<std::string>{root + "/d1|ks/t-01/snapshots/tag/a-Data.db|3",
                                            root + "/d1|ks/t-01/snapshots/tag/.idx/b-Data.db|1",
                                            root + "/d2|ks/u-02/snapshots/tag/manifest.json|2"}));
}

TEST(Sha256sum, ReadsHashAndPath)
{
    auto hashes = parse_sha256sum(std::string(64, 'a') + "  /d/x y\n");
    ASSERT_TRUE(hashes);
    EXPECT_EQ(hashes->at("/d/x y"), std::string(64, 'a'));
    EXPECT_FALSE(parse_sha256sum("abc  /d\n"));
    EXPECT_FALSE(parse_sha256sum("\\" + std::string(64, 'a') + "  /d/x\\ny\n")) << "escaped names are refused";
}

TEST(Sha256sum, ReadsOpensslLinesAndRunsTheSameOnEveryNode)
{
    auto hashes = parse_sha256sum(std::string(64, 'b') + " */d/x y\n");
    ASSERT_TRUE(hashes);
    EXPECT_EQ(hashes->at("/d/x y"), std::string(64, 'b'));
    // The program runs as written, with openssl and without (a PATH holding only sh and
    // sha256sum): the same hash either way.
    namespace fs = std::filesystem;
    auto dir = fs::temp_directory_path() / ("ringsnap-sha-" + std::to_string(::getpid()));
    fs::create_directories(dir / "bin");
    fs::create_symlink("/bin/sh", dir / "bin" / "sh");
    fs::create_symlink("/usr/bin/sha256sum", dir / "bin" / "sha256sum");
    std::ofstream(dir / "hello") << "hello";
    for (std::string path : {std::string("/usr/bin:/bin"), (dir / "bin").string()}) {
        auto result = testing::run_process(
            {"/bin/sh", "-c", "PATH=" + path + " " + sha256_program() + " " + (dir / "hello").string()});
        auto parsed = parse_sha256sum(result.out);
        ASSERT_TRUE(parsed) << path << ": " << result.out << result.err;
        EXPECT_EQ(parsed->at((dir / "hello").string()),
                  "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
            << path;
    }
    fs::remove_all(dir);
}

TEST(Sha256sum, CommandsStayFarBelowTheArgumentLimitAndCoverEveryPath)
{
    std::vector<std::string> paths;
    for (int i = 0; i < 5000; ++i) {
        paths.push_back("/var/lib/cassandra/data/ks/table-0123456789abcdef/snapshots/t/nb-" + std::to_string(i) +
                        "-big-Data.db");
    }
    auto commands = hash_commands(node_with({"/d"}, std::string("cassandra")), paths);
    ASSERT_GT(commands.size(), 1U);
    std::size_t mentioned = 0;
    for (const auto& command : commands) {
        EXPECT_LT(command.size(), 100U * 1024) << "a single argument may not exceed 128 KiB";
        EXPECT_EQ(command.rfind("sudo -n -u cassandra -- sh -c ", 0), 0U);
        for (std::size_t at = command.find("-big-Data.db"); at != std::string::npos;
             at = command.find("-big-Data.db", at + 1)) {
            ++mentioned;
        }
    }
    EXPECT_EQ(mentioned, paths.size());
    EXPECT_TRUE(hash_commands(node_with({"/d"}), {}).empty());
}

TEST(FileContents, KeepsEveryByteOfEveryFile)
{
    std::string root = ::testing::TempDir() + "ringsnap-contents";
    std::filesystem::create_directories(root);
    std::string odd = std::string("line\n\tsecond\r\n") + '\0' + "end";
    std::ofstream(root + "/a b.json", std::ios::binary) << odd;
    std::ofstream(root + "/empty.cql").close();
    std::ofstream(root + "/last.cql") << "CREATE";
    std::vector<SizedPath> files{{root + "/a b.json", odd.size()}, {root + "/empty.cql", 0}, {root + "/last.cql", 6}};
    auto commands = read_files_commands(node_with({"/d"}), files);
    ASSERT_EQ(commands.size(), 1U);
    auto result = testing::run_process({"/bin/sh", "-c", commands.front()});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    auto contents = split_contents(result.out, files);
    ASSERT_TRUE(contents) << contents.error().message;
    EXPECT_EQ(contents->at(root + "/a b.json"), odd);
    EXPECT_EQ(contents->at(root + "/empty.cql"), "");
    EXPECT_EQ(contents->at(root + "/last.cql"), "CREATE");
}

TEST(FileContents, AFileThatChangedSizeSinceItWasListedIsAnError)
{
    std::vector<SizedPath> files{{"/a", 3}, {"/b", 2}};
    EXPECT_TRUE(split_contents("abcde", files));
    EXPECT_FALSE(split_contents("abcdef", files));
    EXPECT_FALSE(split_contents("abcd", files));
}

TEST(DataDirSurvey, ReadsKeyspacesTablesAndExistingTags)
{
    const std::string id = "d132e240c21711e9bbee19821dcea330";
    auto survey = parse_data_dir_survey("K\tbilling\nK\tsystem\nT\t/data\tbilling/invoices-" + id +
                                        "\nT\t/data 2\tbilling/invoices-" + id +
                                        "\nT\t/data\tbilling/not-a-table\n"
                                        "S\tbilling/invoices-0123/snapshots/nightly\nU\t/data3\n");
    ASSERT_TRUE(survey) << survey.error().message;
    EXPECT_EQ(survey->keyspaces, (std::vector<std::string>{"billing", "system"}));
    ASSERT_EQ(survey->tables.size(), 2U); // a directory without a table id is not a table's
    EXPECT_EQ(survey->tables[1].data_dir, "/data 2");
    EXPECT_EQ(survey->tables[1].keyspace, "billing");
    EXPECT_EQ(survey->tables[1].table, "invoices");
    EXPECT_EQ(survey->tables[1].path(), "/data 2/billing/invoices-" + id);
    EXPECT_EQ(survey->tag_dirs.size(), 1U);
    EXPECT_EQ(survey->unreadable_dirs, (std::vector<std::string>{"/data3"}));
    EXPECT_FALSE(parse_data_dir_survey("X\tfoo\n"));
    EXPECT_FALSE(parse_data_dir_survey("T\tbilling/invoices-" + id + "\n")); // no data directory
}

TEST(DataDirSurvey, CommandLooksForTheTagOnlyWhenGiven)
{
    Node node{"h", "dc1", "", {}, {}, {}};
    node.cassandra.data_dirs = std::vector<std::string>{"/var/lib/cassandra/data"};
    EXPECT_NE(survey_data_dirs_command(node, "nightly").find("snapshots/nightly"), std::string::npos);
    EXPECT_EQ(survey_data_dirs_command(node, "").find("snapshots"), std::string::npos);
}

} // namespace
} // namespace ringsnap
