"""reach scan in network-namespace labs, against listeners the test opened and an nftables
firewall it wrote, with nmap as a witness.

The scene (`scene` below): a server with 20 TCP listeners on random ports, 10 other random ports
dropped by its firewall, every other port closed (the kernel answers RST). Each scan must
report exactly those 20 open, those 10 filtered and the 65,505 others closed. Needs root.
"""

import random
import subprocess
import time

import pytest

import lab as lablib

TIMEOUT = 120


def scan(host, args, timeout=TIMEOUT):
    r = host.run([str(lablib.reach_bin()), "scan", "--json", "--no-progress"] + args, check=False, timeout=timeout)
    assert r.returncode in (0, 1), f"exit {r.returncode}: {r.stderr}"
    return lablib.parse_ndjson(r.stdout), r


def ports_by_state(events, addr):
    states = {}
    for e in events:
        if e["type"] == "port" and e["addr"] == addr:
            states.setdefault(e["state"], set()).add(e["port"])
    hosts = {e["addr"]: e for e in events if e["type"] == "host"}
    return states, hosts.get(addr)


def scene(lab, seed):
    """A pair; the server listens on 20 random ports and drops 10 others (v4 and v6)."""
    rnd = random.Random(seed)
    chosen = rnd.sample(range(1, 60999), 30)  # keep clear of the server's own ephemeral range
    open_ports, dropped = sorted(chosen[:20]), sorted(chosen[20:])
    t = lab.pair()
    t.server.listen(tcp=open_ports)
    drop = ", ".join(str(p) for p in dropped)
    t.server.nft(f"""
table inet scan_fw {{
  chain input {{
    type filter hook input priority 0; policy accept;
    tcp dport {{ {drop} }} drop
  }}
}}
""")
    return t, set(open_ports), set(dropped)


def check_exact(events, addr, open_ports, dropped, reason_open):
    states, host = ports_by_state(events, addr)
    assert states.get("open", set()) == open_ports
    assert states.get("filtered", set()) == dropped
    assert host["open"] == 20 and host["filtered"] == 10 and host["closed"] == 65535 - 30
    for e in events:
        if e["type"] == "port" and e["state"] == "open":
            assert e["reason"] == reason_open
        if e["type"] == "port" and e["state"] == "filtered":
            assert e["reason"] == "no-response"
    summary = [e for e in events if e["type"] == "summary"][0]
    assert summary["hosts_up"] == 1 and summary["ports"] == 65535


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_full_syn_scan_is_exact_and_connect_agrees(lab, reach, family):
    t, open_ports, dropped = scene(lab, seed=4 if family == "v4" else 6)
    addr = t.server4 if family == "v4" else t.server6
    events, _ = scan(t.client, ["-p-", addr])
    check_exact(events, addr, open_ports, dropped, "syn-ack")
    summary = [e for e in events if e["type"] == "summary"][0]
    assert summary["ignored"] == 0
    # The dropped ports got every retry: 1 + 3 probes each, the rest one each (no loss here).
    assert summary["sent"] == 65535 + 3 * 10

    events, _ = scan(t.client, ["--connect", "-p-", "--timeout", "0.5", addr])
    check_exact(events, addr, open_ports, dropped, "connected")


def test_nmap_agrees_on_open_ports(lab, reach):
    t, open_ports, dropped = scene(lab, seed=11)
    ports = ",".join(str(p) for p in sorted(open_ports | dropped)) + ",1-1000"
    r = t.client.run(["nmap", "-n", "-Pn", "-sS", "-T5", "-p", ports, "-oG", "-", t.server4], timeout=TIMEOUT)
    nmap_open = {int(p.split("/")[0]) for line in r.stdout.splitlines() if "Ports:" in line
                 for p in line.split("Ports: ")[1].split("\t")[0].split(", ") if "/open/" in p}
    assert nmap_open == open_ports
    g = t.client.run([str(reach), "scan", "-G", "--no-progress", "-p", ports, t.server4], timeout=TIMEOUT)
    line = [x for x in g.stdout.splitlines() if x.startswith("Host: ")]
    assert len(line) == 1 and line[0].startswith(f"Host: {t.server4} ()\tPorts: ")
    reach_open = {int(p.split("/")[0]) for p in line[0].split("Ports: ")[1].split("\t")[0].split(", ")
                  if "/open/" in p}
    assert reach_open == nmap_open


def test_sweep_of_a_22_finds_only_the_live_addresses(lab, reach):
    t = lab.pair()
    live = ["198.19.4.1", "198.19.5.77", "198.19.6.200", "198.19.7.254"]
    for a in live:
        t.server.ip("route", "add", "local", f"{a}/32", "dev", "lo")
    t.client.ip("route", "add", "198.19.4.0/22", "via", t.server4)
    t.server.listen(tcp=[80])
    events, r = scan(t.client, ["-p", "22,80", "--wait", "0.3", "198.19.4.0/22"])
    assert r.returncode == 0
    hosts = {e["addr"]: e for e in events if e["type"] == "host"}
    assert sorted(hosts) == sorted(live)
    for a in live:
        assert hosts[a]["open"] == 1 and hosts[a]["closed"] == 1 and hosts[a]["filtered"] == 0
    opened = {(e["addr"], e["port"]) for e in events if e["type"] == "port"}
    assert opened == {(a, 80) for a in live}
    summary = [e for e in events if e["type"] == "summary"][0]
    assert summary["addresses"] == 1024 and summary["hosts_up"] == 4


def test_loss_on_both_directions_still_finds_every_open_port(lab, reach):
    t, open_ports, dropped = scene(lab, seed=5)
    t.server.add_loss(5, hook="input")
    t.client.add_loss(5, hook="input")
    events, _ = scan(t.client, ["-p-", "--seed", "1", t.server4])
    states, host = ports_by_state(events, t.server4)
    assert states.get("open", set()) == open_ports
    # A closed port whose four RSTs were all lost (p = 1e-4 each) shows as filtered.
    assert dropped <= states.get("filtered", set())
    assert len(states.get("filtered", set())) <= 10 + 30
    summary = [e for e in events if e["type"] == "summary"][0]
    assert summary["passes"] >= 2


def test_bad_input_is_refused_with_exit_2(lab, reach):
    t = lab.pair()
    for args, words in [
        (["198.18.0.0/15"], "--yes"),
        (["-p", "0", t.server4], "port 0"),
        (["-p", "80-22", t.server4], "ends before"),
        (["-p", "", t.server4], "empty"),
        (["198.18.0.300"], "not a valid IPv4"),
        (["--rate", "0", t.server4], "bad rate"),
        (["--rate", "1e9", t.server4], "cannot be met"),
        (["--exclude", t.server4, t.server4], "no address left"),
        ([], "no target"),
    ]:
        r = t.client.run([str(reach), "scan", "--no-progress"] + args, check=False, timeout=30)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert words in r.stderr, (args, r.stderr)
        assert r.stdout == "", args


def test_without_privilege_it_falls_back_to_connect_and_says_so(lab, reach):
    t, open_ports, _ = scene(lab, seed=9)
    ports = ",".join(str(p) for p in sorted(open_ports))
    r = t.client.run([str(reach), "scan", "--json", "--no-progress", "-p", ports, t.server4], user="nobody",
                     check=False, timeout=60)
    assert r.returncode == 0, r.stderr
    events = lablib.parse_ndjson(r.stdout)
    assert any(e["type"] == "notice" and "CAP_NET_RAW" in e["message"] for e in events)
    assert [e for e in events if e["type"] == "start"][0]["method"] == "connect"
    states, _ = ports_by_state(events, t.server4)
    assert states.get("open") == open_ports


def test_input_list_and_exclude_file(lab, reach):
    t = lab.pair()
    live = ["198.19.4.1", "198.19.4.2", "198.19.4.3"]
    for a in live:
        t.server.ip("route", "add", "local", f"{a}/32", "dev", "lo")
    t.client.ip("route", "add", "198.19.4.0/24", "via", t.server4)
    targets = lab.tmpdir / "targets.txt"
    targets.write_text("# lab targets\n198.19.4.0/30, 198.19.4.3\n")
    excluded = lab.tmpdir / "exclude.txt"
    excluded.write_text("198.19.4.2 # do not touch\n")
    events, _ = scan(t.client, ["-p", "9", "--wait", "0.2", "-iL", str(targets), "--exclude-file", str(excluded)])
    hosts = sorted(e["addr"] for e in events if e["type"] == "host")
    assert hosts == ["198.19.4.1", "198.19.4.3"]
    assert [e for e in events if e["type"] == "start"][0]["addresses"] == 3


@pytest.mark.parametrize("family", ["v4", "v6"])
def test_icmp_errors_name_the_reason_and_the_router(lab, reach, family):
    p = lab.prohibited(firewall_on="router")
    v4 = family == "v4"
    server, unreachable = (p.server4, p.unreachable4) if v4 else (p.server6, p.unreachable6)
    events, r = scan(p.client, ["-p", "80,443", server, unreachable])
    assert r.returncode == 0
    got = {(e["addr"], e["port"]): e for e in events if e["type"] == "port"}
    assert set(got) == {(server, 80), (server, 443), (unreachable, 80), (unreachable, 443)}
    for port in (80, 443):
        assert got[(server, port)]["state"] == "filtered"
        assert got[(server, port)]["reason"] == "admin-prohibited"
        assert got[(server, port)]["from"] == (p.prohibited_from4 if v4 else p.prohibited_from6)
        assert got[(unreachable, port)]["reason"] in ("host-unreachable", "net-unreachable")
        assert got[(unreachable, port)]["from"] == (p.router4 if v4 else p.router6)
    summary = [e for e in events if e["type"] == "summary"][0]
    assert summary["passes"] == 1 and summary["sent"] == 4  # an ICMP error is an answer: no retry


GREETER = r"""
import socket, time
l = socket.socket(socket.AF_INET6); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0); l.bind(("::", 2222)); l.listen(16)
print("ready", flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    l.settimeout(1)
    try:
        c, _ = l.accept()
    except OSError:
        continue
    c.sendall(b"SSH-2.0-reach_lab\r\n")
    c.close()
"""


def test_banners_greeting_http_head_and_silence(lab, reach):
    t = lab.pair()
    greeter = t.server.popen([lablib.python_bin(), "-c", GREETER], stdout=subprocess.PIPE)
    assert greeter.stdout.readline().strip() == "ready"
    http = t.server.popen([lablib.python_bin(), "-m", "http.server", "--bind", "::", "--directory", str(lab.tmpdir),
                           "8080"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t.server.listen(tcp=[7000], mode="hold")  # accepts and says nothing, whatever it is sent
    for _ in range(100):  # http.server prints nothing when ready: wait until it accepts
        if t.client.run(["bash", "-c", f"exec 3<>/dev/tcp/{t.server4}/8080"], check=False).returncode == 0:
            break
        time.sleep(0.05)
    events, _ = scan(t.client, ["--banners", "--timeout", "1", "-p", "2222,7000,8080", t.server4])
    got = {e["port"]: e for e in events if e["type"] == "port"}
    assert got[2222]["banner"] == "SSH-2.0-reach_lab"
    assert got[8080]["banner"].startswith("HTTP/1.0 200")
    assert "banner" not in got[7000]
    assert http.poll() is None and greeter.poll() is None
