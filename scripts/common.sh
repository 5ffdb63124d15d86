# SPDX-License-Identifier: Apache-2.0
# Shared by scripts/demo.sh and scripts/test.sh: install what is missing, then configure and build.

set -euo pipefail

RINGSNAP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RINGSNAP_BUILD="${RINGSNAP_BUILD:-$RINGSNAP_ROOT/build}"

# Everything comes from Debian's archive (Debian 12 "bookworm").
# sudo: the tests of sudo_user; bsdutils: script(1), which gives a test a terminal; jq: the
# example CI restore job (examples/ci-restore.sh), run by a lab test; rclone: what lab nodes
# upload the archive with; nodejs, npm: s3rver, the lab's S3 store (install_npm_tools below);
# dpkg-dev, man-db: the .deb's dependencies (dpkg-shlibdeps) and the man page's test (man -l).
RINGSNAP_PACKAGES=(
    g++ cmake ninja-build pkg-config python3
    libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libssh-dev libyaml-cpp-dev libgtest-dev
    openssh-server openssh-client sudo bsdutils jq rclone nodejs npm dpkg-dev man-db
)

# npm tools of the tests, at exact versions, in a prefix inside the build tree (ignored by git).
# tests/lab/labkit/archive_store.py looks for them in the same place: keep the default in step.
# s3rver: the S3 server of `lab archive up --kind s3`.
export RINGSNAP_NPM_PREFIX="${RINGSNAP_NPM_PREFIX:-$RINGSNAP_ROOT/build/npm}"
RINGSNAP_NPM_TOOLS=(s3rver@3.7.1)

# Names that installed packages provide: NodeSource's nodejs provides (and conflicts with)
# npm, so asking apt-get for Debian's npm there would try to replace that nodejs.
provided_packages() {
    dpkg-query -W -f='${db:Status-Status} ${Provides}\n' 2>/dev/null |
        awk '$1 == "installed" { $1 = ""; print }' | tr ',' '\n' | sed -E 's/\(.*\)//; s/ //g'
}

missing_packages() {
    local package provided
    provided="$(provided_packages)"
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" &&
            ! grep -qxF "$package" <<<"$provided"; then
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

# Installs the npm tools whose exact version is missing from $RINGSNAP_NPM_PREFIX (from
# npm's registry; no root needed).
install_npm_tools() {
    local tool name version installed
    for tool in "${RINGSNAP_NPM_TOOLS[@]}"; do
        name="${tool%@*}"
        version="${tool##*@}"
        installed="$(node -p "require(process.argv[1]).version" \
            "$RINGSNAP_NPM_PREFIX/node_modules/$name/package.json" 2>/dev/null || true)"
        [ "$installed" = "$version" ] && continue
        echo "Installing $tool into $RINGSNAP_NPM_PREFIX" >&2
        mkdir -p "$RINGSNAP_NPM_PREFIX"
        npm install --prefix "$RINGSNAP_NPM_PREFIX" --no-audit --no-fund "$tool" >/dev/null
    done
}

# One configuration for the demo and the tests, so that the second command reuses what the
# first one compiled (a flag that differs would rebuild every target). Warnings are errors in
# both: the project is built on Debian 12's compiler, where it has none.
RINGSNAP_CMAKE_FLAGS=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRINGSNAP_WARNINGS_AS_ERRORS=ON)

# Configures (once; later calls find the cache) and builds the given targets, or all of them.
build_ringsnap() {
    if [ ! -f "$RINGSNAP_BUILD/CMakeCache.txt" ]; then
        cmake -S "$RINGSNAP_ROOT" -B "$RINGSNAP_BUILD" "${RINGSNAP_CMAKE_FLAGS[@]}" >/dev/null
    fi
    local targets=()
    for target in "$@"; do
        targets+=(--target "$target")
    done
    cmake --build "$RINGSNAP_BUILD" -j "$(nproc)" "${targets[@]}"
}
