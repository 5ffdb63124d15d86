#!/bin/sh
# Nightly restore check: the newest complete backup of the production cluster is streamed into a
# scratch cluster with sstableloader, and the build fails unless every table loaded on every node
# and (for tables not written since the backup) the row counts match the source's.
#
#   examples/ci-restore.sh PRODUCTION.yaml SCRATCH.yaml [KEYSPACE...]
#
# Needs ringsnap and jq on the runner, SSH keys for both clusters (their cluster files name them),
# and a scratch cluster of the same major Cassandra version (the plan refuses any other). The
# scratch cluster's tables are emptied first (--truncate) and created there when missing.
# Exit codes are ringsnap's: 0 all good, 1 some nodes failed, 2 refused (nothing touched),
# 3 nothing loaded, 4 row counts differ; 5 here means no complete backup was found.
set -eu

production=${1:?usage: ci-restore.sh PRODUCTION.yaml SCRATCH.yaml [KEYSPACE...]}
scratch=${2:?usage: ci-restore.sh PRODUCTION.yaml SCRATCH.yaml [KEYSPACE...]}
shift 2
keyspaces=""
for keyspace in "$@"; do
    keyspaces="$keyspaces -k $keyspace"
done

# The newest snapshot whose every node recorded its files.
tag=$(ringsnap -c "$production" --json list |
    jq -r '[.backups[] | select(.kind == "snapshot" and .status == "complete")] | sort_by(.started_at) | last | .tag // empty')
if [ -z "$tag" ]; then
    echo "ci-restore: no complete snapshot of $production in the catalog" >&2
    exit 5
fi
echo "ci-restore: restoring $tag into the cluster of $scratch"

report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
# shellcheck disable=SC2086 # $keyspaces is a list of options
ringsnap -c "$production" --json restore "$tag" $keyspaces --method sstableloader --target "$scratch" \
    --truncate --compare-source --yes >"$report" || status=$?

# One line per table, for the build log: what a reviewer looks at first.
jq -r '.tables[]? | "\(.table): \(.nodes_loaded)/\(.nodes) nodes loaded, \(.files) files, \(.bytes) bytes, rows \(.rows) (source \(.source_rows))"' "$report"
jq -r '.mismatches[]?, .notes[]?, .plan.refusals[]?' "$report" >&2
exit "$status"
