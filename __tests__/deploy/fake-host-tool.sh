#!/usr/bin/env bash
# A stand-in for the host commands worker-images/deploy/boot.sh runs (aws, docker, systemctl, curl, dnf,
# apt-get, ...), linked under each name into a directory put first on PATH by __tests__/deploy/boot.test.ts.
# Every call appends one line to $FAKE_LOG: the command's name and its arguments, tab-separated. Where the
# script depends on an answer, the fake answers from $FAKE_STATE (files the test writes):
#   aws ssm get-parameter --name N   $FAKE_STATE/ssm/<N with / as %>, or ParameterNotFound (exit 254)
#   aws ecr get-login-password       "fake-ecr-token"
#   docker compose version           a v2 version line (unless $FAKE_STATE/no-compose exists)
#   docker compose ... pull|up       also logs `images<TAB>...`: what the REAL Compose v2 ($FAKE_COMPOSE)
#                                    resolves from the project (compose.yaml + .env + env file)
#   docker login --password-stdin    also logs `stdin<TAB><what came on stdin>`
#   systemctl start|stop UNIT        runs the unit's ExecStart|ExecStop as systemd would: a clean environment
#                                    with the unit's Environment= lines (and PATH + FAKE_* to find the fakes)
#   curl IMDS                        token "fake-token", region $FAKE_STATE/imds-region
#   curl other URL                   the file $FAKE_STATE/http/<URL with / as %>, else exit 22
#   dnf|apt-get install docker(.io)  "installs" the docker fake into this directory
set -uo pipefail
tool=$(basename "$0")
here=$(dirname "$0")
{
  printf '%s' "$tool"
  printf '\t%s' "$@"
  printf '\n'
} >>"$FAKE_LOG"
enc() { printf '%s' "${1//\//%}"; }
arg_after() { # FLAG ARGS... -> the value after FLAG
  local flag=$1
  shift
  while [ $# -gt 0 ]; do
    [ "$1" = "$flag" ] && { printf '%s' "${2:-}"; return 0; }
    shift
  done
  return 1
}

case $tool in
  aws)
    case "$1 $2" in
      'ssm get-parameter')
        name=$(arg_after --name "$@")
        file=$FAKE_STATE/ssm/$(enc "$name")
        if [ -f "$file" ]; then cat "$file"; exit 0; fi
        printf '\nAn error occurred (ParameterNotFound) when calling the GetParameter operation: \n' >&2
        exit 254 ;;
      'ecr get-login-password') printf 'fake-ecr-token\n' ;;
      *) printf 'fake aws: unexpected %s\n' "$*" >&2; exit 252 ;;
    esac ;;
  docker)
    if [ "${1:-}" = compose ]; then
      shift
      globals=()
      while [ $# -gt 0 ] && [[ $1 == --* ]]; do globals+=("$1" "$2"); shift 2; done
      case ${1:-} in
        version)
          [ -e "$FAKE_STATE/no-compose" ] && [ ! -e "${ROLLWAY_ROOT:-}/usr/local/lib/docker/cli-plugins/docker-compose" ] &&
            { printf "docker: 'compose' is not a docker command.\n" >&2; exit 1; }
          printf 'Docker Compose version v2.26.1\n' ;;
        pull | up)
          images=$("$FAKE_COMPOSE" "${globals[@]}" config --images 2>&1) || { printf '%s\n' "$images" >&2; exit 1; }
          printf 'images\t%s\n' "$(printf '%s' "$images" | tr '\n' ' ')" >>"$FAKE_LOG" ;;
      esac
    elif [ "${1:-}" = login ]; then
      printf 'stdin\t%s\n' "$(cat)" >>"$FAKE_LOG"
    fi ;;
  systemctl)
    if { [ "${1:-}" = start ] || [ "${1:-}" = stop ]; } && [ "${2:-}" != docker.service ]; then
      unit=${ROLLWAY_ROOT:-}/etc/systemd/system/$2
      envs=(PATH="$PATH" FAKE_LOG="$FAKE_LOG" FAKE_STATE="$FAKE_STATE" FAKE_COMPOSE="$FAKE_COMPOSE")
      while IFS= read -r line; do envs+=("${line#Environment=}"); done < <(grep '^Environment=' "$unit")
      [ "$1" = start ] && exec_key=ExecStart || exec_key=ExecStop
      read -ra cmd <<<"$(sed -n "s/^$exec_key=//p" "$unit")"
      exec env -i "${envs[@]}" "${cmd[@]}"
    fi ;;
  curl)
    url=${*: -1}
    case $url in
      */latest/api/token) printf 'fake-token' ;;
      */latest/meta-data/placement/region) cat "$FAKE_STATE/imds-region" 2>/dev/null || exit 22 ;;
      *)
        file=$FAKE_STATE/http/$(enc "$url")
        [ -f "$file" ] || exit 22
        if out=$(arg_after -o "$@"); then cp "$file" "$out"; else cat "$file"; fi ;;
    esac ;;
  dnf | apt-get)
    if [ "${1:-}" = install ]; then
      [ -e "$FAKE_STATE/pkg-fails" ] && exit 100
      for p in "$@"; do
        case $p in docker | docker.io) ln -sf "$(readlink -f "$0")" "$here/docker" ;; esac
      done
    fi ;;
esac
exit 0
