"""reach ping against real peers in network-namespace labs.

Every test builds its own lab (tests/lab/lab.py) and checks reach's answers against the known
topology, and where it helps against the peer tools (iputils ping, hping3) run on the same lab.
"""

import os
import shutil
import statistics
import tempfile
from pathlib import Path

import pytest

import lab as lablib
from watch_lab import read_lines

TIMEOUT = 60


def reach_ping(host, reach, *args, user=None, timeout=TIMEOUT):
    return host.run([str(reach), "ping", *[str(a) for a in args]], check=False, timeout=timeout,
                    user=user)


def events(stdout):
    return lablib.parse_ndjson(stdout)


def of_type(evs, kind, target=None):
    return [e for e in evs if e["type"] == kind and (target is None or e["addr"] == target)]


def fam(v6, topo, name):
    return getattr(topo, name + ("6" if v6 else "4"))


# --------------------------------------------------------------------------- precision

def assert_path_delay(rtts, delay_ms):
    """Every RTT is at least the emulated delay (kernel timestamps on both ends cannot be early),
    and the typical one is within 0.5 ms of it. The median, not the mean: on a loaded machine the
    routers' softirq work lands on ksoftirqd now and then, and those few real, late replies are
    the path's truth, not reach's error (the witness sees them too)."""
    assert min(rtts) >= delay_ms, rtts
    assert abs(statistics.median(rtts) - delay_ms) < 0.5, rtts



def test_icmp_over_three_routers_with_20ms_rtt(lab, reach):
    chain = lab.chain(routers=3, delay_ms=10)
    r = reach_ping(chain.client, reach, "-c", 20, "-i", 0.05, "--json", chain.server4)
    assert r.returncode == 0, r.stderr
    evs = events(r.stdout)
    replies = of_type(evs, "reply")
    assert len(replies) == 20
    assert all(e["ttl"] == 61 for e in replies), "three routers decrement the TTL three times"
    assert all(e["tx_timestamp"] == "kernel" and e["rx_timestamp"] == "kernel" for e in replies)
    s = of_type(evs, "summary")[0]
    assert s["transmitted"] == 20 and s["received"] == 20 and s["loss_pct"] == 0
    rtts = [e["rtt_ms"] for e in replies]
    assert_path_delay(rtts, 20.0)
    assert abs(s["rtt_avg_ms"] - statistics.fmean(rtts)) < 0.001, "the summary is the replies' mean"
    # The witness: iputils ping on the same path sees the same delay.
    w = lablib.parse_ping(chain.client.run(["ping", "-c", "10", "-i", "0.05", chain.server4],
                                           timeout=TIMEOUT).stdout)
    assert abs(statistics.median(w.rtts) - statistics.median(rtts)) < 0.5, (w.rtts, rtts)


def test_icmp_over_three_routers_ipv6_text_output(lab, reach):
    chain = lab.chain(routers=3, delay_ms=10)
    r = reach_ping(chain.client, reach, "-c", 10, "-i", 0.05, chain.server6)
    assert r.returncode == 0, r.stderr
    p = lablib.parse_ping(r.stdout)
    assert (p.transmitted, p.received, p.loss_pct) == (10, 10, 0.0)
    assert p.ttls == [61] * 10
    assert_path_delay(p.rtts, 20.0)
    assert f"--- {chain.server6} ping statistics ---" in r.stdout


# --------------------------------------------------------------------------- the firewalled server


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_firewalled_server_looks_down_to_icmp_but_answers_tcp(lab, reach, v6):
    fw = lab.firewalled_server(routers=1)
    dst = fam(v6, fw, "server")
    icmp = reach_ping(fw.client, reach, "-c", 3, "-i", 0.1, "-W", 0.5, dst)
    assert icmp.returncode == 1, icmp.stdout + icmp.stderr
    assert "3 packets transmitted, 0 received, 100% packet loss" in icmp.stdout

    syn = reach_ping(fw.client, reach, "--tcp", "-p", fw.open_port, "-c", 3, "-i", 0.1, dst)
    assert syn.returncode == 0, syn.stdout + syn.stderr
    lines = [l for l in syn.stdout.splitlines() if l.startswith("len=")]
    assert len(lines) == 3
    assert all(f"ip={dst} " in l and "flags=SA " in l and f"sport={fw.open_port} " in l for l in lines)
    assert [l.split(" seq=")[1].split()[0] for l in lines] == ["0", "1", "2"]  # hping counts from 0
    assert "ttl=63" in lines[0]  # one router between
    assert "3 packets transmitted, 3 received, 0% packet loss" in syn.stdout

    closed = reach_ping(fw.client, reach, "-S", "-p", fw.closed_port, "-c", 2, "-i", 0.1, dst)
    assert closed.returncode == 0, closed.stdout + closed.stderr
    assert closed.stdout.count("flags=RA ") == 2
    # With data in the SYN the RST acknowledges it too: still matched.
    data = reach_ping(fw.client, reach, "-S", "-s", 10, "-p", fw.closed_port, "-c", 1, dst)
    assert data.returncode == 0 and "flags=RA " in data.stdout, data.stdout

    conn = reach_ping(fw.client, reach, "--connect", "-p", fw.open_port, "-c", 2, "-i", 0.1, dst)
    assert conn.returncode == 0, conn.stdout + conn.stderr
    assert conn.stdout.count(f"connected to {dst} port {fw.open_port}") == 2

    refused = reach_ping(fw.client, reach, "--connect", "-p", fw.closed_port, "-c", 1, dst)
    assert refused.returncode == 0
    assert f"refused by {dst} port {fw.closed_port} (closed)" in refused.stdout


def test_tcp_syn_agrees_with_hping3(lab, reach):
    fw = lab.firewalled_server(routers=1)
    ours = reach_ping(fw.client, reach, "--tcp", "-p", fw.open_port, "-c", 2, "-i", 0.1,
                      fw.server4)
    theirs = fw.client.run(["hping3", "-S", "-p", str(fw.open_port), "-c", "2", "-i", "u100000",
                            fw.server4], check=False, timeout=TIMEOUT)
    ours_flags = {l.split("flags=")[1].split()[0] for l in ours.stdout.splitlines() if "flags=" in l}
    theirs_flags = {l.split("flags=")[1].split()[0] for l in theirs.stdout.splitlines() if "flags=" in l}
    assert ours_flags == theirs_flags == {"SA"}
    ours_ttl = {l.split("ttl=")[1].split()[0] for l in ours.stdout.splitlines() if "flags=" in l}
    theirs_ttl = {l.split("ttl=")[1].split()[0] for l in theirs.stdout.splitlines() if "flags=" in l}
    assert ours_ttl == theirs_ttl
    ours_df = {" DF " in l for l in ours.stdout.splitlines() if "flags=" in l}
    theirs_df = {" DF " in l for l in theirs.stdout.splitlines() if "flags=" in l}
    assert ours_df == theirs_df, (ours.stdout, theirs.stdout)


def test_udp_probe_port_unreachable_proves_alive(lab, reach):
    pair = lab.pair()
    pair.server.listen(udp=[7], mode="echo")
    closed = reach_ping(pair.client, reach, "--udp", "-p", 9, "-c", 2, "-i", 0.1, "--json",
                        pair.server4)
    assert closed.returncode == 0, closed.stderr
    replies = of_type(events(closed.stdout), "reply")
    assert len(replies) == 2 and all(e["icmp_name"] == "Destination Port Unreachable" for e in replies)
    empty = reach_ping(pair.client, reach, "--udp", "-s", 0, "-p", 9, "-c", 2, "-i", 0.1, pair.server4)
    assert empty.returncode == 0 and "2 received" in empty.stdout, empty.stdout
    echo = reach_ping(pair.client, reach, "--udp", "-p", 7, "-c", 2, "-i", 0.1, "--json",
                      pair.server6)
    assert echo.returncode == 0, echo.stderr
    evs = events(echo.stdout)
    assert [e["seq"] for e in of_type(evs, "reply")] == [1, 2]
    assert of_type(evs, "summary")[0]["received"] == 2


# --------------------------------------------------------------------------- ICMP errors by name


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_admin_prohibited_and_host_unreachable_named_with_router_address(lab, reach, v6):
    pr = lab.prohibited()
    router = fam(v6, pr, "prohibited_from")
    r = reach_ping(pr.client, reach, "-c", 2, "-i", 0.1, "-W", 1, fam(v6, pr, "server"))
    assert r.returncode == 1
    lines = [l for l in r.stdout.splitlines() if l.startswith("From ")]
    assert len(lines) == 2
    assert all(l.startswith(f"From {router} ") and "Administratively Prohibited" in l for l in lines)
    assert "+2 errors" in r.stdout

    r = reach_ping(pr.client, reach, "--tcp", "-p", 80, "-c", 1, "-W", 1, fam(v6, pr, "server"))
    assert f"From {router} seq=0 " in r.stdout and "Administratively Prohibited" in r.stdout

    r = reach_ping(pr.client, reach, "-c", 2, "-i", 0.1, "-W", 1, "--json", fam(v6, pr, "unreachable"))
    assert r.returncode == 1
    errs = of_type(events(r.stdout), "icmp_error")
    assert len(errs) == 2
    want = "Destination unreachable: Address unreachable" if v6 else "Destination Host Unreachable"
    assert all(e["from"] == fam(v6, pr, "router") and e["icmp_name"] == want for e in errs), errs


# --------------------------------------------------------------------------- loss


def test_loss_accounting_with_30_percent_emulated_loss(lab, reach):
    chain = lab.chain(routers=1, loss_ab_pct=30, loss_ba_pct=0, seed=7)
    r = reach_ping(chain.client, reach, "-c", 200, "-i", 0.005, "-W", 0.5, "-O", "--json",
                   chain.server4)
    evs = events(r.stdout)
    s = of_type(evs, "summary")[0]
    replies = [e for e in of_type(evs, "reply") if not e["dup"] and not e["late"]]
    timeouts = of_type(evs, "timeout")
    assert s["transmitted"] == 200
    assert s["received"] == len(replies)
    assert s["received"] + len(timeouts) == s["transmitted"]
    assert s["loss_pct"] == pytest.approx(100.0 * (200 - s["received"]) / 200)
    assert 15 <= s["loss_pct"] <= 45, s
    assert len({e["seq"] for e in replies} | {e["seq"] for e in timeouts}) == 200
    dropped = chain.emulated.stop_emulator()
    assert dropped, "the emulator reports what it dropped"


def _kernel_at_least(major, minor):
    release = os.uname().release.split("-")[0].split(".")
    return (int(release[0]), int(release[1])) >= (major, minor)


@pytest.mark.skipif(not _kernel_at_least(6, 13), reason="SCM_TS_OPT_ID needs Linux 6.13 (docs/PING.md)")
@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_sends_dropped_in_output_do_not_shift_tx_stamps(lab, reach, v6):
    # nftables drops every third echo request on its way out: sendto fails after the kernel may
    # have numbered the datagram for its TX stamp. Every later reply must still be timed from
    # its own probe's stamp (a shifted id would add the 0.1 s interval to an RTT).
    pair = lab.pair(delay_ms=2)
    proto = "icmpv6 type echo-request" if v6 else "icmp type echo-request"
    pair.client.nft(f"""
table inet outdrop {{
  chain output {{ type filter hook output priority 0; policy accept;
    {proto} numgen inc mod 3 == 2 drop; }}
}}
""")
    r = reach_ping(pair.client, reach, "-c", 9, "-i", 0.1, "-W", 1, "--json", fam(v6, pair, "server"))
    evs = events(r.stdout)
    replies = of_type(evs, "reply")
    errors = of_type(evs, "send_error")
    assert len(replies) == 6 and len(errors) == 3, r.stdout + r.stderr
    assert all(e["tx_timestamp"] == "kernel" for e in replies)
    for e in replies:
        # 4 ms of link delay; a shifted stamp would add the 100 ms interval. Under 50 ms leaves room
        # for a CPU-starved link emulator (34 ms seen under stress-ng).
        assert 3.5 < e["rtt_ms"] < 50, e


# --------------------------------------------------------------------------- many targets


def test_several_targets_one_dead(lab, reach):
    pair = lab.pair()
    lab.local_addresses(pair.server, "198.19.0.0/24")
    pair.server.nft("""
table inet dead {
  chain input { type filter hook input priority 0; policy accept; ip daddr 198.19.0.9 drop; }
}
""")
    r = reach_ping(pair.client, reach, "-c", 3, "-i", 0.1, "-W", 0.5, "198.19.0.1", "198.19.0.9",
                   pair.server6)
    assert r.returncode == 1, r.stdout + r.stderr
    for dst, received in (("198.19.0.1", 3), ("198.19.0.9", 0), (pair.server6, 3)):
        block = r.stdout.split(f"--- {dst} ping statistics ---\n")[1].splitlines()[0]
        assert block.startswith(f"3 packets transmitted, {received} received"), block
    ok = reach_ping(pair.client, reach, "-c", 2, "-i", 0.1, "198.19.0.1", pair.server4)
    assert ok.returncode == 0
    twice = reach_ping(pair.client, reach, "-c", 2, "-i", 0.1, pair.server4, pair.server4)
    assert twice.returncode == 0 and twice.stdout.count("2 packets transmitted, 2 received") == 2, twice.stdout


# --------------------------------------------------------------------------- privilege


def _world_readable_copy(reach):
    d = Path(tempfile.mkdtemp(prefix="reach-unpriv-"))
    os.chmod(d, 0o755)
    dst = d / "reach"
    shutil.copy2(reach, dst)
    os.chmod(dst, 0o755)
    return d, dst


def test_unprivileged_icmp_uses_datagram_sockets_or_says_why(lab, reach):
    pair = lab.pair()
    d, binary = _world_readable_copy(reach)
    try:
        pair.client.sysctl("net.ipv4.ping_group_range", "0 2147483647")
        r = reach_ping(pair.client, binary, "-c", 2, "-i", 0.1, "--json", pair.server4, user="nobody")
        assert r.returncode == 0, r.stdout + r.stderr
        evs = events(r.stdout)
        assert of_type(evs, "start")[0]["socket"] == "datagram"
        assert of_type(evs, "summary")[0]["received"] == 2
        assert any(e["type"] == "notice" and "CAP_NET_RAW" in e["message"] for e in evs)
        r6 = reach_ping(pair.client, binary, "-c", 1, pair.server6, user="nobody")
        assert r6.returncode == 0, r6.stderr

        pair.client.sysctl("net.ipv4.ping_group_range", "1 0")
        r = reach_ping(pair.client, binary, "-c", 1, pair.server4, user="nobody")
        assert r.returncode == 2
        assert r.stderr.count("\n") == 1
        assert "CAP_NET_RAW" in r.stderr and "ping_group_range" in r.stderr

        r = reach_ping(pair.client, binary, "--tcp", "-p", 80, "-c", 1, pair.server4, user="nobody")
        assert r.returncode == 2 and "CAP_NET_RAW" in r.stderr and "--connect" in r.stderr

        pair.server.listen(tcp=[80])
        r = reach_ping(pair.client, binary, "--connect", "-p", 80, "-c", 1, pair.server4, user="nobody")
        assert r.returncode == 0, r.stderr

        r = reach_ping(pair.client, binary, "-i", 0, "-c", 1, pair.server4, user="nobody")
        assert r.returncode == 2 and "interval" in r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_capabilities_dropped_after_sockets_open(lab, reach):
    pair = lab.pair()
    proc = pair.client.popen([str(reach), "ping", "-c", 30, "-i", 0.1, pair.server4])
    try:
        pid = None
        for _ in range(50):  # the namespace's process list: ip netns exec -> reach
            pids = [p for p in pair.client.pids() if Path(f"/proc/{p}/exe").resolve().name == "reach"]
            if pids:
                pid = pids[0]
                status = Path(f"/proc/{pid}/status").read_text()
                caps = {l.split(":")[0]: l.split()[1] for l in status.splitlines() if l.startswith("Cap")}
                if caps.get("CapEff") == "0000000000000000":
                    break
            import time
            time.sleep(0.1)
        assert pid is not None
        assert caps["CapEff"] == caps["CapPrm"] == "0000000000000000", caps
    finally:
        lab.stop(proc)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("args, words", [
    (["-c", "1", "no-such-host.invalid"], "cannot resolve no-such-host.invalid"),
    (["--tcp", "-p", "70000", "-c", "1", "198.18.0.2"], "port"),
    (["-p", "abc", "--udp", "198.18.0.2"], "abc"),
    (["-c", "-1", "198.18.0.2"], "packets"),
    (["-c", "0", "198.18.0.2"], "packets"),
    (["-i", "-1", "198.18.0.2"], "interval"),
    (["-W", "0", "198.18.0.2"], "linger"),
    (["-t", "300", "198.18.0.2"], "ttl"),
    (["--frobnicate", "198.18.0.2"], "frobnicate"),
    (["--tcp", "--udp", "198.18.0.2"], "choose one"),
    (["-6", "198.18.0.2"], "not an IPv6 address"),
    ([], "targets"),
    (["-s", "-1", "198.18.0.2"], "packet size"),
    (["-I", "2001:db8::1", "-c", "1", "198.18.0.2"], "different families"),
    (["--connect", "-I", "nosuchdev0", "-c", "1", "198.18.0.2"], "nosuchdev0"),
])
def test_bad_input_one_line_exit_2(lab, reach, args, words):
    h = lab.host("lonely")  # no links, no routes: nothing can leave
    r = reach_ping(h, reach, *args, timeout=20)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1, r.stderr
    assert words in r.stderr


# --------------------------------------------------------------------------- forged replies


def test_forged_and_malformed_replies_are_ignored_and_counted(lab, reach):
    pair = lab.pair()
    # The server's firewall drops the real requests: every answer the client sees is forged.
    pair.server.nft("""
table inet quiet {
  chain input { type filter hook input priority 0; policy accept; icmp type echo-request drop; }
}
""")
    spoofer = pair.server.popen([lablib.python_bin(), str(Path(__file__).with_name("spoofer.py")),
                                 pair.server.iface_to(pair.client), "3"])
    assert spoofer.stdout.readline().strip() == "ready"
    import time
    time.sleep(1.0)  # scapy opens its socket right after printing ready
    r = reach_ping(pair.client, reach, "-c", 3, "-i", 0.3, "-W", 1, "--json", pair.server4)
    lab.stop(spoofer)
    evs = events(r.stdout)
    s = of_type(evs, "summary")[0]
    assert r.returncode == 1, r.stdout
    assert s["received"] == 0 and s["errors"] == 0 and s["duplicates"] == 0, s
    assert not of_type(evs, "reply") and not of_type(evs, "icmp_error")
    assert s["ignored"] >= 3, s  # at least the wrong cookie, the bad checksum, the truncated one


# --------------------------------------------------------------------------- run length


def test_deadline_and_interrupt_end_the_run_with_summaries(lab, reach):
    import signal
    import time
    fw = lab.firewalled_server()
    # From its PING lines to its summaries: the process's start and exit not counted (seconds
    # each for the ASan build on a busy machine; 9.9 s in all once at load 26).
    r, took = fw.client.run_timed([str(reach), "ping", "-w", "1", "-i", "0.1", "-q", fw.server4, fw.client4],
                                  timeout=TIMEOUT)
    assert r.returncode == 1  # the firewalled server never answers ICMP
    assert took < 5, took
    tx = [int(l.split()[0]) for l in r.stdout.splitlines() if "packets transmitted" in l]
    assert len(tx) == 2 and all(8 <= n <= 11 for n in tx), r.stdout
    assert "bytes from" not in r.stdout  # -q

    # ping's -c with -w: keep probing until COUNT answers or the deadline.
    r = reach_ping(fw.client, reach, "-c", 3, "-w", 2, "-i", 0.1, fw.client4)
    assert r.returncode == 0 and "3 packets transmitted, 3 received" in r.stdout, r.stdout

    proc = fw.client.popen([str(reach), "ping", "-i", 0.1, fw.server6])
    fw.client.pids_catching(signal.SIGINT)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=10)
    assert proc.returncode == 1
    assert f"--- {fw.server6} ping statistics ---" in out


# --------------------------------------------------------------------------- one time origin


def _hold_neighbour_resolution(pair, v6):
    """The server ignores ARP requests / neighbour solicitations until the table is deleted;
    the client starts with an empty cache and solicits every 100 ms (so the wait the probes
    see is the 1.5 s hold, not the 1 s retransmit timer)."""
    dev = pair.client.iface_to(pair.server)
    fam = "ipv6" if v6 else "ipv4"
    pair.client.sysctls({f"net.{fam}.neigh.{dev}.retrans_time_ms": 100,
                         f"net.{fam}.neigh.{dev}.mcast_solicit": 40})
    if v6:
        pair.server.nft("table ip6 hold {\n chain input { type filter hook input priority -10; policy accept;\n"
                        "  icmpv6 type nd-neighbor-solicit drop\n }\n}\n")
    else:
        pair.server.nft("table arp hold {\n chain input { type filter hook input priority 0; policy accept;\n"
                        "  arp operation request drop\n }\n}\n")
    pair.client.ip("neigh", "flush", "dev", dev)
    return "ip6" if v6 else "arp"


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_probe_held_for_neighbour_resolution_is_answered_with_the_wait_in_its_rtt(lab, reach, v6):
    # The case: the probes wait 1.2 s for ARP/ND before they leave. The user waited
    # that long, so the RTTs include it (as iputils shows), and with -W 4 none is late (the
    # release, an nft run, adds up to a second on a busy machine: 2.09 s once, late at -W 2).
    import time
    pair = lab.pair()
    table = _hold_neighbour_resolution(pair, v6)
    proc = pair.client.popen([str(reach), "ping", "-c", "4", "-i", "0.2", "-W", "4", "--json",
                              fam(v6, pair, "server")])
    # The hold counts from reach's start line, which its first probe follows: the ASan build
    # takes a second or more to start on a busy machine, and the first probe then waited less.
    start = read_lines(proc.stdout, 1, 30)
    assert start and '"type":"start"' in start[0], (start, proc.poll())
    time.sleep(1.2)
    released = time.time()
    pair.server.nft(f"delete table {table} hold")
    out, err = proc.communicate(timeout=TIMEOUT)
    out = start[0] + "\n" + (out.decode() if isinstance(out, bytes) else out)
    evs = events(out)
    replies = of_type(evs, "reply")
    s = of_type(evs, "summary")[0]
    assert proc.returncode == 0, out
    assert s["received"] == 4 and s["late"] == 0 and not of_type(evs, "timeout"), out
    rtts = sorted((e["seq"], e["rtt_ms"]) for e in replies)
    assert 1000 < rtts[0][1] < 4000, rtts
    assert all(e["time"] >= released for e in replies), (released, replies)  # all held until then
    # Each RTT is from its own probe's send, 0.2 s apart on reach's schedule, and they left
    # together: the RTTs fall in seq order, by 0.6 s from the first to the fourth (0.3 s allowed
    # for a first probe that late). Not 0.2 s +-0.1 s for each pair: a probe sent late on a busy
    # machine stretches its own gap and shortens the next (one was 0.6 s at load 21), while RTTs
    # from one shared origin would not fall at all.
    assert all(a > b for (_, a), (_, b) in zip(rtts, rtts[1:])), rtts
    assert rtts[0][1] - rtts[-1][1] > 300, rtts
    # The kernel's TX stamps were taken when the probes finally left: not the origin.
    assert all(e["tx_timestamp"] == "user" and e["tx_stamp_dropped"] == "tx-after-send" for e in replies)
    assert s["stamps_dropped"] == 4, s


@pytest.mark.parametrize("v6", [False, True], ids=["ipv4", "ipv6"])
def test_host_unreachable_after_the_router_gives_up_on_arp_is_an_error(lab, reach, v6):
    # Nobody owns the target on the router's far link: the router solicits for 3 s, then says
    # "Host Unreachable" (ICMPv6: address unreachable) about every queued probe. That is an
    # error about the probe however late it comes, never a "late reply", and check names it.
    chain = lab.chain(routers=1)
    link = chain.links[-1]
    nobody = str(link.net6.network_address + 0x77) if v6 else str(link.net4.network_address + 0x77)
    routers = set(chain.routers[0].addrs6 if v6 else chain.routers[0].addrs4)
    r = reach_ping(chain.client, reach, "-c", 3, "-i", 0.2, "--json", nobody)
    evs = events(r.stdout)
    s = of_type(evs, "summary")[0]
    errs = of_type(evs, "icmp_error")
    assert r.returncode == 1, r.stdout
    assert len(errs) == 3 and all(e["from"] in routers and not e["late"] for e in errs), r.stdout
    assert s["errors"] == 3 and s["late"] == 0 and s["received"] == 0, s
    text = reach_ping(chain.client, reach, "-c", 2, "-i", 0.2, nobody)
    assert "+2 errors" in text.stdout and "LATE" not in text.stdout, text.stdout
    assert len([l for l in text.stdout.splitlines() if l.startswith("From ") and "nreachable" in l]) == 2, text.stdout

    c = chain.client.run([str(reach), "check", "--kind", "icmp", "--json", nobody], check=False,
                         timeout=TIMEOUT)
    rows = [e for e in lablib.parse_ndjson(c.stdout) if e.get("type") == "check"]
    assert len(rows) == 1 and rows[0]["result"] == "unreachable", c.stdout
    assert rows[0]["icmp_from"] in routers, rows


# --------------------------------------------------------------------------- no loss reach causes


def test_thousands_of_targets_at_once_lose_nothing(lab, reach):
    # 3000 local addresses on the server, all probed in one run. Sent in one instant, their
    # answers came back in one burst and overflowed the raw socket (main lost ~1700 of them
    # every round here, with rmem_max at 4 MiB; at Linux's default of 208 KiB 1000 targets
    # suffice). Now the probes are spread over the interval and the receive buffer is sized
    # for a round, so every answer arrives, and the socket's drop counter (in --json) stays 0.
    pair = lab.pair()
    lab.local_addresses(pair.server, "198.19.0.0/20")
    targets = [f"198.19.{i // 250}.{i % 250 + 1}" for i in range(3000)]
    # -W 5: an answer the kernel kept but a slow run (ASan on a loaded machine) read after 1 s
    # would count as lost; what this checks is that none is dropped at the socket.
    r = reach_ping(pair.client, reach, "-c", 3, "-i", 0.2, "-W", 5, "--json", *targets, timeout=120)
    evs = events(r.stdout)
    sums = of_type(evs, "summary")
    assert len(sums) == 3000, r.stderr
    assert all(s["socket_drops"] == 0 for s in sums), sums[0]
    short = [(s["addr"], s["received"]) for s in sums if s["received"] != 3]
    assert not short, short[:20]
    assert r.returncode == 0


# --------------------------------------------------------------------------- groups


def _members_on_one_link(lab, n=3):
    """client and n members on one bridged link (198.18.200.0/24, 2001:db8:200::/64); the
    members answer broadcast echoes. Returns (client, members, client's interface)."""
    sw, client = lab.host("switch"), lab.host("client")
    members = [lab.host(f"m{i}") for i in range(n)]
    links = [lab.link(h, sw, address=False) for h in [client] + members]
    sw.ip("link", "add", "br0", "type", "bridge")
    for l in links:
        sw.ip("link", "set", l.iface(sw), "master", "br0")
    sw.ip("link", "set", "br0", "up")
    for i, (h, l) in enumerate(zip([client] + members, links)):
        h.ip("addr", "add", f"198.18.200.{i + 1}/24", "brd", "+", "dev", l.iface(h))
        h.ip("-6", "addr", "add", f"2001:db8:200::{i + 1}/64", "dev", l.iface(h), "nodad")
        h.sysctl("net.ipv4.icmp_echo_ignore_broadcasts", 0 if h in members else 1)
    return client, members, links[0].iface(client)


def test_multicast_and_broadcast_count_the_first_answer_and_mark_the_rest_dup(lab, reach):
    # Every member answers from its own address: main showed 100% loss. As ping: the first
    # answer per probe counts, the others are DUP! with their senders.
    client, members, dev = _members_on_one_link(lab)
    r = reach_ping(client, reach, "-c", 3, "-i", 0.2, "-W", 1, "-I", dev, "--json", "ff02::1")
    evs = events(r.stdout)
    s = of_type(evs, "summary")[0]
    replies = of_type(evs, "reply")
    assert r.returncode == 0 and s["received"] == 3 and s["loss_pct"] == 0, r.stdout
    firsts = [e for e in replies if not e["dup"]]
    assert sorted(e["seq"] for e in firsts) == [1, 2, 3]
    senders = {e["from"] for e in replies}
    assert len(senders) >= 3 and all(a.startswith("fe80::") for a in senders), senders  # + our own
    assert s["duplicates"] == len(replies) - 3 >= 6, s
    # The group with its zone, as the issue and ping write it: ff02::1%IF.
    r = reach_ping(client, reach, "-c", 2, "-i", 0.2, "-W", 1, "--json", f"ff02::1%{dev}")
    s = of_type(events(r.stdout), "summary")[0]
    assert r.returncode == 0 and s["received"] == 2 and s["duplicates"] >= 4, r.stdout + r.stderr

    r = reach_ping(client, reach, "-b", "-c", 3, "-i", 0.2, "-W", 1, "198.18.200.255")
    assert r.returncode == 0, r.stdout + r.stderr
    froms = {l.split()[3].rstrip(":") for l in r.stdout.splitlines() if " bytes from " in l}
    assert froms == {"198.18.200.2", "198.18.200.3", "198.18.200.4"}, r.stdout
    assert r.stdout.count("(DUP!)") == 6 and "3 packets transmitted, 3 received, +6 duplicates" in r.stdout

    refused = reach_ping(client, reach, "-c", 1, "198.18.200.255")
    assert refused.returncode != 0 and "-b" in refused.stdout + refused.stderr, refused.stdout
