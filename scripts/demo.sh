#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds ringsnap, starts a lab cluster (2 data centers x 3 nodes, Cassandra 3.11 / 4.1 / 5.0,
# real sshd hosts on loopback addresses), runs the main job against it, and stops the lab.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages "${RINGSNAP_PACKAGES[@]}"
build_ringsnap

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
step ringsnap exec -- nodetool statusbackup
"$RINGSNAP" exec -- nodetool statusbackup || true
step "ringsnap --dc dc2 exec -- 'df -h . | tail -1'"
"$RINGSNAP" --dc dc2 exec -- 'df -h . | tail -1' || true
step "lab stop-node dc1-n2; ringsnap check   (a node down: exit 1 and the problem named)"
"$LAB" stop-node dc1-n2 --dir "$LAB_DIR"
"$RINGSNAP" check || echo "(exit $?)"
