// SPDX-License-Identifier: Apache-2.0
#pragma once

// The CQL a restore runs through cqlsh on one node of the cluster it loads into: the tables that
// cluster lacks, created from the backup's schema before anything is loaded, and (--count-rows)
// SELECT COUNT(*) at consistency ALL of every restored table afterwards, on the source cluster
// too with --compare-source. TRUNCATE goes the same way (restore.cpp).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <ringsnap/executor.hpp>
#include <ringsnap/ops/restore.hpp>

#include "ops/restore_record_keeper.hpp"

namespace ringsnap::ops {

using NoteRun = std::function<void(const NodeRun&)>; // every node job's outcome, for the report

// A node where cqlsh runs, and how it logs in.
struct CqlEndpoint
{
    Node node;
    std::string address;  // what cqlsh connects to: the node's own address in its ring
    std::string password; // used when the node has cassandra.cql_user
};

// The first node that answered and is UN in its own ring: where cqlsh runs.
std::optional<std::string> cql_host_of(const SurveyedCluster& cluster);

// The node `host` of the cluster, connecting to its own address in its ring; none when absent.
std::optional<CqlEndpoint> cql_endpoint(const SurveyedCluster& cluster, const std::optional<std::string>& host,
                                        const std::string& password);

// Runs each of `statements` through cqlsh on the endpoint, one after the other, in one job.
// The outputs are returned whatever their exit status; the error is the job's (no connection).
Result<std::vector<CommandOutput>> run_cql(Executor& executor, const CqlEndpoint& endpoint, const std::string& step,
                                           const std::vector<std::string>& statements, const NoteRun& note_run);

// Runs plan.schema in one cqlsh call, unless the record says an earlier run created every
// table of plan.created; records them.
Status create_schema(Executor& executor, const CqlEndpoint& target, const RestorePlan& plan, RecordKeeper& record,
                     const NoteRun& note_run);

// The rows of each of `tables` ("ks.table") on the target, and on the source when given.
std::vector<RowCount> count_rows(Executor& executor, const CqlEndpoint& target,
                                 const std::optional<CqlEndpoint>& source, const std::vector<std::string>& tables,
                                 const NoteRun& note_run);

} // namespace ringsnap::ops
