// SPDX-License-Identifier: Apache-2.0
#pragma once

// How a run ended, and the exit code that says so (design.md, "Exit codes": a contract with cron
// and CI, documented in docs/exit-codes.md and --help).

#include <vector>

#include <nlohmann/json.hpp>

#include <ringsnap/executor.hpp>

namespace ringsnap {

namespace exit_code {
inline constexpr int ok = 0;       // everything asked for succeeded
inline constexpr int partial = 1;  // some nodes failed; the rest is recorded
inline constexpr int usage = 2;    // usage or configuration error; nothing was touched
inline constexpr int failed = 3;   // nothing usable was produced
inline constexpr int mismatch = 4; // verification found a mismatch
inline constexpr int interrupted = 130;
} // namespace exit_code

enum class RunStatus { ok, partial, failed, interrupted };

const char* to_string(RunStatus status);
int exit_code_for(RunStatus status);

// The exit code of a run refused by `error` before any node was touched: 2 when the operator must
// fix an input (the command line, the cluster file, the catalog or a manifest in it: usage,
// config, catalog), 3 otherwise (nothing usable was produced, e.g. an unreachable --seed).
int exit_code_for(const Error& error);

// ok when every node succeeded, failed when none did, partial in between; interrupted when the
// operator stopped the run, whatever finished before.
RunStatus summarize(const std::vector<NodeRun>& runs, bool interrupted);

// The per-node part of every --json document: host, datacenter, status, error, failed_step,
// duration_ms; with `with_steps` also each step's command, exit status, stdout and stderr.
nlohmann::json nodes_json(const std::vector<NodeRun>& runs, bool with_steps);

// Short form of an error for tables: the kind and the message's first line.
std::string describe(const Error& error);

} // namespace ringsnap
