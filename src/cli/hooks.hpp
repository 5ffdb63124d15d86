// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hooks: commands the operator has ringsnap run on the operator host before and after a run
// (docs/automation.md). A hook runs through /bin/sh -c with stdin from /dev/null and its output
// on ringsnap's stderr (stdout carries only results), with the RINGSNAP_* variables added to the
// environment. It is stopped, with its whole process group, when it outlives its time or the run
// is interrupted: a hook never hangs a run.

#include <chrono>
#include <map>
#include <string>

#include <ringsnap/result.hpp>

namespace ringsnap::cli {

inline constexpr auto k_hook_timeout = std::chrono::minutes(10);

// How a hook ended: its exit status, or 128 + the signal that ended it.
struct HookResult
{
    int exit_code = 0;
    bool timed_out = false;
    bool ok() const { return exit_code == 0 && !timed_out; }
};

// Runs `command` with `variables` added to the environment and waits for it, at most `timeout`.
// ErrorKind::io when it cannot be started; ErrorKind::interrupted after Ctrl-C (it was stopped).
Result<HookResult> run_hook(const std::string& command, const std::map<std::string, std::string>& variables,
                            std::chrono::milliseconds timeout = k_hook_timeout);

} // namespace ringsnap::cli
