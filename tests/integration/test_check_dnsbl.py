"""reach check --dnsbl against a DNS blocklist served in the lab: dnsmasq in the server's
namespace answers the zone `dnsbl.test.` (one listed IPv4 address with a TXT reason, one listed
IPv6 address with two return codes, one address answered with Spamhaus' "public resolver"
refusal code 127.255.255.254, NXDOMAIN for everything else) and forwards the zone `silent.test.`
to an address routed to the client, which does not forward: every query vanishes. reach runs in the client's
namespace and asks dnsmasq (--dns-server). Needs root (skips otherwise)."""

import json
import subprocess
import time
from pathlib import Path

import pytest

DNSMASQ = Path("/usr/sbin/dnsmasq")
TIMEOUT = 60
LISTED4, CLEAN4, REFUSED4 = "198.18.77.2", "198.18.77.3", "198.18.77.4"
LISTED6 = "2001:db8:77::1"
TXT = "Listed by the lab: see https://dnsbl.test/?198.18.77.2"


def nibbles(addr):
    import ipaddress
    return ".".join(reversed(ipaddress.IPv6Address(addr).exploded.replace(":", "")))


def v4name(addr):
    return ".".join(reversed(addr.split(".")))


@pytest.fixture
def blocklist(lab, reach):
    if not DNSMASQ.exists():
        pytest.skip("dnsmasq not installed (scripts/install-deps.sh)")
    p = lab.pair()
    # silent.test is forwarded to 198.18.250.1, routed to the client, which is no router and
    # drops it without a word (no ICMP): sent, and never heard of again.
    p.server.ip("route", "add", "198.18.250.1/32", "via", p.client4)
    p.server.popen([str(DNSMASQ), "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    "--bind-interfaces", f"--listen-address={p.server4},{p.server6}", "--port=53", "--pid-file", "--user=root",
                    "--log-facility=-", "--local=/dnsbl.test/", "--server=/silent.test/198.18.250.1",
                    f"--host-record={v4name(LISTED4)}.dnsbl.test,127.0.0.2",
                    f"--txt-record={v4name(LISTED4)}.dnsbl.test,{TXT}",
                    f"--address=/{nibbles(LISTED6)}.dnsbl.test/127.0.0.4",
                    f"--address=/{nibbles(LISTED6)}.dnsbl.test/127.0.0.10",
                    f"--host-record={v4name(REFUSED4)}.dnsbl.test,127.255.255.254"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30  # each try starts an ASan reach: seconds apiece under load
    while time.monotonic() < deadline:
        r = check(p, reach, "--dnsbl-zone", "dnsbl.test", "-W", "0.5", "-r", "0", "--json", LISTED4, timeout=30)
        if '"result":"listed"' in r.stdout:
            break
        time.sleep(0.1)
    else:
        pytest.fail("dnsmasq did not come up")
    return p


def check(p, reach, *args, timeout=TIMEOUT):
    return p.client.run([str(reach), "check", "--dnsbl", "--dns-server", p.server4, *args], check=False,
                        timeout=timeout)


def ndjson(text):
    rows = [json.loads(l) for l in text.splitlines() if l.strip()]
    assert rows and rows[-1]["type"] == "summary", text
    assert all(r["version"] == 1 for r in rows), text
    return [r for r in rows if r["type"] == "dnsbl"], rows[-1]


def test_listed_not_listed_refused_and_v6(blocklist, reach):
    p = blocklist
    r = check(p, reach, "--dnsbl-zone", "dnsbl.test", "--json", "-W", "2",
              LISTED4, CLEAN4, LISTED6, REFUSED4, f"::ffff:{LISTED4}")
    assert r.returncode == 1, r.stdout + r.stderr
    rows, summary = ndjson(r.stdout)
    got = {row["input"]: row for row in rows}
    assert len(rows) == 4, rows  # ::ffff:198.18.77.2 is 198.18.77.2: asked once
    l4 = got[LISTED4]
    assert l4["result"] == "listed" and l4["listed"] and not l4["ok"], l4
    assert l4["codes"] == ["127.0.0.2"] and l4["txt"] == TXT, l4
    assert l4["query"] == f"{v4name(LISTED4)}.dnsbl.test." and l4["rcode"] == "NOERROR", l4
    assert 0 < l4["time_ms"] < 2000, l4
    c4 = got[CLEAN4]
    assert c4["result"] == "not-listed" and c4["ok"] and c4["rcode"] == "NXDOMAIN" and "codes" not in c4, c4
    l6 = got[LISTED6]
    assert l6["result"] == "listed" and sorted(l6["codes"]) == ["127.0.0.10", "127.0.0.4"], l6
    assert l6["query"] == f"{nibbles(LISTED6)}.dnsbl.test.", l6
    ref = got[REFUSED4]
    assert ref["result"] == "error" and not ref["listed"], ref
    assert ref["codes"] == ["127.255.255.254"] and "public or open resolver" in ref["reason"], ref
    assert summary["total"] == 4 and summary["listed"] == 2 and summary["not_listed"] == 1, summary
    assert summary["errors"] == 1 and summary["listed_addresses"] == 2, summary

    # The mapped address on its own: looked up as IPv4, and the row says so.
    r = check(p, reach, "--dnsbl-zone", "dnsbl.test", "--json", f"::ffff:{LISTED4}")
    rows, _ = ndjson(r.stdout)
    assert rows[0]["mapped_v4"] and rows[0]["addr"] == LISTED4 and rows[0]["result"] == "listed", rows

    # The text table: a row per address, the codes and the TXT reason, and the summary line.
    r = check(p, reach, "--dnsbl-zone", "dnsbl.test", LISTED4, CLEAN4)
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["ADDRESS", "ZONE", "RESULT", "TIME", "CODES", "REASON"], r.stdout
    assert lines[1].split()[:3] == [LISTED4, "dnsbl.test", "listed"] and TXT in lines[1], r.stdout
    assert lines[2].split()[:3] == [CLEAN4, "dnsbl.test", "not-listed"], r.stdout
    assert lines[3].startswith("2 addresses x 1 zone: 1 listed, 1 not listed, 0 zone errors"), r.stdout

    # Nothing listed, every zone answered: exit 0; the resolver over IPv6, with its port.
    r = p.client.run([str(reach), "check", "--dnsbl", "--dns-server", f"[{p.server6}]:53", "--dnsbl-zone",
                      "dnsbl.test", CLEAN4, "2001:db8:77::2"], check=False, timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr


def test_without_dns_server_the_system_resolver_is_asked(blocklist, reach, tmp_path):
    """`ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf."""
    p = blocklist
    etc = Path("/etc/netns") / p.client.ns
    etc.mkdir(parents=True, exist_ok=False)
    try:
        (etc / "resolv.conf").write_text(f"nameserver {p.server4}\n")
        r = p.client.run([str(reach), "check", "--dnsbl", "--dnsbl-zone", "dnsbl.test", "--json", LISTED4],
                         check=False, timeout=TIMEOUT)
        rows, _ = ndjson(r.stdout)
        assert rows[0]["result"] == "listed" and rows[0]["txt"] == TXT, rows
        (etc / "resolv.conf").write_text("# no name server\n")
        r = p.client.run([str(reach), "check", "--dnsbl", "--dnsbl-zone", "dnsbl.test", LISTED4], check=False,
                         timeout=TIMEOUT)
        # c-ares falls back to 127.0.0.1 when resolv.conf names none: nothing listens there.
        assert r.returncode == 1 and "error" in r.stdout, r.stdout + r.stderr
    finally:
        for f in etc.iterdir():
            f.unlink()
        etc.rmdir()


def test_a_silent_zone_is_an_error_in_bounded_time(blocklist, reach):
    p = blocklist
    r = check(p, reach, "--dnsbl-zone", "dnsbl.test", "--dnsbl-zone", "silent.test", "--dnsbl-zone", "other.test",
              "-W", "1", "--json", CLEAN4)
    assert r.returncode == 1, r.stdout + r.stderr
    rows, summary = ndjson(r.stdout)
    by_zone = {row["zone"]: row for row in rows}
    assert by_zone["dnsbl.test"]["result"] == "not-listed", rows
    silent = by_zone["silent.test"]
    assert silent["result"] == "error" and not silent["listed"] and "time_ms" not in silent, silent
    assert silent["attempts"] == 2 and silent["reason"] == "no answer within 1s x 2 attempts", silent
    # Two attempts of 1 s (the default retry), not the resolver's own patience. Timed by reach
    # from its first query to its last answer (the summary's elapsed_ms): the wall time of the
    # process also holds an ASan binary's start and exit, 10 s at CI's load.
    took = summary["elapsed_ms"] / 1e3
    assert 1.9 < took < 6, took
    # dnsmasq refuses zones it neither holds nor forwards: a zone error, not a clean bill.
    other = by_zone["other.test"]
    assert other["result"] == "error" and other["rcode"] == "REFUSED" and "REFUSED" in other["reason"], other
    assert summary["errors"] == 2 and summary["not_listed"] == 1, summary

    # -r 0: one attempt.
    r = check(p, reach, "--dnsbl-zone", "silent.test", "-W", "0.5", "-r", "0", "--json", CLEAN4)
    rows, summary = ndjson(r.stdout)
    assert rows[0]["attempts"] == 1 and rows[0]["result"] == "error", rows
    took = summary["elapsed_ms"] / 1e3
    assert 0.4 < took < 4, took


def test_nagios_states(blocklist, reach):
    p = blocklist
    r = check(p, reach, "--dnsbl-zone", "dnsbl.test", "--dnsbl-zone", "silent.test", "-W", "0.5", "-r", "0",
              "--nagios", LISTED4, CLEAN4)
    assert r.returncode == 2, r.stdout + r.stderr
    first, *rest = r.stdout.splitlines()
    assert first.startswith(f"CHECK CRITICAL: 1 of 2 addresses listed ({LISTED4} on dnsbl.test 127.0.0.2)"), first
    assert "'listed'=1;;0;0;2 'listings'=1;;;0;4 'zone_errors'=2;;;0;4" in first, first
    assert any(l == f"{LISTED4} on dnsbl.test: listed 127.0.0.2, {TXT}" for l in rest), rest
    assert f"{CLEAN4} on silent.test: error, no answer within 0.5s x 1 attempt" in rest, rest

    r = check(p, reach, "--dnsbl-zone", "dnsbl.test", "--dnsbl-zone", "silent.test", "-W", "0.5", "-r", "0",
              "--nagios", CLEAN4)
    assert r.returncode == 3 and r.stdout.startswith("CHECK UNKNOWN: 0 of 1 addresses listed, 1 of 2 queries"), r.stdout

    r = check(p, reach, "--dnsbl-zone", "dnsbl.test", "--nagios", CLEAN4)
    assert r.returncode == 0 and r.stdout.startswith("CHECK OK: 0 of 1 addresses listed |"), r.stdout


@pytest.mark.parametrize("args,why", [
    (["example.org"], "'example.org': not an IP address"),
    (["198.18.77.2:25"], "not an IP address"),
    (["fe80::1%lo"], "an address with a zone"),
    ([], "give the addresses to look up"),
    (["--dnsbl-zone", "", "198.18.77.2"], "--dnsbl-zone '': an empty zone"),
    (["--dnsbl-zone", "a..b", "198.18.77.2"], "an empty label"),
    (["--dnsbl-zone", "dnsbl.test", "--kind", "tcp", "198.18.77.2"], "--kind: does not apply to --dnsbl"),
])
def test_bad_input_is_one_line_and_exit_2(lab, reach, args, why):
    h = lab.host("client")
    r = h.run([str(reach), "check", "--dnsbl", "--dns-server", "198.18.0.1", *args], check=False, timeout=TIMEOUT)
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and why in r.stderr, r.stderr
    r = h.run([str(reach), "check", "--dns-server", "bad", "--dnsbl", "198.18.77.2"], check=False, timeout=TIMEOUT)
    assert r.returncode == 2 and "--dns-server bad: write ADDR" in r.stderr, r.stderr
