// SPDX-License-Identifier: Apache-2.0
// ops::run_restore driven through the fake executor against a small scripted world of nodes:
// the order of the phases (nothing loads before every node verified, TRUNCATE once, between
// them), a mismatch stopping everything, credentials only on stdin, a failed node not stopping
// the others, and a rerun finishing what was left.

#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <ringsnap/catalog.hpp>
#include <ringsnap/ops/restore.hpp>

#include "support/fake_executor.hpp"

namespace ringsnap::ops {
namespace {

using testing::FakeExecutor;

const std::string k_table_id = "d132e240c21711e9bbee19821dcea330";

std::string uuid(int n)
{
    return fmt::format("{:08d}-0000-4000-8000-000000000000", n);
}

std::string data_dir(const std::string& host)
{
    return "/srv/" + host + "/data";
}

std::string table_dir(const std::string& host)
{
    return data_dir(host) + "/billing/invoices-" + k_table_id;
}

// What the fake nodes hold and do, answering the commands a restore sends.
class World
{
  public:
    explicit World(int nodes)
    {
        for (int n = 1; n <= nodes; ++n) {
            hosts.push_back(fmt::format("n{}", n));
        }
    }

    std::vector<std::string> hosts;
    std::set<std::string> tampered;           // source paths whose content no longer matches
    std::set<std::string> failing_imports;    // hosts whose import fails
    std::set<std::string> silent_imports;     // hosts whose import exits 0 and loads nothing
    std::set<std::string> failing_loaders;    // hosts whose sstableloader stream fails
    std::set<std::string> unknown_to_gossip;  // hosts gossipinfo does not list
    std::map<std::string, int> version_calls; // host -> `nodetool version` run there
    int gossip_calls = 0;
    std::set<std::string> seeds;                                        // hosts listed as seeds in every cassandra.yaml
    std::set<std::string> down;                                         // restart: stopped nodes
    std::set<std::string> failing_starts;                               // restart: start_command fails
    std::set<std::string> failing_stops;                                // restart: stop_command fails
    std::vector<std::string> events;                                    // "stage n1", "import n2", "truncate", in order
    std::map<std::string, std::map<std::string, std::uint64_t>> staged; // host -> staged path -> inode
    std::map<std::string, std::set<std::uint64_t>> live;                // host -> live Data.db inodes

    static std::uint64_t inode_of(const std::string& source) { return std::hash<std::string>{}(source) % 1000000 + 10; }

    Result<CommandOutput> answer(const Node& node, const std::string& command)
    {
        std::lock_guard lock(m_mutex);
        const std::string& host = node.host;
        int n = std::stoi(host.substr(1));
        if (command.ends_with("nodetool version")) {
            ++version_calls[host];
            return FakeExecutor::printed("ReleaseVersion: 4.1.6\n");
        }
        if (command.ends_with("nodetool gossipinfo")) {
            ++gossip_calls;
            return FakeExecutor::printed(gossipinfo());
        }
        if (command.find("nodetool info -T") != std::string::npos) {
            return FakeExecutor::printed(
                fmt::format("ID                     : {}\nData Center            : dc1\nRack        "
                            "           : r1\nToken                  : {}\n",
                            uuid(n), n * 100));
        }
        if (down.count(host) && command.find("nodetool") != std::string::npos &&
            command.find("while out=") == std::string::npos) {
            return FakeExecutor::printed("", 1,
                                         "nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: "
                                         "'Connection refused'.\n");
        }
        if (command.ends_with("nodetool status")) {
            return FakeExecutor::printed(status());
        }
        if (auto restart = restart_step(host, command)) {
            return *restart;
        }
        if (command.find("printf 'K") != std::string::npos) {
            return FakeExecutor::printed(
                fmt::format("K\tbilling\nT\t{}\tbilling/invoices-{}\n", data_dir(host), k_table_id));
        }
        if (command.find("printf 'D") != std::string::npos) {
            return FakeExecutor::printed(fmt::format("D\t0\t{}\t7\t7\t1073741824\t999:999\n", data_dir(host)));
        }
        if (command.starts_with("cat -- ")) {
            std::string yaml = "cluster_name: test\n";
            if (!seeds.empty()) {
                yaml += fmt::format("seed_provider:\n  - class_name: x\n    parameters:\n      - seeds: \"{}\"\n",
                                    fmt::join(seeds, ","));
            }
            return FakeExecutor::printed(yaml);
        }
        if (command.find("ln -t ") != std::string::npos) {
            if (command.starts_with("mkdir -p")) {
                events.push_back("stage " + host);
            }
            // set -- && for f in NAMES; do [ -e STAGED/"$f" ] || set -- "$@" SOURCE/"$f"; done && ...
            static const std::regex link(R"(for f in ([^;]+); do \[ -e (\S+)/"\$f" \] \|\| set -- "\$@" (\S+)/)");
            for (std::sregex_iterator it(command.begin(), command.end(), link), end; it != end; ++it) {
                std::istringstream names((*it)[1].str());
                for (std::string name; names >> name;) {
                    auto path = (*it)[2].str() + "/" + name;
                    staged[host][path] = inode_of((*it)[3].str() + "/" + name);
                    m_source[path] = (*it)[3].str() + "/" + name;
                }
            }
            return FakeExecutor::printed("");
        }
        if (command.find("ringsnap-staged-hashes") != std::string::npos) { // list, marker, hashes
            std::string out;
            for (const auto& [path, inode] : staged[host]) {
                out += fmt::format("{}\t100\t{}\n", path, inode);
            }
            out += "ringsnap-staged-hashes\n";
            for (const auto& [path, inode] : staged[host]) {
                char digit = tampered.count(m_source[path]) ? 'b' : 'a';
                out += std::string(64, digit) + "  " + path + "\n";
            }
            return FakeExecutor::printed(out);
        }
        if (command.find("-name '*-Data.db'") != std::string::npos) {
            return FakeExecutor::printed(data_files(host, command));
        }
        if (command.find("sstableloader -d") != std::string::npos) {
            events.push_back("load " + host);
            if (failing_loaders.count(host)) {
                return FakeExecutor::printed("Established connection to initial hosts\n", 1,
                                             "Streaming to the following hosts failed:\n[/10.0.0.2:7000]\n\tat "
                                             "org.apache.cassandra.tools.BulkLoader.load(BulkLoader.java:117)\n");
            }
            return FakeExecutor::printed("Established connection to initial hosts\nSummary statistics: \n"
                                         "   Total files transferred : 2         \n");
        }
        if (command.find("SELECT COUNT(*)") != std::string::npos) {
            return FakeExecutor::printed("Consistency level set to ALL.\n\n count\n-------\n    42\n\n(1 rows)\n");
        }
        if (command.find("nodetool import") != std::string::npos) {
            events.push_back("import " + host);
            if (failing_imports.count(host)) {
                return FakeExecutor::printed("", 1,
                                             "Some directories failed to import, check server logs for details:\n");
            }
            if (!silent_imports.count(host)) {
                std::erase_if(staged[host], [&](const auto& item) {
                    if (item.first.ends_with("-Data.db")) {
                        live[host].insert(item.second);
                    }
                    return item.first.ends_with("-Data.db");
                });
            }
            return FakeExecutor::printed("");
        }
        if (command.find("TRUNCATE") != std::string::npos) {
            events.push_back("truncate");
            for (auto& [h, inodes] : live) {
                inodes.clear();
            }
            return FakeExecutor::printed("");
        }
        if (command.find("rm -rf") != std::string::npos) {
            events.push_back("clean " + host);
            staged[host].clear();
            return FakeExecutor::printed("");
        }
        return FakeExecutor::printed(""); // rm -f of already-live files, clearsnapshot
    }

  private:
    // The steps of a restore by restart: drain, stop, wait down, quarantine, place, start.
    std::optional<CommandOutput> restart_step(const std::string& host, const std::string& command)
    {
        if (command.ends_with("nodetool drain")) {
            events.push_back("drain " + host);
            return FakeExecutor::printed("");
        }
        if (command == "stop-cassandra") {
            events.push_back("stop " + host);
            if (failing_stops.count(host)) {
                return FakeExecutor::printed("", 1, "stop failed\n");
            }
            down.insert(host);
            return FakeExecutor::printed("");
        }
        if (command.find("while out=") != std::string::npos) {
            return FakeExecutor::printed("", down.count(host) ? 0 : 1);
        }
        if (command.find("aside() {") != std::string::npos) {
            events.push_back("quarantine " + host);
            live[host].clear();
            return FakeExecutor::printed("");
        }
        if (command.find("mv -n -- ") != std::string::npos) {
            events.push_back("place " + host);
            std::erase_if(staged[host], [&](const auto& item) {
                if (item.first.ends_with("-Data.db")) {
                    live[host].insert(item.second);
                }
                return true;
            });
            return FakeExecutor::printed("");
        }
        if (command == "start-cassandra") {
            events.push_back("start " + host);
            if (failing_starts.count(host)) {
                return FakeExecutor::printed("", 1, "start failed\n");
            }
            down.erase(host);
            return FakeExecutor::printed("");
        }
        return std::nullopt;
    }

    std::string gossipinfo() const
    {
        std::string out;
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            if (!unknown_to_gossip.count(hosts[i])) {
                out += fmt::format("/127.0.0.{}\n  generation:1737140801\n  heartbeat:12\n  STATUS:19:NORMAL,{}\n"
                                   "  DC:9:dc1\n  RACK:11:r1\n  RELEASE_VERSION:4:4.1.6\n  HOST_ID:2:{}\n",
                                   i + 1, (i + 1) * 100, uuid(static_cast<int>(i) + 1));
            }
        }
        return out;
    }

    std::string status() const
    {
        std::string out =
            "Datacenter: dc1\n===============\nStatus=Up/Down\n|/ State=Normal/Leaving/Joining/Moving\n"
            "--  Address    Load       Tokens  Owns (effective)  Host ID                               Rack \n";
        for (std::size_t i = 0; i < hosts.size(); ++i) {
            out += fmt::format("{}N  {}  96.55 KiB  16      50.0%             {}  r1\n",
                               down.count(hosts[i]) ? 'D' : 'U', hosts[i], uuid(static_cast<int>(i) + 1));
        }
        return out + "\n";
    }

    // Data.db files of the table directory (live) and of the staging directories the command names.
    std::string data_files(const std::string& host, const std::string& command)
    {
        std::string out;
        if (command.find(table_dir(host)) != std::string::npos) {
            for (auto inode : live[host]) {
                out += fmt::format("{}/nb-{}-big-Data.db\t100\t{}\n", table_dir(host), inode, inode);
            }
        }
        for (const auto& [path, inode] : staged[host]) {
            if (path.ends_with("-Data.db") && command.find(path.substr(0, path.rfind('/'))) != std::string::npos) {
                out += fmt::format("{}\t100\t{}\n", path, inode);
            }
        }
        return out;
    }

    std::mutex m_mutex;
    std::map<std::string, std::string> m_source; // staged path -> source path
};

NodeEntry backed_up(const std::string& host, int n)
{
    NodeEntry entry;
    entry.host = host;
    entry.datacenter = "dc1";
    entry.rack = "r1";
    entry.host_id = uuid(n);
    entry.tokens = {std::to_string(n * 100)};
    entry.status = NodeStatus::ok;
    TableEntry table{"billing", "invoices", k_table_id, table_dir(host), {}, std::nullopt, std::nullopt};
    for (int generation = 1; generation <= 2; ++generation) {
        for (const char* component : {"Data.db", "Statistics.db", "TOC.txt"}) {
            table.files.push_back(FileEntry{fmt::format("nb-{}-big-{}", generation, component), 100,
                                            std::string(64, 'a'), std::nullopt, std::nullopt});
        }
    }
    entry.tables.push_back(table);
    return entry;
}

class RestoreRun : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        m_root = std::filesystem::temp_directory_path() / fmt::format("ringsnap-restore-run-{}", ::getpid());
        std::filesystem::remove_all(m_root);
        catalog.emplace(*Catalog::open(m_root, "test"));
        Manifest manifest;
        manifest.cluster = "test";
        manifest.tag = "nightly";
        manifest.kind = BackupKind::snapshot;
        manifest.started_at = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
        for (std::size_t i = 0; i < world.hosts.size(); ++i) {
            manifest.nodes.push_back(backed_up(world.hosts[i], static_cast<int>(i) + 1));
            Node node{world.hosts[i], "dc1", "r1", {}, {}, {}};
            node.cassandra.data_dirs = std::vector<std::string>{data_dir(world.hosts[i])};
            nodes.push_back(node);
        }
        finish_manifest(manifest);
        ASSERT_TRUE(catalog->save(manifest));
        request.tag = "nightly";
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }

    RestoreOutcome restore()
    {
        fake.workers = 3;
        auto outcome = run_restore(fake, *catalog, nodes, request, no_observer());
        EXPECT_TRUE(outcome) << outcome.error().message;
        return outcome ? *outcome : RestoreOutcome{};
    }

    // Position of the first and last event starting with `prefix`.
    std::pair<std::ptrdiff_t, std::ptrdiff_t> span(const std::string& prefix) const
    {
        std::ptrdiff_t first = -1, last = -1;
        for (std::size_t i = 0; i < world.events.size(); ++i) {
            if (world.events[i].rfind(prefix, 0) == 0) {
                first = first < 0 ? static_cast<std::ptrdiff_t>(i) : first;
                last = static_cast<std::ptrdiff_t>(i);
            }
        }
        return {first, last};
    }

    World world{3};
    FakeExecutor fake{[this](const Node& node, const std::string& command) { return world.answer(node, command); }};
    std::optional<Catalog> catalog;
    std::vector<Node> nodes;
    RestoreRequest request;

  private:
    std::filesystem::path m_root;
};

TEST_F(RestoreRun, StagesAndVerifiesEverywhereThenTruncatesOnceThenLoads)
{
    request.truncate = true;
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::ok) << fmt::format("{}", fmt::join(outcome.notes, "\n"));
    auto [stage_first, stage_last] = span("stage");
    auto [truncate_first, truncate_last] = span("truncate");
    auto [import_first, import_last] = span("import");
    EXPECT_EQ(truncate_first, truncate_last) << "one TRUNCATE for the cluster";
    EXPECT_LT(stage_last, truncate_first) << "every node staged before TRUNCATE";
    EXPECT_LT(truncate_first, import_first) << "nothing loads before TRUNCATE";
    EXPECT_EQ(span("clean").first > import_last, true);
    for (const auto& host : world.hosts) {
        EXPECT_EQ(world.live[host].size(), 2U) << host << " loaded both SSTables";
        EXPECT_TRUE(world.staged[host].empty()) << host << "'s staging was removed";
    }
    ASSERT_TRUE(outcome.record);
    EXPECT_EQ(outcome.record->status, RestoreStatus::complete);
    EXPECT_EQ(outcome.record->truncated, (std::vector<std::string>{"billing.invoices"}));
    auto saved = catalog->load_restore(outcome.record->id);
    ASSERT_TRUE(saved) << saved.error().message;
    EXPECT_EQ(saved->nodes[0].tables[0].state, TableState::loaded);
}

TEST_F(RestoreRun, OneMismatchAnywhereStopsEveryNodeBeforeAnythingLoads)
{
    request.truncate = true;
    world.tampered.insert(table_dir("n2") + "/snapshots/nightly/nb-2-big-Data.db");
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::mismatch);
    EXPECT_EQ(span("import").first, -1) << "no import anywhere";
    EXPECT_EQ(span("truncate").first, -1) << "no TRUNCATE";
    ASSERT_EQ(outcome.mismatches.size(), 1U);
    EXPECT_NE(
        outcome.mismatches[0].find("n2: " + table_dir("n2") + "/snapshots/nightly/nb-2-big-Data.db: SHA-256 differs"),
        std::string::npos)
        << outcome.mismatches[0];
    for (const auto& host : world.hosts) {
        EXPECT_TRUE(world.staged[host].empty()) << "staging removed from " << host;
    }
}

TEST_F(RestoreRun, AnImportThatLoadsNothingIsAFailureAndTheOthersFinish)
{
    world.silent_imports.insert("n3");
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::partial);
    ASSERT_TRUE(outcome.record);
    const auto* n3 = outcome.record->node("n3");
    ASSERT_TRUE(n3);
    EXPECT_EQ(n3->tables[0].state, TableState::failed);
    EXPECT_NE(n3->tables[0].error->find("exited 0 but loaded 0 of 2 SSTables"), std::string::npos)
        << *n3->tables[0].error;
    EXPECT_FALSE(n3->cleaned) << "staging kept where the load failed";
    EXPECT_TRUE(outcome.record->node("n1")->cleaned);
}

TEST_F(RestoreRun, ARerunFinishesWhatWasLeftAndNeverTruncatesTwice)
{
    request.truncate = true;
    world.failing_imports.insert("n2");
    auto first = restore();
    EXPECT_EQ(first.exit_code, exit_code::partial);
    world.failing_imports.clear();
    world.events.clear();
    auto second = restore();
    EXPECT_EQ(second.exit_code, exit_code::ok);
    EXPECT_TRUE(second.resumed);
    EXPECT_EQ(second.record->id, first.record->id);
    EXPECT_EQ(span("truncate").first, -1) << "TRUNCATE is never run again: n1 and n3 hold restored data";
    EXPECT_EQ(span("import").first, span("import").second) << "only n2 imports";
    EXPECT_EQ(world.events[static_cast<std::size_t>(span("import").first)], "import n2");
    EXPECT_EQ(world.live["n1"].size(), 2U) << "nothing loaded twice";
}

TEST_F(RestoreRun, ReleasesComeFromOneGossipinfoAndVersionOnlyWhereGossipIsSilent)
{
    world.unknown_to_gossip = {"n3"};
    request.dry_run = true;
    auto outcome = restore();
    EXPECT_EQ(world.gossip_calls, 1); // one data center, one reporter
    EXPECT_EQ(world.version_calls, (std::map<std::string, int>{{"n3", 1}}));
    ASSERT_EQ(outcome.plan.nodes.size(), 3u);
    for (const auto& node : outcome.plan.nodes) {
        EXPECT_EQ(node.version, "4.1.6") << node.node.host;
        EXPECT_FALSE(node.unreachable) << node.node.host;
    }
    EXPECT_TRUE(std::all_of(outcome.runs.begin(), outcome.runs.end(), [](const NodeRun& run) { return run.ok(); }));
}

// ---- restore by restart

class RestartRun : public RestoreRun
{
  protected:
    void SetUp() override
    {
        RestoreRun::SetUp();
        for (auto& node : nodes) {
            node.cassandra.stop_command = "stop-cassandra";
            node.cassandra.start_command = "start-cassandra";
            node.cassandra.commitlog_dir = "/srv/" + node.host + "/commitlog";
        }
        request.method = LoadMethod::restart;
        request.start_timeout = std::chrono::seconds(1);
        world.seeds = {"n2"};
    }

    std::vector<std::string> events_of(const std::string& host) const
    {
        std::vector<std::string> found;
        for (const auto& event : world.events) {
            if (event.ends_with(" " + host) && !event.starts_with("stage") && !event.starts_with("clean")) {
                found.push_back(event.substr(0, event.find(' ')));
            }
        }
        return found;
    }
};

TEST_F(RestartRun, EveryNodeStopsBeforeAnyStartsAndTheSeedStartsFirst)
{
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::ok) << fmt::format("{}", fmt::join(outcome.notes, "\n"));
    EXPECT_EQ(outcome.plan.start_order, (std::vector<std::string>{"n2", "n1", "n3"}));
    EXPECT_LT(span("stop").second, span("quarantine").first) << "every node down before any file moves";
    EXPECT_LT(span("place").second, span("start").first) << "every node swapped before any starts";
    EXPECT_EQ(world.events[static_cast<std::size_t>(span("start").first)], "start n2") << "the seed first";
    for (const auto& host : world.hosts) {
        EXPECT_EQ(events_of(host), (std::vector<std::string>{"drain", "stop", "quarantine", "place", "start"})) << host;
        EXPECT_EQ(world.live[host].size(), 2U) << host;
        EXPECT_FALSE(world.down.count(host)) << host;
        EXPECT_EQ(outcome.record->node(host)->restart, RestartStep::started);
        EXPECT_EQ(outcome.record->node(host)->tables[0].state, TableState::loaded);
    }
    EXPECT_EQ(outcome.record->status, RestoreStatus::complete);
}

TEST_F(RestartRun, RollingTakesOneNodeThroughEveryStepBeforeTheNext)
{
    request.rolling = true;
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::ok) << fmt::format("{}", fmt::join(outcome.notes, "\n"));
    std::vector<std::string> steps;
    for (const auto& event : world.events) {
        if (!event.starts_with("stage") && !event.starts_with("clean")) {
            steps.push_back(event);
        }
    }
    std::vector<std::string> expected;
    for (const char* host : {"n2", "n1", "n3"}) {
        for (const char* step : {"drain", "stop", "quarantine", "place", "start"}) {
            expected.push_back(fmt::format("{} {}", step, host));
        }
    }
    EXPECT_EQ(steps, expected);
}

TEST_F(RestartRun, ANodeThatDoesNotStartIsLeftDownWithTheWayBackAndTheOthersStart)
{
    world.failing_starts = {"n3"};
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::partial);
    EXPECT_EQ(outcome.record->node("n3")->restart, RestartStep::placed);
    EXPECT_EQ(outcome.record->node("n3")->tables[0].state, TableState::failed);
    EXPECT_EQ(outcome.record->node("n1")->restart, RestartStep::started);
    auto notes = fmt::format("{}", fmt::join(outcome.notes, "\n"));
    EXPECT_NE(notes.find("n3: it did not come up"), std::string::npos) << notes;
    EXPECT_NE(notes.find("ringsnap restore --undo " + outcome.record->id), std::string::npos) << notes;
    EXPECT_FALSE(outcome.record->node("n3")->quarantine.empty());

    world.failing_starts.clear(); // a rerun starts it: its files are in place already
    world.events.clear();
    auto second = restore();
    EXPECT_EQ(second.exit_code, exit_code::ok) << fmt::format("{}", fmt::join(second.notes, "\n"));
    EXPECT_EQ(second.record->id, outcome.record->id);
    EXPECT_EQ(events_of("n1"), std::vector<std::string>{}) << "n1 started already: untouched";
    EXPECT_EQ(second.record->node("n3")->restart, RestartStep::started);
}

TEST_F(RestartRun, ANodeThatDoesNotStopMeansNoFilesMoveAnywhere)
{
    world.failing_stops = {"n1"};
    auto outcome = restore();
    EXPECT_NE(outcome.exit_code, exit_code::ok);
    EXPECT_EQ(span("quarantine").first, -1) << "no files moved anywhere";
    EXPECT_EQ(span("place").first, -1);
    EXPECT_TRUE(world.down.empty()) << "the nodes that stopped are started again";
    for (const auto& host : world.hosts) {
        EXPECT_EQ(outcome.record->node(host)->restart, RestartStep::none) << host;
    }
}

TEST_F(RestartRun, WithoutStopAndStartCommandsTheRestartIsRefused)
{
    nodes[1].cassandra.stop_command.reset();
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::usage);
    EXPECT_TRUE(world.events.empty());
    auto refusals = fmt::format("{}", fmt::join(outcome.plan.refusals, "\n"));
    EXPECT_NE(refusals.find("n2: --method restart needs cassandra.stop_command"), std::string::npos) << refusals;
}

TEST_F(RestoreRun, ADryRunTouchesNothingAndWritesNoRecord)
{
    request.dry_run = true;
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::ok);
    EXPECT_FALSE(outcome.record);
    EXPECT_TRUE(world.events.empty());
    EXPECT_FALSE(std::filesystem::exists(catalog->restores_directory()));
    EXPECT_FALSE(std::filesystem::exists(catalog->lock_path())) << "a dry run takes no lock";
}

TEST_F(RestoreRun, CqlCredentialsTravelOnStdinOnly)
{
    for (auto& node : nodes) {
        node.cassandra.cql_user = "restorer";
    }
    request.truncate = true;
    request.cql_password = "s3cret-pw";
    restore();
    ASSERT_EQ(fake.inputs_sent.size(), 1U);
    EXPECT_NE(fake.inputs_sent[0].second.find("password = s3cret-pw"), std::string::npos);
    for (const auto& [host, command] : fake.commands_ran) {
        EXPECT_EQ(command.find("s3cret-pw"), std::string::npos) << command;
    }
}

TEST_F(RestoreRun, EachNodeLoadsWithSstableloaderAndAFailedStreamFailsThatNodeAlone)
{
    request.method = LoadMethod::sstableloader;
    request.count_rows = true;
    for (auto& node : nodes) {
        node.cassandra.cql_user = "loader";
    }
    request.cql_password = "s3cret-pw";
    world.failing_loaders.insert("n2");
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::partial) << fmt::format("{}", fmt::join(outcome.notes, "\n"));
    EXPECT_LT(span("stage").second, span("load").first) << "every node staged and verified before any loads";
    EXPECT_EQ(span("import").first, -1);
    ASSERT_TRUE(outcome.record);
    EXPECT_EQ(outcome.record->node("n1")->tables[0].state, TableState::loaded);
    const auto& failed = outcome.record->node("n2")->tables[0];
    EXPECT_EQ(failed.state, TableState::failed);
    EXPECT_NE(failed.error->find("Streaming to the following hosts failed: [/10.0.0.2:7000]"), std::string::npos)
        << *failed.error;
    EXPECT_FALSE(outcome.record->node("n2")->cleaned) << "its staging waits for a rerun";
    ASSERT_EQ(outcome.record->row_counts.size(), 1U);
    EXPECT_EQ(outcome.record->row_counts[0].target, 42U);
    bool loader_input = false;
    for (const auto& [host, input] : fake.inputs_sent) {
        loader_input = loader_input || input == "loader\ns3cret-pw\n";
    }
    EXPECT_TRUE(loader_input) << "the loaders' credentials arrive on stdin";
    for (const auto& [host, command] : fake.commands_ran) {
        EXPECT_EQ(command.find("s3cret-pw"), std::string::npos) << command;
    }
}

TEST_F(RestoreRun, ARefusedPlanChangesNothing)
{
    request.tables = {KeyspaceTable{"billing", "nothing_here"}};
    auto outcome = restore();
    EXPECT_EQ(outcome.exit_code, exit_code::usage);
    EXPECT_FALSE(outcome.plan.refusals.empty());
    EXPECT_TRUE(world.events.empty());
}

TEST_F(RestoreRun, AConfirmationRefusedChangesNothing)
{
    bool asked = false;
    request.confirm = [&](const RestorePlan& plan) {
        asked = true;
        EXPECT_EQ(plan.nodes.size(), 3U);
        return false;
    };
    fake.workers = 3;
    auto outcome = run_restore(fake, *catalog, nodes, request, no_observer());
    EXPECT_TRUE(asked);
    ASSERT_FALSE(outcome);
    EXPECT_EQ(outcome.error().kind, ErrorKind::usage);
    EXPECT_TRUE(world.events.empty());
}

} // namespace
} // namespace ringsnap::ops
