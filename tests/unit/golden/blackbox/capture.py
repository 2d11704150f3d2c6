#!/usr/bin/env python3
"""Capture the real blackbox_exporter's /probe output as golden files for format_blackbox_test.

Runs Debian's prometheus-blackbox-exporter (0.23) inside a lab pair (tests/lab): the exporter in
the client namespace, an HTTP server, an HTTPS server (self-signed), a UDP DNS server and a closed
port in the server namespace. Every packet stays inside the lab. Values that change from run to
run (durations, timestamps, TLS serials) are replaced by fixed numbers so the files are stable;
names, types, HELP texts, label sets and the verdicts (probe_success, status codes, rcodes, the
ip_addr_hash of the lab address) are the exporter's own. Needs root. Usage:

    sudo python3 tests/unit/golden/blackbox/capture.py   # rewrites tests/unit/golden/blackbox/*.prom
"""
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "lab"))
from lab import Lab  # noqa: E402

EXPORTER = "/usr/bin/prometheus-blackbox-exporter"
HTTP_PORT, HTTPS_PORT, DNS_PORT, CLOSED_PORT = 8080, 8443, 5353, 9

MODULES = """
modules:
  icmp:
    prober: icmp
    timeout: 2s
    icmp: {preferred_ip_protocol: ip4}
  icmp6:
    prober: icmp
    timeout: 2s
    icmp: {preferred_ip_protocol: ip6, ip_protocol_fallback: false}
  tcp_connect:
    prober: tcp
    timeout: 2s
    tcp: {preferred_ip_protocol: ip4}
  http_2xx:
    prober: http
    timeout: 2s
    http: {preferred_ip_protocol: ip4}
  http_regex:
    prober: http
    timeout: 2s
    http: {preferred_ip_protocol: ip4, fail_if_body_matches_regexp: ["reach"]}
  https_2xx:
    prober: http
    timeout: 2s
    http: {preferred_ip_protocol: ip4, tls_config: {insecure_skip_verify: true}}
  dns_a:
    prober: dns
    timeout: 2s
    dns: {preferred_ip_protocol: ip4, query_name: reach.test, query_type: A, transport_protocol: udp}
"""

# A DNS server answering every A query with one A record (and nothing else), stdlib only.
DNS_SERVER = r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(120)
while True:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        break
    qid, flags = struct.unpack("!HH", q[:4])
    end = 12
    while q[end] != 0:
        end += q[end] + 1
    question = q[12:end + 5]
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | (flags & 0x0100), 1, 1, 0, 0)
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([198, 18, 7, 7])
    s.sendto(hdr + question + answer, peer)
"""

HTTPS_SERVER = r"""
import http.server, ssl, sys
srv = http.server.HTTPServer(("0.0.0.0", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.timeout = 120
srv.serve_forever()
"""

# Metrics whose value is a verdict or a property of the lab, kept as the exporter gave it.
KEEP = re.compile(r"^probe_(success|ip_protocol|ip_addr_hash|http_status_code|http_content_length|"
                  r"http_uncompressed_body_length|http_redirects|http_ssl|http_version|"
                  r"failed_due_to_regex|dns_answer_rrs|dns_authority_rrs|dns_additional_rrs|"
                  r"dns_query_succeeded|dns_serial|tls_version_info|icmp_reply_hop_limit)\b")


def sanitise(text: str) -> str:
    out = []
    for line in text.splitlines():
        if line.startswith("#") or not line or KEEP.match(line):
            out.append(line)
            continue
        name_labels, _, _value = line.rpartition(" ")
        name_labels = re.sub(r'(fingerprint_sha256|serialnumber|subject|issuer)="[^"]*"',
                             r'\1="X"', name_labels)
        out.append(f"{name_labels} 0.001")
    return "\n".join(out) + "\n"


def main() -> None:
    cases = {
        "icmp_up": ("icmp", "{server}"),
        "icmp_down": ("icmp", "{silent}"),
        "tcp_up": ("tcp_connect", f"{{server}}:{HTTP_PORT}"),
        "tcp_down": ("tcp_connect", f"{{server}}:{CLOSED_PORT}"),
        "http_up": ("http_2xx", f"http://{{server}}:{HTTP_PORT}/index.txt"),
        "http_down": ("http_2xx", f"http://{{server}}:{CLOSED_PORT}/"),
        "http_regex": ("http_regex", f"http://{{server}}:{HTTP_PORT}/index.txt"),
        "https_up": ("https_2xx", f"https://{{server}}:{HTTPS_PORT}/index.txt"),
        "dns_up": ("dns_a", f"{{server}}:{DNS_PORT}"),
        "dns_down": ("dns_a", f"{{server}}:{CLOSED_PORT}"),
        "icmp6_up": ("icmp6", "{server6}"),
        # The lab namespace has no route to any resolver: resolution fails at once, locally.
        "icmp_noresolve": ("icmp", "reach-nonexistent.invalid"),
        "http_noresolve": ("http_2xx", "http://reach-nonexistent.invalid/"),
    }
    with Lab() as lab:
        p = lab.pair()
        tmp = lab.tmpdir
        (tmp / "www").mkdir()
        (tmp / "www" / "index.txt").write_text("hello from reach\n")
        (tmp / "blackbox.yml").write_text(MODULES)
        (tmp / "dns.py").write_text(DNS_SERVER)
        (tmp / "https.py").write_text(HTTPS_SERVER)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                        "-subj", "/CN=reach.test", "-keyout", str(tmp / "key.pem"),
                        "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
        p.server.popen(["python3", "-m", "http.server", str(HTTP_PORT), "-d", str(tmp / "www")])
        p.server.popen(["sh", "-c", f"cd {tmp / 'www'} && exec python3 {tmp / 'https.py'} "
                        f"{HTTPS_PORT} {tmp / 'cert.pem'} {tmp / 'key.pem'}"])
        p.server.popen(["python3", str(tmp / "dns.py"), str(DNS_PORT)])
        p.client.popen([EXPORTER, f"--config.file={tmp / 'blackbox.yml'}",
                        "--web.listen-address=127.0.0.1:9115"])
        time.sleep(1.5)
        silent = p.server4.rsplit(".", 1)[0] + ".77"  # on the link, nobody owns it
        for name, (module, target) in cases.items():
            target = target.format(server=p.server4, server6=p.server6, silent=silent)
            url = f"http://127.0.0.1:9115/probe?module={module}&target={target}"
            r = p.client.run(["curl", "-sS", "--max-time", "10", url], timeout=15)
            (HERE / f"{name}.prom").write_text(sanitise(r.stdout))
            print(name, "probe_success", re.search(r"^probe_success (\S+)", r.stdout, re.M).group(1))
        print("server address", p.server4)


if __name__ == "__main__":
    main()
