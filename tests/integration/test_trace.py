"""reach trace against real routers in network-namespace labs.

Every test builds its own topology from tests/lab/lab.py and checks reach's hops against the
known addresses, and where it helps against Debian's traceroute run on the same lab.
"""

import ipaddress
import os
import re
import shutil
import time
from pathlib import Path

import pytest

import lab as lablib
from watch_lab import read_lines

TIMEOUT = 60
METHODS = {"udp": [], "icmp": ["--icmp"], "tcp": ["--tcp"]}


def reach_trace(host, reach, *args, user=None, timeout=TIMEOUT):
    return host.run([str(reach), "trace", *[str(a) for a in args]], check=False, timeout=timeout, user=user)


def timed_trace(host, reach, *args):
    """reach trace as reach_trace runs it, and the seconds from its first output to its last (it
    writes hop by hop): what the trace took, without the process's start and exit."""
    return host.run_timed([str(reach), "trace", *[str(a) for a in args]], timeout=TIMEOUT)


def events(stdout):
    return lablib.parse_ndjson(stdout)


def of_type(evs, kind):
    return [e for e in evs if e["type"] == kind]


HOP = re.compile(r"^\s*(\d+)\s+(.*)$")


def text_hops(stdout):
    """{ttl: [addresses in order]} from traceroute-style -n output (continuation lines included)."""
    hops, ttl = {}, None
    for line in stdout.splitlines()[1:]:
        m = HOP.match(line)
        rest = line
        if m and not line.startswith("    "):
            ttl, rest = int(m.group(1)), m.group(2)
            hops[ttl] = []
        for tok in rest.split():
            try:
                ipaddress.ip_address(tok)
            except ValueError:
                continue
            if tok not in hops[ttl]:
                hops[ttl].append(tok)
    return hops


def path_of(evs):
    """One address per hop (None for all stars) from the final path event."""
    path = of_type(evs, "path")
    assert len(path) == 1
    out = []
    for h in path[0]["hops"]:
        addrs = [r["addr"] for r in h["responders"]]
        assert len(addrs) <= 1, h
        out.append(addrs[0] if addrs else None)
    return path[0], out


def silence(router):
    """The router forwards but never sends time-exceeded (its ICMP output dropped)."""
    router.nft("""
table inet silent {
  chain output {
    type filter hook output priority 0; policy accept;
    icmp type time-exceeded drop
    icmpv6 type time-exceeded drop
  }
}
""")


# --------------------------------------------------------------------------- the 8-router chain


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_eight_router_chain_every_method(lab, reach, v6):
    chain = lab.chain(routers=8)
    hops = chain.hops6 if v6 else chain.hops4
    server = chain.server6 if v6 else chain.server4
    for name, flags in METHODS.items():
        r = reach_trace(chain.client, reach, *flags, "-n", "--json", server)
        assert r.returncode == 0, (name, r.stdout, r.stderr)
        evs = events(r.stdout)
        start = of_type(evs, "start")[0]
        assert start["method"] == name and start["paris"] is True and start["socket"] == "raw"
        path, addrs = path_of(evs)
        assert addrs == hops, (name, addrs)  # 8 routers then the server (hops[-1] is the server)
        assert addrs[-1] == server and path["reached"] and path["final_ttl"] == 9
        assert path["ignored"] == 0 and path["wrong_flow"] == 0
        probes = [e for e in of_type(evs, "probe") if e["answer"] != "timeout"]
        assert len(probes) >= 27
        assert all(p["tx_timestamp"] == "kernel" and p["rx_timestamp"] == "kernel" for p in probes)
        # the hop events stream in order, one per hop
        assert [h["ttl"] for h in of_type(evs, "hop")] == list(range(1, 10))
        # text output: the same addresses, three RTTs each
        t = reach_trace(chain.client, reach, *flags, "-n", server)
        assert t.returncode == 0, t.stderr
        assert t.stdout.startswith(f"traceroute to {server} ({server}), 30 hops max")
        got = text_hops(t.stdout)
        assert [got[i] for i in range(1, 10)] == [[a] for a in hops], t.stdout
        assert all(line.count(" ms") == 3 for line in t.stdout.splitlines()[1:]), t.stdout


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
@pytest.mark.parametrize("flag", ["", "-I", "-T"], ids=["udp", "icmp", "tcp"])
def test_traceroute_witness_sees_the_same_hops(lab, reach, flag, v6):
    if not shutil.which("traceroute"):
        pytest.skip("traceroute not installed")
    chain = lab.chain(routers=8)
    extra = [flag] if flag else []
    server = chain.server6 if v6 else chain.server4
    w = chain.client.run(["traceroute", "-n", *extra, server], check=False, timeout=TIMEOUT)
    assert w.returncode == 0, w.stderr
    r = reach_trace(chain.client, reach, *extra, "-n", server)
    assert r.returncode == 0, r.stderr
    assert text_hops(r.stdout) == text_hops(w.stdout), (r.stdout, w.stdout)


# --------------------------------------------------------------------------- a silent router


@pytest.mark.parametrize("method", ["udp", "icmp", "tcp"])
def test_silent_router_is_stars_and_does_not_hold_the_trace(lab, reach, method):
    chain = lab.chain(routers=8)
    silence(chain.routers[3])  # hop 4
    r, elapsed = timed_trace(chain.client, reach, *METHODS[method], "-n", "--json", chain.server4)
    assert r.returncode == 0, r.stderr
    path, addrs = path_of(events(r.stdout))
    expected = list(chain.hops4)
    expected[3] = None
    assert addrs == expected
    # The default wait is 5 s per probe: waiting for hop 4 hop by hop would take 5 s or more.
    # Hop 5 answering tells reach that hop 4's probes are lost after NEAR x its RTT.
    assert elapsed < 2.5, elapsed
    assert path["elapsed_ms"] < 1000, path
    t = reach_trace(chain.client, reach, *METHODS[method], "-n", chain.server4)
    assert re.search(r"^ 4  \* \* \*$", t.stdout, re.M), t.stdout


# --------------------------------------------------------------------------- the firewalled server


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_firewalled_server_reached_only_by_tcp_80(lab, reach, v6):
    fw = lab.firewalled_server(routers=2)
    fw.server.nft("""
table inet trace_fw {
  chain input { type filter hook input priority -10; policy accept; meta l4proto udp drop; }
}
""")
    server = fw.server6 if v6 else fw.server4
    udp = reach_trace(fw.client, reach, "-n", "-m", 6, "-w", 0.5, "--json", server)
    assert udp.returncode == 1, udp.stdout + udp.stderr
    path, addrs = path_of(events(udp.stdout))
    assert not path["reached"] and addrs[2:] == [None] * 4 and len(addrs) == 6
    icmp = reach_trace(fw.client, reach, "--icmp", "-n", "-m", 6, "-w", 0.5, server)
    assert icmp.returncode == 1
    tcp = reach_trace(fw.client, reach, "--tcp", "-p", 80, "-n", "--json", server)
    assert tcp.returncode == 0, tcp.stdout + tcp.stderr
    path, addrs = path_of(events(tcp.stdout))
    assert path["reached"] and addrs[-1] == server and len(addrs) == 3
    last = [p for p in of_type(events(tcp.stdout), "probe") if p.get("at_target")]
    # The first SYN to reach the open port gets its SYN-ACK; the flow's later SYNs arrive while
    # that half-open connection is pending and draw a RST (or a challenge ACK): answers too.
    assert last and last[0]["flags"] == "SA" and all(p["flags"] in ("SA", "RA", "A") for p in last)


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_tcp_trace_to_an_open_port_times_every_probe_of_the_target(lab, reach, v6):
    # All probes of a Paris TCP trace share one four-tuple. main printed the target's hop as
    # `10.057 ms * *`: its later SYNs got a challenge ACK, or nothing (rate limit). Every
    # probe the target answered must show an RTT in text, JSON and --report.
    ch = lab.chain(routers=2, delay_ms=5)
    ch.server.listen(tcp=[80])
    server = ch.server6 if v6 else ch.server4
    text = reach_trace(ch.client, reach, "--tcp", "-p", 80, "-n", server)
    assert text.returncode == 0, text.stdout + text.stderr
    last = text.stdout.splitlines()[-1]
    assert last.split()[1] == server and "*" not in last and last.count(" ms") == 3, text.stdout
    js = reach_trace(ch.client, reach, "--tcp", "-p", 80, "-n", "--json", server)
    evs = events(js.stdout)
    at = [p for p in of_type(evs, "probe") if p.get("at_target") and p["ttl"] == 3]
    assert len(at) == 3 and all(9 < p["rtt_ms"] < 15 for p in at), at
    path = of_type(evs, "path")[0]
    assert path["reached"] and path["final_ttl"] == 3
    # Paris: the hops before the target answered every probe of the one flow.
    assert all(len(h["responders"]) == 1 and len(h["responders"][0]["rtts_ms"]) == 3 for h in path["hops"]), path
    rep = reach_trace(ch.client, reach, "--tcp", "-p", 80, "-n", "--report", "-c", 3, "--interval", 0.1,
                      "-q", 3, "--json", server)
    rows = of_type(events(rep.stdout), "report_hop")
    assert rows and rows[-1]["from"] == server, rep.stdout
    assert all(r["loss_pct"] == 0 for r in rows), rows


def test_admin_prohibited_router_shows_X_and_ends(lab, reach):
    pr = lab.prohibited()
    r = reach_trace(pr.client, reach, "-n", pr.server4)
    assert r.returncode == 1, r.stdout
    lines = r.stdout.splitlines()
    # Hop 1: the router's time exceeded; hop 2: the router's forward chain rejects, and the trace ends.
    assert len(lines) == 3, r.stdout
    assert lines[1].startswith(f" 1  {pr.prohibited_from4}  ") and "!" not in lines[1], r.stdout
    assert lines[2].startswith(f" 2  {pr.prohibited_from4}  ") and lines[2].count("!X") == 3, r.stdout


# --------------------------------------------------------------------------- ECMP diamond


def diamond(lab):
    """client - r1 =(ra | rb)= r3 - server, r1 hashing flows on ports (policy 1)."""
    c, r1, ra, rb, r3, s = (lab.host(n) for n in ("client", "r1", "ra", "rb", "r3", "server"))
    lab.link(c, r1)
    la, lb = lab.link(r1, ra), lab.link(r1, rb)
    lab.link(ra, r3)
    lab.link(rb, r3)
    ls = lab.link(r3, s)
    lab.route_all()
    r1.sysctls({"net.ipv4.fib_multipath_hash_policy": "1", "net.ipv6.fib_multipath_hash_policy": "1"})
    r1.ip("route", "replace", str(ls.net4), "nexthop", "via", la.addr4(ra), "nexthop", "via", lb.addr4(rb))
    r1.ip("-6", "route", "replace", str(ls.net6), "nexthop", "via", la.addr6(ra), "nexthop", "via", lb.addr6(rb))
    return c, s, ls, {la.addr4(ra), lb.addr4(rb)}, {la.addr6(ra), lb.addr6(rb)}


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
@pytest.mark.parametrize("method", ["udp", "tcp"])
def test_ecmp_flow_stable_one_path_classic_both(lab, reach, method, v6):
    c, s, ls, branches4, branches6 = diamond(lab)
    server = ls.addr6(s) if v6 else ls.addr4(s)
    branches = branches6 if v6 else branches4
    # Flow-stable: ten probes per hop all take one branch, in every run (a new source port each).
    seen = set()
    for _ in range(3):
        r = reach_trace(c, reach, *METHODS[method], "-n", "-q", 10, "--json", server)
        assert r.returncode == 0, r.stderr
        path = of_type(events(r.stdout), "path")[0]
        hop2 = [x["addr"] for x in path["hops"][1]["responders"]]
        assert len(hop2) == 1 and hop2[0] in branches, path
        seen.add(hop2[0])
        assert path["hops"][-1]["responders"][0]["addr"] == server
    # Classic: the port changes per probe, so the hashing router spreads them over both branches.
    both = False
    for _ in range(4):
        r = reach_trace(c, reach, *METHODS[method], "--classic", "-n", "-q", 10, "--json", server)
        assert r.returncode == 0, r.stderr
        path = of_type(events(r.stdout), "path")[0]
        hop2 = {x["addr"] for x in path["hops"][1]["responders"]}
        assert hop2 <= branches
        if hop2 == branches:
            both = True
            t = reach_trace(c, reach, *METHODS[method], "--classic", "-n", "-q", 10, server)
            break
    assert both, "--classic never showed both branches in 4 runs of 10 probes"
    # Several responders of one hop: each on its own line under the hop.
    hops = text_hops(t.stdout)
    if len(hops[2]) == 2:
        assert re.search(r"^ 2  \S+ .*\n {3} \S+ ", t.stdout, re.M), t.stdout


# --------------------------------------------------------------------------- report over a lossy link


def test_report_loss_matches_what_the_link_dropped(lab, reach):
    chain = lab.chain(routers=3, loss_ab_pct=20, loss_ba_pct=0, seed=11)
    r = reach_trace(chain.client, reach, "--report", "-c", 5, "--interval", 0.2, "-m", 4, "-n", "--json",
                    chain.server4)
    dropped = chain.emulated.stop_emulator()
    evs = events(r.stdout)
    rows = of_type(evs, "report_hop")
    assert [x["ttl"] for x in rows] == [1, 2, 3, 4], rows
    lost = 0
    for x in rows:
        assert x["sent"] == 5
        assert x["loss_pct"] == pytest.approx(100.0 * (x["sent"] - x["hop_received"]) / x["sent"])
        if x["from"] is not None:
            assert x["from"] == chain.hops4[x["ttl"] - 1]
            assert x["received"] == x["hop_received"]
        lost += x["sent"] - x["hop_received"]
    # Every probe crosses the lossy link once (client -> r1); nothing else does in that direction.
    assert lost == dropped["ab"]["dropped_loss"] and lost > 0, (rows, dropped)
    reached = of_type(evs, "report_end")[0]["reached"]
    assert reached == (rows[-1]["hop_received"] > 0) and r.returncode == (0 if reached else 1)


def test_report_text_has_mtr_columns(lab, reach):
    chain = lab.chain(routers=2)
    r = reach_trace(chain.client, reach, "--report", "-c", 3, "--interval", 0.1, "-n", chain.server4)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert re.match(r"^HOST: \S+\s+Loss%\s+Snt\s+Last\s+Avg\s+Best\s+Wrst\s+StDev$", lines[0]), lines[0]
    assert len(lines) == 4
    for i, line in enumerate(lines[1:], 1):
        m = re.match(r"^\s*(\d+)\.\|-- (\S+)\s+([\d.]+)%\s+(\d+)(\s+[\d.]+){5}$", line)
        assert m, line
        assert int(m.group(1)) == i and m.group(2) == chain.hops4[i - 1]
        assert float(m.group(3)) == 0.0 and int(m.group(4)) == 3


# --------------------------------------------------------------------------- bad input, privileges


@pytest.mark.parametrize("args,words", [
    (["-m", 0, "198.18.0.1"], "max hops"),
    (["-m", 256, "198.18.0.1"], "max hops"),
    (["-f", 10, "-m", 5, "198.18.0.1"], "first hop"),
    (["-q", 0, "198.18.0.1"], "probes per hop"),
    (["-w", "abc", "198.18.0.1"], "wait"),
    (["no-such-host.invalid"], "cannot resolve"),
    (["--udp", "--tcp", "198.18.0.1"], "choose one"),
])
def test_bad_input_one_line_exit_2(lab, reach, args, words):
    pair = lab.pair()
    r = reach_trace(pair.client, reach, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and words in r.stderr, r.stderr
    assert r.stdout == ""


def every_probe_answered(evs, hops, stderr):
    """Each of the 3 probes of every hop up to the target got its answer: the unprivileged UDP
    socket used to lose probe 2 to `sendto: Connection refused` (probe 1's pending error)."""
    probes = [p for p in of_type(evs, "probe") if p["ttl"] <= hops]
    for ttl in range(1, hops + 1):
        mine = [p for p in probes if p["ttl"] == ttl]
        assert len(mine) == 3 and all(p["answer"] != "none" and not p.get("send_error") for p in mine), mine
    assert all(h["timeouts"] == 0 for h in of_type(evs, "hop") if h["ttl"] <= hops)
    assert "sendto" not in stderr and "refused" not in stderr, stderr


def test_unprivileged_fallbacks(lab, reach, tmp_path):
    chain = lab.chain(routers=2)
    d = tmp_path / "bin"
    d.mkdir()
    binary = d / "reach"
    shutil.copy2(reach, binary)
    for p in (tmp_path, d, binary):
        p.chmod(0o755)
    chain.client.sysctl("net.ipv4.ping_group_range", "0 2147483647")
    for flags, kind in (([], "udp"), (["--icmp"], "datagram")):
        r = reach_trace(chain.client, binary, *flags, "-n", "--json", chain.server4, user="nobody")
        assert r.returncode == 0, r.stdout + r.stderr
        evs = events(r.stdout)
        assert of_type(evs, "start")[0]["socket"] == kind
        assert any("CAP_NET_RAW" in e["message"] for e in of_type(evs, "notice"))
        assert path_of(evs)[1] == chain.hops4
        every_probe_answered(evs, len(chain.hops4), r.stderr)
        r6 = reach_trace(chain.client, binary, *flags, "-n", "--json", chain.server6, user="nobody")
        assert r6.returncode == 0, r6.stdout + r6.stderr
        assert path_of(events(r6.stdout))[1] == chain.hops6
        every_probe_answered(events(r6.stdout), len(chain.hops6), r6.stderr)
    r = reach_trace(chain.client, binary, "--tcp", "-n", chain.server4, user="nobody")
    assert r.returncode == 2 and "CAP_NET_RAW" in r.stderr


def test_capabilities_dropped_before_the_first_probe(lab, reach):
    chain = lab.chain(routers=1)
    silence(chain.routers[0])  # hop 1 never answers: its probes wait the whole 3 s
    proc = chain.client.popen([str(reach), "trace", "-n", "-w", "3", "-m", "1", chain.server4])
    try:
        caps = None
        for _ in range(50):
            for pid in chain.client.pids():
                try:
                    exe = Path(f"/proc/{pid}/exe").resolve().name
                except OSError:
                    continue
                if exe == "reach":
                    status = Path(f"/proc/{pid}/status").read_text()
                    caps = {l.split(":")[0]: l.split()[1] for l in status.splitlines() if l.startswith("Cap")}
            if caps and caps.get("CapEff") == "0000000000000000":
                break
            time.sleep(0.05)
        assert caps and caps["CapEff"] == caps["CapPrm"] == "0000000000000000", caps
    finally:
        lab.stop(proc)


# --------------------------------------------------------------------------- reverse DNS


def test_names_from_the_namespace_hosts_file_never_hold_the_trace(lab, reach):
    """`ip netns exec` bind-mounts /etc/netns/<ns>/{hosts,resolv.conf}: names for two routers
    come from a hosts file, and the resolver points at the namespace's own loopback (nothing
    listens there), so the other lookups fail at once and nothing leaves the lab."""
    chain = lab.chain(routers=3)
    etc = Path("/etc/netns") / chain.client.ns
    etc.mkdir(parents=True, exist_ok=False)
    try:
        (etc / "hosts").write_text(f"{chain.hops4[0]} r1.lab\n{chain.hops4[2]} r3.lab\n")
        (etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        r, elapsed = timed_trace(chain.client, reach, chain.server4)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[1].startswith(f" 1  r1.lab ({chain.hops4[0]})  "), r.stdout
        assert lines[2].startswith(f" 2  {chain.hops4[1]} ({chain.hops4[1]})  "), r.stdout
        assert lines[3].startswith(f" 3  r3.lab ({chain.hops4[2]})  "), r.stdout
        assert elapsed < 2.0, elapsed
        j = reach_trace(chain.client, reach, "--json", chain.server4)
        hops = {h["ttl"]: h for h in of_type(events(j.stdout), "hop")}
        assert hops[1]["responders"][0]["name"] == "r1.lab"
        assert "name" not in hops[2]["responders"][0]
        # A resolver that never answers (the server drops DNS): lookups hang in c-ares, the trace
        # does not: hop lines wait at most 250 ms for names, the end at most 100 ms more.
        chain.server.nft("table inet dns { chain input { type filter hook input priority 0; udp dport 53 drop; }; }")
        (etc / "resolv.conf").write_text(f"nameserver {chain.server4}\n")
        r, elapsed = timed_trace(chain.client, reach, chain.server4)
        assert r.returncode == 0 and r.stdout.splitlines()[1].startswith(" 1  r1.lab ("), r.stdout
        assert f" 2  {chain.hops4[1]} ({chain.hops4[1]})" in r.stdout
        assert elapsed < 1.5, elapsed
    finally:
        shutil.rmtree(etc, ignore_errors=True)


# --------------------------------------------------------------------------- --live


def _live(host, argv, keys=None, timeout=60.0):
    """Runs argv in the namespace on a pseudo-terminal; sends `keys` once the first table is
    drawn. Returns (exit code, everything written to the terminal, seconds from the keys to the
    exit or None): the process's start is not timed (seconds for the ASan build under load)."""
    import os
    import pty
    import select
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    out, sent, deadline = b"", None, time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if keys and not sent and b"round 1" in out:
                os.write(fd, keys)
                sent = time.monotonic()
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError(f"--live did not end within {timeout}s: {out[-500:]!r}")
        if not done:
            _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace"), sent and time.monotonic() - sent


def test_live_screen_refreshes_and_quits_on_q(lab, reach):
    chain = lab.chain(routers=2)
    code, out, _ = _live(chain.client, chain.client.wrap([reach, "trace", "--live", "-c", 3, "--interval", 0.1, "-n",
                                                       chain.server4]))
    assert code == 0, out
    assert "\x1b[?1049h" in out and "\x1b[?1049l" in out, "alternate screen entered and left"
    assert "round 3" in out and "round 4" not in out
    final = out.split("\x1b[?1049l")[-1]
    assert re.search(rf"^\s+3\.\|-- {re.escape(chain.server4)}\s+0\.0%\s+3\s", final, re.M), final
    # Without -c it runs until q.
    code, out, quit_s = _live(chain.client, chain.client.wrap([reach, "trace", "--live", "--interval", 0.1, "-n",
                                                               chain.server4]), keys=b"q")
    assert code == 0 and quit_s < 5, (quit_s, out)
    assert "\x1b[?1049l" in out and "HOST:" in out.split("\x1b[?1049l")[-1]
    # Not a terminal: says so and prints the report.
    r = reach_trace(chain.client, reach, "--live", "-c", 2, "--interval", 0.1, "-n", chain.server4)
    assert r.returncode == 0 and "terminal" in r.stderr and r.stdout.startswith("HOST:"), r.stdout + r.stderr


# --------------------------------------------------------------------------- forged answers


def test_forged_wrong_flow_and_storms_are_counted_never_shown(lab, reach):
    # 200 ms on the last link keeps the trace open while an on-path router forges answers (a
    # Python forger on a machine busy with sanitizer builds needs tens of ms per probe).
    chain = lab.chain(routers=3, delay_ms=100, delay_link=3)
    r1 = chain.routers[0]
    spoofer = r1.popen([lablib.python_bin(), str(Path(__file__).with_name("trace_spoofer.py")),
                        r1.iface_to(chain.client), "6"])
    try:
        assert spoofer.stdout.readline().strip() == "ready"  # said once the capture is open
        r = reach_trace(chain.client, reach, "-n", "--json", "-q", 2, chain.server4)
    finally:
        lab.stop(spoofer)
    assert r.returncode == 0, r.stderr
    path, addrs = path_of(events(r.stdout))
    assert addrs == chain.hops4
    # Six probes each drew one forgery of each kind (those forged after the end are not seen).
    assert path["wrong_flow"] >= 1, path
    assert path["ignored"] >= 2, path
    assert path["duplicates"] >= 3, path


def test_interface_and_source_address(lab, reach):
    chain = lab.chain(routers=1)
    dev = chain.client.iface_to(chain.routers[0])
    for sel in (dev, chain.client4):
        for flags in ([], ["--icmp"], ["--tcp"]):
            r = reach_trace(chain.client, reach, "-n", "-i", sel, *flags, "--json", chain.server4)
            assert r.returncode == 0, (sel, flags, r.stderr)
            assert of_type(events(r.stdout), "start")[0]["source"] == chain.client4
    bad = reach_trace(chain.client, reach, "-n", "-i", "198.18.99.1", chain.server4)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "198.18.99.1" in bad.stderr, bad.stderr
    bad = reach_trace(chain.client, reach, "-n", "-i", "nosuchdev0", chain.server4)
    assert bad.returncode == 2 and "nosuchdev0" in bad.stderr, bad.stderr
    mixed = reach_trace(chain.client, reach, "-n", "-i", chain.client4, chain.server6)
    assert mixed.returncode == 2 and "different families" in mixed.stderr, mixed.stderr


def test_ctrl_c_prints_what_is_known_and_exits_130(lab, reach):
    import signal
    chain = lab.chain(routers=2)
    chain.server.nft("table inet x { chain input { type filter hook input priority 0; meta l4proto udp drop; }; }")
    proc = chain.client.popen([str(reach), "trace", "-n", "-m", "8", chain.server4])
    try:
        pids = chain.client.pids_catching(signal.SIGINT)
        # Hops 1-2 answered (their lines are out: the header and two hops); 3-8 wait their 5 s.
        first = read_lines(proc.stdout, 3, 30)
        assert len(first) == 3 and first[2].startswith(" 2  "), first
        for pid in pids:
            os.kill(pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        out = "\n".join(first) + "\n" + out
    finally:
        lab.stop(proc)
    assert proc.returncode == 130, err  # interrupted, as shells and nmap scripts expect
    lines = out.splitlines()
    assert len(lines) == 9 and lines[1].startswith(f" 1  {chain.hops4[0]}  ") and lines[8] == " 8  * * *", out


# --------------------------------------------------------------------------- --mda


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
@pytest.mark.parametrize("method", ["udp", "tcp"])
def test_mda_finds_both_branches_and_where_they_merge(lab, reach, method, v6):
    c, s, ls, branches4, branches6 = diamond(lab)
    server = ls.addr6(s) if v6 else ls.addr4(s)
    branches = branches6 if v6 else branches4
    # alpha 1e-6: the chance that every flow of the diverging hop hashes to one branch is ~2^-20
    # a run (at 0.001 it was ~2^-10: with two runs in each of four cases, CI saw it; at the
    # default 0.05 it is ~3%).
    r = reach_trace(c, reach, *METHODS[method], "--mda", "--alpha", 1e-6, "-n", "--json", server)
    assert r.returncode == 0, r.stdout + r.stderr
    evs = events(r.stdout)
    hops = {h["ttl"]: {i["addr"] for i in h["interfaces"]} for h in of_type(evs, "mda_hop")}
    assert hops[2] == branches, hops
    assert len(hops[1]) == 1 and hops[4] == {server}, hops
    # r3 answers from one address over IPv4 (the way back), from the interface each branch
    # reached over IPv6 (Linux picks the ingress address there): one or two interfaces.
    assert 1 <= len(hops[3]) <= 2, hops
    (r1,) = hops[1]
    links = {(l["from"], l["to"]) for l in of_type(evs, "mda_link")}
    # r1 fans out to both branches, each leads to r3, and everything merges at the server.
    assert {(r1, b) for b in branches} <= links, links
    assert all(any((b, x) in links for x in hops[3]) for b in branches), links
    assert {(x, server) for x in hops[3]} <= links, links
    summary = of_type(evs, "mda_summary")[0]
    # MDA-Lite sent 60-77 probes here; the bound keeps that from growing unnoticed.
    assert summary["stop"] == "destination" and summary["probes"] <= 100, summary
    # Text: the diverging hop lists both interfaces, each with its successor.
    t = reach_trace(c, reach, *METHODS[method], "--mda", "--alpha", 1e-6, "-n", server)
    assert t.returncode == 0, t.stderr
    for b in branches:
        assert re.search(rf"^ +(2 +)?{re.escape(b)} +-> ", t.stdout, re.M), t.stdout


def test_mda_bad_options(lab, reach):
    pair = lab.pair()
    for args, words in ((["--mda", "--alpha", "1.5"], "--alpha"), (["--mda", "--report"], "--mda"),
                        (["--mda", "--max-probes", "0"], "--max-probes")):
        r = reach_trace(pair.client, reach, *args, pair.server4)
        assert r.returncode == 2 and words in r.stderr and r.stderr.count("\n") == 1, r.stderr
