// SPDX-License-Identifier: Apache-2.0
#pragma once

// The target's side of a restore with sstableloader, for the planner: which of its nodes the
// loaders are pointed at, and whether each source node's loader can stream to each target node
// at all (a receiver accepts only its own messaging version, and must read the files' format).
// Pure. The tables it lacks are schema_plan's.

#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/restore.hpp>

#include "ops/loader_steps.hpp"

namespace ringsnap::ops::loader_plan {

// The addresses the loaders are pointed at; a target node down or silent is refused in `plan`.
LoaderTarget plan_target(const SurveyedCluster& target, const RestoreRequest& request, RestorePlan& plan);

// How the loaders run: -d addresses, throttle, credentials of the target cluster file.
loader_steps::LoaderSettings settings_for(const LoaderTarget& loader, const SurveyedCluster& target,
                                          const RestoreRequest& request);

// Refuses a source node whose loader cannot stream to a target node, and files a target node
// cannot read; warns what the load costs the target.
void check_versions(const SurveyedCluster& target, RestorePlan& plan);

} // namespace ringsnap::ops::loader_plan
