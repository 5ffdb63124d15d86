// SPDX-License-Identifier: Apache-2.0
#pragma once

// The load of a restore with sstableloader, once every source node staged and verified its
// files (and the target got the tables it lacked, restore_cql.hpp): on each source node, one
// `sstableloader -d <target nodes>` per staged directory, at most --loaders-per-dc nodes at once
// in each data center. A run counts only when it exits 0, skipped no file and streamed
// something. TRUNCATE, staging and the record are the restore's own (restore.cpp).

#include <functional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/ops/restore.hpp>

#include "ops/restore_cql.hpp"
#include "ops/restore_record_keeper.hpp"

namespace ringsnap::ops {

struct LoaderContext
{
    Executor& executor;
    const RestorePlan& plan;
    const RestoreRequest& request;
    RecordKeeper& record;
    Observer& observer;
    NoteRun note_run;
    const CqlEndpoint& target; // where cqlsh runs on the target; its credentials are the loaders' too
};

// Streams the staging of the nodes `ready` (indexes into plan.nodes) into the target.
void load_with_sstableloader(LoaderContext& context, const std::vector<std::size_t>& ready);

} // namespace ringsnap::ops
