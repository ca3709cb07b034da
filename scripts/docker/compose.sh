#!/usr/bin/env bash
# compose.sh: makes sure a Docker Compose v2 binary is on this machine and prints its absolute path on stdout
# (logs go to stderr). Debian bookworm only packages Compose v1, but trixie's `docker-compose` package
# (v2.26) is a Go binary that needs only libc6 >= 2.34, so it runs on bookworm. This script downloads that
# .deb from the Debian mirror apt uses and verifies it the way apt would, without touching apt:
#   InRelease (gpgv against debian-archive-keyring) -> SHA256 of main/binary-<arch>/Packages.xz
#   -> the package's Filename and SHA256 -> the .deb -> `dpkg-deb -x` -> the binary.
# The binary is cached as $cache/cli-plugins/docker-compose. Nothing is installed into a system
# cli-plugins folder (what plugins the system docker sees must not change). Use it either way:
#   bin=$(bash scripts/docker/compose.sh)
#   "$bin" -f worker-images/deploy/compose.yaml config                   # standalone
#   DOCKER_CONFIG=$(dirname "$(dirname "$bin")") docker compose version   # as a docker CLI plugin
# (with DOCKER_CONFIG the docker CLI also keeps its config.json, e.g. registry logins, in that folder).
#
# Idempotent and fast when cached (no lock, no network). Concurrency-safe: a download runs under the
# machine-wide lock `compose-fetch` (scripts/test/with-lock.sh) and the binary appears with one rename.
# Env: ROLLWAY_CACHE_DIR (default ~/.cache/rollway), DEBIAN_MIRROR (default: the one apt uses, else
#      http://deb.debian.org/debian), ROLLWAY_COMPOSE_SUITE (default trixie).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${ROLLWAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rollway}
suite=${ROLLWAY_COMPOSE_SUITE:-trixie}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
plugins=$cache/cli-plugins
bin=$plugins/docker-compose

log() { printf '[compose] %s\n' "$*" >&2; }
die() { printf '[compose] ERROR: %s\n' "$*" >&2; exit 1; }

# A cached binary that answers `version` with v2 is the answer.
is_v2() { [ -x "$1" ] && "$1" version --short 2>/dev/null | grep -Eq '^v?2\.'; }
if is_v2 "$bin"; then
  printf '%s\n' "$bin"
  exit 0
fi

# Not cached: download under the lock, then look again (another run may have fetched it meanwhile).
if [ "${ROLLWAY_COMPOSE_LOCKED:-}" != 1 ]; then
  ROLLWAY_COMPOSE_LOCKED=1 exec bash "$repo/scripts/test/with-lock.sh" compose-fetch bash "${BASH_SOURCE[0]}" "$@"
fi
unset ROLLWAY_COMPOSE_LOCKED
if is_v2 "$bin"; then
  printf '%s\n' "$bin"
  exit 0
fi

for tool in curl xz dpkg-deb sha256sum awk; do
  command -v "$tool" >/dev/null || die "$tool is needed (apt-get install curl xz-utils dpkg coreutils gawk)"
done
case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no Debian architecture known for $(uname -m)" ;;
esac

mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  # The mirror apt already uses (as scripts/docker/setup.sh finds it): deb822 (URIs:) or one-line sources.
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }') || true
  [ -n "$mirror" ] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $0 ~ /debian/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }') || true
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
fi
mirror=${mirror%/}

mkdir -p "$plugins"
work=$(mktemp -d "$plugins/.fetch.XXXXXX") # same file system as $bin: the final mv is a rename
trap 'rm -rf "$work"' EXIT
fetch() { curl -fsSL --retry 3 --connect-timeout 20 -o "$2" "$1" || die "download failed: $1"; }
check_sha256() { # file expected what
  local got
  got=$(sha256sum "$1" | awk '{ print $1 }')
  [ "$got" = "$2" ] || die "$3: SHA256 $got, expected $2"
}

log "fetching docker-compose from $mirror ($suite, $arch)"
fetch "$mirror/dists/$suite/InRelease" "$work/InRelease"
if [ -r "$keyring" ] && command -v gpgv >/dev/null; then
  gpgv --keyring "$keyring" --output "$work/Release" "$work/InRelease" 2>"$work/gpgv.log" ||
    die "$suite InRelease: signature not verified against $keyring: $(tail -n 3 "$work/gpgv.log")"
else
  # Without the keyring the chain below still catches corruption, not a hostile mirror.
  log "WARNING: $keyring or gpgv missing: InRelease's signature is not checked"
  cp "$work/InRelease" "$work/Release"
fi
index=main/binary-$arch/Packages.xz
index_sha=$(awk -v f="$index" '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == f { print $1; exit }' "$work/Release")
[ -n "$index_sha" ] || die "$suite Release lists no SHA256 for $index"
fetch "$mirror/dists/$suite/$index" "$work/Packages.xz"
check_sha256 "$work/Packages.xz" "$index_sha" "$index"

# The docker-compose stanza: its Filename and SHA256.
read -r filename deb_sha < <(xz -dc "$work/Packages.xz" | awk '
  /^Package: / { p = ($2 == "docker-compose") }
  p && /^Filename: / { f = $2 }
  p && /^SHA256: / { s = $2 }
  p && /^$/ { if (f != "") { print f, s; exit } }') || true
{ [ -n "${filename:-}" ] && [ -n "${deb_sha:-}" ]; } || die "no docker-compose package in $suite $index"
fetch "$mirror/$filename" "$work/docker-compose.deb"
check_sha256 "$work/docker-compose.deb" "$deb_sha" "$filename"

dpkg-deb -x "$work/docker-compose.deb" "$work/root"
candidate=$work/root/usr/libexec/docker/cli-plugins/docker-compose
[ -f "$candidate" ] || die "$filename has no usr/libexec/docker/cli-plugins/docker-compose"
chmod 0755 "$candidate"
is_v2 "$candidate" || die "$filename: the binary does not run here or is not v2 ($("$candidate" version 2>&1 | head -n 1))"
mv -f "$candidate" "$bin"
log "$(basename "$filename") -> $bin ($("$bin" version --short))"
printf '%s\n' "$bin"
