"""What the `reach guard` lab tests share: the daemon's config and start, a real sshd in a
namespace logging to a file, failed logins with sshpass from a chosen source address, reading the
kernel's ban sets of a namespace, a TCP connect from a chosen source, and journal files of a unit
(systemd-journal-remote: no journald runs here)."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import lab as lablib
from watch_lab import wait_for  # noqa: F401 (the tests import it from here)

SSH_PORT = 2222
JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote"


def guard_config(tmp_path, log, allow=(), failures=5, ban_time="1h", window="10m", extra=""):
    cfg = tmp_path / "guard.yml"
    allow_list = ", ".join(json.dumps(a) for a in allow)
    cfg.write_text(f"""guard:
  sources: [ {{ file: {log}, rules: [sshd] }} ]
  threshold: {{ failures: {failures}, window: {window} }}
  ban: {{ time: {ban_time}, ipv6_prefix: 64 }}
  allow: [ {allow_list} ]
  state: {tmp_path / 'guard.db'}
{extra}""")
    return cfg


def start_guard(host, reach, cfg, out, *args, env=None, ready="watching"):
    """reach guard --config cfg in host's namespace, stdout+stderr to `out`; returns once it logs
    that it is watching (so lines written from then on are read)."""
    f = open(out, "a")
    e = dict(os.environ)
    e.pop("SSH_CONNECTION", None)
    e.update(env or {})
    proc = host.popen([str(reach), "guard", "--config", str(cfg), *args], stdout=f, stderr=subprocess.STDOUT, env=e)
    f.close()
    ok = wait_for(lambda: ready in Path(out).read_text() or proc.poll() is not None, 30)
    assert ok and proc.poll() is None, f"reach guard did not start: {proc.poll()}\n{Path(out).read_text()}"
    return proc


def stop(host, proc, timeout=20):
    """SIGTERM and wait (the lab kills it by pid at teardown if this fails)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


def banned(host, table="reach"):
    """Every element of our ban sets in host's namespace, as "ADDR/LEN"."""
    r = host.run(["nft", "-j", "list", "table", "inet", table], check=False, timeout=20)
    if r.returncode != 0:
        return set()
    lens = {"ban4": 32, "ban4_24": 24, "ban6": 128, "ban6_64": 64, "ban6_48": 48}
    out = set()
    for item in json.loads(r.stdout)["nftables"]:
        s = item.get("set")
        if not s or s["name"] not in lens:
            continue
        for e in s.get("elem", []):
            val = e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e
            out.add(f"{val}/{lens[s['name']]}")
    return out


def ruleset(host=None):
    """The whole ruleset, as nft prints it (host None: the root namespace, read only)."""
    cmd = ["nft", "list", "ruleset"]
    if host is None:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=True).stdout
    return host.run(cmd, timeout=20).stdout


def start_sshd(host, tmp_path):
    """A real OpenSSH sshd in host's namespace on SSH_PORT, logging to tmp_path/auth.log (-E)."""
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # its privilege separation directory
    key = tmp_path / "hostkey"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-f", str(key), "-N", ""], check=True, timeout=20)
    cfg = tmp_path / "sshd_config"
    cfg.write_text(f"""Port {SSH_PORT}
ListenAddress 0.0.0.0
ListenAddress ::
HostKey {key}
PidFile {tmp_path / 'sshd.pid'}
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
UseDNS no
StrictModes no
LogLevel INFO
MaxStartups 100
""")
    log = tmp_path / "auth.log"
    log.touch()
    proc = host.popen(["/usr/sbin/sshd", "-D", "-f", str(cfg), "-E", str(log)], text=True)
    assert wait_for(lambda: "Server listening on 0.0.0.0" in log.read_text() or proc.poll() is not None, 10)
    assert proc.poll() is None, log.read_text()
    return proc, log


def ssh_fail(host, src, dst, user="nosuchuser", timeout=4):
    """One failed password login from `src` (bound with ssh -b); False when it could not even
    connect (dropped: the source is banned)."""
    argv = ["sshpass", "-p", "wrong-password", "ssh", "-b", src, "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "PubkeyAuthentication=no",
            "-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1",
            "-o", f"ConnectTimeout={timeout}", "-o", "LogLevel=ERROR", "-p", str(SSH_PORT), "-l", user, dst, "true"]
    try:
        r = host.run(argv, check=False, timeout=timeout + 6)
    except subprocess.TimeoutExpired:
        return False
    return "timed out" not in r.stderr and "Connection refused" not in r.stderr


CONNECT = """
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(float(sys.argv[4]))
s.bind((sys.argv[1], 0))
try:
    s.connect((sys.argv[2], int(sys.argv[3])))
    print("connected")
except OSError as e:
    print("failed", e)
"""


def connects(host, src, dst, port=SSH_PORT, timeout=1.0):
    r = host.run([lablib.python_bin(), "-c", CONNECT, src, dst, str(port), str(timeout)], check=False,
                 timeout=timeout + 10)
    return r.stdout.startswith("connected")


def batches(out):
    """guard's "batch: N bans in one transaction, X ms after the deciding line" lines: [(N, ms)]."""
    res = []
    for line in Path(out).read_text().splitlines():
        if line.startswith("guard: batch: "):
            parts = line.split()
            res.append((int(parts[2]), float(parts[parts.index("after") - 2])))
    return res


def to_journal(lines, unit, out):
    """Journal entries of `unit` with these MESSAGEs, written by systemd-journal-remote (no journald
    runs here) as journald stores a service's stdout; guard reads the directory
    (REACH_GUARD_JOURNAL_DIR)."""
    now = int(time.time() * 1e6)
    export = "".join(f"__REALTIME_TIMESTAMP={now + i}\n__MONOTONIC_TIMESTAMP={1000 + i}\n"
                     f"_BOOT_ID=0123456789abcdef0123456789abcdef\n_SYSTEMD_UNIT={unit}\n"
                     f"SYSLOG_IDENTIFIER=reach\nMESSAGE={line}\n\n" for i, line in enumerate(lines))
    subprocess.run([JOURNAL_REMOTE, f"--output={out}", "-"], input=export, text=True, check=True, timeout=30,
                   capture_output=True)
