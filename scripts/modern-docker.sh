#!/usr/bin/env bash
# Fetches today's Docker parts from Debian trixie -- docker.io (dockerd 26.1), docker-buildx and
# docker-compose (Compose v2) -- and extracts them under .tmp/modern-docker/root, installing nothing:
# apt runs with a private sources list, package lists and cache, so the machine stays on its own release.
# dockerd 26 runs with the machine's containerd and runc. Idempotent: a finished extraction is reused.
# Prints the extraction root on stdout (progress goes to stderr).
set -euo pipefail
cd "$(dirname "$0")/.."

T="$PWD/.tmp/modern-docker"
ROOT="$T/root"
STAMP="$T/ready"
PACKAGES=(docker.io docker-buildx docker-compose)

binaries_present() {
  [ -x "$ROOT/usr/sbin/dockerd" ] &&
    [ -x "$ROOT/usr/libexec/docker/cli-plugins/docker-buildx" ] &&
    [ -x "$ROOT/usr/libexec/docker/cli-plugins/docker-compose" ]
}

if [ -f "$STAMP" ] && binaries_present; then
  echo "$ROOT"
  exit 0
fi

rm -rf "$T"
mkdir -p "$T/lists/partial" "$T/cache/archives/partial" "$T/debs"
# The mirror the machine already uses; only the suite differs.
uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [ -z "$uri" ]; then
  uri=$(awk '$1=="deb"{for(i=2;i<=NF;i++) if($i ~ /^https?:/){print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
fi
uri=${uri:-http://deb.debian.org/debian}
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" >"$T/sources.list"
apt_opts=(
  -o "Dir::Etc::sourcelist=$T/sources.list"
  -o "Dir::Etc::sourceparts=/dev/null"
  -o "Dir::State::Lists=$T/lists"
  -o "Dir::Cache=$T/cache"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" update >&2
(cd "$T/debs" && apt-get "${apt_opts[@]}" download "${PACKAGES[@]}" >&2)
for deb in "$T"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done

binaries_present || { echo "modern-docker: extraction lacks dockerd or a CLI plugin under $ROOT" >&2; exit 1; }
version=$("$ROOT/usr/sbin/dockerd" --version)
case "$version" in
  "Docker version 26."*) ;;
  *) echo "modern-docker: expected dockerd 26, trixie gave: $version" >&2; exit 1 ;;
esac
{
  echo "$version"
  "$ROOT/usr/libexec/docker/cli-plugins/docker-compose" version
  "$ROOT/usr/libexec/docker/cli-plugins/docker-buildx" version
} >"$T/versions.txt"
# Only the extracted tree is needed from here on.
rm -rf "$T/cache" "$T/lists" "$T/debs"
# Written last, so an interrupted run is redone rather than trusted.
date -u +%FT%TZ >"$STAMP"
cat "$T/versions.txt" >&2
echo "$ROOT"
