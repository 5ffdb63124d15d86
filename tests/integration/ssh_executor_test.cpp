// SPDX-License-Identifier: Apache-2.0
// The SSH executor itself, through its C++ interface, on a lab of real sshd hosts.

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include <gtest/gtest.h>

#include <ringsnap/shell.hpp>
#include <ringsnap/ssh_executor.hpp>

#include "support/lab.hpp"

namespace ringsnap::testing {
namespace {

class SshExecutorOnLab : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        if (auto missing = Lab::missing_prerequisite(); !missing.empty()) {
            GTEST_SKIP() << missing;
        }
        m_lab = std::make_unique<Lab>(2, 2);
    }

    // sshd logs one "Accepted publickey" line per authenticated connection.
    int accepted_logins() const
    {
        int count = 0;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(m_lab->dir() + "/nodes")) {
            if (entry.path().filename() != "sshd.log") {
                continue;
            }
            std::ifstream in(entry.path());
            for (std::string line; std::getline(in, line);) {
                count += line.find("Accepted publickey") != std::string::npos ? 1 : 0;
            }
        }
        return count;
    }

    std::unique_ptr<Lab> m_lab;
};

TEST_F(SshExecutorOnLab, OneSessionPerNodeServesEveryStep)
{
    auto executor = make_ssh_executor(ExecutorOptions{});
    int before = accepted_logins();
    auto runs = executor->run_on_nodes(m_lab->nodes(), [](RemoteShell& shell, std::size_t) -> Status {
        for (int step = 0; step < 5; ++step) {
            auto output = run_checked(shell, "step " + std::to_string(step), "echo " + std::to_string(step));
            if (!output) {
                return output.error();
            }
        }
        return {};
    });
    for (const auto& run : runs) {
        EXPECT_TRUE(run.ok()) << run.node.host << ": " << (run.error ? run.error->message : "");
        EXPECT_EQ(run.steps.size(), 5U);
    }
    EXPECT_EQ(accepted_logins() - before, 4) << "expected one SSH login per node for five steps each";
}

TEST_F(SshExecutorOnLab, SessionStaysUsableAfterAStepTimesOut)
{
    // The killed command's channel closes while the next one runs: its late close must not
    // reach the finished step's state, and the next step must get its own output.
    auto executor = make_ssh_executor(ExecutorOptions{});
    auto nodes = m_lab->nodes();
    nodes.resize(1);
    std::string after;
    auto runs = executor->run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t) -> Status {
        auto slow = shell.run("slow", "echo started; sleep 30", std::chrono::seconds(1));
        if (slow || slow.error().kind != ErrorKind::timeout) {
            return make_error(ErrorKind::internal, "expected a timeout");
        }
        for (int step = 0; step < 3; ++step) {
            auto next = run_checked(shell, "next", "sleep 0.2; echo after");
            if (!next) {
                return next.error();
            }
            after = next->out;
        }
        return {};
    });
    ASSERT_TRUE(runs.front().ok()) << runs.front().error->message;
    EXPECT_EQ(after, "after\n");
}

TEST_F(SshExecutorOnLab, PerDataCenterLimitIsHonoured)
{
    auto executor = make_ssh_executor(ExecutorOptions{32, 1, false});
    std::mutex mutex;
    std::map<std::string, int> running, peak;
    auto runs = executor->run_on_nodes(m_lab->nodes(), [&](RemoteShell& shell, std::size_t) -> Status {
        const auto& dc = shell.node().datacenter;
        {
            std::lock_guard lock(mutex);
            peak[dc] = std::max(peak[dc], ++running[dc]);
        }
        auto output = run_checked(shell, "pause", "sleep 0.3");
        {
            std::lock_guard lock(mutex);
            --running[dc];
        }
        return output ? Status{} : Status{output.error()};
    });
    EXPECT_EQ(peak["dc1"], 1);
    EXPECT_EQ(peak["dc2"], 1);
    EXPECT_TRUE(std::all_of(runs.begin(), runs.end(), [](const NodeRun& run) { return run.ok(); }));
}

TEST_F(SshExecutorOnLab, LargeOutputOnBothStreamsDoesNotDeadlock)
{
    // Well past libssh 0.10's 1.28 MB channel window on stderr while stdout is busy too.
    auto executor = make_ssh_executor(ExecutorOptions{});
    auto nodes = m_lab->nodes();
    nodes.resize(1);
    CommandOutput seen;
    auto runs = executor->run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t) -> Status {
        auto output = run_checked(shell, "flood", "head -c 3000000 /dev/zero >&2; head -c 2000000 /dev/zero");
        if (!output) {
            return output.error();
        }
        seen = *output;
        return {};
    });
    ASSERT_TRUE(runs.front().ok()) << runs.front().error->message;
    EXPECT_EQ(seen.out.size(), 2000000U);
    EXPECT_EQ(seen.err.size(), 1U << 20) << "stderr keeps its last MiB";
}

TEST_F(SshExecutorOnLab, SudoRunsAsTheConfiguredUserWithoutPrompting)
{
    if (!std::filesystem::exists("/usr/bin/sudo") || geteuid() != 0) {
        GTEST_SKIP() << "needs sudo installed and a root login (CI runs as root)";
    }
    auto executor = make_ssh_executor(ExecutorOptions{});
    auto nodes = m_lab->nodes();
    nodes.resize(1);
    std::string who;
    auto runs = executor->run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t) -> Status {
        auto output = run_checked(shell, "whoami", with_sudo("id -un", std::string("nobody")));
        if (!output) {
            return output.error();
        }
        who = output->out;
        return {};
    });
    ASSERT_TRUE(runs.front().ok()) << runs.front().error->message;
    EXPECT_EQ(who, "nobody\n");
}

TEST_F(SshExecutorOnLab, SudoThatWantsAPasswordFailsAtOnceInsteadOfWaiting)
{
    if (!std::filesystem::exists("/usr/bin/sudo") || geteuid() == 0) {
        GTEST_SKIP() << "needs sudo and a login without a sudo rule (root never gets a password prompt)";
    }
    auto executor = make_ssh_executor(ExecutorOptions{});
    auto nodes = m_lab->nodes();
    nodes.resize(1);
    auto runs = executor->run_on_nodes(nodes, [&](RemoteShell& shell, std::size_t) -> Status {
        auto output = run_checked(shell, "whoami", with_sudo("id -un", std::string("nobody")));
        return output ? Status{} : Status{output.error()};
    });
    ASSERT_TRUE(runs.front().error);
    EXPECT_EQ(runs.front().error->kind, ErrorKind::command);
    EXPECT_NE(runs.front().error->message.find("password"), std::string::npos) << runs.front().error->message;
}

TEST_F(SshExecutorOnLab, AChannelTheNodeRefusesIsTriedAgainThenNamedWithItsReason)
{
    // MaxSessions 0: the host answers SSH and authenticates, but refuses every channel.
    std::string config = m_lab->dir() + "/nodes/dc1-n2/sshd/sshd_config";
    std::string text;
    {
        std::ifstream in(config);
        text.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto at = text.find("MaxSessions 50");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, 14, "MaxSessions 0");
    std::ofstream(config) << text;
    m_lab->must({"kill-host", "dc1-n2"});
    m_lab->must({"revive-host", "dc1-n2"});

    auto executor = make_ssh_executor(ExecutorOptions{});
    auto runs = executor->run_on_nodes(m_lab->nodes(), [](RemoteShell& shell, std::size_t) -> Status {
        auto output = run_checked(shell, "echo", "echo hello");
        return output ? Status{} : Status(output.error());
    });
    for (const auto& run : runs) {
        if (run.node.host != m_lab->nodes()[1].host) {
            EXPECT_TRUE(run.ok()) << run.node.host << ": " << (run.error ? run.error->message : "");
            continue;
        }
        ASSERT_FALSE(run.ok());
        const auto& message = run.error->message;
        EXPECT_EQ(run.error->kind, ErrorKind::connect);
        EXPECT_EQ(message.rfind("cannot open a channel (3 attempts over ", 0), 0U) << message;
        auto reason = message.substr(message.find("): ") + 3);
        EXPECT_GT(reason.size(), 3U) << "libssh's reason, never nothing: " << message;
    }
}

} // namespace
} // namespace ringsnap::testing
