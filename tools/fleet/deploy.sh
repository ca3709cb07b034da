#!/usr/bin/env bash
# The deploy script of the local fleet, as a user's would be ("docker compose up -d" elsewhere):
# stop the instance on $ROLLWAY_TARGET_PORT gracefully, start $ROLLWAY_VERSION in its place.
# Everything it needs comes from ROLLWAY_* variables; FLEET_DIR is where pid files and logs live.
set -euo pipefail
: "${FLEET_DIR:?FLEET_DIR is not set}"
pid_file="$FLEET_DIR/app-$ROLLWAY_TARGET_PORT.pid"
if [ -f "$pid_file" ]; then
  pid=$(cat "$pid_file")
  kill -TERM "$pid" 2>/dev/null || true
  # Gone, or a zombie waiting for init to reap it (orphans here are reaped late).
  alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
  for _ in $(seq 1 500); do alive "$pid" || break; sleep 0.01; done
fi
echo "starting $ROLLWAY_VERSION on port $ROLLWAY_TARGET_PORT (was ${ROLLWAY_PREVIOUS_VERSION:-nothing})"
nohup node "$(dirname "$0")/app.mjs" --port "$ROLLWAY_TARGET_PORT" --version "$ROLLWAY_VERSION" \
  --boot-ms "${FLEET_BOOT_MS:-300}" --pid-file "$pid_file" </dev/null >>"$FLEET_DIR/app-$ROLLWAY_TARGET_PORT.log" 2>&1 &
# Wait until it listens (not until it is healthy: that is the health gate's job).
for _ in $(seq 1 250); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$ROLLWAY_TARGET_PORT") 2>/dev/null; then exit 0; fi
  sleep 0.02
done
echo "the new instance did not start listening on $ROLLWAY_TARGET_PORT" >&2
exit 1
