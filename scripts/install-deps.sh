#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking reach needs.
# As root it calls apt-get directly (a fresh container or minimal install has no sudo); only a
# non-root user needs sudo, and only when something is missing.
set -euo pipefail
pkgs=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libexpected-dev libcap-dev
  libgtest-dev libgmock-dev libcurl4-openssl-dev libtomlplusplus-dev libmicrohttpd-dev libssl-dev
  dnsmasq-base
  libyaml-cpp-dev libsqlite3-dev
  iproute2 nftables ethtool procps util-linux
  python3 python3-pytest python3-scapy python3-yaml
  iputils-ping hping3 nmap ncat openssl fping stress-ng net-tools
  libc-ares-dev traceroute tcptraceroute mtr-tiny scamper
  masscan zmap time
  prometheus prometheus-blackbox-exporter prometheus-alertmanager rsyslog mrtg monitoring-plugins-basic vnstat
  libre2-dev
  libnftables-dev
  nginx-core libnginx-mod-stream 6tunnel socat apache2-utils
  help2man man-db libcap2-bin dpkg-dev file bash-completion zsh systemd
  curl
  node-llhttp haproxy
  libsnmp-dev snmpd snmp
  libjs-chart.js chromium chromium-driver python3-selenium fonts-liberation
  libsystemd-dev systemd-journal-remote openssh-server sshpass
  libmaxminddb-dev libmaxmind-db-writer-perl
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root (no sudo on this machine)" >&2
    exit 1
  fi
  SUDO=(sudo)
fi
${SUDO[@]+"${SUDO[@]}"} apt-get update
DEBIAN_FRONTEND=noninteractive ${SUDO[@]+"${SUDO[@]}"} apt-get install -y --no-install-recommends "${missing[@]}"
