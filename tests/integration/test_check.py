"""reach check in network-namespace labs: TCP failure reasons against a known topology (with
ncat as a witness), load balancer node lists over HTTP with and without the token, HTTP(S)
checks (status, body, an expired self-signed certificate made with openssl), a segmentation
policy over proxy/web/db namespaces with nftables, and the Nagios plugin convention.
Needs root (skips otherwise)."""

import json
import re
import subprocess
from pathlib import Path

import pytest

import lab as lablib

HERE = Path(__file__).resolve().parent
TIMEOUT = 60


def run(host, reach, *args, timeout=TIMEOUT):
    return host.run([str(reach), "check", *args], check=False, timeout=timeout)


def json_rows(text):
    rows = [json.loads(l) for l in text.splitlines() if l.strip()]
    assert rows and rows[-1]["type"] == "summary", text
    assert all(r["version"] == 1 for r in rows)
    return {r["name"]: r for r in rows if r["type"] == "check"}, rows[-1]


# --------------------------------------------------------------------------- five backends

def five_backends(lab):
    """client - router - server. On the server: 8080 open, 8081 closed, 8082 dropped by the
    server's firewall, 8083 rejected admin-prohibited by the router's firewall, 8084 rejected
    host-unreachable by the router. 198.19.77.1 / 2001:db8:ff77::1 are routed by the client to
    a second router, r2, which has no route for them (a router of its own: the kernel's route
    errors share a per-peer token bucket with other ICMP errors, so the first router, busy
    rejecting, would stay silent); 198.19.88.1 has no route on the client at all."""
    ch = lab.chain(routers=1)
    client, router, server = ch.client, ch.routers[0], ch.server
    server.nft("""
table inet t {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8082 drop
  }
}
""")
    router.nft("""
table inet t {
  chain forward {
    type filter hook forward priority 0; policy accept;
    tcp dport 8083 reject with icmpx type admin-prohibited
    meta nfproto ipv4 tcp dport 8084 reject with icmp type host-unreachable
    meta nfproto ipv6 tcp dport 8084 reject with icmpv6 type addr-unreachable
  }
}
""")
    server.listen(tcp=[8080])
    r2 = lab.host("r2")
    lk = lab.link(client, r2)
    lab.enable_forwarding(r2)
    client.ip("route", "add", "198.19.77.0/24", "via", lk.b4)
    client.ip("-6", "route", "add", "2001:db8:ff77::/48", "via", lk.b6)
    ch.r2_4, ch.r2_6 = lk.b4, lk.b6
    return ch


def test_five_backends_each_with_its_reason(lab, reach):
    ch = five_backends(lab)
    s4, s6 = ch.server4, ch.server6
    args = []
    for fam, s in (("4", s4), ("6", f"[{s6}]")):
        args += [f"{s}:8080", f"{s}:8081", f"{s}:8082", f"{s}:8083", f"{s}:8084"]
    args += ["198.19.77.1:80", "[2001:db8:ff77::1]:80", "198.19.88.1:80"]
    r = run(ch.client, reach, "--json", "-W", "1", *args)
    assert r.returncode == 1, r.stderr
    rows, summary = json_rows(r.stdout)
    assert summary["total"] == 13 and summary["ok"] == 2 and summary["failed"] == 11
    want = {8080: "open", 8081: "refused", 8082: "timeout", 8083: "prohibited", 8084: "unreachable"}
    for s in (s4, f"[{s6}]"):
        for port, result in want.items():
            row = rows[f"{s}:{port}"]
            assert row["result"] == result, row
            assert row["ok"] == (result == "open")
    # The reasons name the ICMP error and who sent it (the router's client-facing address).
    for s, hop in ((s4, ch.hops4[0]), (f"[{s6}]", ch.hops6[0])):
        pro = rows[f"{s}:8083"]
        assert pro["icmp_from"] == hop and pro["reason"].startswith(f"admin-prohibited from {hop} "), pro
        assert (pro["icmp_type"], pro["icmp_code"]) in ((3, 13), (1, 1))
        assert rows[f"{s}:8080"]["time_ms"] > 0
        assert "1s" in rows[f"{s}:8082"]["reason"]
    assert rows["198.19.77.1:80"]["result"] == "no-route", rows["198.19.77.1:80"]
    assert rows["198.19.77.1:80"]["icmp_from"] == ch.r2_4
    assert rows["[2001:db8:ff77::1]:80"]["icmp_from"] == ch.r2_6
    assert (rows["198.19.77.1:80"]["icmp_type"], rows["198.19.77.1:80"]["icmp_code"]) == (3, 0)
    assert rows["[2001:db8:ff77::1]:80"]["result"] == "no-route"
    assert rows["198.19.88.1:80"]["result"] == "no-route"
    assert "local routing table" in rows["198.19.88.1:80"]["reason"]

    # Witness: ncat sees the same open / refused / timeout; for the prohibited port it can only
    # say "No route to host" (EHOSTUNREACH), which is what reach refines with the ICMP code.
    def ncat(port):
        return ch.client.run(["ncat", "-v", "-z", "-w", "1", s4, str(port)], check=False, timeout=20)
    assert ncat(8080).returncode == 0
    assert "refused" in ncat(8081).stderr.lower()
    assert "timeout" in ncat(8082).stderr.lower()
    assert "no route to host" in ncat(8083).stderr.lower()


def test_icmp_and_syn_kinds(lab, reach):
    """--kind icmp / syn run reach ping's engine (raw sockets: the tests run as root)."""
    ch = five_backends(lab)
    s4, s6 = ch.server4, ch.server6
    r = run(ch.client, reach, "--kind", "syn", "--json", "-W", "1", f"{s4}:8080", f"{s4}:8081",
            f"{s4}:8082", f"{s4}:8083", f"[{s6}]:8083", "198.19.77.1:80")
    assert r.returncode == 1, r.stderr
    rows, summary = json_rows(r.stdout)
    got = {name: row["result"] for name, row in rows.items()}
    assert got == {f"{s4}:8080": "open", f"{s4}:8081": "refused", f"{s4}:8082": "timeout",
                   f"{s4}:8083": "prohibited", f"[{s6}]:8083": "prohibited",
                   "198.19.77.1:80": "no-route"}, got
    assert all(row["kind"] == "syn" for row in rows.values())
    assert rows[f"{s4}:8083"]["icmp_from"] == ch.hops4[0]
    assert rows[f"{s4}:8080"]["time_ms"] > 0
    r = run(ch.client, reach, "--kind", "icmp", "--json", "-W", "1", s4, s6, "198.19.77.1",
            "2001:db8:ff77::1")
    assert r.returncode == 1, r.stderr
    rows, summary = json_rows(r.stdout)
    got = {name: row["result"] for name, row in rows.items()}
    assert got == {s4: "alive", s6: "alive", "198.19.77.1": "no-route",
                   "2001:db8:ff77::1": "no-route"}, got
    assert summary["ok"] == 2


def test_text_table_retries_and_file(lab, reach, tmp_path):
    ch = five_backends(lab)
    f = tmp_path / "backends.txt"
    f.write_text(f"# web pool\n{ch.server4} 8080 web1\n{ch.server4} 8081 web2  # stopped\n\n"
                 f"{ch.server6} 8082 web3\n")
    f.chmod(0o644)
    r = run(ch.client, reach, "--file", str(f), "-W", "0.5", "-r", "1")
    assert r.returncode == 1, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ENDPOINT", "RESULT", "TIME", "REASON"]
    assert re.match(rf"web1\s+{re.escape(ch.server4)}:8080\s+open\s+[0-9.]+ms\s+connected", lines[1]), lines
    assert re.match(r"web2\s+\S+:8081\s+refused\s", lines[2]), lines
    assert re.match(rf"web3\s+\[{re.escape(ch.server6)}\]:8082\s+timeout\s+-\s", lines[3]), lines
    assert lines[4].startswith("3 endpoints: 1 ok, 2 failed")
    # The timeout was retried once (two attempts); refused was not.
    r = run(ch.client, reach, "--file", str(f), "-W", "0.5", "-r", "1", "--json")
    rows, _ = json_rows(r.stdout)
    assert rows["web3"]["attempts"] == 2 and rows["web2"]["attempts"] == 1


# --------------------------------------------------------------------------- HTTP

def expired_cert(tmp: Path, ip: str) -> tuple[Path, Path]:
    """A self-signed certificate for `ip` valid only in January 2020 (openssl ca -selfsign)."""
    (tmp / "index.txt").write_text("")
    (tmp / "serial").write_text("01\n")
    (tmp / "ca.cnf").write_text(f"""[ca]
default_ca = d
[d]
dir = {tmp}
database = {tmp}/index.txt
new_certs_dir = {tmp}
serial = {tmp}/serial
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
""")
    key, csr, cert = tmp / "key.pem", tmp / "req.csr", tmp / "cert.pem"
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", csr, "-subj", "/CN=expired.lab", "-addext", f"subjectAltName=IP:{ip}"],
                   check=True, capture_output=True, timeout=60)
    subprocess.run(["openssl", "ca", "-batch", "-config", tmp / "ca.cnf", "-selfsign", "-keyfile", key,
                    "-in", csr, "-out", cert, "-startdate", "20200101000000Z",
                    "-enddate", "20200201000000Z"], check=True, capture_output=True, timeout=60)
    for p in (tmp, key, cert):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return cert, key


def http_lab(lab, tmp_path, tls=False):
    ch = five_backends(lab)
    nodes = [[ch.server4, 8080], [ch.server4, 8081], [ch.server6, 8082]]
    cmd = [lablib.python_bin(), str(HERE / "check_http_server.py"), "--port", "8000",
           "--nodes", json.dumps(nodes), "--max-seconds", "120"]
    if tls:
        cert, key = expired_cert(tmp_path, ch.server4)
        cmd += ["--tls-port", "8443", "--cert", str(cert), "--key", str(key)]
    proc = ch.server.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=False,
                           bufsize=0)
    lablib._wait_for_line(proc, b"ready", timeout=15)
    return ch


@pytest.mark.parametrize("shape", ["rackspace", "octavia"])
def test_nodes_json_with_token(lab, reach, tmp_path, shape):
    ch = http_lab(lab, tmp_path)
    url = f"http://{ch.server4}:8000/{shape}"
    r = run(ch.client, reach, "--nodes-json", url, "--header", "X-Auth-Token: s3cret", "--json",
            "-W", "1")
    assert r.returncode == 1, r.stderr
    rows, summary = json_rows(r.stdout)
    assert summary["total"] == 3
    by_ep = {row["endpoint"]: row for row in rows.values()}
    assert by_ep[f"{ch.server4}:8080"]["result"] == "open"
    assert by_ep[f"{ch.server4}:8081"]["result"] == "refused"
    assert by_ep[f"[{ch.server6}]:8082"]["result"] == "timeout"
    if shape == "octavia":
        assert "member-0" in rows
    # Without the token: the 401 said plainly, exit 2, nothing on stdout.
    r = run(ch.client, reach, "--nodes-json", url)
    assert r.returncode == 2 and r.stdout == ""
    assert "HTTP 401 Unauthorized" in r.stderr and url in r.stderr
    r = run(ch.client, reach, "--nodes-json", url, "--header", "X-Auth-Token: wrong", "--nagios")
    assert r.returncode == 3 and r.stdout.startswith("CHECK UNKNOWN:") and "401" in r.stdout


def test_nodes_json_bad_sources(lab, reach, tmp_path):
    ch = http_lab(lab, tmp_path)
    base = f"http://{ch.server4}:8000"
    tok = ["--header", "X-Auth-Token: s3cret"]
    cases = [
        ([f"{base}/nope", *tok], "HTTP 404"),
        ([f"{base}/broken", *tok], "malformed JSON"),
        ([f"{base}/unknown", *tok], "unknown shape"),
        ([f"{base}/slow", *tok, "-W", "1"], "timed out after 1s"),
        ([f"http://{ch.server4}:8081/x"], "Couldn't connect"),
    ]
    for args, words in cases:
        r = run(ch.client, reach, "--nodes-json", *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert words in r.stderr, (args, r.stderr)
    # Another shape, with --select.
    r = run(ch.client, reach, "--nodes-json", f"{base}/select", *tok, "--select",
            "list=/data/pool,address=/ip,port=/svc/port", "--json", "-W", "1")
    rows, summary = json_rows(r.stdout)
    assert summary["total"] == 3 and summary["ok"] == 1


def test_http_checks(lab, reach, tmp_path):
    ch = http_lab(lab, tmp_path, tls=True)
    s = ch.server4
    ok, fail, wrong = f"http://{s}:8000/ok", f"http://{s}:8000/fail", f"http://{s}:8000/wrongbody"
    tls = f"https://{s}:8443/ok"
    r = run(ch.client, reach, ok, fail, wrong, tls, "--body", "healthy", "--json", "-W", "3")
    assert r.returncode == 1, r.stderr
    rows, summary = json_rows(r.stdout)
    assert rows[ok]["result"] == "ok" and rows[ok]["http_status"] == 200 and rows[ok]["ok"]
    t = rows[ok]["timings_ms"]
    assert 0 < t["connect"] <= t["first_byte"] <= t["total"]
    assert rows[fail]["result"] == "bad-status" and rows[fail]["http_status"] == 500
    assert "expected 200-399" in rows[fail]["reason"]
    assert rows[wrong]["result"] == "bad-body" and "healthy" in rows[wrong]["reason"]
    assert rows[tls]["result"] == "tls-error" and "self-signed" in rows[tls]["reason"]
    # Trusting it as its own CA leaves the expiry as the reason.
    cert = tmp_path / "cert.pem"
    r = run(ch.client, reach, tls, "--cacert", str(cert), "--json", "-W", "3")
    rows, _ = json_rows(r.stdout)
    assert rows[tls]["result"] == "tls-error" and "expired" in rows[tls]["reason"], rows[tls]
    # Not verifying: the handshake completes and the expiry is measured (negative days).
    r = run(ch.client, reach, tls, "-k", "--json", "-W", "3")
    rows, _ = json_rows(r.stdout)
    assert r.returncode == 1
    assert rows[tls]["result"] == "cert-expiry" and rows[tls]["cert_days"] < -2000
    assert rows[tls]["timings_ms"]["tls"] > 0
    # A refused or prohibited web server: the TCP reason, not only curl's "Couldn't connect".
    ref, pro = f"http://{s}:8081/", f"http://{s}:8083/"
    r = run(ch.client, reach, ref, pro, "--json", "-W", "2")
    rows, _ = json_rows(r.stdout)
    assert rows[ref]["result"] == "refused", rows[ref]
    assert rows[pro]["result"] == "prohibited" and rows[pro]["icmp_code"] == 13, rows[pro]
    # Expected statuses and regexes.
    r = run(ch.client, reach, fail, "--expect-status", "500", "--body-regex", "^internal")
    assert r.returncode == 0, r.stdout + r.stderr
    # --kind http turns host:port into URLs.
    r = run(ch.client, reach, f"{s}:8000", "--kind", "http", "--path", "/ok", "--json")
    rows, _ = json_rows(r.stdout)
    assert r.returncode == 0 and rows[f"http://{s}:8000/ok"]["result"] == "ok"


def test_http_user_agent_names_the_version(lab, reach, tmp_path):
    # A server's log says which reach asked: "reach/VERSION", the version of `reach --version`.
    v = subprocess.run([str(reach), "--version"], capture_output=True, text=True, timeout=10)
    assert v.returncode == 0 and v.stdout.startswith("reach "), v
    agent = "reach/" + v.stdout.split()[1]
    ch = http_lab(lab, tmp_path)
    url = f"http://{ch.server4}:8000/agent"
    r = run(ch.client, reach, url, "--body", agent + "\n", "-W", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(ch.client, reach, url, "--body", "reach-check/", "-W", "3")
    assert r.returncode == 1, r.stdout + r.stderr


# --------------------------------------------------------------------------- policy

def segmented(lab):
    """proxy, web, db around a router `core` whose forward chain allows only proxy -> web:80
    and web -> db:5432 (and replies); everything else is dropped."""
    core = lab.host("core")
    proxy, web, db = lab.host("proxy"), lab.host("web"), lab.host("db")
    for h in (proxy, web, db):
        lab.link(h, core)
    lab.route_all()
    web.listen(tcp=[80, 22])
    db.listen(tcp=[5432])
    return core, proxy, web, db


def core_rules(web, db, proxy, extra=""):
    return f"""
table inet seg {{
  chain forward {{
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    icmpv6 type {{ 133, 134, 135, 136 }} accept
    ip daddr {web.addr4} tcp dport 80 accept
    ip saddr {web.addr4} ip daddr {db.addr4} tcp dport 5432 accept
    {extra}
  }}
}}
"""


def write_policy(path, proxy, web, db):
    path.write_text(f"""# who may talk to whom
timeout = 1

[[flow]]
name = "proxy to web"
from = "{proxy.ns}"
to = "{web.addr4}:80"
expect = "pass"

[[flow]]
name = "web to db"
from = "{web.ns}"
to = "{db.addr4}:5432"
expect = "pass"

[[flow]]
name = "proxy to db"
from = "{proxy.ns}"
to = "{db.addr4}:5432"
expect = "block"

[[flow]]
name = "proxy to web ssh"
from = "{proxy.ns}"
to = "{web.addr4}:22"
expect = "block"
""")
    path.chmod(0o644)


def test_policy(lab, reach, tmp_path):
    core, proxy, web, db = segmented(lab)
    core.nft(core_rules(web, db, proxy))
    pol = tmp_path / "policy.toml"
    write_policy(pol, proxy, web, db)
    # reach runs in the root namespace but opens every socket inside the flow's namespace.
    r = subprocess.run([str(reach), "check", "--policy", str(pol), "--json"], capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    rows, summary = json_rows(r.stdout)
    assert summary == {**summary, "total": 4, "ok": 4, "failed": 0}
    assert rows["proxy to web"]["result"] == "open" and rows["proxy to web"]["expect"] == "pass"
    assert rows["proxy to db"]["result"] == "timeout" and rows["proxy to db"]["ok"]

    # Opening the db port to the proxy, and closing the web port to it: both reported.
    core.run(["nft", "delete", "table", "inet", "seg"])
    core.nft(core_rules(web, db, proxy, extra=f"ip saddr {proxy.addr4} ip daddr {db.addr4} tcp dport 5432 accept")
             .replace(f"ip daddr {web.addr4} tcp dport 80 accept",
                      f"ip saddr {proxy.addr4} ip daddr {web.addr4} tcp dport 80 reject with icmpx type admin-prohibited"))
    r = subprocess.run([str(reach), "check", "--policy", str(pol)], capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 1, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"proxy to db\s.*open\s.*VIOLATION \(must block\)", out), out
    assert re.search(r"proxy to web\s.*prohibited\s.*VIOLATION \(must pass\)", out), out
    assert re.search(r"web to db\s.*open\s.*ok \(pass\)", out), out
    assert "4 flows: 2 ok, 2 failed" in out


def test_policy_from_address(lab, reach, tmp_path):
    """Flows from a source address (bound), run from inside the proxy namespace."""
    core, proxy, web, db = segmented(lab)
    core.nft(core_rules(web, db, proxy))
    pol = tmp_path / "addr.toml"
    pol.write_text(f"""[[flow]]
from = "{proxy.addr4}"
to = "{web.addr4}:80"
expect = "pass"

[[flow]]
from = "{proxy.addr4}"
to = "{db.addr4}:5432"
expect = "block"

[[flow]]
from = "{proxy.addr4}"
to = "{web.addr4}:22"
expect = "pass"
""")
    pol.chmod(0o644)
    r = proxy.run([str(reach), "check", "--policy", str(pol), "-W", "1", "--json"], check=False,
                  timeout=TIMEOUT)
    assert r.returncode == 1, r.stdout + r.stderr
    rows, summary = json_rows(r.stdout)
    assert summary["ok"] == 2 and summary["failed"] == 1
    bad = rows[f"{proxy.addr4} -> {web.addr4}:22"]
    assert bad["result"] == "timeout" and not bad["ok"] and bad["expect"] == "pass"
    assert bad["from"] == proxy.addr4


def test_policy_bad_files(lab, reach, tmp_path):
    core, proxy, web, db = segmented(lab)
    pol = tmp_path / "bad.toml"
    pol.write_text('[[flow]]\nname = "x"\nto = 198.18.0.1:80\nexpect = "pass"\n')
    r = subprocess.run([str(reach), "check", "--policy", str(pol)], capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 2 and "line 3" in r.stderr, r.stderr
    pol.write_text('[[flow]]\nfrom = "no-such-ns"\nto = "198.18.0.1:80"\nexpect = "pass"\n')
    r = subprocess.run([str(reach), "check", "--policy", str(pol), "--nagios"], capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert r.returncode == 3 and "no-such-ns" in r.stdout, r.stdout


# --------------------------------------------------------------------------- Nagios

PERF = re.compile(r"^'(?:[^']|'')+'=(?:[0-9.]+s|U);[0-9.]*;[0-9.]*;0;$")


def nagios_line(text):
    first = text.splitlines()[0]
    status, _, perf = first.partition(" | ")
    items = perf.split(" ")
    for item in items[:-1]:
        assert PERF.match(item), item
    assert re.match(r"^'failed'=\d+;\d*;\d*;0;\d+$", items[-1]), items[-1]
    return status, items


def test_nagios(lab, reach):
    ch = five_backends(lab)
    s = ch.server4
    r = run(ch.client, reach, "--nagios", f"{s}:8080", f"[{ch.server6}]:8080", "-w", "0.5", "-c", "1")
    assert r.returncode == 0, r.stdout
    status, perf = nagios_line(r.stdout)
    assert status == "CHECK OK: 2 of 2 endpoints ok"
    assert perf[0].startswith(f"'{s}:8080'=") and perf[0].endswith("s;0.5;1;0;")
    # One refused: CRITICAL by default, WARNING when up to one failure is only a warning.
    r = run(ch.client, reach, "--nagios", f"{s}:8080", f"{s}:8081")
    assert r.returncode == 2, r.stdout
    status, perf = nagios_line(r.stdout)
    assert status.startswith("CHECK CRITICAL: 1 of 2 endpoints ok, 1 failed")
    assert perf[1] == f"'{s}:8081'=U;;;0;" and perf[-1] == "'failed'=1;;0;0;2"
    assert f"{s}:8081 ({s}:8081): refused" in r.stdout.splitlines()[1]
    r = run(ch.client, reach, "--nagios", f"{s}:8080", f"{s}:8081", "-w", ",0", "-c", ",1")
    assert r.returncode == 1 and r.stdout.startswith("CHECK WARNING:"), r.stdout
    nagios_line(r.stdout)
    # A time threshold: every connect takes more than 0 s.
    r = run(ch.client, reach, "--nagios", f"{s}:8080", "-c", "0")
    assert r.returncode == 2 and r.stdout.startswith("CHECK CRITICAL:"), r.stdout
    # Bad arguments: UNKNOWN, exit 3, one line on stdout.
    for args in (["--bogus"], ["-j", "x", f"{s}:80"], [f"{s}:99999"], ["-w", "x", f"{s}:80"], []):
        r = run(ch.client, reach, "--nagios", *args)
        assert r.returncode == 3, (args, r.stdout, r.stderr)
        assert r.stdout.startswith("CHECK UNKNOWN: "), (args, r.stdout)


def test_bad_input_exit_2(lab, reach, tmp_path):
    ch = five_backends(lab)
    f = tmp_path / "nodes.json"
    f.write_text('{"nodes":[{"address":"198.18.0.1","port":70000}]}')
    f.chmod(0o644)
    cases = [
        ([f"{ch.server4}:0"], "1 to 65535"),
        ([f"{ch.server6}:80"], "brackets"),
        (["--nodes-json", str(f)], "port 70000"),
        (["--file", str(tmp_path / "missing")], "No such file"),
        (["--expect-status", "2xx", f"{ch.server4}:80"], "expect-status"),
        # No resolver is reachable from the lab: the name cannot be resolved.
        ([f"{ch.server4}:8080", "nosuch.invalid:80"], "resolve nosuch.invalid"),
    ]
    for args, words in cases:
        r = run(ch.client, reach, *args)
        assert r.returncode == 2 and r.stdout == "", (args, r.stdout, r.stderr)
        assert words in r.stderr, (args, r.stderr)
