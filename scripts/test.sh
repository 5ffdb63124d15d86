#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds ringsnap and runs every test: unit, the lab's own tests, and the integration tests
# against a lab of real sshd hosts on loopback addresses. Installs missing Debian packages first.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

install_packages "${RINGSNAP_PACKAGES[@]}"
install_npm_tools
build_ringsnap
cd "$RINGSNAP_BUILD"
ctest --output-on-failure -j 2 "$@"
