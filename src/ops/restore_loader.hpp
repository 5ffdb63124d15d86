// SPDX-License-Identifier: Apache-2.0
#pragma once

// The load of a restore with sstableloader, once every source node staged and verified its
// files, and the CQL around it on the target:
//
//   schema   the tables the target lacks, created from the backup's schema.cql (and their
//            keyspaces, with the replication the plan shows) through cqlsh on one target node;
//   load     on each source node, one `sstableloader -d <target nodes>` per staged directory,
//            at most --loaders-per-dc nodes at once in each data center; a run counts only when
//            it exits 0, skipped no file and streamed something;
//   count    (--count-rows) SELECT COUNT(*) at consistency ALL of every restored table on the
//            target, and with --compare-source on the source; a difference is a mismatch.
//
// TRUNCATE, staging and the record are the restore's own (restore.cpp).

#include <functional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/ops/observer.hpp>
#include <ringsnap/ops/restore.hpp>

#include "ops/restore_record_keeper.hpp"

namespace ringsnap::ops {

// A node where cqlsh runs, and how it logs in.
struct CqlEndpoint
{
    Node node;
    std::string address;  // what cqlsh connects to: the node's own address in its ring
    std::string password; // used when the node has cassandra.cql_user
};

// Runs each of `statements` through cqlsh on the endpoint, one after the other, in one job.
// The outputs are returned whatever their exit status; the error is the job's (no connection).
Result<std::vector<CommandOutput>> run_cql(Executor& executor, const CqlEndpoint& endpoint, const std::string& step,
                                           const std::vector<std::string>& statements,
                                           const std::function<void(const NodeRun&)>& note_run);

struct LoaderContext
{
    Executor& executor;
    const RestorePlan& plan;
    const RestoreRequest& request;
    RecordKeeper& record;
    Observer& observer;
    std::function<void(const NodeRun&)> note_run;
    const CqlEndpoint& target; // where cqlsh runs on the target; its credentials are the loaders' too
};

// Creates what plan.loader says the target lacks; records the tables created.
Status create_target_schema(LoaderContext& context);

// Streams the staging of the nodes `ready` (indexes into plan.nodes) into the target.
void load_with_sstableloader(LoaderContext& context, const std::vector<std::size_t>& ready);

// Counts the rows of every restored table on the target (and on the source when given).
std::vector<RowCount> count_rows(LoaderContext& context, const std::optional<CqlEndpoint>& source);

} // namespace ringsnap::ops
