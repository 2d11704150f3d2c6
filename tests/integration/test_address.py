"""One address rule in every command (issue 16, kind 1): a router's link-local address on the
client's link, with and without its zone, through ping, trace, scan, check and ping --connect;
a bad interface after '%'; a link-local target from a host with two links. Needs root."""

import re

import pytest

TIMEOUT = 30


def link_local(host, iface):
    out = host.run(["ip", "-6", "addr", "show", "dev", iface]).stdout
    return re.search(r"inet6 (fe80::[0-9a-f:]+)/64", out).group(1)


@pytest.fixture
def linklocal(lab):
    """client - r1 - server; r1 listens on TCP 22. Returns (chain, r1's link-local address on
    the client's link, the client's interface to r1)."""
    ch = lab.chain(routers=1)
    r1 = ch.routers[0]
    r1.listen(tcp=[22])
    return ch, link_local(r1, r1.iface_to(ch.client)), ch.client.iface_to(r1)


def reach_run(host, reach, *args):
    return host.run([str(reach), *args], check=False, timeout=TIMEOUT)


def test_every_command_reaches_a_zoned_link_local_address(linklocal, reach):
    ch, ll, ifc = linklocal
    target = f"{ll}%{ifc}"
    cases = [
        (["ping", "-c", "1", target], rf"bytes from {ll}: icmp_seq=1"),
        (["ping", "-c", "1", "--connect", "-p", "22", target], rf"connected to {ll} port 22"),
        (["trace", "-n", "-q", "1", target], rf"^ 1  {ll}  [0-9.]+ ms$"),
        (["trace", "-n", "-q", "1", "--tcp", "-p", "22", target], rf"^ 1  {ll}  [0-9.]+ ms$"),
        (["scan", "-p", "22", target], r"^22/tcp +open"),
        (["scan", "--connect", "-p", "22", target], r"^22/tcp +open"),
        (["scan", "-p", "22", f"[{target}]"], r"^22/tcp +open"),
        (["check", f"[{target}]:22"], r"\bopen\b.*connected"),
        (["check", "--kind", "syn", f"[{target}]:22"], r"\bopen\b"),
        (["check", "--kind", "icmp", target], r"\balive\b"),
    ]
    for args, want in cases:
        r = reach_run(ch.client, reach, *args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        assert re.search(want, r.stdout, re.M), (args, r.stdout)


def test_zone_by_index_and_from_a_file(linklocal, reach, tmp_path):
    ch, ll, ifc = linklocal
    index = ch.client.run(["cat", f"/sys/class/net/{ifc}/ifindex"]).stdout.strip()
    r = reach_run(ch.client, reach, "ping", "-c", "1", f"{ll}%{index}")
    assert r.returncode == 0, r.stderr
    listing = ch.client.run(["mktemp"]).stdout.strip()
    ch.client.run(["sh", "-c", f"echo '{ll}%{ifc} 22 r1' > {listing}"])
    r = reach_run(ch.client, reach, "check", "--file", listing)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert re.search(r"^r1 .*\bopen\b", r.stdout, re.M), r.stdout


def test_the_only_link_is_the_zone(linklocal, reach):
    """Without a zone, the client's one link is the interface, in every command."""
    ch, ll, _ = linklocal
    for args in (["ping", "-c", "1", ll], ["trace", "-n", "-q", "1", ll], ["scan", "-p", "22", ll],
                 ["check", f"[{ll}]:22"], ["ping", "-c", "1", "--connect", "-p", "22", ll]):
        r = reach_run(ch.client, reach, *args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)


def test_bad_zones_and_several_links_are_one_clear_line(linklocal, reach):
    ch, ll, _ = linklocal
    for cmd in (["ping", "-c", "1"], ["trace", "-n"], ["scan", "-p", "22"]):
        r = reach_run(ch.client, reach, *cmd, f"{ll}%nosuchif")
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        assert "no interface nosuchif" in r.stderr and "Name or service" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    r = reach_run(ch.client, reach, "check", f"[{ll}%nosuchif]:22")
    assert r.returncode == 2 and "no interface nosuchif" in r.stderr, (r.stdout, r.stderr)
    # r1 has two links: a link-local target without a zone is ambiguous there.
    r1 = ch.routers[0]
    client_ll = link_local(ch.client, ch.client.iface_to(r1))
    names = sorted(l.iface(r1) for l in r1.links)
    for cmd in (["ping", "-c", "1"], ["trace", "-n"], ["scan", "-p", "22"], ["check"]):
        target = f"[{client_ll}]:22" if cmd == ["check"] else client_ll
        r = reach_run(r1, reach, *cmd, target)
        assert r.returncode == 2, (cmd, r.stdout, r.stderr)
        assert f"{client_ll}%IF" in r.stderr and ", ".join(names) in r.stderr, r.stderr
    # -I names the interface, as iputils ping -I does.
    r = reach_run(r1, reach, "ping", "-c", "1", "-I", r1.iface_to(ch.client), client_ll)
    assert r.returncode == 0, r.stderr
