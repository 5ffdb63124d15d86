// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/cancel.hpp>

#include <atomic>

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

} // namespace ringsnap
