// SPDX-License-Identifier: Apache-2.0
#include "core/node_queue.hpp"

#include <algorithm>
#include <chrono>

#include <ringsnap/cancel.hpp>

namespace ringsnap {

NodeQueue::NodeQueue(const std::vector<Node>& nodes, const Concurrency& limits) : m_nodes(nodes), m_limits(limits)
{
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        m_waiting.push_back(i);
    }
}

std::string NodeQueue::rack_key(std::size_t index) const
{
    return m_nodes[index].datacenter + '\n' + m_nodes[index].rack;
}

bool NodeQueue::has_room(std::size_t index) const
{
    auto in = [](const std::map<std::string, int>& counts, const std::string& key) {
        auto found = counts.find(key);
        return found == counts.end() ? 0 : found->second;
    };
    bool dc_room = m_limits.per_dc <= 0 || in(m_in_dc, m_nodes[index].datacenter) < m_limits.per_dc;
    bool rack_room = m_limits.per_rack <= 0 || in(m_in_rack, rack_key(index)) < m_limits.per_rack;
    return dc_room && rack_room;
}

std::optional<std::size_t> NodeQueue::take()
{
    std::unique_lock lock(m_mutex);
    while (true) {
        if (cancel_requested() || m_waiting.empty()) {
            return std::nullopt;
        }
        auto eligible = std::find_if(m_waiting.begin(), m_waiting.end(), [&](std::size_t i) { return has_room(i); });
        if (eligible != m_waiting.end()) {
            std::size_t index = *eligible;
            m_waiting.erase(eligible);
            ++m_in_dc[m_nodes[index].datacenter];
            ++m_in_rack[rack_key(index)];
            return index;
        }
        // Woken by a release; the timeout only bounds how late a cancel is noticed.
        m_room.wait_for(lock, std::chrono::milliseconds(100));
    }
}

void NodeQueue::release(std::size_t index)
{
    {
        std::lock_guard lock(m_mutex);
        --m_in_dc[m_nodes[index].datacenter];
        --m_in_rack[rack_key(index)];
    }
    m_room.notify_all();
}

} // namespace ringsnap
