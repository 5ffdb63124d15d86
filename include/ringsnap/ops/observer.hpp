// SPDX-License-Identifier: Apache-2.0
#pragma once

// How an operation tells whoever runs it (the CLI's progress line, or nobody) what it is doing:
// phases over nodes, and bytes handled. Operations never draw anything themselves.

#include <cstdint>
#include <string>
#include <vector>

#include <ringsnap/cluster.hpp>

namespace ringsnap::ops {

class Observer
{
  public:
    // Whether, off a terminal, each node's end is worth a log line (a main phase) or not (a
    // short one before it, which would double the lines).
    enum class Lines { per_node, none };

    virtual ~Observer() = default;

    // A phase called `what` starts on `nodes`; nodes the executor finishes until phase_ends
    // belong to it.
    virtual void phase_begins(const std::string& what, const std::vector<Node>& nodes, Lines lines)
    {
        (void)what, (void)nodes, (void)lines;
    }
    virtual void phase_ends() {}

    // Bytes the current phase has handled (recorded, staged, checked); from any thread.
    virtual void add_bytes(std::uint64_t bytes) { (void)bytes; }
};

// An observer that hears nothing, for callers without a display (tests, benchmarks).
inline Observer& no_observer()
{
    static Observer nobody;
    return nobody;
}

// phase_begins now, phase_ends when the scope ends.
class Phase
{
  public:
    Phase(Observer& observer, const std::string& what, const std::vector<Node>& nodes,
          Observer::Lines lines = Observer::Lines::per_node)
        : m_observer(observer)
    {
        m_observer.phase_begins(what, nodes, lines);
    }
    ~Phase() { m_observer.phase_ends(); }
    Phase(const Phase&) = delete;
    Phase& operator=(const Phase&) = delete;

  private:
    Observer& m_observer;
};

} // namespace ringsnap::ops
