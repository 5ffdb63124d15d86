// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/cancel.hpp>

#include <atomic>
#include <chrono>
#include <thread>

namespace ringsnap {

namespace {
// Lock-free, so the signal handler may set it (std::atomic<bool> is always lock-free on Linux).
std::atomic<bool> g_cancel_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);
} // namespace

void request_cancel()
{
    g_cancel_requested.store(true);
}

bool cancel_requested()
{
    return g_cancel_requested.load();
}

void reset_cancel()
{
    g_cancel_requested.store(false);
}

bool sleep_unless_cancelled(Duration delay)
{
    auto until = std::chrono::steady_clock::now() + delay;
    while (std::chrono::steady_clock::now() < until && !cancel_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return !cancel_requested();
}

} // namespace ringsnap
