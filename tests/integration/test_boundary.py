"""The edge of the process, for every command (issue 10): a reader that goes away, a failed
write, privileges under `setcap cap_net_raw+ep` and setuid, capabilities while libcurl talks to
a server, text from outside on a terminal, user regexes on large pages, files that are not
files, options without effect, interrupted scans and probing from inside a namespace.
Needs root (skips otherwise)."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import lab as lablib

HERE = Path(__file__).resolve().parent
TIMEOUT = 30
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def reach_pids(host):
    out = []
    for pid in host.pids():
        try:
            if Path(f"/proc/{pid}/exe").resolve().name == "reach":
                out.append(pid)
        except OSError:
            continue
    return out


def caps_of(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return {l.split(":")[0]: l.split()[1] for l in status.splitlines() if l.startswith("Cap")}


@pytest.fixture
def bindir():
    """A directory user 65534 may enter; removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="reach-boundary-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def copy_of(reach, d, name="reach", mode=0o755):
    dst = d / name
    shutil.copy2(reach, dst)
    os.chown(dst, 0, 0)
    dst.chmod(mode)
    return dst


# --------------------------------------------------------------------------- pipes and writes


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_ping_without_count_ends_when_the_reader_goes_away(lab, reach, fmt):
    pair = lab.pair()
    args = [str(reach), "ping", "-i", "0.05", pair.server4] + (["--json"] if fmt == "json" else [])
    proc = pair.client.popen(args)
    try:
        assert proc.stdout.readline()
        proc.stdout.close()  # `| head -1`
        rc = proc.wait(timeout=5)
    finally:
        lab.stop(proc)
    assert rc == -signal.SIGPIPE, proc.stderr.read()


def test_write_error_is_one_line_and_exit_2(lab, reach):
    pair = lab.pair()
    pair.server.listen(tcp=[80])
    commands = [
        ("ping", ["-c", "1", pair.server4]),
        ("ping", ["-c", "1", "--json", pair.server4]),
        ("trace", ["-n", "-m", "2", pair.server4]),
        ("scan", ["--no-progress", "-p", "80", pair.server4]),
        ("sockets", ["-tan"]),
        ("check", [f"{pair.server4}:80"]),
        ("check", ["--json", f"{pair.server4}:80"]),
        ("watch", ["--once", "--no-live", pair.server4]),
        ("watch", ["--once", "--events", "-", pair.server4]),
    ]
    for name, args in commands:
        r = pair.client.run(["sh", "-c", 'exec "$0" "$@" >/dev/full', str(reach), name, *args], check=False,
                            timeout=TIMEOUT)
        line = f"reach {name}: write error: No space left on device\n"
        assert r.returncode == 2, (name, args, r.stderr)
        assert r.stderr.endswith(line) and r.stderr.count("write error") == 1, (name, args, r.stderr)
    # --version and --help go through stdio: a failed write is an error there too.
    for args in (["--version"], ["ping", "--help"]):
        r = subprocess.run(["sh", "-c", 'exec "$0" "$@" >/dev/full', str(reach), *args], capture_output=True,
                           text=True, timeout=TIMEOUT)
        assert r.returncode == 2 and "write error" in r.stderr, (args, r.returncode, r.stderr)


# --------------------------------------------------------------------------- privileges


def test_setcap_user_gets_no_root_options(lab, reach, bindir):
    pair = lab.pair()
    pair.server.listen(tcp=[80])
    binary = copy_of(reach, bindir)
    subprocess.run(["setcap", "cap_net_raw+ep", str(binary)], check=True)

    def as_nobody(*args):
        return pair.client.run(NOBODY + [str(binary), *args], check=False, timeout=TIMEOUT)

    # The capability works (a raw socket), but flooding stays root's, as in iputils.
    r = as_nobody("ping", "-c", "2", "-i", "0.002", "--json", pair.server4)
    assert r.returncode == 0, r.stderr
    assert [e for e in map(json.loads, r.stdout.splitlines()) if e["type"] == "start"][0]["socket"] == "raw"
    r = as_nobody("ping", "-c", "2", "-i", "0.001", pair.server4)
    assert r.returncode == 2 and "cannot flood" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    r = pair.client.run([str(binary), "ping", "-c", "2", "-i", "0.001", pair.server4], check=False, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr  # root may
    # SYN scans: the default rate is lowered for a user, a higher --rate refused.
    r = as_nobody("scan", "--json", "--no-progress", "-p", "80", pair.server4)
    assert r.returncode == 0, r.stderr
    evs = [json.loads(l) for l in r.stdout.splitlines()]
    assert any(e["type"] == "notice" and "not root" in e["message"] for e in evs), evs
    r = as_nobody("scan", "--rate", "50000", "-p", "80", pair.server4)
    assert r.returncode == 2 and "--rate" in r.stderr, r.stderr
    # Entering a namespace is root's too.
    r = as_nobody("ping", "--netns", pair.client.ns, "-c", "1", pair.server4)
    assert r.returncode == 2 and "only root" in r.stderr, r.stderr


def test_setuid_is_refused_before_reading_anything(lab, reach, bindir):
    pair = lab.pair()
    secret = bindir / "secret"
    secret.write_text("root:$6$notahash:19000:0:99999:7:::\n")
    secret.chmod(0o600)
    binary = copy_of(reach, bindir, mode=0o4755)
    r = pair.client.run(NOBODY + [str(binary), "scan", "--exclude-file", str(secret), pair.server4], check=False,
                        timeout=TIMEOUT)
    assert r.returncode == 2 and "set-user-ID" in r.stderr, r.stderr
    assert "notahash" not in r.stdout + r.stderr and r.stderr.count("\n") == 1


def http_server(host, port=8000, nodes=()):
    proc = host.popen([lablib.python_bin(), str(HERE / "check_http_server.py"), "--port", str(port),
                       "--nodes", json.dumps(list(nodes)), "--max-seconds", "120"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=False,
                      bufsize=0)
    lablib._wait_for_line(proc, b"ready", timeout=15)
    return proc


@pytest.mark.parametrize("mix", ["http", "icmp+http", "syn+http", "icmp+nodes-url"])
def test_check_holds_no_capability_while_http_is_in_flight(lab, reach, mix):
    """Raw sockets are opened first, then every capability goes, before libcurl and OpenSSL
    read a byte from a server: checked while the server is still answering."""
    pair = lab.pair()
    pair.server.listen(tcp=[80])
    http_server(pair.server, nodes=[[pair.server4, 80]])
    url = f"http://{pair.server4}:8000/slow"  # answers after 5 s
    args = {
        "http": [url],
        "icmp+http": [url, "--kind", "icmp", pair.server4],
        "syn+http": [url, "--kind", "syn", f"{pair.server4}:80"],
        # The node list decides which addresses to ping: fetched before any probe.
        "icmp+nodes-url": ["--kind", "icmp", "--nodes-json", f"http://{pair.server4}:8000/slow/rackspace",
                           "-H", "X-Auth-Token: s3cret"],
    }[mix]
    proc = pair.client.popen([str(reach), "check", "-W", "8", *args])
    try:
        caps = None
        for _ in range(100):
            conns = pair.server.run(["ss", "-Htn", "state", "established", "( sport = :8000 )"]).stdout
            pids = reach_pids(pair.client)
            if conns.strip() and pids:
                caps = caps_of(pids[0])
                break
            time.sleep(0.05)
        assert caps is not None, "the HTTP request never arrived"
        assert caps["CapEff"] == caps["CapPrm"] == caps["CapInh"] == "0000000000000000", caps
        out, err = proc.communicate(timeout=20)
    finally:
        lab.stop(proc)
    assert proc.returncode == 0, out + err


# --------------------------------------------------------------------------- untrusted text


def test_process_names_and_unix_paths_cannot_drive_the_terminal(lab, reach):
    pair = lab.pair()
    code = ("import ctypes, socket, time\n"
            "ctypes.CDLL(None).prctl(15, b'\\x1b[2Jevil', 0, 0, 0)\n"
            "t = socket.socket(); t.bind(('0.0.0.0', 4444)); t.listen()\n"
            "u = socket.socket(socket.AF_UNIX); u.bind('\\0reach\\x1b[31mtest'); u.listen()\n"
            "print('ready', flush=True); time.sleep(60)\n")
    proc = pair.server.popen([lablib.python_bin(), "-c", code], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=False, bufsize=0)
    lablib._wait_for_line(proc, b"ready", timeout=15)
    r = pair.server.run([str(reach), "sockets", "-ltxp"], check=False, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout, r.stdout
    assert "/\\x1b[2Jevil" in r.stdout and "@reach\\x1b[31mtest" in r.stdout, r.stdout


def test_body_regex_on_a_large_page(lab, reach):
    pair = lab.pair()
    http_server(pair.server)
    url = f"http://{pair.server4}:8000/big"
    r = pair.client.run([str(reach), "check", url, "--body-regex", "a+c"], check=False, timeout=TIMEOUT)
    assert r.returncode == 1 and "does not match /a+c/" in r.stdout, (r.returncode, r.stdout, r.stderr)
    r = pair.client.run([str(reach), "check", url, "--body-regex", "^a{1000}"], check=False, timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    r = pair.client.run([str(reach), "check", url, "--body-regex", "(a"], check=False, timeout=TIMEOUT)
    assert r.returncode == 2 and r.stderr.startswith("reach check: --body-regex '(a': missing )"), r.stderr


# --------------------------------------------------------------------------- input files


def test_files_that_are_not_files(lab, reach, bindir):
    pair = lab.pair()
    pair.server.listen(tcp=[80])
    big = bindir / "big"
    with open(big, "wb") as f:
        f.truncate(17 << 20)
    cases = [
        (["check", "--file", "/dev/zero"], "read /dev/zero: not a regular file or a pipe"),
        (["check", "--policy", "/dev/zero"], "read /dev/zero: not a regular file or a pipe"),
        (["check", "--nodes-json", "/dev/zero"], "read /dev/zero: not a regular file or a pipe"),
        (["scan", "-iL", "/dev/zero"], "read /dev/zero: not a regular file or a pipe"),
        (["scan", pair.server4, "--exclude-file", "/dev/zero"], "read /dev/zero: not a regular file or a pipe"),
        (["check", "--file", str(bindir)], "Is a directory"),
        (["scan", "-iL", str(bindir)], "Is a directory"),
        (["check", "--file", str(big)], "larger than 16 MiB"),
    ]
    for args, words in cases:
        r = pair.client.run([str(reach), *args], check=False, timeout=TIMEOUT)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and words in r.stderr, (args, r.stderr)
        assert r.stderr.startswith(f"reach {args[0]}: "), r.stderr
    # A file's contents are never echoed wholesale in an error.
    shadowish = bindir / "list"
    shadowish.write_text("root:$6$" + "x" * 80 + "SECRETTAIL:19000:0:99999:7:::\n")
    for opt in ("-iL", "--exclude-file"):
        r = pair.client.run([str(reach), "scan", pair.server4, opt, str(shadowish)], check=False, timeout=TIMEOUT)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
        assert "SECRETTAIL" not in r.stderr and f"(in {shadowish})" in r.stderr, r.stderr
    # A pipe is a file: process substitution works.
    r = pair.client.run(["bash", "-c", f'exec "$0" scan --connect --no-progress -p 80 -iL <(echo {pair.server4})',
                         str(reach)], check=False, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("args,line", [
    (["ping"], "reach ping: targets is required (see reach ping --help)"),
    (["check", "198.18.0.2:80", "--body", "x"], "reach check: --body applies to HTTP checks only"),
    (["check", "198.18.0.2:80", "--expect-status", "200"], "reach check: --expect-status applies to HTTP"),
    (["check", "198.18.0.2:80", "--cert-days", "5"], "reach check: --cert-days applies to HTTP"),
    (["trace", "-c", "3", "198.18.0.2"], "reach trace: -c counts rounds"),
    (["trace", "--alpha", "0.1", "198.18.0.2"], "reach trace: --alpha requires --mda"),
    (["scan", "--timeout", "2", "198.18.0.2"], "reach scan: --timeout applies to --connect and --banners"),
    (["scan", "--concurrency", "9", "198.18.0.2"], "reach scan: --concurrency applies to --connect"),
    (["sockets", "--port", "0"], "reach sockets: bad port for --port: 0"),
])
def test_options_without_effect_are_errors(lab, reach, args, line):
    pair = lab.pair()
    r = pair.client.run([str(reach), *args], check=False, timeout=TIMEOUT)
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr.startswith(line) and r.stderr.count("\n") == 1, r.stderr


def test_no_doubled_prefix_from_checks_run_on_ping(lab, reach, bindir):
    pair = lab.pair()
    binary = copy_of(reach, bindir)
    pair.client.sysctl("net.ipv4.ping_group_range", "1 0")
    r = pair.client.run([str(binary), "check", "--kind", "icmp", pair.server4], check=False, timeout=TIMEOUT,
                        user="nobody")
    assert r.returncode == 2 and r.stderr.startswith("reach check: cannot open an ICMP socket"), r.stderr
    assert "reach ping" not in r.stderr


def test_interrupted_scan_prints_what_it_found_and_exits_130(lab, reach):
    pair = lab.pair()
    pair.server.listen(tcp=[80])
    # Every port but 80 silently dropped: the scan of all ports at 2000/s takes half a minute.
    pair.server.nft("table inet x { chain input { type filter hook input priority 0; "
                    "tcp dport != 80 drop; }; }")
    proc = pair.client.popen([str(reach), "scan", "--json", "--no-progress", "--rate", "2000", "-p", "80,1-65535",
                              pair.server4])
    try:
        pids = pair.client.pids_catching(signal.SIGINT)
        time.sleep(1.0)  # port 80 found, the rest waiting on drops
        for pid in pids:
            os.kill(pid, signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        lab.stop(proc)
    assert proc.returncode == 130, err
    evs = [json.loads(l) for l in out.splitlines()]
    assert any(e["type"] == "notice" and "interrupted" in e["message"] for e in evs), evs
    assert evs[-1]["type"] == "summary", evs[-1]


# --------------------------------------------------------------------------- --netns


def test_probing_from_inside_a_namespace(lab, reach):
    """The root namespace has no link to the lab: only from inside the client's namespace is
    the server reachable. reach enters it itself (no `ip netns exec`)."""
    pair = lab.pair()
    pair.server.listen(tcp=[80])
    ns = pair.client.ns

    def run(*args):
        return subprocess.run([str(reach), *args], capture_output=True, text=True, timeout=TIMEOUT)

    r = run("ping", "--netns", ns, "-c", "2", "-i", "0.1", pair.server4)
    assert r.returncode == 0, r.stderr
    assert "2 packets transmitted, 2 received" in r.stdout
    assert f"reach ping: probing from network namespace {ns} (/run/netns/{ns})" in r.stderr
    r = run("check", "--netns", f"/run/netns/{ns}", "--json", f"{pair.server4}:80")
    assert r.returncode == 0, r.stderr
    r = run("scan", "--netns", ns, "--json", "--no-progress", "-p", "80", pair.server4)
    assert r.returncode == 0, r.stderr
    sleeper = pair.client.popen(["sleep", "30"])
    try:
        r = run("trace", "--netns-pid", str(sleeper.pid), "-n", "--json", pair.server4)
        assert r.returncode == 0, r.stderr
        assert f"of pid {sleeper.pid}" in r.stderr
        path = [e for e in map(json.loads, r.stdout.splitlines()) if e["type"] == "path"][0]
        assert path["reached"] and path["hops"][-1]["responders"][0]["addr"] == pair.server4, path
    finally:
        lab.stop(sleeper)
    r = run("ping", "--netns", "no-such-ns", "-c", "1", pair.server4)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no-such-ns" in r.stderr, r.stderr
