"""Options are the protocol's limits and 0 is a value (issue 16, kind 4): -s up to 65507 (IPv4) /
65527 (IPv6) for ICMP and UDP, 65491 / 65511 for TCP SYN, answered at the limit and refused one
byte above it; -t 0 and -w 0 refused as -t 256 is. Needs root."""

import pytest

TIMEOUT = 30


@pytest.fixture
def pair(lab):
    p = lab.pair()
    p.server.listen(tcp=[80], udp=[5000], mode="echo")
    return p


def ping(host, reach, *args):
    return host.run([str(reach), "ping", "-c", "1", "-W", "5", *args], check=False, timeout=TIMEOUT)


@pytest.mark.parametrize("method,v4max,v6max", [([], 65507, 65527), (["--udp", "-p", "5000"], 65507, 65527),
                                                (["--tcp"], 65491, 65511)])
def test_size_reaches_the_protocol_limit(pair, reach, method, v4max, v6max):
    for server, limit in ((pair.server4, v4max), (pair.server6, v6max)):
        r = ping(pair.client, reach, *method, "-s", str(limit), server)
        assert r.returncode == 0, (method, limit, r.stdout, r.stderr)
        assert "1 received" in r.stdout, r.stdout
        r = ping(pair.client, reach, *method, "-s", str(limit + 1), server)
        assert r.returncode == 2, (method, limit, r.stdout, r.stderr)
        assert f"at most {limit}" in r.stderr and r.stdout == "", r.stderr


def test_zero_is_a_value_not_unset(pair, reach):
    for args, words in ((["-t", "0"], "ttl 0 out of range: 1 to 255"),
                        (["-t", "256"], "ttl 256 out of range"),
                        (["-w", "0"], "bad wait time: 0"),
                        (["--connect", "-s", "10"], "-s does not apply")):
        r = ping(pair.client, reach, *args, pair.server4)
        assert r.returncode == 2 and words in r.stderr and r.stdout == "", (args, r.stderr)
    # -t 1 is a real hop limit: the server is one hop away, so it still answers.
    assert ping(pair.client, reach, "-t", "1", pair.server4).returncode == 0
    for cmd, words in ((["trace", "-f", "0"], "first hop"), (["trace", "-N", "0"], "-N"),
                       (["trace", "-q", "0"], "probes per hop"), (["scan", "--rate", "0"], "bad rate"),
                       (["scan", "--connect", "--timeout", "0"], "timeout"), (["scan", "--concurrency", "0"], "concurrency"),
                       (["check", "-j", "0"], "-j 0"), (["check", "-W", "0"], "-W 0")):
        target = f"{pair.server4}:80" if cmd[0] == "check" else pair.server4
        r = pair.client.run([str(reach), *cmd, target], check=False, timeout=TIMEOUT)
        assert r.returncode == 2 and words in r.stderr, (cmd, r.stdout, r.stderr)
