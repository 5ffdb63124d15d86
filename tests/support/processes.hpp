// SPDX-License-Identifier: Apache-2.0
#pragma once

// Looks at this machine's processes: the lab's nodes are local, so "is the remote command still
// running on the node" is a question about /proc here.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace ringsnap::testing {

// Processes whose command line (arguments joined by spaces) is exactly `command_line`.
inline int count_processes_matching(const std::string& command_line)
{
    int count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        std::ifstream in(entry.path() / "cmdline");
        std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (raw.empty()) {
            continue;
        }
        for (auto& c : raw) {
            c = c == '\0' ? ' ' : c;
        }
        raw.erase(raw.find_last_not_of(' ') + 1);
        count += raw == command_line ? 1 : 0;
    }
    return count;
}

inline bool wait_until_processes_match(const std::string& command_line, int at_least, std::chrono::seconds limit)
{
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (count_processes_matching(command_line) >= at_least) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

inline bool wait_until_no_process_matches(const std::string& command_line, std::chrono::seconds limit)
{
    auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (count_processes_matching(command_line) == 0) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

} // namespace ringsnap::testing
