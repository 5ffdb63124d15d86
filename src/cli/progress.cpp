// SPDX-License-Identifier: Apache-2.0
#include "cli/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/logging.hpp>
#include <ringsnap/text_table.hpp>

namespace ringsnap::cli {

namespace {

// Often enough to look alive, rarely enough not to flood a slow terminal.
constexpr auto k_redraw_interval = std::chrono::milliseconds(100);

double seconds(std::chrono::steady_clock::duration duration)
{
    return std::chrono::duration<double>(duration).count();
}

} // namespace

Progress::Progress(Executor& executor, std::string what, const std::vector<Node>& nodes, Lines lines)
    : m_executor(executor), m_what(std::move(what)), m_lines(lines), m_total(static_cast<int>(nodes.size()))
{
    for (const auto& node : nodes) {
        ++m_per_dc[node.datacenter].total;
    }
    m_executor.on_node_done([this](const NodeRun& run) { node_done(run); });
    redraw(true);
}

Progress::~Progress()
{
    m_executor.on_node_done({});
    show_status_line("");
}

void Progress::add_bytes(std::uint64_t bytes)
{
    m_bytes += bytes;
    redraw(false);
}

void Progress::node_done(const NodeRun& run)
{
    {
        std::lock_guard lock(m_mutex);
        ++m_per_dc[run.node.datacenter].done;
        ++m_done;
        m_failed += run.ok() ? 0 : 1;
    }
    if (!status_line_enabled() && m_lines == Lines::per_node &&
        run.ok()) { // failures are logged as warnings by the executor
        spdlog::info("[{}] {} done in {:.1f} s ({} of {} nodes)", run.node.host, m_what, seconds(run.duration), m_done,
                     m_total);
    }
    redraw(true);
}

void Progress::redraw(bool force)
{
    if (!status_line_enabled()) {
        return;
    }
    std::lock_guard lock(m_mutex);
    auto now = std::chrono::steady_clock::now();
    if (!force && now - m_drawn < k_redraw_interval) {
        return;
    }
    m_drawn = now;
    show_status_line(line());
}

std::string Progress::line() const
{
    std::string text = m_what + ":";
    const char* separator = " ";
    for (const auto& [datacenter, count] : m_per_dc) {
        text += fmt::format("{}{} {}/{}", separator, datacenter, count.done, count.total);
        separator = ", ";
    }
    if (m_failed > 0) {
        text += fmt::format(", {} failed", m_failed);
    }
    if (auto bytes = m_bytes.load(); bytes > 0) {
        text += ", " + format_bytes(bytes);
    }
    return text + fmt::format(", {:.1f} s", seconds(std::chrono::steady_clock::now() - m_start));
}

} // namespace ringsnap::cli
