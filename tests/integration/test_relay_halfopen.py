"""reach relay and 100,000 half-open connections (issue 14, "Bad input"), in a lab: an IPv6-only
client namespace owning 2001:db8:f100::/40, the relay (--http, so every connection owes it a
request head), an IPv4-only echo backend.

Both things operators mean by half-open:

- A SYN flood: 100,000 SYNs from random spoofed sources of 2001:db8:f200::/40 (routed to the
  client namespace, which owns none of it and does not forward, so the relay's SYN-ACKs die
  there and no handshake ever completes), sent with a raw socket (a few lines below, no scapy).
  The kernel answers them (SYN cookies once the SYN queue is full); the relay never sees one.
  It says at start that SYN cookies are on, keeps serving legitimate clients, and its fd count
  and RSS do not move.
- Established but silent: 100,000 connections from 1,792 addresses (112 /48s, 4 /64s each, 4
  addresses each) at up to 4,000 a second, after a burst of 600 from one more /64; none sends a
  byte, every tenth half-closes at once. The relay cuts each at its head deadline
  (`head_timeout`), the half-closed at once (`bad_request`), the bursting /64 by its own limits
  (`per_prefix_rate`), counts each by reason in /metrics, keeps serving legitimate clients, and
  afterwards its fd count is back to the baseline exactly and its RSS within 5 MiB of it
  (measured +2.1 to +3.6 MiB; a leak of 53 bytes a connection would exceed it).

Why not 100,000 held at once: this container's hard RLIMIT_NOFILE is 20,000 and it has no
CAP_SYS_RESOURCE to raise it, so neither the relay nor a client can hold more than 20,000
sockets, and the relay's default max_conns is 10,000. The pace and the 2 s head deadline keep
~8,000 open at once (measured 7,200-8,400), under max_conns: the most the shipped limits hold
without refusing legitimate clients. docs/RELAY.md has the numbers.

The relay runs under `prlimit --nofile=1024:HARD`, the soft limit systemd gives a service: it
raises its own to what max_conns needs (up to the hard limit) and says so at start.

The load generators are this file run as a script (`--legit`, with test_relay_flood.py's paced
loop, `--silent`, `--synflood`), so the test needs nothing but the standard library. Every loop is bounded in count and time; the lab
tears down the namespaces (and every process in them) even when a test fails.
"""

import argparse
import errno
import json
import os
import random
import resource
import select
import socket
import struct
import sys
import time

if __name__ != "__main__":
    import pytest

    import lab as lablib

PORT = 8080
BACKEND_PORT = 9000
LOCAL6 = "2001:db8:f100::/40"      # the client namespace's own addresses
LOCAL4 = "198.19.0.0/24"           # unused; local_addresses wants one
SPOOF6 = "2001:db8:f200::/40"      # SYN sources: routed to the client, owned by no one
LEGIT = [f"2001:db8:f1{i:02x}:1::1" for i in range(8)]  # 8 clients, 8 /48s
SILENT_48S = range(0x10, 0x80)      # /48s 2001:db8:f110:: .. f17f:: (112)
OVER_NET = "2001:db8:f1fe:1::"      # one /64 that opens more than its cap
OVER_CONNS = 600
SILENT_TOTAL = 100000
SILENT_RATE = 4000                  # connections a second
HEAD_TIMEOUT = "2s"


def silent_sources():
    return [f"2001:db8:f1{p:02x}:{s:x}::{a:x}" for p in SILENT_48S for s in range(1, 5) for a in range(1, 5)]


# ---------------------------------------------------------------------------------------------
# Load generators (run inside the lab namespaces)

def http_exchange(s, i: int, src: str) -> bool:
    """One request; the answer is the echo of the head as the relay rewrote it."""
    want = b"GET /%d HTTP/1.1\r\n" % i
    s.sendall(want + b"Host: lab\r\n\r\n")
    got = b""
    while not got.endswith(b"\r\n\r\n") and len(got) < 4096:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return got.startswith(want) and b"X-Forwarded-For: " + src.encode() in got


def silent(args) -> int:
    """Opens --total connections at --rate a second, round robin over the silent sources, after a
    burst of --over-conns from addresses of --over-net; never sends a byte (every
    --halfclose-every'th shuts its side down as soon as it is seen connected). Each stays open
    until the relay ends it (counted as EOF or reset), at most --seconds in all. A shutdown this
    process made more than --late seconds after its connect() is counted in halfclosed_late too:
    its FIN may meet the relay's head timeout; one on a --over-net connection in halfclosed_over
    (the relay may have refused it, with a reset still on its way). A half-closed connection the
    relay then ended with a FIN is counted in halfclosed_eof. Prints JSON: counts, the most open
    at once, the time taken."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    srcs = silent_sources()
    over = [f"{args.over_net}{i % 64 + 1:x}" for i in range(args.over_conns)]
    plan = over + [srcs[i % len(srcs)] for i in range(args.total)]
    ep = select.epoll()
    socks = {}      # fd -> [sock, connected, time of connect(), from --over-net, half-closed]
    stats = {"planned": len(plan), "connected": 0, "failed": 0, "halfclosed": 0, "halfclosed_late": 0,
             "halfclosed_over": 0, "halfclosed_eof": 0, "ended_eof": 0, "ended_rst": 0, "got_data": 0,
             "max_open": 0, "bind_errors": 0}
    pending = 0
    start = time.monotonic()
    deadline = start + args.seconds
    n = 0

    def end(fd, kind):
        s, _, _, _, halfclosed = socks.pop(fd)
        ep.unregister(fd)
        s.close()
        stats[kind] += 1
        stats["halfclosed_eof"] += halfclosed and kind == "ended_eof"

    while (n < len(plan) or socks) and time.monotonic() < deadline:
        due = len(over) + int((time.monotonic() - start) * args.rate)
        while n < min(due, len(plan)) and pending < args.inflight and len(socks) < hard - 100:
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
            s.setsockopt(socket.SOL_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT: the port at connect
            try:
                s.bind((plan[n], 0))
            except OSError:
                stats["bind_errors"] += 1
                s.close()
                n += 1
                continue
            n += 1
            s.connect_ex((args.relay, PORT))
            socks[s.fileno()] = [s, False, time.monotonic(), n <= len(over), False]
            pending += 1
            ep.register(s.fileno(), select.EPOLLOUT)
        stats["max_open"] = max(stats["max_open"], len(socks))
        for fd, ev in ep.poll(0.005, 4096):
            entry = socks.get(fd)
            if entry is None:
                continue
            s = entry[0]
            if not entry[1]:
                pending -= 1
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err and err != errno.ECONNRESET:
                    end(fd, "failed")
                    continue
                stats["connected"] += 1  # a reset came after the handshake, maybe before we looked
                if err:
                    end(fd, "ended_rst")
                    continue
                entry[1] = True
                if args.halfclose_every and stats["connected"] % args.halfclose_every == 0:
                    s.shutdown(socket.SHUT_WR)
                    stats["halfclosed"] += 1
                    stats["halfclosed_late"] += time.monotonic() - entry[2] > args.late
                    stats["halfclosed_over"] += entry[3]
                    entry[4] = True
                ep.modify(fd, select.EPOLLIN)
                continue
            try:
                end(fd, "ended_eof" if not s.recv(1) else "got_data")  # the relay never answers
            except BlockingIOError:
                pass
            except OSError:
                end(fd, "ended_rst")
    stats["pending"] = pending
    stats["left_open"] = len(socks) - pending
    stats["seconds"] = round(time.monotonic() - start, 2)
    for e in socks.values():
        e[0].close()
    print(json.dumps(stats), flush=True)
    return 0


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def synflood(args) -> int:
    """--count SYNs to --dst:PORT from random sources of --net (a /40) and random ports, through a
    raw IPv6 socket (IPPROTO_RAW: we write the IPv6 header), within --seconds. Prints JSON."""
    dst = socket.inet_pton(socket.AF_INET6, args.dst)
    base = int.from_bytes(socket.inet_pton(socket.AF_INET6, args.net), "big")
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    rng = random.Random(11)
    sent = 0
    start = time.monotonic()
    deadline = start + args.seconds
    # The constant part of the TCP checksum: destination, length, next header, destination
    # port, data offset and flags, window.
    fixed = _csum(dst) + 20 + 6 + PORT + 0x5002 + 65535
    while sent < args.count and time.monotonic() < deadline:
        for _ in range(256):
            src = (base | rng.getrandbits(88)).to_bytes(16, "big")
            sport = rng.randrange(1024, 65536)
            seq = rng.getrandbits(32)
            c = fixed + _csum(src) + sport + (seq >> 16) + (seq & 0xFFFF)
            while c >> 16:
                c = (c & 0xFFFF) + (c >> 16)
            tcp = struct.pack("!HHIIHHHH", sport, PORT, seq, 0, 0x5002, 65535, ~c & 0xFFFF, 0)
            ip6 = struct.pack("!IHBB", 0x60000000, 20, 6, 64) + src + dst
            try:
                s.sendto(ip6 + tcp, (args.dst, 0))
                sent += 1
            except BlockingIOError:
                time.sleep(0.001)  # the device queue is full: let it drain
            if sent >= args.count:
                break
    print(json.dumps({"sent": sent, "seconds": round(time.monotonic() - start, 2)}), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# The tests

if __name__ != "__main__":
    HERE = os.path.abspath(__file__)
    PY = "/usr/bin/python3"
    RT = ["chrt", "-f", "10"]
    # What systemd gives a service: the relay must raise its own soft limit.
    NOFILE = ["prlimit", f"--nofile=1024:{resource.getrlimit(resource.RLIMIT_NOFILE)[1]}"]
    RSS_SLACK_KIB = 5 * 1024  # a leak of 53 bytes a connection (x 100,600) would exceed it
    # ASan's allocator keeps freed memory in quarantine and ignores malloc_trim: RSS cannot come
    # back there, so only the fd count is checked (LeakSanitizer checks leaks at exit instead).


    def asan_build(reach):
        return b"__asan_init" in open(reach, "rb").read()

    def p99(xs):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * 0.99))] if xs else float("inf")

    def proc_stats(pid: int) -> dict:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        status = open(f"/proc/{pid}/status").read()
        rss = int(next(l for l in status.splitlines() if l.startswith("VmRSS:")).split()[1])
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        cpu = (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
        soft = next(l for l in open(f"/proc/{pid}/limits") if l.startswith("Max open files")).split()[3]
        return {"fds": fds, "rss_kib": rss, "cpu_s": cpu, "nofile": int(soft)}

    class HalfOpenLab:
        def __init__(self, lab, reach, head_timeout: str, limits: str):
            self.lab = lab
            self.client = lab.host("client")
            self.relay = lab.host("relay")
            self.backend = lab.host("backend")
            lab.link(self.client, self.relay)
            lab.link(self.relay, self.backend)
            lab.route_all()
            lab.local_addresses(self.client, LOCAL4, LOCAL6)
            self.client.sysctl("net.ipv6.ip_nonlocal_bind", 1)
            link = self.relay.link_to(self.client)
            self.relay6 = link.addr6(self.relay)
            # The spoofed sources lead to the client, which owns none of them and does not
            # forward: the relay's SYN-ACKs are dropped there.
            self.relay.ip("-6", "route", "add", SPOOF6, "via", link.addr6(self.client))
            backend4 = self.backend.link_to(self.relay).addr4(self.backend)
            self.backend_proc = self.backend.popen(
                RT + [PY, str(lablib.listener_script()), "--tcp", str(BACKEND_PORT), "--bind", "0.0.0.0",
                      "--mode", "echo", "--max-conns", "1000000", "--max-seconds", "300"])
            assert self.backend_proc.stdout.readline().strip() == "ready"
            path = lab.tmpdir / "relay.yaml"
            path.write_text(f"relay:\n  listen: \"[::]:{PORT}\"\n  backends: [ \"{backend4}:{BACKEND_PORT}\" ]\n"
                            f"  http: true\n  health: false\n  metrics: \"127.0.0.1:9798\"\n"
                            f"  timeouts: {{ head: {head_timeout} }}\n{limits}")
            self.out = lab.tmpdir / "relay.out"
            with open(self.out, "w") as f:
                # Real-time priority for the relay, the backend and the legitimate clients (not
                # the flooders), as in test_relay_flood.py: the latency is the relay's, not the
                # scheduler's.
                self.proc = self.relay.popen(NOFILE + RT + [reach, "relay", "--config", str(path), "--json"], stdout=f)
            for _ in range(100):
                if self.relay.run(["ss", "-Htln", f"sport = :{PORT}"], check=False).stdout.strip():
                    break
                time.sleep(0.05)
            else:
                self.proc.kill()
                raise AssertionError(f"relay did not listen: {self.proc.communicate(timeout=5)[1]}")

        def stats(self) -> dict:
            return proc_stats(self.proc.pid)

        def events(self) -> list[dict]:
            return [json.loads(l) for l in self.out.read_text().splitlines() if l.startswith("{")]

        def legit_args(self, seconds: float) -> list[str]:
            args = ["--legit", "--relay", self.relay6, "--seconds", str(seconds), "--interval", "0.005"]
            for s in LEGIT:
                args += ["--src", s]
            return args

        def legit(self, seconds: float) -> dict:
            r = self.client.run(RT + [PY, HERE, *self.legit_args(seconds)], timeout=seconds + 30)
            return json.loads(r.stdout.strip().splitlines()[-1])

        def popen_client(self, *args):
            # nice -10: the flooders' connects also carry the kernel's work for both ends (veth
            # delivers in the sender's context); under stress-ng at nice 0 the 100,000 took 50 s.
            return self.client.popen(["nice", "-n", "-10", PY, HERE, *args])

        def metrics(self) -> str:
            return self.relay.run(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:9798/metrics"]).stdout

        def metric(self, text: str, name: str) -> float:
            for line in text.splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
            return 0.0

        def nstat(self) -> dict:
            r = self.relay.run(["nstat", "-az", "-j"], check=False)
            try:
                return json.loads(r.stdout)["kernel"]
            except (ValueError, KeyError):
                return {}

    def settle(h, base: dict, seconds: float) -> dict:
        """The relay's stats once its fds are back to `base` (or after `seconds`)."""
        end = time.monotonic() + seconds
        st = h.stats()
        while st["fds"] > base["fds"] and time.monotonic() < end:
            time.sleep(0.2)
            st = h.stats()
        return st

    # The lab stops the relay and everything else it started, whatever happens.
    def test_syn_flood_of_100k_spoofed_syns_costs_the_relay_nothing(lab, reach):
        h = HalfOpenLab(lab, reach, "5s", "")
        for _ in range(50):  # the defences speak at their first tick
            defence = [e for e in h.events() if e.get("type") == "relay_defence"]
            if defence:
                break
            time.sleep(0.1)
        assert defence and defence[0]["syn_cookies"] == 1, defence  # said at start
        assert "SYN cookies on" in defence[0]["message"], defence
        idle = h.legit(3)
        assert idle["fail"] == 0, idle
        base = h.stats()
        flood = h.popen_client("--synflood", "--dst", h.relay6, "--net", SPOOF6.split("/")[0], "--count", "100000",
                               "--seconds", "25")
        time.sleep(0.3)
        busy = h.legit(4)
        fl = json.loads(flood.communicate(timeout=40)[0].strip().splitlines()[-1])
        after = h.stats()
        ns = h.nstat()
        total = busy["ok"] + busy["fail"]
        print(f"SYN flood {fl}; relay fds {base['fds']} -> {after['fds']}, RSS {base['rss_kib']} -> "
              f"{after['rss_kib']} KiB, CPU {after['cpu_s'] - base['cpu_s']:.2f} s; legit {busy['ok']}/{total}, "
              f"p99 idle {p99(idle['lat']) * 1e3:.1f} ms, flood {p99(busy['lat']) * 1e3:.1f} ms; "
              f"SyncookiesSent {ns.get('TcpExtSyncookiesSent')}, ListenOverflows {ns.get('TcpExtListenOverflows')}")
        assert fl["sent"] == 100000, fl
        assert ns.get("TcpExtSyncookiesSent", 0) > 0, ns  # the SYN queue overflowed: it was a flood
        assert busy["ok"] >= 0.99 * total and total > 100, busy
        assert after["fds"] == base["fds"], (base, after)
        assert asan_build(reach) or after["rss_kib"] <= base["rss_kib"] + RSS_SLACK_KIB, (base, after)
        assert h.metric(h.metrics(), "reach_relay_syn_cookies") == 1

    @pytest.mark.skipif(resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 16384,
                        reason="a hard RLIMIT_NOFILE under 16384 cannot hold ~8,000 connections")
    def test_100k_silent_connections_are_cut_counted_and_leave_nothing_behind(lab, reach):
        # The limits as shipped (256 connections a /64, 1024 a /48, max_conns 10000, max_memory
        # 256MiB), bans off (test_relay_flood.py covers them): the flood stays under every cap
        # but the /64 that bursts over its own (and, on a slowed-down relay, max_conns: below).
        h = HalfOpenLab(lab, reach, HEAD_TIMEOUT, "  limits:\n    ban: off\n    blackhole: false\n")
        idle = h.legit(2)
        assert idle["fail"] == 0, idle
        base = h.stats()
        assert base["nofile"] > 1024, base  # raised itself
        start = [e for e in h.events() if e.get("type") == "relay_start"]
        assert start and start[0]["nofile"] == base["nofile"], start
        t0 = time.monotonic()
        flood = h.popen_client("--silent", "--relay", h.relay6, "--total", str(SILENT_TOTAL), "--rate", str(SILENT_RATE),
                               "--over-net", OVER_NET, "--over-conns", str(OVER_CONNS), "--halfclose-every", "10",
                               "--seconds", "50")
        time.sleep(2.0)
        legit = h.client.popen(RT + [PY, HERE, *h.legit_args(6)])
        peak = dict(base)
        active_peak = hits = 0.0
        while flood.poll() is None and time.monotonic() - t0 < 75:
            st = h.stats()
            peak = {k: max(peak[k], st[k]) for k in ("fds", "rss_kib")}
            mm = h.metrics()
            active_peak = max(active_peak, h.metric(mm, "reach_relay_connections_active"))
            # Kept while the prefix is tracked (60 s idle): read during the flood.
            hits = max(hits, h.metric(mm, 'reach_relay_limit_hits_total{prefix="2001:db8:f1fe:1::/64"}'))
            time.sleep(0.5)
        fl = json.loads(flood.communicate(timeout=10)[0].strip().splitlines()[-1])
        busy = json.loads(legit.communicate(timeout=30)[0].strip().splitlines()[-1])
        after = settle(h, base, 10)
        m = h.metrics()
        total = busy["ok"] + busy["fail"]
        print(f"silent: {fl}; relay fds {base['fds']} / {peak['fds']} / {after['fds']}, "
              f"RSS {base['rss_kib']} / {peak['rss_kib']} / {after['rss_kib']} KiB, "
              f"CPU {after['cpu_s'] - base['cpu_s']:.2f} s, active at peak {active_peak:.0f}, "
              f"legit {busy['ok']}/{total} p99 {p99(busy['lat']) * 1e3:.1f} ms (idle {p99(idle['lat']) * 1e3:.1f}), "
              f"{time.monotonic() - t0:.1f} s")
        planned = SILENT_TOTAL + OVER_CONNS
        assert fl["connected"] == planned and fl["pending"] == 0, fl
        # Every connection was ended by the relay, and counted by reason.
        assert fl["left_open"] == 0 and fl["ended_eof"] + fl["ended_rst"] == planned, fl
        closed = lambda r: h.metric(m, f'reach_relay_closed_total{{reason="{r}"}}')  # noqa: E731
        # The /64 that bursts is cut by its own limits (its token bucket, 100 at once, bites before
        # its 256 connections), and only it.
        refused = sum(h.metric(m, f'reach_relay_admission_refused_total{{reason="{r}"}}')
                      for r in ("per_prefix_rate", "per_prefix_conns", "global_conns", "memory"))
        assert OVER_CONNS - 256 <= refused < OVER_CONNS, m
        assert hits == refused, (hits, m)
        # A FIN that reached the relay is a bad request, which it ends with a FIN of its own (a
        # timeout or a refusal resets): exactly the half-closed connections that saw an EOF. Only
        # a FIN this slow flooder sent late (past half the head timeout after its connect) may
        # have met the timeout first, and one on a burst connection a refusal.
        assert closed("bad_request") == fl["halfclosed_eof"], (fl, m)
        assert fl["halfclosed_eof"] >= fl["halfclosed"] - fl["halfclosed_late"] - fl["halfclosed_over"], fl
        # At ~4,000 a second with a 2 s head deadline about 8,600 are open at once; a relay slowed
        # down (ASan, a busy machine) reaches its 10,000-connection cap, where each newcomer evicts
        # the oldest silent one (reset, counted as evicted): the CI run of 2026-12-01 evicted 5,501.
        evicted = closed("evicted")
        assert sum(h.metric(m, f'reach_relay_evictions_total{{reason="{r}"}}') for r in ("global_conns", "memory")) == evicted, m
        assert closed("head_timeout") + closed("bad_request") + evicted == planned - refused, m
        assert fl["ended_rst"] == closed("head_timeout") + evicted + refused, (fl, m)
        assert h.metric(m, "reach_relay_connections_active") == 0, m
        # They were held (one fd each) until their deadline: thousands at once.
        assert peak["fds"] >= base["fds"] + 2000, peak
        assert busy["ok"] >= 0.99 * total and total > 100, busy
        assert after["fds"] == base["fds"], (base, after)
        assert asan_build(reach) or after["rss_kib"] <= base["rss_kib"] + RSS_SLACK_KIB, (base, peak, after)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    mode = ap.add_mutually_exclusive_group(required=True)
    for m in ("--legit", "--silent", "--synflood"):
        mode.add_argument(m, action="store_true")
    ap.add_argument("--relay")
    ap.add_argument("--src", action="append", default=[])
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--total", type=int, default=SILENT_TOTAL)
    ap.add_argument("--rate", type=float, default=SILENT_RATE)
    ap.add_argument("--over-net", default=OVER_NET)
    ap.add_argument("--over-conns", type=int, default=0)
    ap.add_argument("--halfclose-every", type=int, default=0)
    ap.add_argument("--late", type=float, default=1.0)
    ap.add_argument("--inflight", type=int, default=2000)
    ap.add_argument("--dst")
    ap.add_argument("--net")
    ap.add_argument("--count", type=int, default=100000)
    a = ap.parse_args()
    if a.legit:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))
        import test_relay_flood  # the paced request loop, here with HTTP requests
        sys.exit(test_relay_flood.legit(a, http_exchange))
    if a.silent:
        sys.exit(silent(a))
    sys.exit(synflood(a))
