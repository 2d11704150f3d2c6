"""`reach relay` in the lab: an IPv6-only client, the relay, IPv4-only backends.

client (2001:db8::1) --link 0-- relay (2001:db8::2 | 198.18.1.1, 198.18.2.1) --link 1-- backend
(198.18.1.2), --link 2-- backend2 (198.18.2.2). The backends record the bytes of every connection
(relay_peers.py); the client half-closes each connection and must still get the reply.
"""

import ipaddress
import json
import shutil
import signal
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import lab as lablib
from watch_lab import wait_for

PEERS = Path(__file__).resolve().parent / "relay_peers.py"
CLIENT6 = "2001:db8::1"
RELAY6 = "2001:db8::2"
SIG = bytes.fromhex("0d0a0d0a000d0a515549540a")


class Topo:
    def __init__(self, lab, backends=1):
        self.lab = lab
        self.client = lab.host("client")
        self.relay = lab.host("relay")
        l0 = lab.link(self.client, self.relay)
        # IPv6 only on the client side, IPv4 only on the backend side.
        self.client.ip("addr", "del", f"{l0.a4}/24", "dev", l0.if_a)
        self.relay.ip("addr", "del", f"{l0.b4}/24", "dev", l0.if_b)
        self.backends = []
        for i in range(backends):
            b = lab.host(f"backend{i + 1}")
            link = lab.link(self.relay, b)
            b.ip("addr", "del", f"{link.b6}/64", "dev", link.if_b)
            self.relay.ip("addr", "del", f"{link.a6}/64", "dev", link.if_a)
            self.backends.append((b, link.b4))
        self.servers = {}

    def serve(self, tmp_path, i=0, mode="raw"):
        host, addr = self.backends[i]
        out = tmp_path / f"backend{i + 1}.jsonl"
        proc = host.popen([lablib.python_bin(), "-B", str(PEERS), "backend", "--bind", addr, "--port", "80",
                           "--out", str(out), "--mode", mode, "--max-seconds", "120"], text=False, bufsize=0)
        lablib._wait_for_line(proc, b"ready", timeout=10)
        self.servers[i] = (proc, out)
        return out

    def stop_server(self, i):
        proc, _ = self.servers.pop(i)
        self.lab.stop(proc)

    def start_relay(self, reach, *args):
        proc = self.relay.popen([str(reach), "relay", *args], text=False, bufsize=0)
        line = read_line(proc, 10)
        assert b"relay" in line, line
        return proc

    def connect(self, data="hello", source_port=41234, port=80, check=True, size=0):
        r = self.client.run([lablib.python_bin(), "-B", str(PEERS), "client", "--host", RELAY6, "--port", str(port),
                             "--source-port", str(source_port), "--data", data, "--size", str(size)],
                            check=check, timeout=20)
        return json.loads(r.stdout) if r.returncode == 0 else None


def read_line(proc, timeout):
    """One line of a process's unbuffered binary stdout, within timeout seconds."""
    import select
    fd = proc.stdout.fileno()
    data = b""
    end = time.monotonic() + timeout
    while b"\n" not in data and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = lablib.os.read(fd, 1)
            if not chunk:
                break
            data += chunk
    return data


def records(path, n, timeout=10):
    got = wait_for(lambda: path.exists() and len(path.read_text().splitlines()) >= n, timeout)
    assert got, f"{path} has fewer than {n} records"
    return [json.loads(l) for l in path.read_text().splitlines()]


def v2_header(src, sport, dst, dport):
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if a.version == 6:
        body = a.packed + b.packed + struct.pack("!HH", sport, dport)
        return SIG + bytes([0x21, 0x21]) + struct.pack("!H", len(body)) + body
    body = a.packed + b.packed + struct.pack("!HH", sport, dport)
    return SIG + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


def test_proxy_v2_carries_the_ipv6_client_to_an_ipv4_backend(lab, reach, tmp_path):
    t = Topo(lab)
    out = t.serve(tmp_path)
    # Exactly as the issue writes it.
    relay = t.start_relay(reach, "[::]:80", "--to", "198.18.1.2:80", "--send-proxy", "v2")
    r = t.connect("hello")
    assert r["local"] == [CLIENT6, 41234]
    want = v2_header(CLIENT6, 41234, RELAY6, 80) + b"hello"
    rec = records(out, 1)[0]
    assert bytes.fromhex(rec["hex"]) == want
    assert rec["peer"] == "198.18.1.1"
    # Half-close: the client shut its side first and still got the whole answer.
    assert bytes.fromhex(r["reply"]) == b"ok %d" % len(want)
    assert lab.stop(relay) == 0


def test_proxy_v1_line(lab, reach, tmp_path):
    t = Topo(lab)
    out = t.serve(tmp_path)
    t.start_relay(reach, "[::]:80", "--to", "198.18.1.2:80", "--send-proxy", "v1")
    t.connect("hello")
    rec = records(out, 1)[0]
    assert bytes.fromhex(rec["hex"]) == b"PROXY TCP6 2001:db8::1 2001:db8::2 41234 80\r\nhello"


@pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed (scripts/install-deps.sh)")
def test_same_header_bytes_as_haproxy(lab, reach, tmp_path):
    t = Topo(lab)
    out = t.serve(tmp_path)
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text("global\n  maxconn 100\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 10s\n"
                   "  timeout server 10s\nfrontend f\n  bind [::]:80 v6only\n  default_backend b\n"
                   "backend b\n  server s1 198.18.1.2:80 send-proxy-v2\n")
    hap = t.relay.popen(["haproxy", "-f", str(cfg), "-db"], text=False, bufsize=0)
    assert wait_for(lambda: t.connect("hello", check=False), 10)
    lab.stop(hap)
    # The same client address and port to the same relay address and port.
    relay = t.start_relay(reach, "[::]:80", "--to", "198.18.1.2:80", "--send-proxy", "v2")
    t.connect("hello")
    haproxy_bytes, reach_bytes = (bytes.fromhex(r["hex"]) for r in records(out, 2)[-2:])
    assert haproxy_bytes == reach_bytes == v2_header(CLIENT6, 41234, RELAY6, 80) + b"hello"
    lab.stop(relay)


def test_big_transfer_spliced_with_backpressure(lab, reach, tmp_path):
    t = Topo(lab)
    out = t.serve(tmp_path)
    t.start_relay(reach, "[::]:80", "--to", "198.18.1.2:80")
    size = 900 * 1024
    r = t.connect(size=size)
    rec = records(out, 1)[0]
    assert rec["hex"] == "78" * size
    assert bytes.fromhex(r["reply"]) == b"ok %d" % size


def test_http_forwarded_and_forged_headers(lab, reach, tmp_path):
    t = Topo(lab)
    out = t.serve(tmp_path, mode="http")
    relay = t.start_relay(reach, "[::]:80", "--to", "198.18.1.2:80", "--http")
    req = ("GET /x HTTP/1.1\\r\\nHost: site\\r\\nX-Forwarded-For: 6.6.6.6\\r\\n"
           "Forwarded: for=6.6.6.6\\r\\nX-Forwarded-Proto: https\\r\\n\\r\\n")
    r = t.connect(req)
    assert bytes.fromhex(r["reply"]).startswith(b"HTTP/1.1 200 OK")
    head = bytes.fromhex(records(out, 1)[0]["hex"]).decode()
    assert head.startswith("GET /x HTTP/1.1\r\nHost: site\r\n")
    assert 'Forwarded: for="[2001:db8::1]:41234";proto=http\r\n' in head
    assert "X-Forwarded-For: 2001:db8::1\r\n" in head
    assert "X-Forwarded-Proto: http\r\n" in head
    assert "6.6.6.6" not in head and "https" not in head
    lab.stop(relay)
    # From a trusted upstream prefix the client's own values are kept, ours appended.
    t.start_relay(reach, "[::]:80", "--to", "198.18.1.2:80", "--http", "--trusted", "2001:db8::/64")
    t.connect(req, source_port=41235)
    head = bytes.fromhex(records(out, 2)[1]["hex"]).decode()
    assert "X-Forwarded-For: 6.6.6.6, 2001:db8::1\r\n" in head
    assert 'Forwarded: for=6.6.6.6, for="[2001:db8::1]:41235";proto=http\r\n' in head


def test_accept_proxy_from_a_trusted_balancer(lab, reach, tmp_path):
    t = Topo(lab)
    out = t.serve(tmp_path)
    t.start_relay(reach, "[::]:80", "--to", "198.18.1.2:80", "--send-proxy", "v1", "--accept-proxy",
                  "2001:db8::/64")
    # The balancer (our client) says the connection came from 2001:db8:ff::7 port 5555.
    t.connect("PROXY TCP6 2001:db8:ff::7 2001:db8::2 5555 80\\r\\nhello")
    rec = records(out, 1)[0]
    assert bytes.fromhex(rec["hex"]) == b"PROXY TCP6 2001:db8:ff::7 2001:db8::2 5555 80\r\nhello"
    # Without a header it is refused: reset, nothing reaches the backend.
    assert t.connect("hello", source_port=41236, check=False) is None
    assert len(records(out, 1)) == 1


def events(path):
    return [json.loads(l) for l in path.read_text().splitlines() if l.startswith("{")] if path.exists() else []


def start_relay_events(t, reach, cfg, ev, evf):
    """The relay on a config file with NDJSON events into evf (the file ev), once it has started."""
    relay = t.relay.popen([str(reach), "relay", "--config", str(cfg), "--json"], stdout=evf, text=False)
    assert wait_for(lambda: any(e["type"] == "relay_start" for e in events(ev)), 10)
    return relay


def test_failover_recovery_and_reload_keeps_connections(lab, reach, tmp_path):
    t = Topo(lab, backends=2)
    outs = [t.serve(tmp_path, 0), t.serve(tmp_path, 1)]
    cfg = tmp_path / "relay.yaml"
    text = ("relay:\n  listen: \"[::]:80\"\n  backends: [198.18.1.2:80, 198.18.2.2:80]\n  send_proxy: v2\n"
            "  health: {interval: 200ms, timeout: 200ms, fall: 2, rise: 2}\n  metrics: 127.0.0.1:9799\n")
    cfg.write_text(text)
    ev = tmp_path / "events.jsonl"
    with open(ev, "wb") as evf:
        relay = start_relay_events(t, reach, cfg, ev, evf)
        for i in range(4):
            t.connect(source_port=42000 + i)
        assert len(records(outs[0], 2)) == 2 and len(records(outs[1], 2)) == 2  # round-robin
        t.stop_server(1)
        assert wait_for(lambda: any(e.get("state") == "down" for e in events(ev)), 10)
        down = [e for e in events(ev) if e.get("state") == "down"][0]
        assert down["backend"] == "198.18.2.2:80" and "refused" in down["reason"]
        metrics = t.relay.run(["curl", "-s", "http://127.0.0.1:9799/metrics"]).stdout
        assert 'reach_relay_backend_up{backend="198.18.2.2:80"} 0' in metrics
        for i in range(4):
            assert t.connect(source_port=42100 + i)["reply"] != ""
        assert len(records(outs[0], 6)) == 6  # all to the one left
        outs[1] = t.serve(tmp_path, 1)
        assert wait_for(lambda: any(e.get("state") == "up" for e in events(ev)), 10)
        for i in range(2):
            t.connect(source_port=42200 + i)
        assert len(records(outs[1], 3)) >= 3  # back in the rotation

        # A connection open across a reload that changes the backends keeps going.
        slow = t.client.popen([lablib.python_bin(), "-B", "-c",
                               "import socket,time,sys\n"
                               f"c=socket.create_connection(('{RELAY6}',80));c.sendall(b'before ')\n"
                               "time.sleep(1.5);c.sendall(b'after');c.shutdown(socket.SHUT_WR)\n"
                               "d=b''\nwhile True:\n x=c.recv(999)\n if not x: break\n d+=x\n"
                               "print(d.decode())\n"], text=True)
        time.sleep(0.5)
        cfg.write_text(text.replace("[198.18.1.2:80, 198.18.2.2:80]", "[198.18.2.2:80]"))
        relay.send_signal(signal.SIGHUP)
        assert wait_for(lambda: any(e["type"] == "relay_reload" and e.get("ok") for e in events(ev)), 10)
        out, _ = slow.communicate(timeout=15)
        assert out.startswith("ok "), out
        assert lab.stop(relay) == 0


def test_a_backend_whose_connect_failed_is_set_aside_without_health_checks(lab, reach, tmp_path):
    """`--to DEAD --to ALIVE --no-health-checks`: every new connection went to the dead backend
    first and paid its connect timeout. Now one does; the next ones go straight to the live one."""
    t = Topo(lab, backends=2)
    out = t.serve(tmp_path, i=1)
    dead_host, dead = t.backends[0]
    dead_host.nft("table inet drop80 {\n chain input {\n type filter hook input priority 0;\n"
                  " tcp dport 80 drop\n }\n}\n")  # connects time out, as to a host that is gone
    alive = t.backends[1][1]
    t.start_relay(reach, "[::]:80", "--to", f"{dead}:80", "--to", f"{alive}:80", "--connect-timeout", "300ms",
                  "--no-health-checks", "--no-blackhole", "--metrics", "127.0.0.1:9799")
    for i in range(8):
        assert t.connect(f"hello{i}", source_port=41300 + i) is not None
    assert len(records(out, 8)) == 8
    metrics = t.relay.run(["curl", "-s", "http://127.0.0.1:9799/metrics"]).stdout
    assert f'reach_relay_backend_connect_failures_total{{backend="{dead}:80"}} 1' in metrics, metrics
    assert f'reach_relay_backend_connections_total{{backend="{alive}:80"}} 8' in metrics, metrics


def test_slow_head_is_cut_and_bad_input_refused(lab, reach, tmp_path):
    t = Topo(lab)
    out = t.serve(tmp_path, mode="http")
    t.start_relay(reach, "[::]:80", "--to", "198.18.1.2:80", "--http", "--head-timeout", "1s",
                  "--metrics", "127.0.0.1:9799", "--no-blackhole")
    # Slow-loris: half a request head, then nothing. The relay ends it at the deadline, counted
    # from its accept: the clock starts before the connect, so that a client that gets the CPU
    # back late after it does not see less than the second.
    r = t.client.run([lablib.python_bin(), "-B", "-c",
                      "import socket,time\n"
                      "t=time.monotonic()\n"
                      f"c=socket.create_connection(('{RELAY6}',80));c.sendall(b'GET / HTTP/1.1\\r\\nHost: a')\n"
                      "c.settimeout(10)\n"
                      "try:\n d=c.recv(99)\nexcept OSError:\n d=b''\n"
                      "print(round(time.monotonic()-t,2), d)\n"], timeout=20)
    waited = float(r.stdout.split()[0])
    assert 0.8 <= waited < 3, r.stdout
    # Not HTTP at all: 400, and nothing reaches the backend.
    reply = bytes.fromhex(t.connect("NOT HTTP\\r\\n\\r\\n", source_port=41240)["reply"])
    assert reply.startswith(b"HTTP/1.1 400 ")
    metrics = t.relay.run(["curl", "-s", "http://127.0.0.1:9799/metrics"]).stdout
    assert 'reach_relay_closed_total{reason="head_timeout"} 1' in metrics
    assert 'reach_relay_closed_total{reason="bad_request"} 1' in metrics
    assert not out.exists()


# A connection held open: sends `first` (hex), prints "open", waits for the file `go` (at most
# 20 s), then sends "later", half-closes and prints the reply (or "reset").
HOLD = ("import socket,sys,time,os\n"
        "c=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=25)\n"
        "c.sendall(bytes.fromhex(sys.argv[3]))\n"
        "print('open',flush=True)\n"
        "end=time.monotonic()+20\n"
        "while not os.path.exists(sys.argv[4]) and time.monotonic()<end: time.sleep(0.02)\n"
        "d=b''\n"
        "try:\n"
        " c.sendall(b'later');c.shutdown(socket.SHUT_WR)\n"
        " while True:\n"
        "  x=c.recv(999)\n"
        "  if not x: break\n"
        "  d+=x\n"
        "except OSError:\n"
        " d=b'reset'\n"
        "print(d.decode())\n")


class Held:
    def __init__(self, t, tmp_path, name, first=b"held "):
        self.go = tmp_path / f"{name}.go"
        self.proc = t.client.popen([lablib.python_bin(), "-B", "-c", HOLD, RELAY6, "80", first.hex(), str(self.go)],
                                   text=True)
        assert self.proc.stdout.readline().strip() == "open"

    def finish(self):
        self.go.touch()
        out, _ = self.proc.communicate(timeout=25)
        return out.strip()


def backend_conns(t, n, timeout=10):
    """Waits until the backend has n established connections on port 80 (the relay has admitted
    and connected them)."""
    host, _ = t.backends[0]
    count = lambda: len(host.run(["ss", "-Htn", "state", "established", "( sport = :80 )"]).stdout.splitlines())
    assert wait_for(lambda: count() >= n, timeout), f"backend has {count()} connections, not {n}"


def test_validate_prints_every_error_with_its_line(reach, tmp_path):
    cfg = tmp_path / "relay.yaml"
    cfg.write_text("user: reach-no-such-user-x\nrelay:\n  listen: [\"198.18.0.1:\", \"[::]:8080\"]\n"
                   "  backends: [\"198.18.1.2\", \"[::1]:8080\"]\n  metrics: \"198.18.0.1\"\n")
    r = subprocess.run([str(reach), "relay", "--config", str(cfg), "--validate"], capture_output=True, text=True,
                       timeout=20)
    assert r.returncode == 2, r
    lines = r.stderr.splitlines()
    assert lines[0] == f'{cfg}:1: user: user "reach-no-such-user-x": no such user'
    assert lines[1].startswith(f"{cfg}:3: relay.listen[0]: listen address \"198.18.0.1:\": no port after ':' "
                               "(write ADDRESS:PORT, [IPv6]:PORT or :PORT"), lines[1]
    assert lines[2] == f"{cfg}:4: relay.backends[0]: address 198.18.1.2: no port (write host:port or [IPv6]:port)"
    assert lines[3] == (f"{cfg}:4: relay.backends: [::1]:8080 is the relay's own listen address [::]:8080: it would "
                        "connect to itself")
    assert lines[4].startswith(f'{cfg}:5: relay.metrics: listen address "198.18.0.1": no port'), lines[4]
    assert len(lines) == 5, lines
    r = subprocess.run([str(reach), "relay", ":80", "--to", "198.18.1.2:80", "--metrics", "bad", "--validate"],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2 and r.stderr.startswith('command line: --metrics: listen address "bad"'), r
    # One backend per --to: a listen address written after it stays a listen address.
    r = subprocess.run([str(reach), "relay", "[::]:8080", "--to", "198.18.2.2:80", "198.18.1.1:8080", "--validate"],
                       capture_output=True, text=True, timeout=20)
    assert (r.returncode, r.stderr) == (0, ""), r
    assert r.stdout == "reach relay: options: ok: listen [::]:8080, 198.18.1.1:8080 -> 198.18.2.2:80\n", r


def test_reload_applies_limits_keeps_connections_and_names_failures(lab, reach, tmp_path):
    t = Topo(lab)
    t.serve(tmp_path)
    cfg = tmp_path / "relay.yaml"
    text = ("relay:\n  listen: \"[::]:80\"\n  backends: [198.18.1.2:80]\n  health: false\n"
            "  limits:\n    ipv6: {prefix: 64, conns: 1}\n    ban: off\n    blackhole: false\n")
    cfg.write_text(text)
    ev = tmp_path / "events.jsonl"
    with open(ev, "wb") as evf:
        relay = start_relay_events(t, reach, cfg, ev, evf)
        held = Held(t, tmp_path, "a")
        backend_conns(t, 1)
        assert t.connect(source_port=43000, check=False) is None  # the /64 holds 1

        # A config the relay cannot use: the event names every cause with its line; the old config
        # (and the listener it had taken over for the new set) keeps serving.
        cfg.write_text("relay:\n  listen: [\"localhost:80\"]\n  backends: [\"198.18.1.2\"]\n")
        relay.send_signal(signal.SIGHUP)
        assert wait_for(lambda: any(e["type"] == "relay_reload" and not e["ok"] for e in events(ev)), 10)
        failed = [e for e in events(ev) if e["type"] == "relay_reload"][-1]
        assert f"{cfg}:2: relay.listen[0]: listen address \"localhost:80\"" in failed["message"], failed
        assert f"{cfg}:3: relay.backends[0]: address 198.18.1.2: no port" in failed["message"], failed
        assert "old config kept" in failed["message"]
        cfg.write_text(text.replace("listen: \"[::]:80\"", "listen: [\"[::]:80\", \"198.18.77.1:81\"]"))
        relay.send_signal(signal.SIGHUP)
        assert wait_for(lambda: sum(1 for e in events(ev) if e["type"] == "relay_reload" and not e["ok"]) == 2, 10)
        failed = [e for e in events(ev) if e["type"] == "relay_reload"][-1]
        assert "198.18.77.1:81" in failed["message"] and "old config kept" in failed["message"], failed
        assert t.connect(source_port=43001, check=False) is None  # still served, still limited

        # limits: apply on reload, with the held connection still counted and open; user: cannot change.
        cfg.write_text("user: nobody\n" + text.replace("conns: 1", "conns: 2") + "  metrics: \"127.0.0.1:9101\"\n")
        relay.send_signal(signal.SIGHUP)
        assert wait_for(lambda: any(e["type"] == "relay_reload" and e["ok"] for e in events(ev)), 10)
        ok = [e for e in events(ev) if e["type"] == "relay_reload" and e["ok"]][-1]
        assert ok["connections"] == 1 and any("a reload cannot switch user" in n for n in ok["notes"]), ok
        assert "metrics: still off: a reload does not move /metrics; restart to apply" in ok["notes"], ok
        assert bytes.fromhex(t.connect(source_port=43002)["reply"]).startswith(b"ok ")
        second = Held(t, tmp_path, "b")
        backend_conns(t, 2)
        assert t.connect(source_port=43003, check=False) is None  # 2 held: the new cap
        assert held.finish().startswith("ok "), "the connection across the reloads was cut"
        assert second.finish().startswith("ok ")
        assert lab.stop(relay) == 0


def test_reload_of_a_low_port_after_dropping_privileges_says_restart(lab, reach, tmp_path):
    """Started on a high port as `user: nobody`, the relay kept no CAP_NET_BIND_SERVICE: a reload
    adding port 81 said a bare "Permission denied". And the open-files note, unchanged, came back
    in the notes of every reload."""
    t = Topo(lab)
    t.serve(tmp_path)
    # Where nobody can read it again at the reload (pytest's tmp_path is root's alone).
    readable = Path(tempfile.mkdtemp(prefix="nr-relay-"))
    readable.chmod(0o755)
    cfg = readable / "relay.yaml"
    text = ("user: nobody\nrelay:\n  listen: \"[::]:8080\"\n  backends: 198.18.1.2:80\n  health: false\n"
            "  limits: { blackhole: false }\n")
    cfg.write_text(text)
    cfg.chmod(0o644)
    ev = tmp_path / "events.jsonl"
    with open(ev, "wb") as evf:
        # A hard limit of open files below what max_conns (10,000) wants: the start event says so.
        relay = t.relay.popen(["prlimit", "--nofile=4096:4096", str(reach), "relay", "--config", str(cfg), "--json"],
                              stdout=evf, text=False)
        assert wait_for(lambda: any(e["type"] == "relay_start" for e in events(ev)), 10)
        start = [e for e in events(ev) if e["type"] == "relay_start"][0]
        assert "open files limited to 4096" in start["message"], start

        cfg.write_text(text.replace('"[::]:8080"', '["[::]:8080", "[::]:81"]'))
        relay.send_signal(signal.SIGHUP)
        assert wait_for(lambda: any(e["type"] == "relay_reload" for e in events(ev)), 10)
        failed = [e for e in events(ev) if e["type"] == "relay_reload"][-1]
        assert not failed["ok"], failed
        assert failed["message"] == (
            "reload: listen [::]:81: Permission denied ([::]:81 needs a restart: a port below 1024 needs "
            "CAP_NET_BIND_SERVICE, which was not kept (no listen port below 1024 at start)) (old config kept)"), failed
        assert t.connect(port=8080, source_port=44000)["reply"] != ""  # the old set still serves

        # A reload that changes nothing of the open files does not say it again.
        cfg.write_text(text.replace("health: false", "health: false\n  balance: leastconn"))
        relay.send_signal(signal.SIGHUP)
        assert wait_for(lambda: any(e["type"] == "relay_reload" and e["ok"] for e in events(ev)), 10)
        ok = [e for e in events(ev) if e["type"] == "relay_reload" and e["ok"]][-1]
        assert not any("open files" in n for n in ok["notes"]), ok
        assert lab.stop(relay) == 0
    shutil.rmtree(readable)


def test_unprivileged_relay_prints_no_stray_library_line(lab, reach, tmp_path):
    """As nobody the black-hole cannot start; libnftables also wrote its own unprefixed
    "Operation not permitted (you must be root)" on stderr. The relay now says why itself, once."""
    t = Topo(lab)
    out, err = tmp_path / "relay.out", tmp_path / "relay.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        relay = t.relay.popen([str(reach), "relay", "[::]:8099", "--to", "198.18.1.2:80", "--no-health-checks"],
                              user="nobody", stdout=o, stderr=e, text=False)
        assert wait_for(lambda: b"black-hole off" in out.read_bytes() + err.read_bytes(), 10), (out.read_bytes(),
                                                                                                err.read_bytes())
        assert wait_for(lambda: b"relay [::]:8099" in out.read_bytes(), 10), out.read_bytes()
        lab.stop(relay)
    said = out.read_text() + err.read_text()
    assert said, "nothing printed"
    for line in said.splitlines():
        assert line.startswith("reach relay: "), said
    assert "nftables" in said and "CAP_NET_ADMIN" in said and "you must be root" not in said, said


def test_accept_proxy_limits_count_the_client_not_the_balancer(lab, reach, tmp_path):
    t = Topo(lab)
    out = t.serve(tmp_path)
    cfg = tmp_path / "relay.yaml"
    cfg.write_text("relay:\n  listen: \"[::]:80\"\n  backends: [198.18.1.2:80]\n  send_proxy: v1\n"
                   "  accept_proxy: [\"2001:db8::/64\"]\n  health: false\n  metrics: \"127.0.0.1:9799\"\n"
                   "  limits:\n    ipv4: {prefix: 32, conns: 1}\n    ipv6: {prefix: 64, conns: 2}\n"
                   "    ban: off\n    blackhole: false\n")
    relay = t.relay.popen([str(reach), "relay", "--config", str(cfg)], text=False, bufsize=0)
    assert b"relay" in read_line(relay, 10)
    # Clients behind the balancer (our client namespace, which also sends the headers).
    x, y, z = "198.18.100.1", "198.18.100.2", "198.18.100.3"

    # Before its header a connection counts against the balancer, for concurrency only: with two
    # headers pending, a third connection is refused at accept.
    idle = [Held(t, tmp_path, f"idle{i}", first=b"") for i in range(2)]
    metrics = lambda: t.relay.run(["curl", "-s", "http://127.0.0.1:9799/metrics"]).stdout
    assert wait_for(lambda: "reach_relay_connections_total 2" in metrics(), 10), metrics()
    assert t.connect(f"PROXY TCP4 {y} 198.18.1.1 7000 80\\r\\nhello", source_port=44000, check=False) is None
    assert 'reach_relay_admission_refused_total{reason="per_prefix_conns"} 1' in metrics()
    for h in idle:
        assert h.finish() == "reset"  # "later" is not a PROXY header

    # X and Z hold one connection each (v1 headers): X is at its limit of 1; the balancer, at the
    # 2 its own address may hold, is not limited by them once their headers are in.
    held = Held(t, tmp_path, "x", first=f"PROXY TCP4 {x} 198.18.1.1 5000 80\r\nheld ".encode())
    held_z = Held(t, tmp_path, "z", first=f"PROXY TCP4 {z} 198.18.1.1 5002 80\r\nheld ".encode())
    backend_conns(t, 2)
    assert t.connect(f"PROXY TCP4 {x} 198.18.1.1 5001 80\\r\\nsecond", source_port=44001, check=False) is None
    # Y behind the same balancer (v2 header) is served: a third connection through it.
    r = t.client.run([lablib.python_bin(), "-B", "-c",
                      "import socket,sys\n"
                      f"c=socket.create_connection(('{RELAY6}',80),timeout=10)\n"
                      "c.sendall(bytes.fromhex(sys.argv[1])+b'from y');c.shutdown(socket.SHUT_WR)\n"
                      "d=b''\nwhile True:\n x=c.recv(999)\n if not x: break\n d+=x\n"
                      "print(d.decode())\n", v2_header(y, 6000, "198.18.1.1", 80).hex()], timeout=20)
    assert r.stdout.startswith("ok "), r
    assert held.finish().startswith("ok ") and held_z.finish().startswith("ok ")
    recs = [bytes.fromhex(rec["hex"]) for rec in records(out, 3)]
    assert f"PROXY TCP4 {y} 198.18.1.1 6000 80\r\nfrom y".encode() in recs, recs
    assert f"PROXY TCP4 {x} 198.18.1.1 5000 80\r\nheld later".encode() in recs, recs
    assert not any(b"second" in r for r in recs)
    m = metrics()
    assert 'reach_relay_closed_total{reason="limited"} 1' in m, m
    assert 'reach_relay_admission_refused_total{reason="per_prefix_conns"} 2' in m, m
    assert lab.stop(relay) == 0
