"""Libraries reach loads with dlopen when a config needs them (docs/ARCHITECTURE.md, "Lean daemon
images"): libcurl for HTTP targets and webhook/email notifiers, libmicrohttpd for an HTTP server.
A daemon whose config needs one that cannot be loaded must refuse to start, in one line naming
the library, exit 2; before, a watch with HTTP targets started and reported every one of them down
("load libcurl.so.4: ..."), and a guard's notifications piled up undelivered.

The library is made unloadable with LD_LIBRARY_PATH naming a directory where an empty file has its
name: the dynamic loader finds that first and refuses it ("file too short")."""

import os
import subprocess

import pytest

from guard_lab import banned, guard_config, stop
from test_guard import Banning


def unloadable(tmp_path, *sonames) -> dict:
    """The environment in which `sonames` cannot be loaded."""
    d = tmp_path / "broken-libs"
    d.mkdir(exist_ok=True)
    for name in sonames:
        (d / name).write_bytes(b"")
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = str(d)
    env.pop("SSH_CONNECTION", None)
    return env


@pytest.fixture
def broken(tmp_path):
    return unloadable(tmp_path, "libcurl.so.4", "libmicrohttpd.so.12")


def refused(r: subprocess.CompletedProcess, prefix: str, soname: str):
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"{prefix}: ") and f"load {soname}" in lines[0], r.stderr


def test_watch_with_an_http_target_refuses_to_start(lab, reach, broken):
    h = lab.host("w")
    args = [str(reach), "watch", "--once", "--no-live", "http://198.18.0.1:8080/"]
    refused(h.run(args, check=False, timeout=60, env=broken), "reach watch", "libcurl.so.4")
    # Without an HTTP target the library is not needed: the same environment runs.
    h.ip("addr", "add", "198.18.0.1/32", "dev", "lo")
    r = h.run([str(reach), "watch", "--once", "--no-live", "tcp://198.18.0.1:9"], check=False, timeout=60, env=broken)
    assert r.returncode in (0, 1) and "load " not in r.stderr, r.stderr


def test_guard_with_a_webhook_notifier_refuses_to_start(lab, reach, broken, tmp_path):
    h = lab.host("g")
    log = tmp_path / "auth.log"
    log.touch()
    cfg = guard_config(tmp_path, log, extra=f"  notify: [ops]\ndb: {tmp_path / 'outbox.db'}\n"
                                             "notifiers:\n  ops: { webhook: \"http://127.0.0.1:9093/x\" }\n")
    r = h.run([str(reach), "guard", "--config", str(cfg)], check=False, timeout=60, env=broken)
    refused(r, "reach guard", "libcurl.so.4")


def test_relay_with_metrics_refuses_to_start(lab, reach, broken):
    h = lab.host("r")
    args = [str(reach), "relay", "127.0.0.1:18080", "--to", "127.0.0.1:18081", "--no-blackhole",
            "--metrics", "127.0.0.1:19100"]
    refused(h.run(args, check=False, timeout=60, env=broken), "reach relay", "libmicrohttpd.so.12")


def test_an_unban_that_cannot_reach_the_kernel_is_an_error_and_changes_nothing(lab, reach, tmp_path):
    """`reach guard --unban` without libnftables (or without CAP_NET_ADMIN) said the error, then
    `unbanned ADDR`, exit 0, and dropped the saved ban: --list and check called the source clean
    while the kernel went on dropping it for the rest of its hour."""
    b = Banning(lab, reach, tmp_path, "198.18.77.1")
    h, cfg = b.h, b.cfg
    assert stop(h, b.g) == 0
    r = h.run([str(reach), "guard", "--config", str(cfg), "--unban", "198.18.77.1"], check=False, timeout=60,
              env=unloadable(tmp_path, "libnftables.so.1"))
    refused(r, "reach guard", "libnftables.so.1")
    assert r.stdout == "", r.stdout
    assert "198.18.77.1/32" in banned(h)
    lst = h.run([str(reach), "guard", "--config", str(cfg), "--list"], check=False, timeout=60)
    assert lst.returncode == 0 and "198.18.77.1/32" in lst.stdout, lst
