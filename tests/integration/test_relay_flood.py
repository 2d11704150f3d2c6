"""reach relay under a flood (issue 14), in a lab: an IPv6-only client namespace, the relay, an
IPv4-only backend.

- A connection flood from one IPv6 /64 (thousands of source addresses: the client namespace
  owns 2001:db8:f1ff:1::/64 through a local route and ip_nonlocal_bind) beside legitimate
  clients from other /48s: the legitimate clients keep >= 99 % success and a latency p99 within
  2x of the same clients' idle p99 measured just before, and the flooding /64 ends up in the
  kernel's nftables set (table inet reach, set ban6_64).
- Established first: with the relay's global connection cap reached by long transfers, a storm
  of new connections is refused while the transfers keep flowing.
- A silent flood spread over 40 /48s, each under its own per-prefix limits, fills the global
  cap: new clients evict the oldest connection that has not forwarded a byte yet, so legitimate
  clients keep >= 99 % success, established connections are never cut, and the evictions are
  counted by reason and prefix.

The load generators are this file run as a script (`--legit`, `--flood`, `--stream-server`,
`--readers`), so the test needs nothing but the standard library. Every loop is bounded in
count and time; the lab tears down namespaces (and with them the nftables table) even when a
test fails.
"""

import argparse
import collections
import json
import os
import random
import resource
import selectors
import signal
import socket
import statistics
import sys
import time

if __name__ != "__main__":
    import pytest

    import lab as lablib

PORT = 8080
BACKEND_PORT = 9000
FLOOD_NET = "2001:db8:f1ff:1::"                       # the flooding /64
SILENT_NETS = [f"2001:db8:f1{0xc0 + i:02x}:1::" for i in range(40)]  # 40 /48s, silent
LEGIT_NETS = [f"2001:db8:f1{i:02x}:1::" for i in range(8)]  # 8 clients, 8 other /48s
LOCAL6 = "2001:db8:f100::/40"                          # all of them, local to the client ns
LOCAL4 = "198.19.0.0/24"                               # unused; local_addresses wants one


# ---------------------------------------------------------------------------------------------
# Load generators (run inside the lab namespaces)

def ping_exchange(s, i: int, src: str) -> bool:
    s.sendall(b"ping %d\n" % i)
    got = b""
    while not got.endswith(b"\n") and len(got) < 64:
        chunk = s.recv(64)
        if not chunk:
            break
        got += chunk
    return got == b"ping %d\n" % i


def legit(args, exchange=ping_exchange) -> int:
    """Sequential request/answer rounds (`exchange`, true when the answer is right) from each
    source in turn, paced; prints JSON. test_relay_halfopen.py brings an HTTP exchange."""
    srcs = args.src
    lat, ok, fail, errors = [], 0, 0, {}
    deadline = time.monotonic() + args.seconds
    i = 0
    while time.monotonic() < deadline and i < 100000:
        src = srcs[i % len(srcs)]
        i += 1
        t0 = time.monotonic()
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.settimeout(2.0)
                s.bind((src, 0))
                s.connect((args.relay, PORT))
                right = exchange(s, i, src)
            if right:
                ok += 1
                lat.append(time.monotonic() - t0)
            else:
                fail += 1
                errors["short"] = errors.get("short", 0) + 1
        except OSError as e:
            fail += 1
            errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        pause = args.interval - (time.monotonic() - t0)
        if pause > 0:
            time.sleep(pause)
    print(json.dumps({"ok": ok, "fail": fail, "lat": lat, "errors": errors}), flush=True)
    return 0


def connect_from(src: str, relay: str, stats: dict):
    """A non-blocking connect from src (counted in stats: attempts, errors); None when it failed."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.bind((src, 0))
        s.connect_ex((relay, PORT))
    except OSError:
        stats["errors"] += 1
        s.close()
        return None
    stats["attempts"] += 1
    return s


def flood(args) -> int:
    """Non-blocking connects from random addresses of one /64, as fast as allowed, each held open
    for --hold s; at most --inflight at once; pending connects given up after 1 s."""
    base = int.from_bytes(socket.inet_pton(socket.AF_INET6, args.net), "big")
    sel = selectors.DefaultSelector()
    socks = {}  # sock -> (started, connected)
    stats = {"attempts": 0, "connected": 0, "errors": 0, "timeouts": 0}
    deadline = time.monotonic() + args.seconds
    rng = random.Random(7)
    while time.monotonic() < deadline:
        now = time.monotonic()
        for _ in range(64):
            if len(socks) >= args.inflight:
                break
            addr = socket.inet_ntop(socket.AF_INET6, (base | rng.getrandbits(64)).to_bytes(16, "big"))
            s = connect_from(addr, args.relay, stats)
            if s is None:
                continue
            socks[s] = [now, False]
            sel.register(s, selectors.EVENT_WRITE)
        for key, _ in sel.select(timeout=0.01):
            s = key.fileobj
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            sel.unregister(s)
            if err:
                stats["errors"] += 1
                del socks[s]
                s.close()
            else:
                stats["connected"] += 1
                socks[s][1] = True
        for s, (started, connected) in list(socks.items()):
            limit = args.hold if connected else 1.0
            if now - started > limit:
                if not connected:
                    stats["timeouts"] += 1
                    sel.unregister(s)
                del socks[s]
                s.close()
    for s in socks:
        s.close()
    print(json.dumps(stats), flush=True)
    return 0


def silent(args) -> int:
    """Connections that send nothing, at most --hold of them per /64 of --src (addresses counted
    up from ::1), each /64 opening at most --rate a second (0: as fast as it goes); a connection
    the relay closes is replaced, a connect not done within 1 s (a dropped SYN) given up. Prints
    JSON counts: connects, cut (closed by the relay), peak held connected. Also bench/relay_flood.py's
    flooder: the open-files limit is raised to its hard limit (~20,000 here)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    nets = args.src
    held = {n: 0 for n in nets}
    next_at = {n: 0.0 for n in nets}
    pending = collections.deque()  # (started, sock, net) in connect order
    stats = {"attempts": 0, "connected": 0, "cut": 0, "timeouts": 0, "errors": 0, "peak": 0}
    deadline = time.monotonic() + args.seconds
    i = total = up = 0  # open sockets; of them connected

    def drop(s, n):
        nonlocal total
        sel.unregister(s)
        s.close()
        held[n] -= 1
        total -= 1

    while time.monotonic() < deadline:
        now = time.monotonic()
        opened = 0
        for n in nets:
            while held[n] < args.hold and total < hard - 64 and opened < 256:
                if args.rate > 0:
                    if now < next_at[n]:
                        break
                    next_at[n] = max(next_at[n], now - 1.0) + 1.0 / args.rate
                i += 1
                opened += 1
                s = connect_from(n + format(i % 60000 + 1, "x"), args.relay, stats)
                if s is None:
                    continue
                held[n] += 1
                total += 1
                sel.register(s, selectors.EVENT_WRITE, [n, False])
                pending.append((now, s, n))
        for key, _ in sel.select(timeout=0.005):
            s, (n, connected) = key.fileobj, key.data
            if not connected:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    stats["connected"] += 1
                    up += 1
                    key.data[1] = True
                    sel.modify(s, selectors.EVENT_READ, key.data)
                    continue
                stats["errors"] += 1
            else:
                try:
                    if s.recv(4096):
                        continue  # nothing is expected; a byte would not make it stay
                except OSError:
                    pass
                stats["cut"] += 1
                up -= 1
            drop(s, n)
        while pending and (pending[0][1].fileno() < 0 or sel.get_key(pending[0][1]).data[1]
                           or now - pending[0][0] > 1.0):
            _, s, n = pending.popleft()
            if s.fileno() >= 0 and not sel.get_key(s).data[1]:
                stats["timeouts"] += 1
                drop(s, n)
        stats["peak"] = max(stats["peak"], up)
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    print(json.dumps(stats), flush=True)
    return 0


def connect_all(args, timeout: float) -> list:
    """--count blocking connects through the relay, each from its own address of --src-base."""
    socks = []
    for i in range(args.count):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.bind((args.src_base + format(i + 1, "x"), 0))
        s.connect((args.relay, PORT))
        socks.append(s)
    return socks


def keepers(args) -> int:
    """--count connections opened first, each exchanging a ping every --interval s until
    --seconds; prints JSON: exchanges ok, and the connections that failed (any error ends one)."""
    socks = connect_all(args, 2.0)
    for i, s in enumerate(socks):  # established: each has forwarded bytes
        assert ping_exchange(s, i, "")
    print("connected", flush=True)
    ok, failed = 0, {}
    deadline = time.monotonic() + args.seconds
    n = 0
    while time.monotonic() < deadline and n < 100000:
        n += 1
        for i, s in enumerate(socks):
            if i in failed:
                continue
            try:
                if ping_exchange(s, n, ""):
                    ok += 1
                else:
                    failed[i] = "short"
            except OSError as e:
                failed[i] = type(e).__name__
        time.sleep(args.interval)
    for s in socks:
        s.close()
    print(json.dumps({"ok": ok, "failed": failed}), flush=True)
    return 0


def stream_server(args) -> int:
    """Sends zeros to every connection at --bytes-rate bytes/s each (in 10 ms steps), until the peer goes
    or time is up: a paced transfer, whose full speed is known."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", BACKEND_PORT))
    srv.listen(512)
    srv.setblocking(False)
    conns = []
    step = b"\0" * int(args.bytes_rate / 100)
    print("ready", flush=True)
    start = time.monotonic()
    ticks = 0
    while time.monotonic() - start < args.seconds:
        try:
            c, _ = srv.accept()
            c.setblocking(False)
            conns.append([c, b""])
        except BlockingIOError:
            pass
        for item in list(conns):
            c, backlog = item
            data = backlog + step if len(backlog) < len(step) * 10 else backlog
            try:
                n = c.send(data)
                item[1] = data[n:]
            except BlockingIOError:
                item[1] = data
            except OSError:
                conns.remove(item)
                c.close()
        ticks += 1
        ahead = start + ticks * 0.01 - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    return 0


def readers(args) -> int:
    """--count long transfers through the relay, each from its own address; prints the bytes each
    got in every --window s, as JSON, after --seconds."""
    socks = connect_all(args, 5)
    for s in socks:
        s.setblocking(False)
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_READ, i)
    print("connected", flush=True)
    windows = []
    start = time.monotonic()
    cur = [0] * len(socks)
    closed = [False] * len(socks)
    next_edge = start + args.window
    while time.monotonic() - start < args.seconds:
        for key, _ in sel.select(timeout=0.05):
            try:
                data = key.fileobj.recv(1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                closed[key.data] = True
                sel.unregister(key.fileobj)
                continue
            cur[key.data] += len(data)
        if time.monotonic() >= next_edge:
            windows.append(cur)
            cur = [0] * len(socks)
            next_edge += args.window
    print(json.dumps({"windows": windows, "closed": closed}), flush=True)
    return 0


def storm(args) -> int:
    """Blocking connects from many addresses, --rate per second; counts those that got data back
    (none should)."""
    served = refused = timeouts = 0
    start = time.monotonic()
    deadline = start + args.seconds
    i = 0
    while time.monotonic() < deadline and i < 20000:
        i += 1
        ahead = start + i / args.rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
                s.settimeout(1.0)
                s.bind((args.src_base + format(i % 60000 + 1, "x"), 0))
                s.connect((args.relay, PORT))
                data = s.recv(1024)
                served += bool(data)
                refused += not data
        except TimeoutError:
            timeouts += 1
        except OSError:
            refused += 1
    print(json.dumps({"served": served, "refused": refused, "timeouts": timeouts}), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# The tests

if __name__ != "__main__":
    HERE = os.path.abspath(__file__)
    PY = "/usr/bin/python3"
    RT = ["chrt", "-f", "10"]
    STREAM_RATE = 2_000_000  # bytes/s of each established transfer

    def p99(xs):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * 0.99))]

    class RelayLab:
        def __init__(self, lab, reach, limits: str, backend_mode: str):
            self.lab = lab
            self.client = lab.host("client")
            self.relay = lab.host("relay")
            self.backend = lab.host("backend")
            lab.link(self.client, self.relay)
            lab.link(self.relay, self.backend)
            lab.route_all()
            lab.local_addresses(self.client, LOCAL4, LOCAL6)
            self.client.sysctl("net.ipv6.ip_nonlocal_bind", 1)
            self.relay6 = self.relay.link_to(self.client).addr6(self.relay)
            backend4 = self.backend.link_to(self.relay).addr4(self.backend)
            if backend_mode == "echo":
                self.backend_proc = self.backend.popen(
                    RT + [PY, str(lablib.listener_script()), "--tcp", str(BACKEND_PORT), "--bind", "0.0.0.0",
                     "--mode", "echo", "--max-conns", "100000", "--max-seconds", "300"])
            else:
                self.backend_proc = self.backend.popen(
                    RT + [PY, HERE, "--stream-server", "--seconds", "300", "--bytes-rate", str(STREAM_RATE)])
            assert self.backend_proc.stdout.readline().strip() == "ready"
            path = lab.tmpdir / "relay.yaml"
            path.write_text(f"relay:\n  listen: \"[::]:{PORT}\"\n  backends: [ \"{backend4}:{BACKEND_PORT}\" ]\n"
                            f"  health: false\n  metrics: \"127.0.0.1:9798\"\n{limits}")
            self.out = lab.tmpdir / "relay.out"
            with open(self.out, "w") as f:
                # Real-time priority for the relay, the echo backend and the legitimate clients
                # (not the flooder):
                # the latency compared is the relay's under a flood, not the scheduler's under
                # whatever else the machine runs (stress-ng moved the idle p99 from 8 to 220 ms).
                self.proc = self.relay.popen(RT + [reach, "relay", "--config", str(path), "--json"], stdout=f)
            self.wait_listening()

        def wait_listening(self):
            for _ in range(100):
                r = self.relay.run(["ss", "-Htln", f"sport = :{PORT}"], check=False)
                if r.stdout.strip():
                    return
                time.sleep(0.05)
            raise AssertionError("relay did not listen")

        def events(self) -> list[dict]:
            return [json.loads(l) for l in self.out.read_text().splitlines() if l.startswith("{")]

        def run_client(self, *args, timeout=60, rt=False):
            r = self.client.run((RT if rt else []) + [PY, HERE, *args], timeout=timeout)
            return json.loads(r.stdout.strip().splitlines()[-1])

        def popen_client(self, *args, rt=False):
            return self.client.popen((RT if rt else []) + [PY, HERE, *args])

        def metrics(self) -> str:
            return self.relay.run(["curl", "-sS", "--max-time", "5", "http://127.0.0.1:9798/metrics"]).stdout

        def ban6_64(self) -> list[str]:
            r = self.relay.run(["nft", "-j", "list", "set", "inet", "reach", "ban6_64"], check=False)
            if r.returncode != 0:
                return []
            out = []
            for item in json.loads(r.stdout)["nftables"]:
                for e in item.get("set", {}).get("elem", []):
                    out.append(e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e)
            return out

    def legit_args(relay6, seconds):
        # ~2,000 requests a phase: a p99 of sub-millisecond latencies is then the 20th worst, not
        # the 5th, and one scheduler hiccup of the 2-core machine does not decide it.
        args = ["--legit", "--relay", relay6, "--seconds", str(seconds), "--interval", "0.003"]
        for n in LEGIT_NETS:
            args += ["--src", n + "1"]
        return args

    @pytest.fixture
    def relay_lab(lab, reach):
        made = []

        def make(limits="", backend_mode="echo"):
            rl = RelayLab(lab, reach, limits, backend_mode)
            made.append(rl)
            return rl

        yield make
        for rl in made:
            lab.stop(rl.proc)

    def test_flood_from_one_slash64_is_blackholed_and_legit_clients_stay_served(relay_lab):
        rl = relay_lab()  # default limits: the point is that they hold as shipped
        idle = rl.run_client(*legit_args(rl.relay6, 6), rt=True)
        assert idle["fail"] == 0, idle
        flooder = rl.popen_client("--flood", "--relay", rl.relay6, "--net", FLOOD_NET, "--seconds", "9",
                                  "--inflight", "400", "--hold", "3")
        time.sleep(1.0)  # the flood is on and banned by now
        busy = rl.run_client(*legit_args(rl.relay6, 6), rt=True)
        fl = json.loads(flooder.communicate(timeout=30)[0].strip().splitlines()[-1])
        total = busy["ok"] + busy["fail"]
        print(f"idle p99 {p99(idle['lat']) * 1e3:.2f} ms, flood p99 {p99(busy['lat']) * 1e3:.2f} ms, "
              f"legit {busy['ok']}/{total}, flood {fl}")
        assert fl["attempts"] > 1000, fl  # it was a flood
        assert busy["ok"] >= 0.99 * total, busy
        # Within 2x of idle, with a 2 ms floor: at a sub-millisecond idle p99 (0.4-0.9 ms here) 2x is
        # a budget of ~0.5 ms, less than one turn of the relay closing the flood's ~100 admitted
        # connections together (measured 1.1-1.7 ms in 2 of 40 runs under stress-ng).
        limit = max(2 * p99(idle["lat"]), 0.002)
        assert p99(busy["lat"]) <= limit, (p99(idle["lat"]), p99(busy["lat"]))
        assert "2001:db8:f1ff:1::" in rl.ban6_64()
        for n in LEGIT_NETS:
            assert n not in rl.ban6_64()
        m = rl.metrics()
        assert 'reach_relay_limit_hits_total{prefix="2001:db8:f1ff:1::/64"}' in m
        assert "reach_relay_blackhole_ready 1" in m
        defence = [e for e in rl.events() if e.get("type") == "relay_defence"]
        assert defence and defence[0]["blackhole"] is True, defence
        assert any(e.get("type") == "relay_ban" and e["prefix"] == "2001:db8:f1ff:1::/64" for e in rl.events())

    def test_a_deleted_table_is_made_again_and_the_hosts_own_prefix_never_goes_to_the_kernel(relay_lab):
        """`reach guard --uninstall` or `nft flush ruleset` (a restart of nftables) deleted the table
        under a running relay: its next ban makes it again, with every earlier ban the deleted sets
        held (it used to come back with the new ban alone). A flood from a /64 that holds one of
        the relay host's own addresses is refused by the relay but never cut off in the kernel."""
        rl = relay_lab()
        earlier, later = FLOOD_NET, "2001:db8:f1fd:1::"
        for net in (earlier, later):
            if net == later:
                rl.relay.run(["nft", "delete", "table", "inet", "reach"])
            flooder = rl.popen_client("--flood", "--relay", rl.relay6, "--net", net, "--seconds", "3",
                                      "--inflight", "400", "--hold", "1")
            flooder.communicate(timeout=30)
            deadline = time.monotonic() + 5
            while net not in rl.ban6_64() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert net in rl.ban6_64(), rl.events()[-5:]
        assert earlier in rl.ban6_64(), rl.events()[-5:]
        back = [e for e in rl.events() if e.get("type") == "relay_ban_recovered"]
        assert back and back[-1]["restored"] >= 1 and "made again" in back[-1]["message"], back
        ban = next(e for e in rl.events() if e.get("type") == "relay_ban" and e["prefix"] == later + "/64")
        assert ban["message"].startswith(f"ban {later}/64 for ") and ban["message"].endswith("(kernel)"), ban
        assert "reach_relay_blackhole_ready 1" in rl.metrics()
        # The host's own address in the next /64, known from the next reload.
        own_net = "2001:db8:f1ff:2::"
        rl.relay.run(["ip", "-6", "addr", "add", own_net + "1/128", "dev", "lo"])
        rl.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while not any(e.get("type") == "relay_reload" for e in rl.events()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(e.get("type") == "relay_reload" and e.get("ok") for e in rl.events()), rl.events()[-5:]
        flooder = rl.popen_client("--flood", "--relay", rl.relay6, "--net", own_net, "--seconds", "3",
                                  "--inflight", "400", "--hold", "1")
        flooder.communicate(timeout=30)
        deadline = time.monotonic() + 5
        while not any(e.get("type") == "relay_ban" and e["prefix"] == own_net + "/64" for e in rl.events()) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(e.get("type") == "relay_ban" and e["prefix"] == own_net + "/64" for e in rl.events())
        time.sleep(0.5)  # two ticks: a batch would be in the kernel by now
        assert own_net not in rl.ban6_64()
        assert metric(rl.metrics(), 'reach_relay_bans_total{result="allow_listed"}') >= 1

    def maps_nftables(pid: int) -> bool:
        return "/libnftables.so" in open(f"/proc/{pid}/maps").read()

    def wait_until(cond, seconds: float, step: float = 0.05) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(step)
        return cond()

    def test_libnftables_is_mapped_only_around_ban_batches(relay_lab):
        """The relay sets its table up at start and unloads libnftables (with libnftnl, libmnl,
        libjansson, libgmp: ~1.4 MiB of RSS) until a ban batch; limits.nft_idle after the last
        batch it is gone again, and the next ban still lands (issue 14's idle memory)."""
        rl = relay_lab(limits="  limits:\n    nft_idle: 2s\n")
        pid = rl.proc.pid
        assert rl.relay.run(["nft", "list", "set", "inet", "reach", "ban6_64"]).returncode == 0  # set up
        assert not maps_nftables(pid)
        for round_ in range(2):
            net = FLOOD_NET if round_ == 0 else "2001:db8:f1fe:1::"
            flooder = rl.popen_client("--flood", "--relay", rl.relay6, "--net", net, "--seconds", "3",
                                      "--inflight", "400", "--hold", "1")
            # Seen mapped while the batch is (or was within nft_idle) under way.
            assert wait_until(lambda: maps_nftables(pid), 10), f"round {round_}: never loaded"
            flooder.communicate(timeout=30)
            assert wait_until(lambda: net in rl.ban6_64(), 5, 0.1), rl.events()[-5:]
            # Unloaded nft_idle (2 s) after the last batch, at the next 100 ms tick.
            assert wait_until(lambda: not maps_nftables(pid), 10), f"round {round_}: still mapped"
        assert "reach_relay_blackhole_ready 1" in rl.metrics()

    def test_established_first_when_the_connection_cap_is_reached(relay_lab):
        cap = 12
        rl = relay_lab(limits=f"  limits:\n    max_conns: {cap}\n    ban: off\n    blackhole: false\n",
                       backend_mode="stream")
        rd = rl.popen_client("--readers", "--relay", rl.relay6, "--count", str(cap), "--src-base",
                             "2001:db8:f1a0:1::", "--seconds", "8", "--window", "0.5", rt=True)
        assert rd.stdout.readline().strip() == "connected"
        time.sleep(3.0)  # baseline windows
        st = rl.run_client("--storm", "--relay", rl.relay6, "--src-base", "2001:db8:f1b0:1::", "--seconds", "3",
                           "--rate", "500")
        res = json.loads(rd.communicate(timeout=30)[0].strip().splitlines()[-1])
        windows = res["windows"]
        assert not any(res["closed"]), res["closed"]
        assert st["served"] == 0 and st["refused"] >= 20, st
        assert st["timeouts"] == 0, st  # refused at once (RST), not left hanging
        # Windows 1..5 (0.5-3 s) are before the storm, 7..11 during it (3.5-6 s). Each transfer is
        # paced at STREAM_RATE: full speed is 1 MB per half-second window.
        full = STREAM_RATE * 0.5
        before = [sum(w) / len(w) for w in windows[1:6]]
        during = [sum(w) / len(w) for w in windows[7:12]]
        print(f"established transfers: {statistics.mean(before) / full:.0%} of full speed before, "
              f"{statistics.mean(during) / full:.0%} during a storm of {st}")
        # Every transfer moves at (nearly) full speed in every window of the storm: none starved.
        for w in windows[7:12]:
            assert min(w) >= 0.5 * full, (w, full)
        assert statistics.mean(during) >= 0.9 * full, (during, full)
        assert 'reach_relay_admission_refused_total{reason="global_conns"}' in rl.metrics()

    def metric(text: str, name: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        return 0.0

    def test_silent_flood_over_many_prefixes_evicts_head_phase_connections(relay_lab):
        """40 /48s, each far under its per-prefix limits, hold silent connections that fill the
        global cap (a plain TCP relay: a connection waits for its first byte); legitimate clients
        from other prefixes evict the oldest silent one and stay served; the established ones
        are never cut."""
        cap = 100
        rl = relay_lab(limits=f"  limits:\n    max_conns: {cap}\n    ban: off\n    blackhole: false\n")
        kp = rl.popen_client("--keepers", "--relay", rl.relay6, "--count", "10", "--src-base",
                             "2001:db8:f1a0:1::", "--seconds", "12", "--interval", "0.1", rt=True)
        assert kp.stdout.readline().strip() == "connected"
        fl = rl.popen_client("--silent", "--relay", rl.relay6, "--seconds", "11", "--hold", "8",
                             "--rate", "20", *[a for n in SILENT_NETS for a in ("--src", n)])
        time.sleep(2.5)  # 320 silent connections wanted: the cap is reached
        full = metric(rl.metrics(), "reach_relay_connections_active")
        busy = rl.run_client(*legit_args(rl.relay6, 5), rt=True)
        m = rl.metrics()
        fls = json.loads(fl.communicate(timeout=30)[0].strip().splitlines()[-1])
        kps = json.loads(kp.communicate(timeout=30)[0].strip().splitlines()[-1])
        total = busy["ok"] + busy["fail"]
        evicted = metric(m, 'reach_relay_evictions_total{reason="global_conns"}')
        print(f"active at the flood {full:.0f}/{cap}, legit {busy['ok']}/{total} {busy['errors']}, "
              f"silent {fls}, keepers {kps}, evicted {evicted:.0f}")
        assert full >= cap - 2, full                      # the silent flood filled the cap
        assert busy["ok"] >= 0.99 * total and total > 500, busy
        assert fls["connected"] > 2 * cap and fls["cut"] > cap, fls
        assert not kps["failed"] and kps["ok"] > 500, kps  # established connections never cut
        assert evicted > cap, m
        assert metric(m, 'reach_relay_closed_total{reason="evicted"}') == evicted
        assert 'reach_relay_eviction_hits_total{prefix="2001:db8:f1c' in m
        assert "2001:db8:f1a0" not in "".join(l for l in m.splitlines() if "eviction_hits" in l)
        ev = [e for e in rl.events() if e.get("type") == "relay_evict"]
        assert ev and all(e["reason"] == "global_conns" for e in ev), ev[:3]
        assert {e["prefix"] for e in ev} <= {n + "/64" for n in SILENT_NETS} | {n + "/64" for n in LEGIT_NETS}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    mode = ap.add_mutually_exclusive_group(required=True)
    for m in ("--legit", "--flood", "--stream-server", "--readers", "--storm", "--silent", "--keepers"):
        mode.add_argument(m, action="store_true")
    ap.add_argument("--relay")
    ap.add_argument("--src", action="append", default=[])
    ap.add_argument("--src-base")
    ap.add_argument("--net")
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--interval", type=float, default=0.01)
    ap.add_argument("--inflight", type=int, default=200)
    ap.add_argument("--hold", type=float, default=2)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--window", type=float, default=0.5)
    ap.add_argument("--rate", type=float, default=500)
    ap.add_argument("--bytes-rate", type=float, default=2_000_000)
    a = ap.parse_args()
    if a.legit:
        sys.exit(legit(a))
    if a.flood:
        sys.exit(flood(a))
    if a.stream_server:
        sys.exit(stream_server(a))
    if a.readers:
        sys.exit(readers(a))
    if a.silent:
        sys.exit(silent(a))
    if a.keepers:
        sys.exit(keepers(a))
    sys.exit(storm(a))
