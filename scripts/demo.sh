#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds ringsnap, starts a lab cluster (2 data centers x 3 nodes, Cassandra 3.11 / 4.1 / 5.0,
# real sshd hosts on loopback addresses), runs the main job against it, and stops the lab.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages "${RINGSNAP_PACKAGES[@]}"
build_ringsnap ringsnap # only the binary: scripts/test.sh builds the tests in the same tree

LAB_DIR="$(mktemp -d /tmp/ringsnap-demo.XXXXXX)"
LAB="$RINGSNAP_ROOT/tests/lab/lab"
cleanup() { "$LAB" down --dir "$LAB_DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$LAB" up --dcs 2 --nodes 3 --versions 3.11,4.1,5.0 --dir "$LAB_DIR"
export RINGSNAP_CLUSTER="$LAB_DIR/cluster.yaml"
RINGSNAP="$RINGSNAP_BUILD/src/ringsnap"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step "ringsnap check   (three Cassandra versions: reported as a problem, exit 1)"
"$RINGSNAP" check || true
step "ringsnap --dc dc2 exec -- 'df -h . | tail -1'"
"$RINGSNAP" --dc dc2 exec -- 'df -h . | tail -1' || true

CQLSH="$LAB_DIR/nodes/dc1-n1/bin/cqlsh"
"$CQLSH" -e "CREATE KEYSPACE billing WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'dc2': 3}"
"$CQLSH" -e "CREATE TABLE billing.invoices (id int PRIMARY KEY, amount text)"
"$CQLSH" -e "INSERT INTO billing.invoices (id, amount) VALUES (1, 'EUR 10')"

step "ringsnap incremental enable   (runtime only: the table says so)"
"$RINGSNAP" incremental enable
step "ringsnap snapshot --tag nightly-1   (every node, one manifest)"
"$RINGSNAP" snapshot --tag nightly-1
"$CQLSH" -e "INSERT INTO billing.invoices (id, amount) VALUES (2, 'EUR 20')"
step "ringsnap incremental --tag inc-1   (the SSTables flushed since nightly-1)"
"$RINGSNAP" incremental --tag inc-1
step "ringsnap verify nightly-1"
"$RINGSNAP" verify nightly-1
step "ringsnap list --live"
"$RINGSNAP" list --live
step "ringsnap clear --tag nightly-1   (refused: inc-1 depends on it)"
"$RINGSNAP" clear --tag nightly-1 || echo "(exit $?)"
step "lab stop-node dc1-n2; ringsnap snapshot --tag nightly-2   (a node down: partial, exit 1)"
"$LAB" stop-node dc1-n2 --dir "$LAB_DIR"
"$RINGSNAP" snapshot --tag nightly-2 || echo "(exit $?)"
step "ringsnap check   (the node down named among the problems)"
"$RINGSNAP" check || echo "(exit $?)"
