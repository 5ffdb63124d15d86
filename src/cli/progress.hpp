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

#include <memory>

#include <ringsnap/executor.hpp>
#include <ringsnap/ops/observer.hpp>

namespace ringsnap::cli {

class Progress
{
  public:
    using Lines = ops::Observer::Lines;

    // Follows `executor` until destroyed, for a phase called `what` ("snapshot") on `nodes`.
    Progress(Executor& executor, std::string what, const std::vector<Node>& nodes, Lines lines = Lines::per_node);
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Counts bytes the phase has handled (recorded, checked); callable from any thread.
    void add_bytes(std::uint64_t bytes);

  private:
    struct Count
    {
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

// What operations see: each phase they announce gets its own Progress.
class ProgressObserver final : public ops::Observer
{
  public:
    explicit ProgressObserver(Executor& executor) : m_executor(executor) {}

    void phase_begins(const std::string& what, const std::vector<Node>& nodes, Lines lines) override
    {
        m_progress.reset();
        m_progress = std::make_unique<Progress>(m_executor, what, nodes, lines);
    }
    void phase_ends() override { m_progress.reset(); }
    void add_bytes(std::uint64_t bytes) override
    {
        if (m_progress) {
            m_progress->add_bytes(bytes);
        }
    }

  private:
    Executor& m_executor;
    std::unique_ptr<Progress> m_progress;
};

} // namespace ringsnap::cli
