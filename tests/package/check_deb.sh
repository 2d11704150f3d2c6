#!/usr/bin/env bash
# Builds reach's .deb with CPack from a build tree and checks what a user would get: control
# fields, every file (binary, one man page per command in `reach --help`, completion, docs,
# systemd unit), the postinst's setcap, and the packaged binary's --version.
#   check_deb.sh BUILD_DIR VERSION   (a build configured with -DCMAKE_INSTALL_PREFIX=/usr)
set -euo pipefail
build=${1:?build dir} version=${2:?version}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

(cd "$build" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
debs=("$work"/out/reach_*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { ls -R "$work/out"; echo "no single .deb" >&2; exit 1; }
deb=${debs[0]}
echo "built $(basename "$deb"), $(stat -c %s "$deb") bytes"

dpkg-deb -I "$deb" >"$work/info"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/files"
field() { sed -n "s/^ $1: //p" "$work/info"; }
[ "$(field Package)" = reach ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), want $version"
[ "$(field Section)" = net ] || fail "Section: $(field Section)"
depends=$(field Depends)
for dep in libcap2-bin libc6 libcurl4 libssl3 libcap2 libc-ares2 libmicrohttpd12 libnftables1 libsystemd0; do
  grep -Eq "(^|, )$dep( |,|$)" <<<"$depends" || fail "Depends lacks $dep: $depends"
done

# Every command listed by the binary has its man page; nothing lands outside /usr.
dpkg-deb -x "$deb" "$work/root"
bin="$work/root/usr/bin/reach"
[ "$("$bin" --version)" = "reach $version" ] || fail "packaged reach --version: $("$bin" --version)"
# The packaged bash completion's parsers of the help texts (_reach_commands, _reach_options).
completion="$work/root/usr/share/bash-completion/completions/reach"
[ -f "$completion" ] || { echo "FAIL: no bash completion in the package" >&2; exit 1; }
source "$completion"
commands=$("$bin" --help | _reach_commands)
[ -n "$commands" ] || fail "no commands in reach --help"
want=(/usr/bin/reach /usr/share/man/man1/reach.1.gz
      /usr/share/bash-completion/completions/reach /usr/share/zsh/vendor-completions/_reach
      /usr/lib/systemd/system/reach-watch.service /usr/lib/systemd/system/reach-relay.service
      /usr/lib/systemd/system/reach-usage.service /usr/lib/systemd/system/reach-guard.service
      /usr/libexec/reach/reach-relay /usr/libexec/reach/reach-guard
      /usr/share/doc/reach/copyright /usr/share/doc/reach/README.md
      /usr/share/doc/reach/CHANGELOG.md /usr/share/doc/reach/docs/PING.md)
for c in $commands; do want+=("/usr/share/man/man1/reach-$c.1.gz"); done
for f in "${want[@]}"; do grep -qx "$f" "$work/files" || fail "missing $f"; done
grep -v '^/usr\(/\|$\)' "$work/files" | grep -v '^/$' && fail "files outside /usr"
grep -E 'linkem|/tests?/' "$work/files" && fail "test tools in the package"
[ -z "$(find "$work/root" -perm -4000)" ] || fail "setuid file in the package"

# The daemons' lean images: what `reach relay|guard` runs (its help is theirs), linked without
# the other commands' libraries; the relay unit starts the image itself (ambient capabilities).
mkdir "$work/alone" && cp "$bin" "$work/alone/reach"  # no image beside it: runs in-process
for c in relay guard; do
  img="$work/root/usr/libexec/reach/reach-$c"
  needed=$(readelf -d "$img" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
  not_needed="libnetsnmp libcares"  # watch's probers
  # No shared C++ library: the images carry the C++ runtime, yaml-cpp, RE2 and fmt (src/app).
  not_needed+=" libstdc++ libgcc_s libyaml-cpp libre2 libfmt"
  [ $c = relay ] && not_needed+=" libcurl libsqlite3 libsystemd"
  for lib in $not_needed; do
    [[ $needed == *"$lib"* ]] && fail "reach-$c needs $lib: $needed"
  done
  [ "$("$img" "$c" --help)" = "$("$work/alone/reach" "$c" --help)" ] || fail "reach-$c $c --help differs from reach's"
done
grep -qx 'ExecStart=/usr/libexec/reach/reach-relay relay --config /etc/reach/relay.yaml --json' \
  "$work/root/usr/lib/systemd/system/reach-relay.service" || fail "reach-relay.service does not start the lean image"
grep -qx 'ExecStart=/usr/libexec/reach/reach-guard guard --config /etc/reach/guard.yaml' \
  "$work/root/usr/lib/systemd/system/reach-guard.service" || fail "reach-guard.service does not start the lean image"

# The man page of each command says every option its --help says.
for c in $commands; do
  page=$(LC_ALL=C MANWIDTH=200 man -l "$work/root/usr/share/man/man1/reach-$c.1.gz" 2>/dev/null)
  for o in $("$bin" "$c" --help | _reach_options); do
    grep -q -- "$o" <<<"$page" || fail "man reach-$c lacks $o"
  done
done

# postinst: gives the installed binary cap_net_raw, never setuid.
dpkg-deb -e "$deb" "$work/control"
post="$work/control/postinst"
[ -x "$post" ] || fail "postinst missing or not executable"
sh -n "$post" || fail "postinst is not valid sh"
grep -q 'setcap cap_net_raw+ep /usr/bin/reach' "$post" || fail "postinst does not setcap /usr/bin/reach"
grep -q 'chmod.*[us]+s' "$post" && fail "postinst makes something setuid"
grep -q 'setcap.*libexec' "$post" && fail "postinst gives the lean images a file capability"

# The units are valid and keep their hardening (systemd-analyze, when this machine has it).
check_unit() {  # NAME LINE...: the unit holds each line, verifies, and stays exposed 2.5 at most
  local name=$1 unit="$work/root/usr/lib/systemd/system/$1.service"
  shift
  for line in "$@"; do grep -qx "$line" "$unit" || fail "$name.service lacks $line"; done
  command -v systemd-analyze >/dev/null || return 0
  # Only the unit's own errors: the command and man page exist once the package is installed.
  systemd-analyze verify --man=no "$unit" 2>&1 | grep -v 'Command .* is not executable' \
    | grep . && fail "systemd-analyze verify $name.service"
  exposure=$(systemd-analyze security --offline=true "$unit" 2>/dev/null \
    | sed -n "s/.*Overall exposure level for $name.service: \([0-9.]*\).*/\1/p")
  echo "systemd-analyze security: $name exposure $exposure"
  awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.5) }' || fail "$name exposure $exposure > 2.5"
}
check_unit reach-watch DynamicUser=yes AmbientCapabilities=CAP_NET_RAW CapabilityBoundingSet=CAP_NET_RAW \
  NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes StateDirectory=reach/watch PrivateTmp=yes \
  SystemCallFilter=@system-service
check_unit reach-usage DynamicUser=yes StateDirectory=reach/usage NoNewPrivileges=yes ProtectSystem=strict
# guard runs as root (the logs' owner) with CAP_NET_ADMIN alone in its bounding set.
check_unit reach-guard CapabilityBoundingSet=CAP_NET_ADMIN NoNewPrivileges=yes ProtectSystem=strict \
  ProtectHome=yes StateDirectory=reach PrivateTmp=yes SystemCallFilter=@system-service \
  ExecReload='/bin/kill -HUP $MAINPID'
[ $failed -eq 0 ] && echo "package ok: $(wc -l <"$work/files") paths"
exit $failed
