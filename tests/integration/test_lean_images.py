"""The daemons' lean images (docs/ARCHITECTURE.md, "Lean daemon images"): `reach relay` and
`reach guard` exec reach-relay / reach-guard, which map none of the other commands' libraries,
and behave exactly as the command run inside `reach` (a copy of reach with no image beside it
runs in-process, as an install without them would)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from guard_lab import guard_config, start_guard, stop, wait_for
from test_guard import failure_lines
from test_relay import Topo

# Libraries only other commands use: a lean image must not even map them. (guard sends webhooks
# through libcurl; watch's probers bring net-snmp and c-ares.)
NOT_IN_RELAY = ("libnetsnmp", "libcares", "libsqlite3")  # (RE2 is linked in: no library to see)
NOT_IN_GUARD = ("libnetsnmp", "libcares")
# Loaded at their first use (io/curl_api, io/mhd_api, io/journal_api, io/nft_api), by reach and
# the images alike: mapped by no daemon that has made no HTTP transfer, serves no HTTP, reads no
# journal and has no ban batch under way. (reach maps OpenSSL anyway, through net-snmp; the
# images do not.)
LOADED_WHEN_USED = ("libcurl", "libgnutls", "libkrb5", "libmicrohttpd", "libsystemd", "libgcrypt", "libnftables",
                    "libnftnl", "libjansson")


@pytest.fixture
def in_process(reach, tmp_path) -> Path:
    """A copy of reach alone in a directory: no lean image beside it, so it runs in-process."""
    d = tmp_path / "bin"
    d.mkdir()
    copy = d / "reach"
    shutil.copy2(reach, copy)
    return copy


def image(pid: int) -> tuple[str, str]:
    """The running executable of pid and the libraries it maps."""
    exe = os.readlink(f"/proc/{pid}/exe")
    libs = {l.split()[-1] for l in Path(f"/proc/{pid}/maps").read_text().splitlines() if ".so" in l}
    return exe, " ".join(sorted(libs))


def run(binary, *args):
    r = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout, r.stderr.replace(str(binary), "REACH")


@pytest.mark.parametrize("args", [
    ["relay", "--help"], ["guard", "--help"], ["guard", "check", "--help"],
    ["relay", "--bogus"], ["relay", "--send-proxy"], ["guard", "check"], ["guard", "--version"], ["relay", "--version"],
    ["relay", "--validate", "[::]:80", "--to", "198.18.1.2:80", "--send-proxy", "v3"],
    ["relay", "--validate", "[::]:80", "--to", "198.18.1.2:80", "--send-proxy", "v2"],
    ["guard", "--validate", "--config", "/nonexistent/guard.yml"],
    ["relay", "--netns", "reach-lean-none", "[::]:80", "--to", "198.18.1.2:80"],
])
def test_same_help_messages_and_exit_codes_as_in_process(reach, in_process, args):
    lean = run(reach, *args)
    assert lean == run(in_process, *args)
    assert lean[1] + lean[2], "said nothing"


def test_every_command_prints_the_version_as_reach_does(reach, in_process):
    """`reach relay --version` was refused ("The following argument was not expected") where
    `reach guard --version` worked: each command is built its own way, and guard's fell through
    to the root's flag. Every command and subcommand takes -V/--version now, in reach and in the
    lean images, and prints what `reach --version` prints."""
    want = run(reach, "--version")
    assert want[0] == 0 and want[1].startswith("reach ") and want[2] == "", want
    for binary in (reach, in_process):
        for cmd in (["ping"], ["trace"], ["scan"], ["sockets"], ["check"], ["watch"], ["usage"], ["relay"], ["guard"],
                    ["guard", "check"]):
            for flag in ("--version", "-V"):
                assert run(binary, *cmd, flag) == want, (binary, cmd, flag)


def test_relay_runs_its_lean_image_and_in_process_without_it(lab, reach, in_process, tmp_path):
    t = Topo(lab)
    t.serve(tmp_path)
    for binary, exe_name, lean in ((reach, "reach-relay", True), (in_process, str(in_process), False)):
        proc = t.start_relay(binary, "[::]:80", "--to", f"{t.backends[0][1]}:80", "--no-blackhole",
                             "--no-health-checks")
        try:
            exe, libs = image(proc.pid)
            assert exe.endswith(exe_name), exe
            for lib in NOT_IN_RELAY:
                assert (lib in libs) != lean, f"{exe} maps {libs}"
            for lib in LOADED_WHEN_USED:
                assert lib not in libs, f"{exe} maps {libs}"
            assert bytes.fromhex(t.connect("through")["reply"]) == b"ok 7"
        finally:
            assert lab.stop(proc) == 0


def test_the_relay_maps_the_http_server_only_with_metrics(lab, reach, tmp_path):
    """libmicrohttpd (with GnuTLS, p11-kit, nettle: ~2.3 MiB of RSS) was linked into the relay's
    image and mapped by every relay; it is loaded now when --metrics starts an HTTP server."""
    t = Topo(lab)
    t.serve(tmp_path)
    for metrics in ((), ("--metrics", "127.0.0.1:9799")):
        proc = t.start_relay(reach, "[::]:80", "--to", f"{t.backends[0][1]}:80", "--no-blackhole",
                             "--no-health-checks", *metrics)
        try:
            exe, libs = image(proc.pid)
            assert exe.endswith("reach-relay"), exe
            for lib in ("libmicrohttpd", "libgnutls"):
                assert (lib in libs) == bool(metrics), f"{metrics}: {exe} maps {libs}"
            assert bytes.fromhex(t.connect("through")["reply"]) == b"ok 7"
            if metrics:
                m = t.relay.run(["curl", "-s", "http://127.0.0.1:9799/metrics"]).stdout
                assert "\nreach_relay_connections_total 1\n" in m, m
        finally:
            assert lab.stop(proc) == 0


def test_guard_runs_its_lean_image(lab, reach, tmp_path):
    h = lab.host("guard")
    log = tmp_path / "auth.log"
    log.touch()
    out = tmp_path / "guard.out"
    g = start_guard(h, reach, guard_config(tmp_path, log, failures=3), out, "--dry-run", ready="dry run: watching")
    try:
        exe, libs = image(g.pid)
        assert exe.endswith("reach-guard"), exe
        for lib in NOT_IN_GUARD + LOADED_WHEN_USED + ("libssl", "libcrypto"):  # no notifier, no /metrics
            assert lib not in libs, f"{exe} maps {libs}"
        with open(log, "a") as f:
            f.write(failure_lines(["198.18.5.5"], 3))
        assert wait_for(lambda: '"type":"ban"' in out.read_text(), 10), out.read_text()
    finally:
        assert stop(h, g) == 0


def test_guard_loads_libcurl_for_its_webhook_and_delivers_the_ban(lab, reach, tmp_path):
    """libcurl (with OpenSSL, Kerberos, LDAP, GnuTLS: ~4 MiB of RSS) was linked into guard's
    image and mapped by every guard. Only a guard with a webhook or email notifier loads it now,
    at its start, so that a missing library fails the start (test_missing_libraries.py) rather
    than every notification; a guard without one never maps it (test_guard_runs_its_lean_image).
    The ban still arrives."""
    from watch_lab import read_jsonl, receiver
    h = lab.host("guard")
    hook, hook_out = receiver(h, tmp_path)
    log = tmp_path / "auth.log"
    log.touch()
    extra = (f"  notify: [ ops ]\ndb: {tmp_path / 'outbox.db'}\n"
             "notifiers:\n  ops: { webhook: \"http://127.0.0.1:9099/api/v2/alerts\" }\n")
    out = tmp_path / "guard.out"
    g = start_guard(h, reach, guard_config(tmp_path, log, failures=3, extra=extra), out)
    try:
        exe, libs = image(g.pid)
        assert exe.endswith("reach-guard") and "libcurl" in libs, f"{exe} maps {libs}"
        with open(log, "a") as f:
            f.write(failure_lines(["198.18.5.5"], 3))
        assert wait_for(lambda: any("guard_ban" in json.dumps(b) and "198.18.5.5" in json.dumps(b)
                                    for b in read_jsonl(hook_out)), 15), (read_jsonl(hook_out), out.read_text())
    finally:
        assert stop(h, g) == 0
        lab.stop(hook)
