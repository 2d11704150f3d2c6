#!/usr/bin/env bash
# Installs every Debian 12 package that building, testing and benchmarking reach needs.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
pkgs=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libcli11-dev libfmt-dev nlohmann-json3-dev libexpected-dev libcap-dev
  libgtest-dev libgmock-dev libcurl4-openssl-dev libtomlplusplus-dev libmicrohttpd-dev libssl-dev
  dnsmasq-base
  libyaml-cpp-dev libsqlite3-dev
  iproute2 nftables ethtool procps util-linux
  python3 python3-pytest python3-scapy
  iputils-ping hping3 nmap ncat openssl fping stress-ng net-tools
  libc-ares-dev traceroute tcptraceroute mtr-tiny scamper
  masscan zmap time
  prometheus prometheus-blackbox-exporter prometheus-alertmanager rsyslog mrtg
  libre2-dev
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
