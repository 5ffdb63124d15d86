# SPDX-License-Identifier: Apache-2.0
# Shared by scripts/demo.sh and scripts/test.sh: install what is missing, then configure and build.

set -euo pipefail

RINGSNAP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RINGSNAP_BUILD="${RINGSNAP_BUILD:-$RINGSNAP_ROOT/build}"

# Everything comes from Debian's archive (Debian 12 "bookworm").
# sudo: the tests of sudo_user; bsdutils: script(1), which gives a test a terminal; jq: the
# example CI restore job (examples/ci-restore.sh), run by a lab test.
RINGSNAP_PACKAGES=(
    g++ cmake ninja-build pkg-config python3
    libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libssh-dev libyaml-cpp-dev libgtest-dev
    openssh-server openssh-client sudo bsdutils jq
)

missing_packages() {
    local package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            printf '%s\n' "$package"
        fi
    done
}

# Installs missing packages with apt-get when root; otherwise says which ones to install.
install_packages() {
    local missing
    missing="$(missing_packages "$@")"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "ringsnap needs these Debian packages; install them and run again:" >&2
        echo "  sudo apt-get install -y $(echo $missing)" >&2
        exit 2
    fi
    echo "Installing: $(echo $missing)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

build_ringsnap() {
    cmake -S "$RINGSNAP_ROOT" -B "$RINGSNAP_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$RINGSNAP_BUILD" -j "$(nproc)"
}
