// SPDX-License-Identifier: Apache-2.0
#pragma once

// Tables a restore brings back into a cluster that lacks them: dropped since the backup, or never
// created in a scratch cluster. They are created from the backup's schema.cql (which carries the
// table id, so a table comes back under its old directory) through cqlsh before anything is
// loaded; schema.cql has no CREATE KEYSPACE, so a missing keyspace gets NetworkTopologyStrategy
// with --replication (default: each data center with min(3, its nodes)). Pure.

#include <optional>
#include <string>
#include <vector>

#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/restore.hpp>

namespace ringsnap::ops::schema_plan {

// Whether any node of the cluster has a live directory of ks.table (a dropped table's does not count).
bool exists_on(const SurveyedCluster& cluster, const std::string& name);

// Fills plan.created and plan.schema (keyspaces first) for the `tables` the cluster lacks;
// refuses a missing table the backup has no schema.cql for, and a bad --replication.
void plan_schema(const Chain& chain, const SurveyedCluster& target, const std::vector<std::string>& tables,
                 const RestoreRequest& request, RestorePlan& plan);

// Refuses a table the cluster has whose columns (target.columns) lack one of the backup's, or
// give it another type: the loader would fail or drop its values.
void check_columns(const Chain& chain, const SurveyedCluster& target, const std::vector<std::string>& tables,
                   RestorePlan& plan);

// The table id of a schema.cql's `WITH ID = <uuid>`, as its directory names it (32 lowercase hex).
std::optional<std::string> table_id_in(const std::string& schema_cql);

} // namespace ringsnap::ops::schema_plan
