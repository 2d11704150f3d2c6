"""The byte-count sources of `reach usage` (issue 12) against the kernel's own counters.

Topology: mgmt - agent - peer (lab.chain with one router). Debian's snmpd runs in `agent` and
serves the counters of its interface toward `peer`; SNMP queries come from `mgmt` over the other
link, so polling never moves the counters under test. tests/tools/usage_source_read reads a
source once per run as the daemon does each poll, and with --state runs the counter engine
with its state kept in a file, printing each step (kind, bytes).

Checked: the SNMP source (v2c and v3 authPriv) equals /sys/class/net/*/statistics exactly, and
the bytes counted equal the kernel's deltas; restarting snmpd counts nothing (its counters go
on); a veth deleted and re-created between two polls is a new base counting only its new
bytes, through netlink and through SNMP with the interface named.
"""

import json
import shutil
import time

import pytest

import lab as lablib

V3 = ["--v3", "reachv3", "SHA-256", "auth-pass-123", "AES", "priv-pass-123"]


def tool():
    path = lablib.build_dir() / "tests" / "tools" / "usage_source_read"
    if not path.exists():
        pytest.skip(f"usage_source_read not built at {path} (cmake --build <build> --target usage_source_read)")
    return str(path)


def need_snmpd():
    if not shutil.which("snmpd"):
        pytest.skip("snmpd not installed (scripts/install-deps.sh)")


def read(host, *args, state=None):
    cmd = [tool()] + (["--state", str(state)] if state else []) + [str(a) for a in args]
    r = host.run(cmd, check=False, timeout=30)
    assert r.stdout.strip(), f"no output: {r.stderr}"
    return json.loads(r.stdout)


def sysfs(host, ifname):
    out = host.run(["cat", f"/sys/class/net/{ifname}/statistics/rx_bytes",
                    f"/sys/class/net/{ifname}/statistics/tx_bytes"]).stdout.split()
    return int(out[0]), int(out[1])


def traffic(sender, target, count=300):
    """About count x 1.2 kB each way (echo requests and replies), bounded in time."""
    sender.run(["ping", "-q", "-c", str(count), "-i", "0.002", "-s", "1200", "-W", "1", target], timeout=30)


class Snmpd:
    """snmpd in `host`, v2c community `public` and v3 user reachv3 (SHA-256/AES), nothing read
    from /etc/snmp, state kept in the lab's temp dir."""

    def __init__(self, lab, host, address):
        self.lab, self.host = lab, host
        self.dir = lab.tmpdir / f"snmpd-{host.name}"
        self.dir.mkdir(exist_ok=True)
        self.conf = self.dir / "snmpd.conf"
        self.conf.write_text(
            f"[snmp] persistentDir {self.dir / 'persist'}\n"  # not self.dir: snmpd writes snmpd.conf there
            f"agentAddress udp:{address}:161\n"
            "rocommunity public 198.18.0.0/15\n"
            'createUser reachv3 SHA-256 "auth-pass-123" AES "priv-pass-123"\n'
            "rouser reachv3 priv\n")
        self.proc = None

    def start(self):
        self.proc = self.host.popen(
            ["snmpd", "-f", "-C", "-c", str(self.conf), "-Lf", str(self.dir / "snmpd.log"),
             "-p", str(self.dir / "snmpd.pid"), "-M", "/nonexistent", "-m", ""],
            stdout=lablib.subprocess.DEVNULL, stderr=lablib.subprocess.DEVNULL)

    def stop(self):
        if self.proc:
            self.lab.stop(self.proc)
            self.proc = None


def until(fn, what, seconds=30.0):
    """fn() until it returns a true value, at most `seconds`; the last value otherwise fails."""
    deadline = time.monotonic() + seconds
    while True:
        v = fn()
        if v:
            return v
        assert time.monotonic() < deadline, f"{what}: still not after {seconds} s"
        time.sleep(0.3)


def agreed(mgmt, agent, snmp_args, ifname, state=None):
    """One SNMP read that equals the kernel's counters (snmpd caches them for a few seconds),
    with the kernel's values; the read goes through the engine only when it agrees."""
    def attempt():
        probe = read(mgmt, "snmp", *snmp_args)
        if "error" in probe:
            return None
        kernel = sysfs(agent, ifname)
        if (probe["rx"]["value"], probe["tx"]["value"]) != kernel:
            return None
        return read(mgmt, "snmp", *snmp_args, state=state) if state else probe, kernel
    got, kernel = until(attempt, f"SNMP counters of {ifname} equal to sysfs")
    if state:
        assert (got["rx"]["value"], got["tx"]["value"]) == kernel, "the counters moved between two reads"
    return got, kernel


@pytest.fixture
def snmp_lab(lab):
    need_snmpd()
    t = lab.chain(routers=1)
    mgmt, agent, peer = t.client, t.routers[0], t.server
    data = t.links[1]
    ifname = data.iface(agent)
    snmpd = Snmpd(lab, agent, t.links[0].addr4(agent))
    snmpd.start()
    yield lab, mgmt, agent, peer, data, ifname, snmpd, t.links[0].addr4(agent)
    snmpd.stop()


@pytest.mark.parametrize("version", ["v2c", "v3"])
def test_snmp_agrees_with_kernel(snmp_lab, version):
    lab, mgmt, agent, peer, data, ifname, snmpd, address = snmp_lab
    ifindex = int(agent.run(["cat", f"/sys/class/net/{ifname}/ifindex"]).stdout)
    args = [address, ifindex] + (V3 if version == "v3" else [])
    state = lab.tmpdir / f"state-{version}.json"
    first, k0 = agreed(mgmt, agent, args, ifname, state)
    assert first["rx_step"] == {"kind": "baseline", "bytes": 0}
    assert first["rx"]["bits"] == 64  # Debian's snmpd has ifHCInOctets
    assert first["rx"]["base"] == f"snmp:{address}/{ifindex}"
    traffic(peer, data.addr4(agent))
    second, k1 = agreed(mgmt, agent, args, ifname, state)
    assert second["rx_step"]["kind"] == "normal"
    assert second["rx_step"]["bytes"] == k1[0] - k0[0] > 300 * 1200
    assert second["tx_step"]["bytes"] == k1[1] - k0[1] > 300 * 1200
    # The agent's own view of the link is the netlink source's, too.
    local = read(agent, "interface", ifname)
    assert local["rx"]["value"] >= k1[0] and local["display"] == ifname


def test_snmpd_restart_is_not_traffic(snmp_lab):
    lab, mgmt, agent, peer, data, ifname, snmpd, address = snmp_lab
    args = [address, ifname]  # by name: resolved through ifName
    state = lab.tmpdir / "state-restart.json"
    _, k0 = agreed(mgmt, agent, args, ifname, state)
    traffic(peer, data.addr4(agent))
    before, k1 = agreed(mgmt, agent, args, ifname, state)
    assert before["rx_step"]["bytes"] == k1[0] - k0[0]
    snmpd.stop()
    time.sleep(1.1)  # sysUpTime of the new agent starts after the old one's last answer
    snmpd.start()
    after, k2 = agreed(mgmt, agent, args, ifname, state)
    # The new agent's start is seen (restarted after the previous reading) ...
    assert after["rx"]["restarted"] > before["rx"]["wall"]
    # ... and its counters went on: what counts is only what the kernel counted meanwhile.
    assert after["rx_step"]["kind"] == "normal"
    assert after["rx_step"]["bytes"] == k2[0] - k1[0]
    assert after["tx_step"]["bytes"] == k2[1] - k1[1]
    assert k2[0] - k1[0] < 10_000, "nothing but stray control traffic crossed the data link"


def recreate(lab, data):
    """Deletes the data veth and makes it again with the same names and addresses."""
    a, b = data.a, data.b
    a.ip("link", "del", data.if_a)
    a.ip("link", "add", data.if_a, "type", "veth", "peer", "name", data.if_b, "netns", b.ns)
    a.ip("addr", "add", f"{data.a4}/24", "dev", data.if_a)
    b.ip("addr", "add", f"{data.b4}/24", "dev", data.if_b)
    # No IPv6 on the new pair: its MLD reports would trickle over the link for seconds after
    # it comes up, and every count here must equal the kernel's at one instant.
    a.sysctl(f"net.ipv6.conf.{data.if_a}.disable_ipv6", 1)
    b.sysctl(f"net.ipv6.conf.{data.if_b}.disable_ipv6", 1)
    a.ip("link", "set", data.if_a, "up")
    b.ip("link", "set", data.if_b, "up")


def test_recreated_veth_is_a_new_base(snmp_lab):
    lab, mgmt, agent, peer, data, ifname, snmpd, address = snmp_lab
    nl_state = lab.tmpdir / "state-netlink.json"
    snmp_state = lab.tmpdir / "state-snmp-recreate.json"
    traffic(peer, data.addr4(agent), count=200)  # an old counter well above the new one's
    agreed(mgmt, agent, [address, ifname], ifname, snmp_state)
    old = read(agent, "interface", ifname, state=nl_state)
    assert old["rx_step"]["kind"] == "baseline"
    recreate(lab, data)
    traffic(peer, data.addr4(agent), count=20)
    new = read(agent, "interface", ifname, state=nl_state)
    kernel = sysfs(agent, ifname)
    assert new["rx"]["base"] != old["rx"]["base"]
    assert new["rx_step"]["kind"] == "new_base"
    # The counters are quiet now (lab links carry nothing else): all the new bytes, no more.
    assert (new["rx_step"]["bytes"], new["tx_step"]["bytes"]) == kernel
    assert kernel[0] < old["rx"]["value"]
    # Through SNMP with the interface named: the new ifIndex is a new base too (net-snmp keeps
    # the old row, down, under the same name: the newest row that is up is the one).
    got, kernel = agreed(mgmt, agent, [address, ifname], ifname, snmp_state)
    assert got["rx_step"]["kind"] == "new_base"
    assert (got["rx_step"]["bytes"], got["tx_step"]["bytes"]) == kernel


def test_recreated_veth_while_the_sampler_runs(snmp_lab):
    """As the daemon keeps it: one SnmpSampler, its ifIndex resolved once from the name, polled
    while the veth is deleted and re-created. It must leave the old row (frozen, then down) for
    the new one, and count exactly the new interface's bytes."""
    lab, mgmt, agent, peer, data, ifname, snmpd, address = snmp_lab
    state = lab.tmpdir / "state-sampler.json"
    agreed(mgmt, agent, [address, ifname], ifname)  # snmpd is up and current
    proc = mgmt.popen([tool(), "--state", str(state), "--polls", "160", "--interval-ms", "250",
                       "snmp", address, ifname])
    lines = []

    def next_line():
        line = proc.stdout.readline()
        assert line, f"the sampler ended early: {proc.stderr.read()}"
        lines.append(json.loads(line))
        return lines[-1]

    until(lambda: "error" not in next_line() and lines[-1]["rx_step"]["kind"] == "baseline", "a baseline")
    recreate(lab, data)
    traffic(peer, data.addr4(agent), count=20)

    def caught_up():
        line = next_line()
        nonlocal kernel
        kernel = sysfs(agent, ifname)
        return "rx" in line and (line["rx"]["value"], line["tx"]["value"]) == kernel and line
    kernel = None
    last = until(caught_up, "the sampler on the new interface", seconds=35)
    lab.stop(proc)
    counted = [l for l in lines if "rx_step" in l]
    old_base, new_base = counted[0]["rx"]["base"], last["rx"]["base"]
    assert new_base != old_base
    old = [l for l in counted if l["rx"]["base"] == old_base]
    new = [l for l in counted if l["rx"]["base"] == new_base]
    assert len(old) + len(new) == len(counted)
    assert new[0]["rx_step"]["kind"] == "new_base"
    for d, k in (("rx", 0), ("tx", 1)):
        # The old row: what its counter moved while we watched it, nothing after (frozen, down).
        assert sum(l[f"{d}_step"]["bytes"] for l in old) == old[-1][d]["value"] - old[0][d]["value"]
        # The new interface: exactly its kernel counter.
        assert sum(l[f"{d}_step"]["bytes"] for l in new) == kernel[k]


def test_snmp_errors_are_clear(snmp_lab):
    lab, mgmt, agent, peer, data, ifname, snmpd, address = snmp_lab
    agreed(mgmt, agent, [address, ifname], ifname)
    assert "no such interface" in read(mgmt, "snmp", address, 999)["error"]
    assert "no interface named" in read(mgmt, "snmp", address, "nosuch0")["error"]
    wrong = read(mgmt, "snmp", address, ifname, "--v3", "reachv3", "SHA-256", "wrong-pass-1", "AES", "priv-pass-123")
    assert wrong["error"].startswith(f"snmp get {address}:"), wrong
    snmpd.stop()
    t0 = time.monotonic()
    gone = read(mgmt, "snmp", address, 1)
    assert gone["error"] == f"snmp get {address}: no answer (timeout)"
    gone = read(mgmt, "snmp", address, 1, *V3)  # v3 fails earlier, in engine discovery: same words
    assert gone["error"] == f"snmp get {address}: no answer (timeout)"
    assert time.monotonic() - t0 < 20


def test_mrtg_source(tmp_path):
    """An MRTG external script as a source: its 4 lines, its failures, its timeout."""
    script = tmp_path / "cw2mrtg.sh"
    script.write_text("#!/bin/sh\necho 123456789012\necho 42\necho '3 days'\necho eni-0abc\n")
    script.chmod(0o755)
    r = lablib.subprocess.run([tool(), "mrtg", "2000", str(script)], capture_output=True, text=True, timeout=30)
    got = json.loads(r.stdout)
    assert (got["rx"]["value"], got["tx"]["value"], got["display"]) == (123456789012, 42, "eni-0abc")
    assert got["rx"]["base"] == ""
    for text, timeout_ms, says in [("echo UNKNOWN; echo 1", 10000, "UNKNOWN"),
                                   ("echo 1; exit 4", 10000, "exit status 4"),
                                   ("sleep 20", 500, "timed out after 500 ms")]:
        script.write_text(f"#!/bin/sh\n{text}\n")
        t0 = time.monotonic()
        r = lablib.subprocess.run([tool(), "mrtg", str(timeout_ms), str(script)], capture_output=True, text=True,
                                  timeout=30)
        assert says in json.loads(r.stdout)["error"]
        assert time.monotonic() - t0 < 10
