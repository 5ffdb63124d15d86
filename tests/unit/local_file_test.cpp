// SPDX-License-Identifier: Apache-2.0
// open_local_file: the one way ringsnap reads a file on the operator host. Nothing that is not a
// regular file of bounded size is read, and nothing hangs.

#include <ringsnap/local_file.hpp>

#include <string>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/manifest_samples.hpp"

namespace ringsnap {
namespace {

namespace fs = std::filesystem;
using testing::write_text;

constexpr FileKind k_small{"test file", 16};

TEST(LocalFile, ReadsARegularFileWhole)
{
    testing::TempDir dir;
    write_text(dir.path() / "f", "hello\nworld\n");
    auto text = read_local_file(dir.path() / "f", k_small);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, "hello\nworld\n");
}

TEST(LocalFile, RefusesWhatIsNotARegularFileNamingItWithoutReading)
{
    testing::TempDir dir;
    ASSERT_EQ(::mkfifo((dir.path() / "fifo").c_str(), 0600), 0);
    fs::create_directory(dir.path() / "dir");
    struct Case
    {
        fs::path path;
        const char* type;
    };
    // A FIFO with no writer would block an ordinary open; /dev/zero would never end.
    for (const auto& [path, type] : {Case{dir.path() / "fifo", "a FIFO"}, Case{dir.path() / "dir", "a directory"},
                                     Case{"/dev/zero", "a character device"}}) {
        auto text = read_local_file(path, k_cluster_file);
        ASSERT_FALSE(text) << path;
        EXPECT_EQ(text.error().kind, ErrorKind::io);
        EXPECT_EQ(text.error().message,
                  "cannot read cluster file " + path.string() + ": it is " + type + ", not a regular file");
    }
}

TEST(LocalFile, RefusesAFileLargerThanItsKindMayBeNamingTheLimit)
{
    testing::TempDir dir;
    write_text(dir.path() / "big", std::string(17, 'x'));
    auto text = read_local_file(dir.path() / "big", k_small);
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().message, "cannot read test file " + (dir.path() / "big").string() +
                                        ": it is larger than a test file may be (16 B)");
    write_text(dir.path() / "exact", std::string(16, 'x'));
    EXPECT_TRUE(read_local_file(dir.path() / "exact", k_small));
}

TEST(LocalFile, AMissingFileSaysSo)
{
    auto text = read_local_file("/nonexistent/ringsnap/f", k_small);
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().message, "cannot read test file /nonexistent/ringsnap/f: No such file or directory");
}

TEST(LocalFile, TheStreamSeeksLikeAFileAndStopsAtTheLimit)
{
    testing::TempDir dir;
    write_text(dir.path() / "f", "0123456789");
    auto file = open_local_file(dir.path() / "f", k_small);
    ASSERT_TRUE(file) << file.error().message;
    auto& in = file->stream();
    in.seekg(0, std::ios::end);
    EXPECT_EQ(in.tellg(), 10);
    in.seekg(7);
    std::string tail;
    in >> tail;
    EXPECT_EQ(tail, "789");
    in.clear();
    in.seekg(0);
    std::string whole;
    in >> whole;
    EXPECT_EQ(whole, "0123456789");
    EXPECT_FALSE(file->read_error());

    // A file that grows past the limit after it was opened is cut there, and the read says so.
    auto growing = open_local_file(dir.path() / "f", k_small);
    ASSERT_TRUE(growing);
    write_text(dir.path() / "f", std::string(100, 'y'));
    std::string text(std::istreambuf_iterator<char>(growing->stream()), std::istreambuf_iterator<char>{});
    EXPECT_EQ(text.size(), 16U);
    ASSERT_TRUE(growing->read_error());
    EXPECT_NE(growing->read_error()->message.find("larger than a test file may be"), std::string::npos);
}

} // namespace
} // namespace ringsnap
