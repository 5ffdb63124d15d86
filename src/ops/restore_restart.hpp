// SPDX-License-Identifier: Apache-2.0
#pragma once

// The load of a restore by restart, once every node staged and verified its files:
//
//   stop     per node: nodetool drain (the memtables reach disk, so nothing waits in the commit
//            log), the cluster file's stop_command, then wait until nodetool cannot connect;
//   swap     the tables' live files (and, when every table goes back, the commit log) moved into
//            a quarantine on the same filesystem, the staged files moved into their place;
//   start    start_command, then wait until the node is UN in `nodetool status` of the first
//            node started (or its own, for that first one).
//
// Every node is stopped and swapped before any starts (seeds first, data center by data
// center); with --rolling one node goes through all three before the next, and the roll stops
// at the first node that fails. A node that failed after its files were moved is left down, and
// the notes say how to put its files back (--undo). The record keeps each node's step, so a
// rerun continues where it stopped.

#include <functional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/ops/restore.hpp>

#include "ops/restore_record_keeper.hpp"

namespace ringsnap::ops {

struct RestartContext
{
    Executor& executor;
    const RestorePlan& plan;
    const RestoreRequest& request;
    RecordKeeper& record;
    Observer& observer;
    std::function<void(const NodeRun&)> note_run; // every node job's outcome, for the report
    std::vector<std::string>& notes;              // what the operator should know afterwards
};

// Stops, swaps and starts the nodes `ready` (indexes into plan.nodes: those that staged and
// verified). Stops nothing unless every node of the plan is ready.
void restart_nodes(RestartContext& context, const std::vector<std::size_t>& ready);

} // namespace ringsnap::ops
