#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The .deb as an operator gets it: cpack builds it from this build tree, its Depends name the
# runtime packages, it unpacks into a scratch root (dpkg -x: no root needed, nothing installed
# on this machine), and what it holds works: the binary runs, the man page renders, the bash
# completion loads and completes a verb and an option.
set -euo pipefail

build="$1"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$scratch/out" >"$scratch/cpack.log" 2>&1) || { cat "$scratch/cpack.log" >&2; fail "cpack -G DEB"; }
deb="$(ls "$scratch"/out/ringsnap_*.deb)"
depends="$(dpkg-deb -f "$deb" Depends)"
for package in libssh libyaml-cpp libspdlog libfmt; do
    grep -q "$package" <<<"$depends" || fail "Depends lacks $package: $depends"
done

root="$scratch/root"
dpkg -x "$deb" "$root"
"$root/usr/bin/ringsnap" --version | grep -qx "ringsnap [0-9.]*" || fail "the installed binary does not run"

page="$root/usr/share/man/man1/ringsnap.1.gz"
rendered="$(MANWIDTH=100 man -l "$page" 2>"$scratch/man.err")" || { cat "$scratch/man.err" >&2; fail "man -l"; }
grep -q "VERB: SNAPSHOT" <<<"$rendered" || fail "the man page has no snapshot section"
grep -q -- "--metrics-file" <<<"$rendered" || fail "the man page lacks a global option"
[ ! -s "$scratch/man.err" ] || { cat "$scratch/man.err" >&2; fail "man -l warned"; }

for file in doc/ringsnap/examples/cron/ringsnap.crontab doc/ringsnap/examples/systemd/ringsnap@.service \
    doc/ringsnap/examples/cluster.yaml doc/ringsnap/README.md doc/ringsnap/automation.md; do
    [ -f "$root/usr/share/$file" ] || fail "missing /usr/share/$file"
done

completions="$(PATH="$root/usr/bin:$PATH" bash -c '
    source "$1/usr/share/bash-completion/completions/ringsnap"
    COMP_WORDS=(ringsnap sna); COMP_CWORD=1; _ringsnap; echo "${COMPREPLY[*]}"
    COMP_WORDS=(ringsnap clear --older); COMP_CWORD=2; _ringsnap; echo "${COMPREPLY[*]}"
' _ "$root")"
[ "$(sed -n 1p <<<"$completions")" = "snapshot" ] || fail "completes 'sna' to: $completions"
[ "$(sed -n 2p <<<"$completions")" = "--older-than" ] || fail "completes 'clear --older' to: $completions"
echo "ok: $(basename "$deb")"
