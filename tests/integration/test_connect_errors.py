"""One classifier for the end of a connect() (issue 16, kind 2): a router between client and
server rejects forwarded SYNs with an ICMP error; check, scan --connect and ping --connect must
say what the ICMP says, name the router, and agree with the SYN scan. Needs root."""

import json

import pytest

TIMEOUT = 30

# (nft reject for IPv4, its scan reason, check result), (nft reject for IPv6, ...)
CASES = [
    (("port-unreachable", "port-unreachable", "filtered"), ("port-unreachable", "port-unreachable", "filtered")),
    (("prot-unreachable", "proto-unreachable", "filtered"), ("addr-unreachable", "host-unreachable", "unreachable")),
    (("admin-prohibited", "admin-prohibited", "prohibited"), ("admin-prohibited", "admin-prohibited", "prohibited")),
]


def reject_forwarded(router, v4, v6):
    router.nft(f"""table inet reject_syn {{
  chain forward {{
    type filter hook forward priority 0; policy accept;
    meta nfproto ipv4 tcp dport {{ 80, 81 }} reject with icmp type {v4}
    meta nfproto ipv6 tcp dport {{ 80, 81 }} reject with icmpv6 type {v6}
  }}
}}
""")


def scan(host, reach, *args):
    r = host.run([str(reach), "scan", "--json", "-p", "80,81", *args], check=False, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    return {row["port"]: (row["state"], row["reason"], row.get("from")) for row in rows if row.get("type") == "port"}


@pytest.mark.parametrize("case", range(len(CASES)))
def test_an_icmp_error_about_a_syn_is_named_with_its_sender(lab, reach, case):
    ch = lab.chain(routers=1)
    router = ch.routers[0]
    ch.server.listen(tcp=[80, 81])  # open, were it not for the router
    reject_forwarded(router, CASES[case][0][0], CASES[case][1][0])
    for server, hop, (_, reason, result) in ((ch.server4, ch.hops4[0], CASES[case][0]),
                                             (ch.server6, ch.hops6[0], CASES[case][1])):
        endpoint = f"[{server}]:80" if ":" in server else f"{server}:80"
        r = ch.client.run([str(reach), "check", "--json", endpoint], check=False, timeout=TIMEOUT)
        row = [json.loads(l) for l in r.stdout.splitlines() if l.strip()][0]
        assert row["result"] == result, row
        assert "RST" not in row["reason"] and "refused" not in row["reason"], row
        assert row["reason"].startswith(f"{reason} from {hop} "), row
        assert row["icmp_from"] == hop, row

        connect = scan(ch.client, reach, "--connect", server)
        syn = scan(ch.client, reach, server)
        assert connect == syn, (connect, syn)
        assert connect == {80: ("filtered", reason, hop), 81: ("filtered", reason, hop)}, connect

        r = ch.client.run([str(reach), "ping", "--connect", "-c", "1", "-p", "80", server], check=False,
                          timeout=TIMEOUT)
        assert r.returncode == 1, r.stdout
        assert f"From {hop} tcp_seq=1 " in r.stdout and f"From {server}" not in r.stdout, r.stdout
        assert "refused" not in r.stdout.lower(), r.stdout


def test_a_rst_from_the_target_is_still_refused(lab, reach):
    ch = lab.chain(routers=1)
    for server in (ch.server4, ch.server6):
        endpoint = f"[{server}]:81" if ":" in server else f"{server}:81"
        r = ch.client.run([str(reach), "check", "--json", endpoint], check=False, timeout=TIMEOUT)
        row = json.loads(r.stdout.splitlines()[0])
        assert row["result"] == "refused" and row["reason"] == "connection refused (RST)", row
