// SPDX-License-Identifier: Apache-2.0
#pragma once

// Runs a program for a test: argv only (no shell), stdout and stderr captured in temporary files
// (so a chatty child never blocks on a full pipe), extra environment variables, signals.

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace ringsnap::testing {

struct ProcessResult
{
    int exit_code = -1; // 128 + signal when killed by a signal, like a shell reports it
    std::string out;
    std::string err;
    long peak_rss_kib = 0; // the child's own peak resident memory (wait(); 0 otherwise)
};

class ChildProcess
{
  public:
    explicit ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {})
    {
        m_out_path = temp_file();
        m_err_path = temp_file();
        m_pid = fork();
        if (m_pid < 0) {
            throw std::runtime_error("fork failed");
        }
        if (m_pid == 0) {
            exec_child(argv, env);
        }
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
        std::remove(m_out_path.c_str());
        std::remove(m_err_path.c_str());
    }

    void send_signal(int signal) const { ::kill(m_pid, signal); }

    ProcessResult wait()
    {
        int status = 0;
        rusage usage{};
        wait4(m_pid, &status, 0, &usage);
        auto result = finish(status);
        result.peak_rss_kib = usage.ru_maxrss;
        return result;
    }

    // As wait(), but a child still running after `limit` is killed (SIGKILL, exit 137), so a test
    // of something that must stop cannot hang the suite when it does not.
    ProcessResult wait_at_most(std::chrono::milliseconds limit)
    {
        auto give_up = std::chrono::steady_clock::now() + limit;
        int status = 0;
        while (waitpid(m_pid, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() >= give_up) {
                ::kill(m_pid, SIGKILL);
                waitpid(m_pid, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return finish(status);
    }

  private:
    ProcessResult finish(int status)
    {
        m_pid = -1;
        ProcessResult result;
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        result.out = slurp(m_out_path);
        result.err = slurp(m_err_path);
        return result;
    }

    static std::string temp_file()
    {
        char path[] = "/tmp/ringsnap-test-XXXXXX";
        int fd = mkstemp(path);
        if (fd < 0) {
            throw std::runtime_error("mkstemp failed");
        }
        close(fd);
        return path;
    }

    static std::string slurp(const std::string& path)
    {
        std::ifstream in(path);
        std::stringstream buffer;
        buffer << in.rdbuf();
        return buffer.str();
    }

    [[noreturn]] void exec_child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env)
    {
        if (!freopen(m_out_path.c_str(), "w", stdout) || !freopen(m_err_path.c_str(), "w", stderr) ||
            !freopen("/dev/null", "r", stdin)) {
            _exit(127);
        }
        for (const auto& [name, value] : env) {
            setenv(name.c_str(), value.c_str(), 1);
        }
        std::vector<char*> args;
        for (const auto& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));
        }
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }

    pid_t m_pid = -1;
    std::string m_out_path;
    std::string m_err_path;
};

inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 const std::map<std::string, std::string>& env = {})
{
    ChildProcess child(argv, env);
    return child.wait();
}

} // namespace ringsnap::testing
