#!/usr/bin/env bash
# Stops what scripts/docker/setup.sh started: the registry, then dockerd (which stops its containers and its
# own containerd). Only the processes recorded in its pid files, and only if they are what they should be.
# Images, layers and the registry's storage stay in $ROLLWAY_DOCKER_DIR, so the next setup.sh is fast;
# `--purge` deletes them too (the cached rootfs in ~/.cache/rollway stays).
set -euo pipefail

state=${ROLLWAY_DOCKER_DIR:-/var/lib/rollway-docker}
purge=false
[ "${1:-}" = --purge ] && purge=true
log() { printf '[docker-teardown] %s\n' "$*"; }

# stop NAME PIDFILE EXPECTED-COMMAND SECONDS
stop() {
  local name=$1 pidfile=$2 expected=$3 wait=$4 pid i
  if [ ! -f "$pidfile" ]; then log "$name: not started by setup.sh (no $pidfile)"; return 0; fi
  pid=$(cat "$pidfile")
  if ! kill -0 "$pid" 2>/dev/null; then log "$name: not running"; rm -f "$pidfile"; return 0; fi
  if ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$expected"; then
    log "$name: pid $pid is not $expected any more; leaving it alone"; rm -f "$pidfile"; return 0
  fi
  kill -TERM "$pid"
  for i in $(seq 1 $((wait * 10))); do
    kill -0 "$pid" 2>/dev/null || { log "$name: stopped (pid $pid)"; rm -f "$pidfile"; return 0; }
    sleep 0.1
  done
  log "$name: still running after ${wait}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

stop registry "$state/registry.pid" docker-registry 10
# dockerd stops running containers (10 s grace each) and its managed containerd before it exits.
stop dockerd "$state/dockerd.pid" dockerd 40

if $purge; then
  # overlay mounts of a killed daemon would make rm fail; unmount anything left under the state folder.
  grep -o " $state/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$state"
  log "purged $state"
fi
