// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/catalog.hpp>
#include <ringsnap/run_id.hpp>
#include <ringsnap/timestamp.hpp>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/manifest_samples.hpp"

namespace ringsnap {
namespace {

namespace fs = std::filesystem;
using testing::read_text;
using testing::sample_manifest;
using testing::write_text;

class CatalogTest : public ::testing::Test
{
  protected:
    Catalog catalog() const { return *Catalog::open(m_dir.path(), "prod-main"); }
    fs::path manifests() const { return m_dir.path() / "prod-main" / "manifests"; }

    std::vector<std::string> files_in(const fs::path& directory) const
    {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(directory)) {
            names.push_back(entry.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    testing::TempDir m_dir;
};

// --- Catalog ---

TEST_F(CatalogTest, OpenRefusesAClusterNameThatIsNotADirectoryName)
{
    for (const char* name : {"", "..", "../etc", "a/b", ".hidden"}) {
        auto opened = Catalog::open(m_dir.path(), name);
        ASSERT_FALSE(opened) << name;
        EXPECT_EQ(opened.error().kind, ErrorKind::config);
        EXPECT_NE(opened.error().message.find("cannot name a catalog directory"), std::string::npos);
    }
}

TEST_F(CatalogTest, OpenTakesTheClusterFileSettings)
{
    Cluster cluster;
    cluster.name = "prod-main";
    cluster.catalog = m_dir.path();
    auto opened = Catalog::open(cluster);
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->directory(), m_dir.path() / "prod-main");
    EXPECT_FALSE(fs::exists(opened->directory())); // nothing is created by opening
}

TEST_F(CatalogTest, SavesUnderTheTagAndLoadsItBack)
{
    Manifest manifest = sample_manifest();
    auto saved = catalog().save(manifest);
    ASSERT_TRUE(saved) << saved.error().message;
    EXPECT_EQ(*saved, manifests() / "nightly-2026-11-23.json");
    EXPECT_TRUE(catalog().exists("nightly-2026-11-23"));
    auto loaded = catalog().load("nightly-2026-11-23");
    ASSERT_TRUE(loaded) << loaded.error().message;
    EXPECT_EQ(*loaded, manifest);
}

TEST_F(CatalogTest, SaveLeavesNoTemporaryFileBehind)
{
    ASSERT_TRUE(catalog().save(sample_manifest()));
    ASSERT_TRUE(catalog().save(sample_manifest(), SaveMode::replace));
    EXPECT_EQ(files_in(manifests()), std::vector<std::string>{"nightly-2026-11-23.json"});
}

TEST_F(CatalogTest, SaveRefusesAnExistingTagAndKeepsTheFirst)
{
    Manifest first = sample_manifest();
    ASSERT_TRUE(catalog().save(first));
    std::string before = read_text(manifests() / "nightly-2026-11-23.json");
    Manifest second = sample_manifest();
    second.nodes.pop_back();
    auto refused = catalog().save(second);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::usage);
    EXPECT_NE(refused.error().message.find("a backup tagged \"nightly-2026-11-23\" is already in the catalog"),
              std::string::npos)
        << refused.error().message;
    EXPECT_EQ(read_text(manifests() / "nightly-2026-11-23.json"), before);
    EXPECT_EQ(files_in(manifests()).size(), 1U);
}

TEST_F(CatalogTest, SaveReplacesOnlyWhenAsked)
{
    ASSERT_TRUE(catalog().save(sample_manifest()));
    Manifest second = sample_manifest();
    second.nodes.pop_back();
    finish_manifest(second);
    ASSERT_TRUE(catalog().save(second, SaveMode::replace));
    EXPECT_EQ(*catalog().load("nightly-2026-11-23"), second);
}

TEST_F(CatalogTest, SaveRefusesATagThatIsNotAFileName)
{
    for (const char* tag : {"../escape", ".hidden", "a/b", ""}) {
        auto refused = catalog().save(sample_manifest(tag));
        ASSERT_FALSE(refused) << tag;
        EXPECT_EQ(refused.error().kind, ErrorKind::usage);
    }
    EXPECT_FALSE(fs::exists(m_dir.path() / "prod-main"));
    EXPECT_FALSE(fs::exists(m_dir.path() / "escape.json"));
}

TEST_F(CatalogTest, SaveRefusesAManifestOfAnotherCluster)
{
    Manifest manifest = sample_manifest();
    manifest.cluster = "staging";
    auto refused = catalog().save(manifest);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::internal);
}

TEST_F(CatalogTest, SaveReportsADiskErrorWithThePath)
{
    fs::create_directories(m_dir.path() / "prod-main");
    write_text(manifests(), "a file where the manifests directory should be");
    auto failed = catalog().save(sample_manifest());
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().kind, ErrorKind::io);
    EXPECT_NE(failed.error().message.find(manifests().string()), std::string::npos) << failed.error().message;
}

TEST_F(CatalogTest, LoadOfAnUnknownTagIsAUsageError)
{
    auto missing = catalog().load("never-taken");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().kind, ErrorKind::usage);
    EXPECT_NE(missing.error().message.find("no backup tagged \"never-taken\""), std::string::npos);
    EXPECT_EQ(catalog().load("../x").error().kind, ErrorKind::usage);
}

TEST_F(CatalogTest, LoadOfACorruptFileNamesIt)
{
    fs::create_directories(manifests());
    write_text(manifests() / "broken.json", "{\"format\": \"ringsnap-manifest\", \"format_version\": 1, \"nod");
    auto broken = catalog().load("broken");
    ASSERT_FALSE(broken);
    EXPECT_EQ(broken.error().kind, ErrorKind::catalog);
    EXPECT_NE(broken.error().message.find((manifests() / "broken.json").string()), std::string::npos);
}

TEST_F(CatalogTest, LoadRefusesAFileRenamedByHand)
{
    ASSERT_TRUE(catalog().save(sample_manifest()));
    fs::rename(manifests() / "nightly-2026-11-23.json", manifests() / "before-migration.json");
    auto renamed = catalog().load("before-migration");
    ASSERT_FALSE(renamed);
    EXPECT_EQ(renamed.error().kind, ErrorKind::catalog);
    EXPECT_NE(renamed.error().message.find("is tagged \"nightly-2026-11-23\""), std::string::npos);
}

TEST_F(CatalogTest, ListsSummariesOldestFirst)
{
    Manifest incremental = sample_manifest("incr-2026-11-24", "2026-11-24T02:00:00.000Z");
    incremental.kind = BackupKind::incremental;
    incremental.base = "nightly-2026-11-23";
    ASSERT_TRUE(catalog().save(incremental));
    ASSERT_TRUE(catalog().save(sample_manifest("nightly-2026-11-23", "2026-11-23T02:00:00.120Z")));
    ASSERT_TRUE(catalog().save(sample_manifest("nightly-2026-11-25", "2026-11-25T02:00:00.000Z")));
    auto listing = catalog().list();
    ASSERT_TRUE(listing) << listing.error().message;
    EXPECT_TRUE(listing->problems.empty());
    ASSERT_EQ(listing->manifests.size(), 3U);
    EXPECT_EQ(listing->manifests[0].tag, "nightly-2026-11-23");
    EXPECT_EQ(listing->manifests[1].tag, "incr-2026-11-24");
    EXPECT_EQ(listing->manifests[2].tag, "nightly-2026-11-25");
    const auto& summary = listing->manifests[1];
    EXPECT_EQ(summary.kind, BackupKind::incremental);
    EXPECT_EQ(summary.base, "nightly-2026-11-23");
    EXPECT_EQ(summary.status, ManifestStatus::partial);
    EXPECT_EQ(summary.totals.nodes, 3U);
    EXPECT_EQ(summary.totals.nodes_ok, 2U);
    EXPECT_EQ(summary.totals.bytes, incremental.totals.bytes);
    EXPECT_EQ(summary.started_at, testing::at("2026-11-24T02:00:00Z"));
}

TEST_F(CatalogTest, ListReportsCorruptFilesAndGoesOn)
{
    ASSERT_TRUE(catalog().save(sample_manifest()));
    std::string whole = read_text(manifests() / "nightly-2026-11-23.json");
    write_text(manifests() / "truncated.json", whole.substr(0, whole.size() / 2));
    write_text(manifests() / "garbage.json", "\x01\x02 not json");
    write_text(manifests() / "empty.json", "");
    auto newer = ManifestJson::parse(whole);
    newer["format_version"] = 2;
    newer["tag"] = "newer";
    write_text(manifests() / "newer.json", newer.dump());
    write_text(manifests() / "other-tag.json", whole);
    auto listing = catalog().list();
    ASSERT_TRUE(listing) << listing.error().message;
    ASSERT_EQ(listing->manifests.size(), 1U);
    EXPECT_EQ(listing->manifests[0].tag, "nightly-2026-11-23");
    ASSERT_EQ(listing->problems.size(), 5U);
    std::vector<std::string> names;
    for (const auto& problem : listing->problems) {
        names.push_back(problem.path.filename().string());
        EXPECT_NE(problem.error.message.find(problem.path.string()), std::string::npos) << problem.error.message;
    }
    EXPECT_EQ(names, (std::vector<std::string>{"empty.json", "garbage.json", "newer.json", "other-tag.json",
                                               "truncated.json"}));
    EXPECT_NE(listing->problems[2].error.message.find("newer ringsnap"), std::string::npos);
}

TEST_F(CatalogTest, ListSkipsTemporaryAndForeignFiles)
{
    ASSERT_TRUE(catalog().save(sample_manifest()));
    write_text(manifests() / ".nightly-2026-11-24.json.4242.0.tmp", "{\"half\": ");
    write_text(manifests() / "README.txt", "notes");
    auto listing = catalog().list();
    ASSERT_TRUE(listing);
    EXPECT_EQ(listing->manifests.size(), 1U);
    EXPECT_TRUE(listing->problems.empty());
}

TEST_F(CatalogTest, ListOfACatalogNeverWrittenIsEmpty)
{
    auto listing = catalog().list();
    ASSERT_TRUE(listing) << listing.error().message;
    EXPECT_TRUE(listing->manifests.empty());
    EXPECT_TRUE(listing->problems.empty());
}

TEST_F(CatalogTest, RemoveDeletesTheManifest)
{
    ASSERT_TRUE(catalog().save(sample_manifest()));
    ASSERT_TRUE(catalog().remove("nightly-2026-11-23"));
    EXPECT_FALSE(catalog().exists("nightly-2026-11-23"));
    auto again = catalog().remove("nightly-2026-11-23");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, ErrorKind::usage);
    EXPECT_FALSE(catalog().remove("../prod-main"));
}

TEST_F(CatalogTest, AnInvalidTagIsNeverInTheCatalog)
{
    EXPECT_FALSE(catalog().exists("../lock"));
    EXPECT_FALSE(catalog().exists(""));
    EXPECT_FALSE(catalog().manifest_path("a b"));
}

TEST_F(CatalogTest, ADirectoryOrAFifoNamedLikeAManifestIsReportedAndNothingHangs)
{
    ASSERT_TRUE(catalog().save(sample_manifest()));
    fs::create_directory(manifests() / "dir.json");
    ASSERT_EQ(::mkfifo((manifests() / "fifo.json").c_str(), 0600), 0);
    auto listing = catalog().list();
    ASSERT_TRUE(listing) << listing.error().message;
    EXPECT_EQ(listing->manifests.size(), 1U);
    ASSERT_EQ(listing->problems.size(), 2U);
    EXPECT_EQ(listing->problems[0].error.kind, ErrorKind::catalog);
    EXPECT_EQ(listing->problems[0].error.message, "cannot read manifest " + (manifests() / "dir.json").string() +
                                                      ": it is a directory, not a regular file");
    EXPECT_EQ(listing->problems[1].error.message,
              "cannot read manifest " + (manifests() / "fifo.json").string() + ": it is a FIFO, not a regular file");
    auto fifo = catalog().load("fifo");
    ASSERT_FALSE(fifo);
    EXPECT_EQ(fifo.error().kind, ErrorKind::catalog);

    fs::create_directories(catalog().restores_directory());
    ASSERT_EQ(::mkfifo((catalog().restores_directory() / "r1.json").c_str(), 0600), 0);
    auto restores = catalog().list_restores();
    ASSERT_TRUE(restores) << restores.error().message;
    ASSERT_EQ(restores->problems.size(), 1U);
    EXPECT_NE(restores->problems[0].error.message.find("it is a FIFO"), std::string::npos);
}

// Whatever is wrong with the catalog's place, list and lock refuse with a catalog error (exit 2)
// that names the setting and the path, and create nothing.
class CatalogPlaceTest : public ::testing::Test
{
  protected:
    static void expect_refused(const fs::path& root, const std::string& why)
    {
        auto catalog = Catalog::open(root, "prod-main");
        ASSERT_TRUE(catalog);
        auto listing = catalog->list();
        auto lock = CatalogLock::acquire(*catalog, "ringsnap snapshot");
        ASSERT_FALSE(lock) << why;
        std::vector<Error> errors{lock.error()};
        if (!listing) {
            errors.push_back(listing.error());
        }
        for (const auto& error : errors) {
            EXPECT_EQ(error.kind, ErrorKind::catalog) << why << ": " << error.message;
            EXPECT_EQ(error.message.rfind("catalog " + root.string() + ": ", 0), 0U) << why << ": " << error.message;
            EXPECT_NE(error.message.find("the cluster file's `catalog:` setting"), std::string::npos) << error.message;
        }
    }

    testing::TempDir m_dir;
};

TEST_F(CatalogPlaceTest, ACatalogThatIsAFileOrADeviceOrALoopIsACatalogError)
{
    write_text(m_dir.path() / "file", "not a directory");
    expect_refused(m_dir.path() / "file", "a regular file");
    expect_refused("/dev/null", "a device");
    fs::create_symlink(m_dir.path() / "loop-b", m_dir.path() / "loop-a");
    fs::create_symlink(m_dir.path() / "loop-a", m_dir.path() / "loop-b");
    expect_refused(m_dir.path() / "loop-a", "a symlink loop");
}

TEST_F(CatalogPlaceTest, ALockThatIsADirectoryOrAFifoIsACatalogError)
{
    fs::create_directories(m_dir.path() / "dir" / "prod-main" / "lock");
    expect_refused(m_dir.path() / "dir", "the lock is a directory");
    fs::create_directories(m_dir.path() / "fifo" / "prod-main");
    ASSERT_EQ(::mkfifo((m_dir.path() / "fifo" / "prod-main" / "lock").c_str(), 0600), 0);
    expect_refused(m_dir.path() / "fifo", "the lock is a FIFO");
}

TEST_F(CatalogPlaceTest, ACatalogThatCannotBeWrittenIsACatalogError)
{
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root writes anywhere";
    }
    fs::create_directories(m_dir.path() / "ro");
    fs::permissions(m_dir.path() / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    expect_refused(m_dir.path() / "ro", "a read-only directory");
    fs::permissions(m_dir.path() / "ro", fs::perms::owner_all);
}

// --- CatalogLock ---

// A child process that takes the lock, tells the parent through a pipe, and then waits to be
// killed without ever releasing it (as a crashed or killed run would).
class LockHoldingChild
{
  public:
    LockHoldingChild(const Catalog& catalog, const std::string& command)
    {
        int ready[2];
        EXPECT_EQ(::pipe(ready), 0);
        m_pid = ::fork();
        if (m_pid == 0) {
            ::close(ready[0]);
            auto lock = CatalogLock::acquire(catalog, command);
            char status = lock ? 'y' : 'n';
            [[maybe_unused]] auto written = ::write(ready[1], &status, 1);
            for (;;) {
                ::pause();
            }
        }
        ::close(ready[1]);
        char status = 0;
        EXPECT_EQ(::read(ready[0], &status, 1), 1);
        ::close(ready[0]);
        m_locked = status == 'y';
    }
    ~LockHoldingChild() { kill(); }

    bool locked() const { return m_locked; }
    pid_t pid() const { return m_pid; }

    void kill()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
            m_pid = -1;
        }
    }

  private:
    pid_t m_pid = -1;
    bool m_locked = false;
};

TEST_F(CatalogTest, LockRecordsItsHolderAndEmptiesTheRecordOnRelease)
{
    {
        auto lock = CatalogLock::acquire(catalog(), "ringsnap snapshot --tag nightly");
        ASSERT_TRUE(lock) << lock.error().message;
        EXPECT_EQ(lock->path(), m_dir.path() / "prod-main" / "lock");
        EXPECT_FALSE(lock->taken_over());
        auto record = nlohmann::json::parse(read_text(lock->path()));
        EXPECT_EQ(record["pid"], ::getpid());
        EXPECT_EQ(record["command"], "ringsnap snapshot --tag nightly");
        EXPECT_FALSE(record["host"].get<std::string>().empty());
        EXPECT_TRUE(parse_timestamp(record["started_at"].get<std::string>()));
    }
    EXPECT_TRUE(fs::exists(m_dir.path() / "prod-main" / "lock")); // never deleted: see catalog.hpp
    EXPECT_EQ(read_text(m_dir.path() / "prod-main" / "lock"), "");
    auto again = CatalogLock::acquire(catalog(), "ringsnap list");
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->taken_over()); // the previous holder released it cleanly
}

TEST_F(CatalogTest, LockIsRefusedToASecondHolderInTheSameProcess)
{
    auto first = CatalogLock::acquire(catalog(), "ringsnap snapshot");
    ASSERT_TRUE(first);
    auto second = CatalogLock::acquire(catalog(), "ringsnap clear");
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind, ErrorKind::usage);
}

TEST_F(CatalogTest, LockHeldByAnotherProcessIsRefusedNamingItsHolder)
{
    LockHoldingChild child(catalog(), "ringsnap snapshot --tag nightly-2026-11-23");
    ASSERT_TRUE(child.locked());
    auto refused = CatalogLock::acquire(catalog(), "ringsnap clear --older-than 7d");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::usage);
    const auto& message = refused.error().message;
    EXPECT_NE(message.find("pid " + std::to_string(child.pid())), std::string::npos) << message;
    EXPECT_NE(message.find("ringsnap snapshot --tag nightly-2026-11-23"), std::string::npos) << message;
    EXPECT_NE(message.find((m_dir.path() / "prod-main" / "lock").string()), std::string::npos) << message;
}

TEST_F(CatalogTest, LockOfAProcessThatDiedIsTakenOverWithItsRecord)
{
    LockHoldingChild child(catalog(), "ringsnap snapshot --tag crashed");
    ASSERT_TRUE(child.locked());
    pid_t dead = child.pid();
    child.kill(); // SIGKILL: no destructor runs, the record stays, the kernel drops the flock
    auto lock = CatalogLock::acquire(catalog(), "ringsnap snapshot --tag next");
    ASSERT_TRUE(lock) << lock.error().message;
    ASSERT_TRUE(lock->taken_over());
    EXPECT_EQ(lock->taken_over()->pid, dead);
    EXPECT_EQ(lock->taken_over()->command, "ringsnap snapshot --tag crashed");
    EXPECT_NE(describe(*lock->taken_over()).find("pid " + std::to_string(dead)), std::string::npos);
}

TEST_F(CatalogTest, HolderIsFoundWithoutTakingTheLockAndNamesTheRunHoldingIt)
{
    EXPECT_FALSE(CatalogLock::holder(catalog())) << "no lock file yet";
    {
        auto lock = CatalogLock::acquire(catalog(), "ringsnap snapshot --tag nightly");
        ASSERT_TRUE(lock);
        auto holder = CatalogLock::holder(catalog());
        ASSERT_TRUE(holder);
        EXPECT_EQ(holder->pid, ::getpid());
        EXPECT_EQ(holder->run_id, this_run_id());
        EXPECT_EQ(holder->command, "ringsnap snapshot --tag nightly");
    }
    EXPECT_FALSE(CatalogLock::holder(catalog())) << "released";

    LockHoldingChild child(catalog(), "ringsnap snapshot --tag killed");
    ASSERT_TRUE(child.locked());
    ASSERT_TRUE(CatalogLock::holder(catalog()));
    child.kill();
    EXPECT_FALSE(CatalogLock::holder(catalog())) << "the record stays, but nobody holds the lock";
    EXPECT_TRUE(CatalogLock::acquire(catalog(), "ringsnap list")) << "and looking did not take it";
}

TEST_F(CatalogTest, RunIdIsTwelveHexDigitsAndTheSameForTheWholeProcess)
{
    const auto& id = this_run_id();
    EXPECT_EQ(id.size(), 12U);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    EXPECT_EQ(this_run_id(), id);
}

TEST_F(CatalogTest, LockWithAnUnreadableRecordIsStillTakenOver)
{
    fs::create_directories(m_dir.path() / "prod-main");
    write_text(m_dir.path() / "prod-main" / "lock", "{\"pid\": \"not a number\"");
    auto lock = CatalogLock::acquire(catalog(), "ringsnap snapshot");
    ASSERT_TRUE(lock) << lock.error().message;
    ASSERT_TRUE(lock->taken_over());
    EXPECT_EQ(lock->taken_over()->pid, 0);
    EXPECT_EQ(lock->taken_over()->command, "(an unreadable record)");
}

TEST_F(CatalogTest, LockHeldByTheParentIsRefusedToAForkedChild)
{
    auto lock = CatalogLock::acquire(catalog(), "ringsnap snapshot");
    ASSERT_TRUE(lock);
    pid_t child = ::fork();
    if (child == 0) {
        auto second = CatalogLock::acquire(catalog(), "ringsnap clear");
        bool named = !second && second.error().message.find("pid " + std::to_string(::getppid())) != std::string::npos;
        ::_exit(named ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child took the lock, or not naming us";
}

TEST_F(CatalogTest, OfManyProcessesStartingAtOnceExactlyOneHoldsTheLock)
{
    constexpr int k_processes = 8;
    int start[2], results[2], release[2];
    ASSERT_EQ(::pipe(start), 0);
    ASSERT_EQ(::pipe(results), 0);
    ASSERT_EQ(::pipe(release), 0);
    std::vector<pid_t> children;
    for (int i = 0; i < k_processes; ++i) {
        pid_t child = ::fork();
        if (child == 0) {
            ::close(start[1]);
            ::close(release[1]);
            char byte = 0;
            [[maybe_unused]] auto got = ::read(start[0], &byte, 1); // returns when the parent closes the pipe
            auto lock = CatalogLock::acquire(catalog(), "racer " + std::to_string(i));
            byte = lock ? 'y' : 'n';
            [[maybe_unused]] auto written = ::write(results[1], &byte, 1);
            got = ::read(release[0], &byte, 1); // a holder keeps the lock until every racer has tried
            ::_exit(0);
        }
        children.push_back(child);
    }
    ::close(start[0]);
    ::close(start[1]); // go
    ::close(results[1]);
    int holders = 0;
    for (int i = 0; i < k_processes; ++i) {
        char byte = 0;
        ASSERT_EQ(::read(results[0], &byte, 1), 1);
        holders += byte == 'y' ? 1 : 0;
    }
    ::close(release[1]);
    for (pid_t child : children) {
        ::waitpid(child, nullptr, 0);
    }
    ::close(results[0]);
    ::close(release[0]);
    EXPECT_EQ(holders, 1);
}

} // namespace
} // namespace ringsnap
