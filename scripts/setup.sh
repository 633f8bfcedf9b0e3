#!/usr/bin/env bash
# Idempotent machine setup: installs what a fresh Debian machine lacks for this project.
# Called by `npm start`, `npm test` and `.ci/run`; each step is skipped when already done.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker}"

log() { printf '[setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
[ -x "$MEDIASOUP_WORKER_BIN" ] || need_apt+=(mediasoup-worker)
# Prompts: text-to-speech, and every audio file converted once to Ogg Opus.
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
# Recording storage tests: a real SFTP server (OpenSSH's sshd on a loopback port, own config).
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)

if [ "${#need_apt[@]}" -gt 0 ]; then
  log "installing Debian packages: ${need_apt[*]}"
  experimental=/etc/apt/sources.list.d/experimental.sources
  if [ ! -f "$experimental" ]; then
    # Take the archive URI from the machine's own Debian source so no host is written here.
    uri="$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
    if [ -z "$uri" ]; then
      uri="$(awk '$1=="deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
    fi
    [ -n "$uri" ] || { log "cannot find the Debian archive URI"; exit 1; }
    as_root tee "$experimental" >/dev/null <<SRC
Types: deb
URIs: $uri
Suites: experimental
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  plain=()
  for p in "${need_apt[@]}"; do [ "$p" = mediasoup-worker ] || plain+=("$p"); done
  if [ "${#plain[@]}" -gt 0 ]; then
    as_root apt-get install -y -qq --no-install-recommends "${plain[@]}" fonts-liberation >/dev/null
  fi
  if [[ " ${need_apt[*]} " == *" mediasoup-worker "* ]]; then
    # package/suite takes only this package from experimental; its libraries come from stable.
    as_root apt-get install -y -qq mediasoup-worker/experimental >/dev/null
  fi
fi

# The SFTP tests' user: no shell, no home, no password until a test sets a random one.
# sshd is started only by those tests, on loopback, with their own configuration.
if ! id cc-sftp-test >/dev/null 2>&1; then
  log "creating the SFTP test user cc-sftp-test"
  as_root useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin cc-sftp-test
fi

cd "$here"
stamp=node_modules/.setup-stamp
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi

if [ ! -f agent-desktop/build/index.html ] || [ -n "$(find agent-desktop/src contracts/src -newer agent-desktop/build/index.html -type f 2>/dev/null | head -1)" ]; then
  log "building the agent desktop"
  npm run build --workspace agent-desktop --silent
fi
log "ready"
