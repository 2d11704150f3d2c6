"""Self-tests of the test lab (tests/lab/), with the peer tools as witnesses: if iputils ping,
hping3 and plain sockets see the topology the lab promises, tests of reach can trust it."""

import os
import signal
import subprocess
import time

import pytest

import lab as lablib
from lab import Lab, parse_ping, python_bin

# A TCP client for the namespaces: connect, send N bytes, read the echo back.
TCP_CLIENT = r"""
import socket, struct, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = time.monotonic()
try:
    s = socket.create_connection((host, port), timeout=5)
except ConnectionRefusedError:
    print("refused"); sys.exit(0)
connect_ms = (time.monotonic() - t) * 1000
# The kernel's RTT of the handshake (struct tcp_info's tcpi_rtt, us): SYN out to SYN-ACK in, timed
# where the packets pass, not when this process next got the CPU.
rtt_ms = struct.unpack_from("I", s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104), 68)[0] / 1000
s.settimeout(10)
got = 0
if n:
    s.sendall(b"x" * n)
    s.shutdown(socket.SHUT_WR)
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += len(b)
print(f"connected connect_ms={connect_ms:.3f} rtt_ms={rtt_ms:.3f} sent={n} echoed={got}")
"""


def tcp_client(host, addr, port, nbytes=0, timeout=20):
    r = host.run([python_bin(), "-c", TCP_CLIENT, addr, str(port), str(nbytes)],
                 timeout=timeout, check=False)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def ping(host, addr, *args, timeout=30):
    r = host.run(["ping", *args, addr], timeout=timeout, check=False)
    return r, parse_ping(r.stdout)


def hping_flags(host, addr, port, count=3):
    r = host.run(["hping3", "-S", "-p", str(port), "-c", str(count), "-i", "u100000", addr],
                 timeout=20, check=False)
    return r.stdout, [tok.split("=", 1)[1] for tok in r.stdout.split() if tok.startswith("flags=")]


# --------------------------------------------------------------------------- plain topologies

def test_pair_ping_v4_v6(lab):
    p = lab.pair()
    assert p.server4 == "198.18.0.2" and p.client4 == "198.18.0.1"
    assert p.server6 == "2001:db8::2" and p.client6 == "2001:db8::1"
    for addr in (p.server4, p.server6):
        r, res = ping(p.client, addr, "-c", "3", "-i", "0.05", "-W", "2")
        assert res.received == 3, r.stdout + r.stderr
        assert res.ttls == [64, 64, 64]


def test_chain_ttl_decremented_by_three_routers(lab):
    c = lab.chain(routers=3)
    assert [r.name for r in c.routers] == ["r1", "r2", "r3"]
    assert c.emulated is None
    assert len(c.hops4) == 4 and c.hops4[-1] == c.server4
    for addr in (c.server4, c.server6):
        r, res = ping(c.client, addr, "-c", "3", "-i", "0.05", "-W", "2")
        assert res.received == 3, r.stdout + r.stderr
        assert set(res.ttls) == {61}, r.stdout
    # Each router answers for itself: r2 is two hops away (ttl 64 - 1).
    r, res = ping(c.client, c.hops4[1], "-c", "1", "-W", "2")
    assert res.ttls == [63], r.stdout
    # The routes go both ways: the server reaches the client too.
    r, res = ping(c.server, c.client6, "-c", "1", "-W", "2")
    assert res.received == 1, r.stdout
    # Traceroute-like: a probe with TTL 2 dies at r2, which answers from its client-facing side.
    r, _ = ping(c.client, c.server4, "-c", "1", "-t", "2", "-W", "2")
    assert f"From {c.hops4[1]} icmp_seq=1 Time to live exceeded" in r.stdout, r.stdout


def test_local_addresses(lab):
    p = lab.pair()
    lab.local_addresses(p.server, "198.19.0.0/16", "2001:db8:ff00::/40")
    for addr in ("198.19.7.9", "198.19.255.1", "2001:db8:ff00::1234", "2001:db8:ffaa::9"):
        r, res = ping(p.client, addr, "-c", "1", "-W", "2")
        assert res.received == 1, r.stdout + r.stderr
    with pytest.raises(lablib.LabError):
        lab.local_addresses(p.server, "10.0.0.0/8")  # outside the lab ranges


def test_unprivileged_user(lab):
    h = lab.host("solo")
    r = h.run(["id", "-u"], user="nobody")
    assert r.stdout.strip() == "65534"
    status = h.run(["cat", "/proc/self/status"], user="nobody").stdout
    caps = {line.split(":")[0]: line.split(":")[1].strip() for line in status.splitlines()
            if line.startswith("Cap")}
    for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(caps[k], 16) == 0, (k, caps)
    assert "NoNewPrivs:\t1" in status
    # As root in the namespace, only lo exists and there is no route out of the lab.
    routes = h.run(["ip", "route", "show", "table", "all"]).stdout
    assert "default" not in routes


# --------------------------------------------------------------------------- emulated links

def test_chain_delay_rtt_and_emulator_timing(lab, linkem, record_property):
    c = lab.chain(routers=3, delay_ms=10, delay_link=0)
    assert c.emulated is c.links[0]
    # Warm up neighbour caches on every hop (the first ping also pays for ARP/ND).
    ping(c.client, c.server4, "-c", "2", "-i", "0.05", "-W", "2")
    r, res = ping(c.client, c.server4, "-c", "20", "-i", "0.05", "-W", "2")
    assert res.received == 20, r.stdout
    assert set(res.ttls) == {61}
    record_property("ping_rtt_avg_ms", res.rtt_avg)
    # The median: one reply held up by the host's scheduler (44 ms once, under ASan beside a build)
    # moved the mean of 20 by 1.2 ms; the emulator's own timing error is bounded below.
    median = sorted(res.rtts)[len(res.rtts) // 2]
    assert abs(median - 20.0) < 0.5, r.stdout
    assert res.rtt_min >= 20.0, r.stdout  # never faster than the configured delay
    stats = c.emulated.stop_emulator()
    err = stats["timing_error_us"]
    record_property("linkem_timing_error_us", err)
    print(f"\nping avg {res.rtt_avg} ms; linkem timing error (us): mean {err['mean']} "
          f"p50 {err['p50']} p99 {err['p99']} max {err['max']}")
    assert stats["ab"]["forwarded"] >= 22 and stats["ba"]["forwarded"] >= 22
    assert stats["dropped"] == 0
    assert err["count"] == stats["forwarded"]
    # The emulator's accuracy: 9 frames in 10 within 1 ms of their due time. Of ~44 frames, the
    # p99 is the slowest one, which a saturated host delays by tens of ms (1.3, 22 and 71 ms in 3
    # of 20 runs beside stress-ng, SCHED_FIFO or not): that tail is recorded, not bounded.
    assert err["p50"] < 1000 and err["p90"] < 1000, stats
    assert stats["ab"]["no_timestamp"] == 0


def test_tcp_through_delayed_link(lab, linkem):
    f = lab.firewalled_server(routers=1, delay_ms=10)
    # The first connection also waits for ARP through the delayed link: warm up first.
    assert tcp_client(f.client, f.server4, f.open_port).startswith("connected")
    # One round trip through the 2 x 10 ms link, as the kernel timed the handshake; the client's
    # own clock can only see more (it also waits for the CPU: 70-215 ms under load 20).
    out = tcp_client(f.client, f.server4, f.open_port)
    assert out.startswith("connected"), out
    connect_ms = float(out.split("connect_ms=")[1].split()[0])
    rtt_ms = float(out.split("rtt_ms=")[1].split()[0])
    assert 19.5 < rtt_ms < 40 and connect_ms > 19.5, out
    out6 = tcp_client(f.client, f.server6, f.open_port)
    assert out6.startswith("connected"), out6
    # hping3 times its probes in user space: at load 25 it saw 60 and 50 ms beside 23. Each is
    # at least the delay; the fastest of five is one round trip.
    text, flags = hping_flags(f.client, f.server4, f.open_port, count=5)
    assert flags == ["SA"] * 5, text
    rtts = [float(tok.split("=")[1]) for tok in text.split() if tok.startswith("rtt=")]
    assert len(rtts) == 5 and min(rtts) > 19.5 and min(rtts) < 40, text


@pytest.mark.parametrize("offloads", [None, True], ids=["offloads-off", "offloads-on"])
def test_tcp_bulk_through_emulator(lab, linkem, offloads):
    """Bulk TCP both ways, v4 and v6: with veth offloads left on, frames carry partial
    checksums and GSO; reach-linkem must pass them on intact (PACKET_VNET_HDR)."""
    p = lab.pair(delay_ms=2, offloads=offloads)
    p.server.listen(tcp=[7], mode="echo")
    for addr in (p.server4, p.server6):
        out = tcp_client(p.client, addr, 7, nbytes=1_000_000)
        assert "sent=1000000 echoed=1000000" in out, out
    stats = p.link.stop_emulator()
    assert stats["dropped"] == 0 and stats["ab"]["dropped_truncated"] == 0, stats


def test_linkem_loss_one_direction(lab, linkem):
    p = lab.pair(loss_ab_pct=30, seed=7)  # client -> server only
    assert p.link.emulated
    r, res = ping(p.client, p.server4, "-c", "200", "-i", "0.01", "-W", "1")
    assert res.transmitted == 200, r.stdout
    assert 15 <= res.loss_pct <= 45, r.stdout[-300:]
    stats = p.link.stop_emulator()
    assert stats["ba"]["dropped_loss"] == 0
    assert 200 - res.received == stats["ab"]["dropped_loss"], stats


def test_nft_loss_on_router(lab):
    c = lab.chain(routers=1)
    r1 = c.routers[0]
    r1.add_loss(30, iif=r1.iface_to(c.client))  # requests only
    r, res = ping(c.client, c.server4, "-c", "200", "-i", "0.01", "-W", "1")
    assert res.transmitted == 200, r.stdout
    assert 15 <= res.loss_pct <= 45, r.stdout[-300:]
    r1.add_loss(0)
    r, res = ping(c.client, c.server4, "-c", "5", "-i", "0.01", "-W", "1")
    assert res.received == 5


def test_linkem_rejects_bad_interface(lab, linkem):
    h = lab.host("wire")
    r = h.run([str(linkem), "--if-a", "nosuch0", "--if-b", "lo"], check=False, timeout=10)
    assert r.returncode == 2
    assert "nosuch0" in r.stderr and "ready" not in r.stdout
    r = h.run([str(linkem), "--if-a", "lo", "--if-b", "lo2", "--delay", "abc"], check=False,
              timeout=10)
    assert r.returncode == 2 and "--delay" in r.stderr


# --------------------------------------------------------------------------- firewalls

def test_firewalled_server(lab):
    f = lab.firewalled_server()
    for addr in (f.server4, f.server6):
        r, res = ping(f.client, addr, "-c", "2", "-i", "0.1", "-W", "1")
        assert res.transmitted == 2 and res.received == 0 and res.loss_pct == 100, r.stdout
    text, flags = hping_flags(f.client, f.server4, f.open_port)
    assert flags == ["SA"] * 3, text
    text, flags = hping_flags(f.client, f.server4, f.closed_port)
    assert flags == ["RA"] * 3, text
    assert tcp_client(f.client, f.server6, f.open_port).startswith("connected")
    assert tcp_client(f.client, f.server6, f.closed_port) == "refused"
    assert f.listener.poll() is None


def test_prohibited_by_router(lab):
    p = lab.prohibited()
    assert p.prohibited_from4 == p.router4 == "198.18.0.2"
    cases = [
        (p.server4, f"From {p.router4} icmp_seq=1 Packet filtered"),
        (p.server6, f"From {p.router6} icmp_seq=1 Destination unreachable: "
                    "Administratively prohibited"),
        (p.unreachable4, f"From {p.router4} icmp_seq=1 Destination Host Unreachable"),
        (p.unreachable6, f"From {p.router6} icmp_seq=1 Destination unreachable: "
                         "Address unreachable"),
    ]
    for addr, want in cases:
        r, _ = ping(p.client, addr, "-c", "1", "-W", "2")
        assert want in r.stdout, r.stdout
    text, flags = hping_flags(p.client, p.server4, 80, count=1)
    assert "ICMP Packet filtered from ip=198.18.0.2" in text, text


def test_prohibited_by_host(lab):
    p = lab.prohibited(firewall_on="host")
    assert p.prohibited_from4 == p.server4
    r, _ = ping(p.client, p.server4, "-c", "1", "-W", "2")
    assert f"From {p.server4} icmp_seq=1 Packet filtered" in r.stdout, r.stdout
    r, _ = ping(p.client, p.server6, "-c", "1", "-W", "2")
    assert f"From {p.server6} icmp_seq=1 Destination unreachable: Administratively " \
           "prohibited" in r.stdout, r.stdout


# --------------------------------------------------------------------------- teardown

def test_teardown_even_when_the_body_raises():
    if not lablib.is_root():
        pytest.skip("needs root")
    seen = {}
    with pytest.raises(RuntimeError, match="boom"):
        with Lab() as lab:
            f = lab.firewalled_server()
            seen["ns"] = list(lab.namespaces)
            seen["pid"] = f.listener.pid
            assert all(ns in lablib._netns_list() for ns in seen["ns"])
            raise RuntimeError("boom")
    assert len(seen["ns"]) == 2
    left = set(lablib._netns_list())
    assert not left & set(seen["ns"])
    with pytest.raises(ProcessLookupError):
        os.kill(seen["pid"], 0)


def test_teardown_stops_emulator_and_other_processes(linkem):
    if not lablib.is_root():
        pytest.skip("needs root")
    lab = Lab()
    try:
        p = lab.pair(delay_ms=1)
        sleeper = p.client.popen(["sleep", "30"])
        emu = p.link.emulator
        tmpdir = lab.tmpdir
    finally:
        lab.close()
    assert sleeper.poll() is not None and emu.poll() == 0
    assert not (set(lab.namespaces) & set(lablib._netns_list()))
    assert not tmpdir.exists()
    lab.close()  # idempotent


def test_cleanup_stale_removes_only_dead_runs(lab):
    # A pid that surely ended: a child we started and reaped.
    child = subprocess.Popen(["true"])
    child.wait(timeout=10)
    stale = f"rl{child.pid}x0000-stale"
    subprocess.run(["ip", "netns", "add", stale], check=True, timeout=10)
    try:
        live = lab.host("alive").ns
        deleted = Lab.cleanup_stale()
        assert stale in deleted
        names = lablib._netns_list()
        assert stale not in names and live in names
    finally:
        subprocess.run(["ip", "netns", "del", stale], capture_output=True, timeout=10)


ABANDON = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from lab import Lab
lab = Lab()
p = lab.pair(delay_ms=1)
p.server.listen(tcp=[80])
print(" ".join(lab.namespaces), p.link.emulator.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)   # crash: no atexit, no teardown
"""


def _running(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_abandoned_run_is_cleaned_up(linkem):
    """A run killed with SIGKILL leaves namespaces; its emulator and listener notice that
    their parent is gone and exit, and Lab.cleanup_stale() removes the namespaces."""
    if not lablib.is_root():
        pytest.skip("needs root")
    lab_dir = str(lablib.Path(lablib.__file__).resolve().parent)
    r = subprocess.run([python_bin(), "-c", ABANDON, lab_dir], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == -signal.SIGKILL, r.stderr
    *namespaces, emu_pid = r.stdout.split()
    try:
        assert len(namespaces) == 3 and all(ns in lablib._netns_list() for ns in namespaces)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _running(emu_pid):
            time.sleep(0.1)
        assert not _running(emu_pid), "reach-linkem outlived its parent"
        deleted = Lab.cleanup_stale()
        assert set(namespaces) <= set(deleted)
    finally:
        for ns in namespaces:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
    assert not set(namespaces) & set(lablib._netns_list())


def test_a_reused_pid_does_not_keep_a_stale_lab_alive():
    """The namespaces of a killed run were kept as live when another process got the killed
    creator's pid within seconds (a busy machine): the name carries the creator's start time too."""
    if not lablib.is_root():
        pytest.skip("needs root")
    me = os.getpid()
    stale = f"rl{me}s1x0000-reused"  # our pid, another start time: a creator that is gone
    subprocess.run(["ip", "netns", "add", stale], check=True, capture_output=True, timeout=10)
    try:
        with Lab() as lab:
            h = lab.host("alive")
            assert h.ns.startswith(f"rl{me}s{lablib._start_time(me)}x"), h.ns
            deleted = Lab.cleanup_stale()
            assert stale in deleted, deleted
            assert h.ns not in deleted and h.ns in lablib._netns_list()
    finally:
        subprocess.run(["ip", "netns", "del", stale], capture_output=True, timeout=10)
    assert stale not in lablib._netns_list()
