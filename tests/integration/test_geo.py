"""--geo: country and AS of addresses in trace, scan and sockets, from MaxMind DB files built in
the test with Debian's libmaxmind-db-writer-perl (tests/lab/make_geo_db.pl). A country file and
an ASN file together give both fields; a missing database never stops the command."""

import subprocess
import time
from pathlib import Path

import pytest

import lab as lablib

MAKE_DB = Path(__file__).resolve().parents[1] / "lab" / "make_geo_db.pl"
TIMEOUT = 60


def make_db(path, kind, *nets):
    subprocess.run(["perl", str(MAKE_DB), str(path), kind, *nets], check=True, timeout=60)
    return path


@pytest.fixture
def geo(lab, tmp_path):
    """A chain client - r1 - r2 - server; r1 and the server are in the databases, r2 is not."""
    chain = lab.chain(routers=2)
    c = make_db(tmp_path / "country.mmdb", "GeoLite2-Country",
                f"{chain.hops4[0]}/32=DE", f"{chain.hops6[0]}/128=DE",
                f"{chain.server4}/32=NL", f"{chain.server6}/128=FR")
    a = make_db(tmp_path / "asn.mmdb", "GeoLite2-ASN",
                f"{chain.hops4[0]}/32=:64501:Lab Transit", f"{chain.hops6[0]}/128=:64501:Lab Transit",
                f"{chain.server4}/32=:64502:Lab \x1b[31mServer")
    return chain, ["--geo-db", str(c), "--geo-db", str(a)]


def run(host, reach, *args):
    return host.run([str(reach), *[str(x) for x in args]], check=False, timeout=TIMEOUT)


@pytest.mark.parametrize("v6", [False, True], ids=["v4", "v6"])
def test_trace_hops_carry_country_and_as(geo, reach, v6):
    chain, dbs = geo
    server = chain.server6 if v6 else chain.server4
    hops = chain.hops6 if v6 else chain.hops4
    r = run(chain.client, reach, "trace", "-n", "--json", *dbs, server)
    assert r.returncode == 0, r.stderr
    path = [e for e in lablib.parse_ndjson(r.stdout) if e["type"] == "path"][0]
    got = {resp["addr"]: resp.get("geo") for h in path["hops"] for resp in h["responders"]}
    assert got[hops[0]] == {"country": "DE", "asn": 64501, "as_org": "Lab Transit"}
    assert got[hops[1]] is None  # in no database: no key, not an empty object
    if v6:
        assert got[server] == {"country": "FR"}  # the ASN file does not know it
    else:  # the organisation's escape code is made printable, never passed through
        assert got[server] == {"country": "NL", "asn": 64502, "as_org": "Lab \\x1b[31mServer"}
    t = run(chain.client, reach, "trace", "-n", *dbs, server)
    assert t.returncode == 0, t.stderr
    lines = t.stdout.splitlines()
    assert f" 1  {hops[0]} [DE AS64501] " in lines[1] + " ", t.stdout
    assert "[" not in lines[2], t.stdout
    assert (f"{server} [FR] " if v6 else f"{server} [NL AS64502] ") in lines[3] + " ", t.stdout
    assert "\x1b" not in t.stdout


def test_trace_report_and_missing_database(geo, reach, tmp_path):
    chain, dbs = geo
    r = run(chain.client, reach, "trace", "-n", "-r", "-c", "2", "--interval", "0.2", *dbs, chain.server4)
    assert r.returncode == 0, r.stderr
    row = [l for l in r.stdout.splitlines() if l.strip().startswith("1.|--")][0]
    assert f"{chain.hops4[0]} [DE AS64501]" in row, r.stdout
    # --geo with no database where it looks: one notice, the trace as without --geo, exit 0.
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    g = chain.client.run(["env", f"REACH_GEOIP_DIR={empty}", str(reach), "trace", "-n", "--geo", chain.server4],
                         check=False, timeout=TIMEOUT)
    assert g.returncode == 0, g.stderr
    # (under load trace may add its own notice about kernel timestamps: count only --geo's lines)
    geo_lines = [l for l in g.stderr.splitlines() if "--geo" in l]
    assert len(geo_lines) == 1 and "no MaxMind database" in geo_lines[0] and str(empty) in geo_lines[0], g.stderr
    assert "[" not in g.stdout
    # The default directory is searched: the same files found there give the same answer.
    for f in dbs[1::2]:
        (empty / Path(f).name).write_bytes(Path(f).read_bytes())
    g = chain.client.run(["env", f"REACH_GEOIP_DIR={empty}", str(reach), "trace", "-n", "--geo", chain.server4],
                         check=False, timeout=TIMEOUT)
    assert g.returncode == 0 and "--geo" not in g.stderr, g.stderr
    assert f"{chain.hops4[0]} [DE AS64501]" in g.stdout, g.stdout
    # A broken file found there is skipped with a notice; the good ones still annotate.
    good = (empty / "country.mmdb").read_bytes()
    (empty / "0-truncated.mmdb").write_bytes(good[: len(good) // 2])
    g = chain.client.run(["env", f"REACH_GEOIP_DIR={empty}", str(reach), "trace", "-n", "--geo", chain.server4],
                         check=False, timeout=TIMEOUT)
    assert g.returncode == 0, g.stderr
    geo_lines = [l for l in g.stderr.splitlines() if "--geo" in l]
    assert len(geo_lines) == 1 and "0-truncated.mmdb" in geo_lines[0] and "skipped" in geo_lines[0], g.stderr
    assert f"{chain.hops4[0]} [DE AS64501]" in g.stdout, g.stdout
    # A file the user names that is not a database: one line, exit 2, nothing probed.
    bad = tmp_path / "bad.mmdb"
    bad.write_text("not a database\n")
    b = run(chain.client, reach, "trace", "-n", "--geo-db", bad, chain.server4)
    assert b.returncode == 2 and b.stdout == "", b.stdout
    assert b.stderr.strip().count("\n") == 0 and str(bad) in b.stderr, b.stderr
    # An empty file and a directory are named as such (libmaxminddb's mmap errno said "Invalid
    # argument" and "No such device").
    empty = tmp_path / "empty.mmdb"
    empty.write_text("")
    (tmp_path / "dir.mmdb").mkdir()
    for path, why in ((empty, "an empty file, not a MaxMind database"),
                      (tmp_path / "dir.mmdb", "a directory, not a .mmdb file")):
        b = run(chain.client, reach, "trace", "-n", "--geo-db", path, chain.server4)
        assert b.returncode == 2 and b.stdout == "", b.stdout
        assert b.stderr == f"reach trace: --geo-db: open MaxMind database {path}: {why}\n", b.stderr


def test_scan_hosts_carry_country_and_as(geo, reach):
    chain, dbs = geo
    chain.server.listen(tcp=[8080])
    # Targets after the repeated --geo-db: one file per --geo-db, the rest stay targets.
    r = run(chain.client, reach, "scan", "--json", "-p", "8080", *dbs, chain.server4, chain.hops4[1])
    assert r.returncode == 0, r.stderr
    hosts = {e["addr"]: e.get("geo") for e in lablib.parse_ndjson(r.stdout) if e["type"] == "host"}
    assert hosts[chain.server4]["country"] == "NL" and hosts[chain.server4]["asn"] == 64502, hosts
    assert hosts.get(chain.hops4[1]) is None, hosts
    t = run(chain.client, reach, "scan", "-p", "8080", *dbs, chain.server4)
    assert f"Scan report for {chain.server4} [NL AS64502]\n" in t.stdout, t.stdout


def test_sockets_peers_carry_country_and_as(geo, reach, lab):
    chain, dbs = geo
    chain.server.listen(tcp=[8080], mode="hold")
    hold = ("import socket, sys, time\n"
            "c = socket.create_connection((sys.argv[1], 8080), timeout=10)\n"
            "print('up', flush=True)\n"
            "time.sleep(60)\n")
    p = chain.client.popen([lablib.python_bin(), "-c", hold, chain.server4])
    try:
        assert p.stdout.readline().strip() == "up"
        r = run(chain.client, reach, "sockets", "-t", "-a", "-n", "--json", *dbs)
        assert r.returncode == 0, r.stderr
        rows = [e for e in lablib.parse_ndjson(r.stdout) if e["type"] == "socket"]
        conn = [x for x in rows if x["peer_addr"] == chain.server4 and x["peer_port"] == 8080]
        assert len(conn) == 1 and conn[0]["peer_geo"]["country"] == "NL", rows
        t = run(chain.client, reach, "sockets", "-t", "-n", *dbs)
        assert t.stdout.splitlines()[1].endswith(" Geo"), t.stdout
        line = [l for l in t.stdout.splitlines() if f"{chain.server4}:8080" in l][0]
        assert line.endswith(" [NL AS64502]"), t.stdout
    finally:
        lab.stop(p)


def test_check_endpoints_carry_country_and_as(geo, reach):
    chain, dbs = geo
    chain.server.listen(tcp=[8080])
    ep = f"{chain.server4}:8080"
    r = run(chain.client, reach, "check", "--json", *dbs, ep, f"{chain.hops4[1]}:8080")
    rows = {e["endpoint"]: e for e in lablib.parse_ndjson(r.stdout) if e["type"] == "check"}
    assert rows[ep]["ok"] and rows[ep]["geo"] == {"country": "NL", "asn": 64502, "as_org": "Lab \\x1b[31mServer"}, rows
    assert "geo" not in rows[f"{chain.hops4[1]}:8080"], rows
    t = run(chain.client, reach, "check", *dbs, ep)
    assert t.returncode == 0, t.stderr
    head, row = t.stdout.splitlines()[:2]
    assert "GEO" in head.split() and "[NL AS64502]" in row and "\x1b" not in t.stdout, t.stdout
    # Without --geo the table has no GEO column.
    assert "GEO" not in run(chain.client, reach, "check", ep).stdout
