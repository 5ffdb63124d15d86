// SPDX-License-Identifier: Apache-2.0
#include "cli/hooks.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <ringsnap/cancel.hpp>

extern char** environ;

namespace ringsnap::cli {

namespace {

// The process's environment with `variables` set over it.
std::vector<std::string> environment_with(const std::map<std::string, std::string>& variables)
{
    std::vector<std::string> entries;
    for (char** entry = environ; *entry; ++entry) {
        std::string_view text(*entry);
        auto name = text.substr(0, text.find('='));
        if (!variables.count(std::string(name))) {
            entries.emplace_back(text);
        }
    }
    for (const auto& [name, value] : variables) {
        entries.push_back(name + "=" + value);
    }
    return entries;
}

std::vector<char*> pointers_to(std::vector<std::string>& texts)
{
    std::vector<char*> pointers;
    for (auto& text : texts) {
        pointers.push_back(text.data());
    }
    pointers.push_back(nullptr);
    return pointers;
}

// A hook in a process group of its own, so that what it starts is stopped with it.
Result<pid_t> spawn_hook(const std::string& command, const std::map<std::string, std::string>& variables)
{
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    std::vector<std::string> argv_texts{"/bin/sh", "-c", command};
    auto argv = pointers_to(argv_texts);
    auto environment = environment_with(variables);
    auto envp = pointers_to(environment);
    pid_t pid = 0;
    int failed = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (failed != 0) {
        return make_error(ErrorKind::io, fmt::format("cannot start /bin/sh: {}", std::strerror(failed)));
    }
    return pid;
}

int exit_code_of(int status)
{
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

} // namespace

Result<HookResult> run_hook(const std::string& command, const std::map<std::string, std::string>& variables,
                            std::chrono::milliseconds timeout)
{
    auto pid = spawn_hook(command, variables);
    if (!pid) {
        return pid.error();
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t ended = ::waitpid(*pid, &status, WNOHANG);
        if (ended == *pid) {
            return HookResult{exit_code_of(status), false};
        }
        if (ended < 0 && errno != EINTR) {
            return make_error(ErrorKind::io, fmt::format("cannot wait for the hook: {}", std::strerror(errno)));
        }
        bool late = std::chrono::steady_clock::now() >= deadline;
        if (late || cancel_requested()) {
            ::kill(-*pid, SIGKILL);
            ::waitpid(*pid, &status, 0);
            if (!late) {
                return make_error(ErrorKind::interrupted, "interrupted: the hook was stopped");
            }
            return HookResult{exit_code_of(status), true};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

} // namespace ringsnap::cli
