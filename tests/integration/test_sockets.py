"""reach sockets against the kernel and its witnesses (ss, netstat) in network-namespace labs.

Each test builds a lab pair (client <-> server), opens known listeners and connections there
(TCP and UDP, IPv4 and IPv6) from helper processes with known pids, and checks what
`reach sockets` lists: against the known scene, and against `ss -tuanp` / `netstat -tanpW` run
at the same moment in the same namespace. Needs root (skips otherwise).
"""

import collections
import ipaddress
import json
import re
import subprocess
import time

import pytest

import lab as lablib

TIMEOUT = 30

# Listeners on the server (bound to its lab addresses), connections from the client; nobody
# reads, so the server's IPv4 connection holds 3000 unread bytes and the client's IPv6
# connection a full send queue.
SERVER = r"""
import json, os, select, socket, sys, time
a4, a6 = sys.argv[1], sys.argv[2]
def tcp(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, port)); s.listen(16); return s
def udp(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, port)); return s
keep = [tcp(socket.AF_INET, a4, 8080), tcp(socket.AF_INET6, a6, 8081),
        udp(socket.AF_INET, a4, 5353), udp(socket.AF_INET6, a6, 5354)]
print(json.dumps({"pid": os.getpid()}), flush=True)
print("listening", flush=True)
conns, deadline = [], time.monotonic() + 60
while len(conns) < 2 and time.monotonic() < deadline:
    r, _, _ = select.select(keep[:2], [], [], 1)
    for s in r:
        conns.append(s.accept()[0])
print("accepted", flush=True)
time.sleep(120)
"""

CLIENT = r"""
import json, os, socket, sys, time
s4, s6 = sys.argv[1], sys.argv[2]
c4 = socket.create_connection((s4, 8080), timeout=10)
c6 = socket.create_connection((s6, 8081), timeout=10)
c4.sendall(b"x" * 3000)
c6.setblocking(False)
sent = 0
for _ in range(100000):
    try:
        sent += c6.send(b"y" * 65536)
    except BlockingIOError:
        break
u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u4.connect((s4, 5353))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); u6.connect((s6, 5354))
print(json.dumps({"pid": os.getpid(), "c4": c4.getsockname()[1], "c6": c6.getsockname()[1],
                  "u4": u4.getsockname()[1], "u6": u6.getsockname()[1], "sent6": sent}), flush=True)
print("ready", flush=True)
time.sleep(120)
"""

SS_STATES = {"ESTAB": "ESTABLISHED", "UNCONN": "CLOSE", "LISTEN": "LISTEN", "TIME-WAIT": "TIME_WAIT",
             "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV", "FIN-WAIT-1": "FIN_WAIT1",
             "FIN-WAIT-2": "FIN_WAIT2", "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK",
             "CLOSING": "CLOSING"}


def norm_addr(addr):
    addr = addr.strip("[]").split("%")[0]
    if addr == "*":
        return "*"
    a = ipaddress.ip_address(addr)
    return "*" if a.is_unspecified else str(a)


def split_ep(text):
    addr, port = text.rsplit(":", 1)
    return norm_addr(addr), 0 if port == "*" else int(port)


def ss_rows(host, args="-tuanpH"):
    out = host.run(["ss", args], timeout=TIMEOUT).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 6:
            continue
        la, lp = split_ep(f[4])
        pa, pp = split_ep(f[5])
        pids = frozenset(int(p) for p in re.findall(r"pid=(\d+)", " ".join(f[6:])))
        rows.append(dict(proto=f[0], state=SS_STATES[f[1]], recv_q=int(f[2]), send_q=int(f[3]),
                         local=(la, lp), peer=(pa, pp), pids=pids))
    return rows


def reach_json(host, reach, *args, user=None, check_rc=True):
    r = host.run([str(reach), "sockets", *[str(a) for a in args], "--json"], check=False,
                 timeout=TIMEOUT, user=user)
    if check_rc:
        assert r.returncode == 0, r.stderr
    return parse_json(r.stdout), r


def parse_json(stdout):
    return lablib.parse_ndjson(stdout)


def sockets_of(objs):
    out = []
    for o in objs:
        if o["type"] != "socket":
            continue
        o = dict(o)
        o["local"] = (norm_addr(o["local_addr"]), o["local_port"])
        o["peer"] = (norm_addr(o["peer_addr"]), o["peer_port"])
        o["pids"] = frozenset(p["pid"] for p in o["processes"])
        out.append(o)
    return out


def key(r):
    return (r["proto"], r["local"], r["peer"], r["state"], r["pids"])


def scene(lab):
    """Builds the pair, starts the helpers; returns (pair, server_info, client_info)."""
    pair = lab.pair()
    srv = pair.server.popen([lablib.python_bin(), "-c", SERVER, pair.server4, pair.server6],
                            text=False, bufsize=0)
    sinfo = json.loads(lablib._wait_for_line(srv, b"listening", 20).splitlines()[0])
    cli = pair.client.popen([lablib.python_bin(), "-c", CLIENT, pair.server4, pair.server6],
                            text=False, bufsize=0)
    cdata = lablib._wait_for_line(cli, b"ready", 20)
    lablib._wait_for_line(srv, b"accepted", 20)
    cinfo = json.loads(cdata.splitlines()[0])
    assert sinfo["pid"] == srv.pid and cinfo["pid"] == cli.pid
    # The client's full send queue drains into the server's receive queue for a moment after
    # the helper blocks: wait (bounded) until the queue figures stop moving.
    last = None
    for _ in range(50):
        now = [(r["local"], r["peer"], r["recv_q"], r["send_q"])
               for h in (pair.server, pair.client) for r in ss_rows(h)]
        if now == last:
            break
        last = now
        time.sleep(0.1)
    return pair, sinfo, cinfo


def find(rows, **want):
    return [r for r in rows if all(r.get(k) == v for k, v in want.items())]


# --------------------------------------------------------------------------- the known scene


def test_lists_known_listeners_and_connections_with_owners(lab, reach):
    pair, s, c = scene(lab)
    objs, _ = reach_json(pair.server, reach, "-tuanp")
    rows = sockets_of(objs)
    spid = frozenset([s["pid"]])
    s4, s6, c4, c6 = pair.server4, pair.server6, pair.client4, pair.client6
    expect = [
        ("tcp", (s4, 8080), ("*", 0), "LISTEN", "ipv4"),
        ("tcp", (s6, 8081), ("*", 0), "LISTEN", "ipv6"),
        ("udp", (s4, 5353), ("*", 0), "CLOSE", "ipv4"),
        ("udp", (s6, 5354), ("*", 0), "CLOSE", "ipv6"),
        ("tcp", (s4, 8080), (c4, c["c4"]), "ESTABLISHED", "ipv4"),
        ("tcp", (s6, 8081), (c6, c["c6"]), "ESTABLISHED", "ipv6"),
    ]
    for proto, local, peer, state, family in expect:
        got = find(rows, proto=proto, local=local, peer=peer, state=state)
        assert len(got) == 1, (proto, local, peer, state, rows)
        assert got[0]["family"] == family
        assert got[0]["pids"] == spid, got[0]
        assert all(p["program"] == "python3" for p in got[0]["processes"])
        assert got[0]["listening"] == (state in ("LISTEN", "CLOSE"))
    # The client side: two TCP connections and two connected UDP sockets, owned by the client.
    objs, _ = reach_json(pair.client, reach, "-tunp")
    rows = sockets_of(objs)
    cpid = frozenset([c["pid"]])
    for proto, local, peer in [("tcp", (c4, c["c4"]), (s4, 8080)), ("tcp", (c6, c["c6"]), (s6, 8081)),
                               ("udp", (c4, c["u4"]), (s4, 5353)), ("udp", (c6, c["u6"]), (s6, 5354))]:
        got = find(rows, proto=proto, local=local, peer=peer, state="ESTABLISHED")
        assert len(got) == 1 and got[0]["pids"] == cpid, (proto, local, rows)
    assert not [r for r in rows if r["listening"]], "without -a/-l: no listeners, as netstat"


def test_same_rows_as_ss(lab, reach):
    pair, _, _ = scene(lab)
    for host in (pair.server, pair.client):
        mine = collections.Counter(key(r) for r in sockets_of(reach_json(host, reach, "-tuanp")[0]))
        theirs = collections.Counter(key(r) for r in ss_rows(host))
        assert mine == theirs, f"{host.name}: only reach {mine - theirs}, only ss {theirs - mine}"
        assert sum(mine.values()) >= 4  # 6 on the server (listeners too), 4 on the client


def test_queues_match_ss_when_nobody_reads(lab, reach):
    pair, s, c = scene(lab)
    # The server's IPv4 connection holds the client's 3000 unread bytes; the client's IPv6
    # connection has a full send queue (scene() waited until the figures settled).
    for host in (pair.server, pair.client):
        for _ in range(3):  # a value may still move between the two reads; retry a little
            mine = {key(r): (r["recv_q"], r["send_q"])
                    for r in sockets_of(reach_json(host, reach, "-tuanp")[0])}
            theirs = {key(r): (r["recv_q"], r["send_q"]) for r in ss_rows(host)}
            if mine == theirs:
                break
        assert mine == theirs
    srv = {key(r): r for r in sockets_of(reach_json(pair.server, reach, "-tnp")[0])}
    conn4 = [r for k, r in srv.items() if k[1] == (pair.server4, 8080) and k[3] == "ESTABLISHED"]
    assert len(conn4) == 1 and conn4[0]["recv_q"] == 3000, conn4
    cli = sockets_of(reach_json(pair.client, reach, "-tnp")[0])
    conn6 = find(cli, proto="tcp", peer=(pair.server6, 8081))
    assert len(conn6) == 1 and conn6[0]["send_q"] > 0, conn6


def test_text_matches_netstat(lab, reach):
    pair, s, _ = scene(lab)

    def table(text, skip_header):
        rows = set()
        for line in text.splitlines()[skip_header:]:
            f = line.split()
            if f and f[0].startswith(("tcp", "udp")):
                if f[5] == "LISTEN":
                    f[2] = "0"  # netstat shows 0 for a listener's Send-Q, reach the backlog as ss
                rows.add(tuple(f))
        return rows

    r = pair.server.run([str(reach), "sockets", "-tuanp"], timeout=TIMEOUT)
    lines = r.stdout.splitlines()
    assert lines[0] == "Active Internet connections (servers and established)"
    assert lines[1].split() == ["Proto", "Recv-Q", "Send-Q", "Local", "Address", "Foreign", "Address",
                                "State", "PID/Program", "name"]
    w = pair.server.run(["netstat", "-tuanpW"], timeout=TIMEOUT).stdout
    mine, theirs = table(r.stdout, 2), table(w, 2)
    assert mine == theirs, f"only reach {mine - theirs}, only netstat {theirs - mine}"
    assert f"{s['pid']}/python3" in r.stdout
    listen = pair.server.run([str(reach), "sockets", "-lnt"], timeout=TIMEOUT).stdout
    assert listen.splitlines()[0] == "Active Internet connections (only servers)"
    assert f"{pair.server4}:8080" in listen and "ESTABLISHED" not in listen


# --------------------------------------------------------------------------- filters


def test_filters(lab, reach):
    pair, s, c = scene(lab)
    srv = pair.server

    rows = sockets_of(reach_json(srv, reach, "-tuap", "--state", "LISTEN")[0])
    assert {r["local"][1] for r in rows} == {8080, 8081} and all(r["state"] == "LISTEN" for r in rows)

    rows = sockets_of(reach_json(srv, reach, "-tua", "--state", "established,unconn")[0])
    assert {r["state"] for r in rows} == {"ESTABLISHED", "CLOSE"} and len(rows) == 4

    rows = sockets_of(reach_json(srv, reach, "-tua", "--port", 8080)[0])
    assert len(rows) == 2 and all(8080 in (r["local"][1], r["peer"][1]) for r in rows)

    rows = sockets_of(reach_json(pair.client, reach, "-ta", "--dport", 8081)[0])
    assert len(rows) == 1 and rows[0]["local"] == (pair.client6, c["c6"])

    rows = sockets_of(reach_json(pair.client, reach, "-ua", "--sport", c["u4"])[0])
    assert len(rows) == 1 and rows[0]["peer"] == (pair.server4, 5353)

    rows = sockets_of(reach_json(srv, reach, "-tua", "--addr", "2001:db8::/32")[0])
    assert len(rows) == 3 and all(r["family"] == "ipv6" for r in rows)
    rows = sockets_of(reach_json(srv, reach, "-tua", "--addr", f"{pair.client4}")[0])
    assert len(rows) == 1 and rows[0]["peer"][0] == pair.client4

    rows = sockets_of(reach_json(srv, reach, "-tua", "--pid", s["pid"])[0])
    assert len(rows) == 6 and all(r["pids"] == {s["pid"]} for r in rows)
    rows = sockets_of(reach_json(srv, reach, "-tua", "--pid", c["pid"])[0])
    assert rows == [], "the client's pid owns nothing in the server's namespace"
    rows = sockets_of(reach_json(srv, reach, "-tua", "--program", "python3")[0])
    assert len(rows) == 6
    rows = sockets_of(reach_json(srv, reach, "-tua", "--program", "python")[0])
    assert rows == []

    rows = sockets_of(reach_json(srv, reach, "-ta", "-6")[0])
    assert rows and all(r["family"] == "ipv6" for r in rows)

    objs, _ = reach_json(srv, reach, "-tu", "--summary")
    assert len(objs) == 1 and objs[0]["type"] == "summary"
    t = objs[0]["protocols"]["tcp"]
    assert t["states"] == {"LISTEN": 2, "ESTABLISHED": 2} and (t["ipv4"], t["ipv6"]) == (2, 2)
    assert objs[0]["protocols"]["udp"]["states"] == {"CLOSE": 2}
    text = srv.run([str(reach), "sockets", "-s", "-tu"], timeout=TIMEOUT).stdout
    assert "TCP       4         2         2" in text and "TCP states: ESTABLISHED 2, LISTEN 2" in text


@pytest.mark.parametrize("args,needle", [
    (["--state", "bogus"], "unknown state 'bogus'"),
    (["--addr", "198.18.0.1/33"], "bad address or CIDR"),
    (["--addr", "198.18.0.1/24"], 'bad address or CIDR for --addr: "198.18.0.1/24" has host bits set: the prefix is 198.18.0.0/24'),
    (["--addr", "not-an-address"], "bad address or CIDR"),
    (["--port", "70000"], "bad port"),
    (["--pid", "0"], "bad pid"),
    (["--netns", "rl-no-such-namespace"], "no /run/netns/rl-no-such-namespace"),
    (["--netns", "../etc"], "not a valid name"),
    (["--netns", "x", "--all-netns"], "exclude each other"),
])
def test_bad_input_is_one_line_and_exit_2(reach, args, needle):
    r = subprocess.run([str(reach), "sockets", *args], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr, r.stderr


def test_unprivileged_user_sees_sockets_without_foreign_owners(lab, reach):
    pair, _, _ = scene(lab)
    r = pair.server.run([str(reach), "sockets", "-tuanp"], user="nobody", check=False, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("Not all processes could be identified") == 1
    assert f"{pair.server4}:8080" in r.stdout and "python3" not in r.stdout
    mine = {(k[0], k[1], k[2], k[3]) for k in
            (key(x) for x in sockets_of(reach_json(pair.server, reach, "-tuan", user="nobody")[0]))}
    theirs = {(k[0], k[1], k[2], k[3]) for k in (key(x) for x in ss_rows(pair.server))}
    assert mine == theirs


# --------------------------------------------------------------------------- namespaces


def test_netns_by_name_and_all_netns(lab, reach):
    pair, s, c = scene(lab)
    # From the root namespace: reach enters the lab namespaces itself (nothing is sent).
    r = subprocess.run([str(reach), "sockets", "--netns", pair.server.ns, "-lt", "--json"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    rows = sockets_of(parse_json(r.stdout))
    assert {r_["local"] for r_ in rows} == {(pair.server4, 8080), (pair.server6, 8081)}
    assert all(r_["netns"] == pair.server.ns for r_ in rows)

    r = subprocess.run([str(reach), "sockets", "--all-netns", "-tanp", "--json"],
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    rows = sockets_of(parse_json(r.stdout))
    srv = [x for x in rows if x["netns"] == pair.server.ns]
    cli = [x for x in rows if x["netns"] == pair.client.ns]
    assert {(x["local"], x["state"]) for x in srv} == {
        ((pair.server4, 8080), "LISTEN"), ((pair.server6, 8081), "LISTEN"),
        ((pair.server4, 8080), "ESTABLISHED"), ((pair.server6, 8081), "ESTABLISHED")}
    assert {x["local"] for x in cli} == {(pair.client4, c["c4"]), (pair.client6, c["c6"])}
    assert all(x["pids"] == {s["pid"]} for x in srv) and all(x["pids"] == {c["pid"]} for x in cli)
    # Each socket once: the lab's listeners are not seen again under another label.
    assert len([x for x in rows if x["local"] == (pair.server4, 8080) and x["state"] == "LISTEN"]) == 1

    text = subprocess.run([str(reach), "sockets", "--all-netns", "-lt"], capture_output=True, text=True,
                          timeout=TIMEOUT).stdout
    assert text.splitlines()[1].endswith("Netns")
    line = [ln for ln in text.splitlines() if f"{pair.server4}:8080" in ln]
    assert len(line) == 1 and line[0].split()[-1] == pair.server.ns


# --------------------------------------------------------------------------- raw and unix sockets

RAW_UNIX = r"""
import os, socket, sys, time
r4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); u.bind("\0" + sys.argv[1]); u.listen(4)
a, b = socket.socketpair()
print(os.getpid(), flush=True)
print("ready", flush=True)
time.sleep(120)
"""


def test_raw_and_unix_sockets(lab, reach):
    host = lab.host("solo")
    name = f"reach-test-{lab.id}"
    p = host.popen([lablib.python_bin(), "-c", RAW_UNIX, name], text=False, bufsize=0)
    pid = int(lablib._wait_for_line(p, b"ready", 20).split()[0])

    rows = parse_json(host.run([str(reach), "sockets", "-wanp", "--json"], timeout=TIMEOUT).stdout)
    raw = [(r["family"], r["local_port"], r["state"], [x["pid"] for x in r["processes"]]) for r in rows]
    assert sorted(raw) == [("ipv4", 1, "CLOSE", [pid]), ("ipv6", 58, "CLOSE", [pid])], rows
    # ss reads the same (it also falls back to /proc/net/raw without the raw_diag module).
    ss = host.run(["ss", "-wanpH"], timeout=TIMEOUT).stdout.splitlines()
    assert len(ss) == 2 and all(f"pid={pid}," in line for line in ss)
    text = host.run([str(reach), "sockets", "-wanp"], timeout=TIMEOUT).stdout
    assert f"raw        0      0 0.0.0.0:1               0.0.0.0:*               7           {pid}/python3" in text

    rows = parse_json(host.run([str(reach), "sockets", "-xap", "--json"], timeout=TIMEOUT).stdout)
    listener = [r for r in rows if r["path"] == "@" + name]
    assert len(listener) == 1 and listener[0]["state"] == "LISTEN" and listener[0]["unix_type"] == "stream"
    assert [x["pid"] for x in listener[0]["processes"]] == [pid]
    pair = [r for r in rows if r["path"] == "" and r["state"] == "ESTABLISHED"]
    assert len(pair) == 2 and {pair[0]["inode"], pair[1]["inode"]} == {pair[0]["peer_inode"], pair[1]["peer_inode"]}
    ss = host.run(["ss", "-xapH"], timeout=TIMEOUT).stdout
    assert ss.count(f"pid={pid},") == 3 and len(rows) == 3
    text = host.run([str(reach), "sockets", "-xlp"], timeout=TIMEOUT).stdout
    assert text.splitlines()[0] == "Active UNIX domain sockets (only servers)"
    assert any(ln.endswith("@" + name) and f"{pid}/python3" in ln for ln in text.splitlines())
