#!/usr/bin/env bash
# with-lock.sh NAME COMMAND [ARG...]
# Runs COMMAND while holding the machine-wide lock NAME ($ROLLWAY_LOCK_DIR/rollway-NAME.lock, default
# /run/lock), so that two test runs (or a test run and .ci/run's warm-up) never run apt-get or the Docker
# set-up at the same time. Waits up to $ROLLWAY_LOCK_WAIT seconds (default 1800) for the lock, then exits 75.
set -euo pipefail
name=${1:?usage: with-lock.sh NAME COMMAND [ARG...]}
shift
dir=${ROLLWAY_LOCK_DIR:-/run/lock}
{ [ -d "$dir" ] && [ -w "$dir" ]; } || dir=${TMPDIR:-/tmp}
lock=$dir/rollway-$name.lock
if ! flock -n "$lock" true 2>/dev/null; then
  printf '[lock] waiting for %s: another set-up holds it\n' "$lock" >&2
fi
# -o: flock keeps the lock's descriptor to itself and closes it in COMMAND's process. Without it every
# daemon COMMAND starts (dockerd, containerd, docker-registry, a service a package's postinst starts)
# inherits the descriptor and holds the lock for as long as it lives: every later set-up would block.
exec flock -o -w "${ROLLWAY_LOCK_WAIT:-1800}" -E 75 "$lock" "$@"
