// SPDX-License-Identifier: Apache-2.0
#pragma once

// What `ringsnap restore` shows: the plan (before anything changes, and for --dry-run), then per
// node and table what happened; and the same as one JSON object.

#include <string>

#include <nlohmann/json.hpp>

#include <ringsnap/ops/restore.hpp>

namespace ringsnap::cli {

// The plan: nodes, tables, sources, staging, commands, warnings and refusals; with `verbose`
// every file with its size and SHA-256.
std::string render_restore_plan(const ops::RestorePlan& plan, const ops::RestoreRequest& request, bool verbose);

// The whole report: the plan unless `plan_shown` already, then the outcome per node and table.
std::string render_restore(const ops::RestoreOutcome& outcome, const ops::RestoreRequest& request, bool verbose,
                           bool plan_shown);

nlohmann::json restore_json(const ops::RestoreOutcome& outcome, const ops::RestoreRequest& request, bool with_steps);

// `list --restores`: one row per restore record.
// --undo / --cleanup of an earlier restore by restart: per node what happened.
std::string render_quarantine_action(const ops::RestoreOutcome& outcome, const ops::QuarantineRequest& request);
nlohmann::json quarantine_action_json(const ops::RestoreOutcome& outcome, const ops::QuarantineRequest& request,
                                      bool with_steps);

std::string render_restores(const RestoreListing& listing);
nlohmann::json restores_json(const RestoreListing& listing);

} // namespace ringsnap::cli
