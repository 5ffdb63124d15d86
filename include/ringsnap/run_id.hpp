// SPDX-License-Identifier: Apache-2.0
#pragma once

// One id per ringsnap process, so that what one run wrote can be told from another's: the lock
// file names the run holding it, and a backup's manifest the run that took it. A manifest still
// `running` whose run no longer holds the lock was interrupted.

#include <string>

namespace ringsnap {

// Twelve lowercase hex digits, drawn at random once per process and the same on every call.
const std::string& this_run_id();

} // namespace ringsnap
