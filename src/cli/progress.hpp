// SPDX-License-Identifier: Apache-2.0
#pragma once

// A long run's progress on stderr. On a terminal, one line redrawn in place: nodes done of total
// per data center, failures, bytes, time. Otherwise (cron, CI) an info line per node as it
// finishes, which -q silences.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>

namespace ringsnap::cli {

class Progress {
public:
    // Whether, off a terminal, each node's end is logged (the main phase) or not (a short one
    // before it, which would double the lines).
    enum class Lines { per_node, none };

    // Follows `executor` until destroyed, for a phase called `what` ("snapshot") on `nodes`.
    Progress(Executor& executor, std::string what, const std::vector<Node>& nodes, Lines lines = Lines::per_node);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Counts bytes the phase has handled (recorded, checked); callable from any thread.
    void add_bytes(std::uint64_t bytes);

private:
    struct Count {
        int done = 0;
        int total = 0;
    };

    void node_done(const NodeRun& run);
    void redraw(bool force);
    std::string line() const;

    Executor& m_executor;
    std::string m_what;
    Lines m_lines;
    std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point m_drawn{};
    std::mutex m_mutex;
    std::map<std::string, Count> m_per_dc;
    int m_done = 0;
    int m_total = 0;
    int m_failed = 0;
    std::atomic<std::uint64_t> m_bytes{0};
};

} // namespace ringsnap::cli
