// SPDX-License-Identifier: Apache-2.0
#pragma once

// Process-wide cancellation: Ctrl-C and SIGTERM set it (cli/signals.cpp); the executor checks it
// between short read slices, starts no new node once it is set, and kills what runs.

#include <ringsnap/duration.hpp>

namespace ringsnap {

void request_cancel();
bool cancel_requested();
void reset_cancel(); // for tests

// Sleeps up to `delay`, waking within 50 ms when the run is cancelled; false when it was.
bool sleep_unless_cancelled(Duration delay);

} // namespace ringsnap
