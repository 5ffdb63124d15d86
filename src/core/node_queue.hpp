// SPDX-License-Identifier: Apache-2.0
#pragma once

// Which node goes next in a sliding window over a node list: the first waiting node whose data
// center and rack are under their limits. Shared by the SSH executor and the tests' fake
// executor, so ordering and limits behave the same in both.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>

namespace ringsnap {

class NodeQueue
{
  public:
    // `limits.per_dc` and `limits.per_rack` bound the nodes taken and not yet released per data
    // center and per rack (0: no limit).
    NodeQueue(const std::vector<Node>& nodes, const Concurrency& limits);

    // Blocks while every waiting node's data center or rack is full; nullopt when nothing is left
    // or the run was cancelled.
    std::optional<std::size_t> take();

    // The node at `index` is done: its data center and rack have room again.
    void release(std::size_t index);

  private:
    bool has_room(std::size_t index) const;
    std::string rack_key(std::size_t index) const;

    const std::vector<Node>& m_nodes;
    Concurrency m_limits;
    std::mutex m_mutex;
    std::condition_variable m_room;
    std::deque<std::size_t> m_waiting;
    std::map<std::string, int> m_in_dc;
    std::map<std::string, int> m_in_rack;
};

} // namespace ringsnap
