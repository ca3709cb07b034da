#!/bin/bash
# Rollway EC2 host boot script: cloud-init user data for API and worker hosts (worker-images/deploy/README.md).
# First boot: installs Docker + Compose v2 if missing (dnf or apt), the ECR credential helper, the compose
# project in /opt/rollway and the systemd unit rollway.service, and starts it. On EVERY boot and start of a
# stopped instance (idle self-stop), the unit reads the version deployed last from the SSM parameter and
# starts that: a host never comes up on a version baked in here.
#   rollway-boot.sh [install]  what cloud-init runs
#   rollway-boot.sh start      the unit's ExecStart: SSM parameter -> .env -> pull -> up --wait
#   rollway-boot.sh stop       the unit's ExecStop at shutdown: stop the containers, so Docker does not
#                              restart the old version at the next boot before the unit runs
set -euo pipefail

# ---- configuration: edit here (or put `export NAME=value` lines above) ------------------------------
HOST_ROLE=${HOST_ROLE:-worker}                # api | worker | worker-gpu
IMAGE_REGISTRY=${IMAGE_REGISTRY:-}            # e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com
IMAGE_PREFIX=${IMAGE_PREFIX:-rollway/}        # images <registry>/<prefix>api, <prefix>worker, <prefix>worker-gpu
VERSION_PARAMETER=${VERSION_PARAMETER:-/rollway/prod/image-tag} # SSM String: the tag deployed last
ENV_PARAMETER=${ENV_PARAMETER:-}              # SSM SecureString holding the role's env file (optional;
                                              # empty: /opt/rollway/api.env or worker.env must exist)
AWS_REGION=${AWS_REGION:-}                    # empty: the instance's region, from IMDSv2
COMPOSE_VERSION=${COMPOSE_VERSION:-v2.29.7}   # from GitHub, only when the distro has no Compose v2
COMPOSE_SHA256=${COMPOSE_SHA256:-}            # its SHA256 (empty: the release's .sha256 file)
ROLLWAY_ROOT=${ROLLWAY_ROOT:-}                # prefix of every path (tests); empty on a host
# ------------------------------------------------------------------------------------------------------

log() { printf '[rollway] %s\n' "$*" >&2; }
die() { printf '[rollway] ERROR: %s\n' "$*" >&2; exit 1; }

phase=${1:-install}
if [ "$phase" != install ]; then
  # The unit runs the installed copy, which finds its configuration next to itself.
  conf=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/rollway.conf
  [ -r "$conf" ] || die "$conf is missing: run the boot script first (without arguments)"
  # shellcheck source=/dev/null
  . "$conf"
fi

# Every value is checked before it is used: nothing is spliced into a file or a command unchecked.
case $HOST_ROLE in
  api) env_file=api.env ;;
  worker | worker-gpu) env_file=worker.env ;;
  *) die "HOST_ROLE: expected api, worker or worker-gpu, got '$HOST_ROLE'" ;;
esac
[[ $IMAGE_REGISTRY =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?$ ]] ||
  die "IMAGE_REGISTRY: expected a registry host[:port], e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com, got '$IMAGE_REGISTRY'"
[[ $IMAGE_PREFIX =~ ^[a-z0-9._/-]{0,100}$ ]] || die "IMAGE_PREFIX: expected a repository prefix like rollway/, got '$IMAGE_PREFIX'"
ssm_name='^[A-Za-z0-9_./-]{1,1011}$'
[[ $VERSION_PARAMETER =~ $ssm_name ]] || die "VERSION_PARAMETER: expected an SSM parameter name, got '$VERSION_PARAMETER'"
[[ -z $ENV_PARAMETER || $ENV_PARAMETER =~ $ssm_name ]] || die "ENV_PARAMETER: expected an SSM parameter name, got '$ENV_PARAMETER'"
[[ -z $AWS_REGION || $AWS_REGION =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "AWS_REGION: expected a region like eu-west-1, got '$AWS_REGION'"
[[ $COMPOSE_VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "COMPOSE_VERSION: expected vX.Y.Z, got '$COMPOSE_VERSION'"
[[ $COMPOSE_SHA256 =~ ^([0-9a-f]{64})?$ ]] || die "COMPOSE_SHA256: expected 64 hex digits, got '$COMPOSE_SHA256'"
[[ $ROLLWAY_ROOT =~ ^(/[A-Za-z0-9._-]+)*$ ]] || die "ROLLWAY_ROOT: expected an absolute path, got '$ROLLWAY_ROOT'"

dir=$ROLLWAY_ROOT/opt/rollway
unit=$ROLLWAY_ROOT/etc/systemd/system/rollway.service
export DOCKER_CONFIG=$ROLLWAY_ROOT/root/.docker
ecr_region=
if [[ $IMAGE_REGISTRY =~ ^[0-9]{12}\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$ ]]; then
  ecr_region=${BASH_REMATCH[2]}
fi

pkg_install() {
  if command -v dnf >/dev/null; then
    dnf install -y -q "$@"
  elif command -v apt-get >/dev/null; then
    [ -n "${apt_updated:-}" ] || { apt-get update -q && apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
  else
    return 1
  fi
}

compose_from_github() {
  local url dest=$ROLLWAY_ROOT/usr/local/lib/docker/cli-plugins/docker-compose sum=$COMPOSE_SHA256
  url=https://github.com/docker/compose/releases/download/$COMPOSE_VERSION/docker-compose-linux-$(uname -m)
  log "installing Docker Compose $COMPOSE_VERSION from $url"
  mkdir -p "$(dirname "$dest")"
  curl -fsSL --retry 3 -o "$dest.tmp" "$url" || die "download failed: $url"
  [ -n "$sum" ] || sum=$(curl -fsSL --retry 3 "$url.sha256" | cut -d' ' -f1) || die "download failed: $url.sha256"
  printf '%s  %s\n' "$sum" "$dest.tmp" | sha256sum -c --quiet - || die "$url: SHA256 is not $sum"
  chmod 0755 "$dest.tmp" && mv -f "$dest.tmp" "$dest"
}

# Prints the parameter's value; a missing or unreadable parameter stops the script with the reason.
get_parameter() { # NAME [--with-decryption]
  local err out
  err=$(mktemp)
  if ! out=$(aws ssm get-parameter --region "$AWS_REGION" --name "$1" "${@:2}" --query Parameter.Value --output text 2>"$err"); then
    local why
    why=$(tail -n 3 "$err")
    rm -f "$err"
    case $why in
      *ParameterNotFound*)
        [ "$1" = "$VERSION_PARAMETER" ] && why=" (create it: aws ssm put-parameter --name $1 --type String --value <image tag>)" || why=
        die "SSM parameter $1 does not exist in $AWS_REGION$why" ;;
      *) die "SSM parameter $1 could not be read in $AWS_REGION: $why" ;;
    esac
  fi
  rm -f "$err"
  printf '%s\n' "$out"
}

region() {
  [ -z "$AWS_REGION" ] || return 0
  local token
  token=$(curl -fsS -m 5 --retry 3 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' \
    http://169.254.169.254/latest/api/token) || die "AWS_REGION is not set and IMDSv2 does not answer"
  AWS_REGION=$(curl -fsS -m 5 --retry 3 -H "X-aws-ec2-metadata-token: $token" \
    http://169.254.169.254/latest/meta-data/placement/region) || die "IMDSv2 did not tell the region"
  [[ $AWS_REGION =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "IMDSv2 answered region '$AWS_REGION'"
}

ecr_helper_configured() {
  command -v docker-credential-ecr-login >/dev/null &&
    grep -Eq "\"$IMAGE_REGISTRY\" *: *\"ecr-login\"" "$DOCKER_CONFIG/config.json" 2>/dev/null
}

compose() { docker compose --project-directory "$dir" "$@"; }

phase_install() {
  [ -n "$ROLLWAY_ROOT" ] || [ "$(id -u)" -eq 0 ] || die "must run as root"
  [ -n "$IMAGE_REGISTRY" ] || die "IMAGE_REGISTRY is not set (edit the top of this script)"
  local self
  self=$(readlink -f "${BASH_SOURCE[0]}")
  [ -f "$self" ] || die "run this script from a file (cloud-init user data does), not from a pipe"
  if ! command -v docker >/dev/null; then
    log "installing Docker"
    if command -v dnf >/dev/null; then pkg_install docker; else pkg_install docker.io; fi || die "could not install Docker"
  fi
  systemctl enable --now docker.service
  command -v aws >/dev/null || pkg_install awscli || die "the AWS CLI is needed: use an AMI that has it (Amazon Linux has)"
  if ! docker compose version >/dev/null 2>&1; then
    # Ubuntu: docker-compose-v2; Debian >= 13: docker-compose; Amazon Linux 2023 has none.
    if command -v apt-get >/dev/null; then pkg_install docker-compose-v2 || pkg_install docker-compose || true; fi
    docker compose version >/dev/null 2>&1 || compose_from_github
    docker compose version >/dev/null 2>&1 || die "Docker Compose v2 is not working"
  fi
  if [ "$HOST_ROLE" = worker-gpu ] && ! command -v nvidia-container-runtime-hook >/dev/null; then
    die "worker-gpu needs the NVIDIA driver and the NVIDIA Container Toolkit: use an AMI that has them (e.g. an AWS Deep Learning Base GPU AMI)"
  fi
  if [ -n "$ecr_region" ]; then
    # The credential helper logs in with the instance role on every pull, so the deploy command's
    # `docker compose pull` works at any time (a `docker login` token expires after 12 hours).
    command -v docker-credential-ecr-login >/dev/null || pkg_install amazon-ecr-credential-helper || true
    command -v docker-credential-ecr-login >/dev/null ||
      log "WARNING: no ECR credential helper: each start logs in with 'aws ecr get-login-password' (valid 12 h)"
    if command -v docker-credential-ecr-login >/dev/null && [ ! -e "$DOCKER_CONFIG/config.json" ]; then
      mkdir -p "$DOCKER_CONFIG"
      printf '{ "credHelpers": { "%s": "ecr-login" } }\n' "$IMAGE_REGISTRY" >"$DOCKER_CONFIG/config.json"
    fi
  fi

  mkdir -p "$dir"
  install -m 0755 "$self" "$dir/rollway-boot.sh"
  local name
  for name in HOST_ROLE IMAGE_REGISTRY IMAGE_PREFIX VERSION_PARAMETER ENV_PARAMETER AWS_REGION \
    COMPOSE_VERSION COMPOSE_SHA256 ROLLWAY_ROOT; do
    printf '%s=%q\n' "$name" "${!name}"
  done >"$dir/rollway.conf"
  write_compose_yaml >"$dir/compose.yaml"
  mkdir -p "$(dirname "$unit")"
  cat >"$unit" <<EOF
[Unit]
Description=Rollway $HOST_ROLE: the version deployed last (SSM $VERSION_PARAMETER)
Wants=network-online.target docker.service
After=network-online.target docker.service
StartLimitIntervalSec=0

[Service]
Type=oneshot
RemainAfterExit=yes
Environment=HOME=/root
ExecStart=$dir/rollway-boot.sh start
ExecStop=$dir/rollway-boot.sh stop
Restart=on-failure
RestartSec=30
TimeoutStartSec=20min
TimeoutStopSec=90

[Install]
WantedBy=multi-user.target
EOF
  systemctl daemon-reload
  systemctl enable rollway.service
  # Blocks until the role's containers are healthy (or fails, and systemd retries every 30 s).
  systemctl start rollway.service
}

phase_start() {
  region
  local tag
  tag=$(get_parameter "$VERSION_PARAMETER")
  [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
    die "SSM parameter $VERSION_PARAMETER holds '$tag', which is not an image tag"
  log "$HOST_ROLE: image tag $tag (from SSM $VERSION_PARAMETER in $AWS_REGION)"
  if [ -n "$ENV_PARAMETER" ]; then
    (umask 077 && get_parameter "$ENV_PARAMETER" --with-decryption >"$dir/$env_file.tmp") || exit 1
    mv -f "$dir/$env_file.tmp" "$dir/$env_file"
  fi
  [ -f "$dir/$env_file" ] || die "$dir/$env_file is missing: set ENV_PARAMETER or put the environment there"
  # The project's .env: compose reads it, so a `docker compose ...` in $dir later sees the same settings.
  printf 'COMPOSE_PROFILES=%s\nIMAGE_REGISTRY=%s\nIMAGE_PREFIX=%s\nIMAGE_TAG=%s\n' \
    "$HOST_ROLE" "$IMAGE_REGISTRY" "$IMAGE_PREFIX" "$tag" >"$dir/.env.tmp"
  mv -f "$dir/.env.tmp" "$dir/.env"
  if [ -n "$ecr_region" ] && ! ecr_helper_configured; then
    aws ecr get-login-password --region "$ecr_region" |
      docker login --username AWS --password-stdin "$IMAGE_REGISTRY" >/dev/null
  fi
  compose pull --quiet
  compose up -d --wait
  log "$HOST_ROLE $tag is up"
}

phase_stop() { compose stop || log "WARNING: docker compose stop failed"; }

write_compose_yaml() {
  # worker-images/deploy/compose.yaml without its comment lines (a test keeps the two in step).
  cat <<'ROLLWAY_COMPOSE_YAML'
name: rollway

x-host: &host
  restart: unless-stopped
  init: true
  network_mode: host
  read_only: true
  tmpfs:
    - /tmp:size=64m,mode=1777
  logging:
    driver: json-file
    options: { max-size: 10m, max-file: "5" }

x-worker: &worker
  <<: *host
  env_file: ${WORKER_ENV_FILE:-worker.env}
  environment:
    VIDEO_WORKER_TEMP_DIR: /var/tmp/rollway
  volumes:
    - worker-temp:/var/tmp/rollway
  healthcheck:
    test: ["CMD", "node", "/app/readiness.mjs"]
    interval: 20s
    timeout: 30s
    retries: 3
    start_period: 30s
  stop_grace_period: 20s

services:
  api:
    <<: *host
    profiles: [api]
    image: ${IMAGE_REGISTRY:?the registry, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com}/${IMAGE_PREFIX:-rollway/}api:${IMAGE_TAG:?the version to run}
    env_file: ${API_ENV_FILE:-api.env}
    healthcheck:
      test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
      interval: 5s
      timeout: 4s
      retries: 3
      start_period: 60s
    stop_grace_period: 40s

  worker:
    <<: *worker
    profiles: [worker]
    image: ${IMAGE_REGISTRY:?the registry, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com}/${IMAGE_PREFIX:-rollway/}worker:${IMAGE_TAG:?the version to run}

  worker-gpu:
    <<: *worker
    profiles: [worker-gpu]
    image: ${IMAGE_REGISTRY:?the registry, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com}/${IMAGE_PREFIX:-rollway/}worker-gpu:${IMAGE_TAG:?the version to run}
    environment:
      VIDEO_WORKER_TEMP_DIR: /var/tmp/rollway
      VIDEO_WORKER_GPU: "true"
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu, video, compute, utility]

volumes:
  worker-temp: {}
ROLLWAY_COMPOSE_YAML
}

case $phase in
  install) phase_install ;;
  start) phase_start ;;
  stop) phase_stop ;;
  *) die "usage: rollway-boot.sh [install|start|stop], got '$phase'" ;;
esac
