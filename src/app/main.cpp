// reach: parse the command line and hand over to the tool. Nothing else lives here.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "tools/check/check.hpp"
#include "tools/ping/ping.hpp"
#include "tools/sockets/sockets.hpp"

namespace {

int parse_error(const CLI::App& app, const CLI::ParseError& e, bool nagios) {
  // A Nagios plugin reports bad arguments as UNKNOWN on stdout, exit 3.
  if (nagios) {
    std::cout << "CHECK UNKNOWN: " << e.what() << '\n';
    return 3;
  }
  std::string name = app.get_name();
  std::cerr << name << ": " << e.what() << " (see " << name << " --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"reach: network reachability toolkit", "reach"};
  app.require_subcommand(1);

  reach::tools::PingOptions ping;
  bool tcp = false, connect = false, udp = false, icmp = false, v4 = false, v6 = false;
  auto* p = app.add_subcommand("ping", "is the host there? ICMP echo, TCP SYN, TCP connect or UDP probes");
  p->add_option("targets", ping.targets, "hosts to probe (names or addresses), probed concurrently")->required();
  p->add_flag("--icmp", icmp, "ICMP echo (default)");
  p->add_flag("-S,--tcp", tcp, "raw TCP SYN to -p PORT (as hping3 -S); SYN-ACK or RST proves the host alive");
  p->add_flag("--connect", connect, "full TCP handshake with connect(); needs no privilege");
  p->add_flag("--udp", udp, "UDP datagram to -p PORT; a UDP answer or port unreachable proves the host alive");
  p->add_option("-p,--port", ping.port, "destination port (TCP: 80, UDP: 33434)");
  p->add_option("-c,--count", ping.count, "stop after sending COUNT probes to each target");
  p->add_option("-i,--interval", ping.interval, "seconds between probes to one target (default 1)");
  p->add_option("-W,--timeout", ping.wait, "seconds to wait for each answer (default 2)");
  p->add_option("-w,--deadline", ping.deadline, "stop after this many seconds in all");
  p->add_option("-s,--size", ping.size, "payload bytes (ICMP/UDP: 56, TCP: 0)");
  p->add_option("-t,--ttl", ping.ttl, "IP time to live / hop limit");
  p->add_option("-I,--interface", ping.interface, "interface name or source address");
  p->add_flag("-4", v4, "IPv4 only");
  p->add_flag("-6", v6, "IPv6 only");
  p->add_flag("-q,--quiet", ping.quiet, "only the summary");
  p->add_flag("-n,--numeric", ping.numeric, "numeric output only (reach never looks up names of repliers)");
  p->add_flag("-D,--timestamp", ping.timestamps, "print the unix time before each line");
  p->add_flag("-O", ping.report_timeouts, "report probes that got no answer");
  p->add_flag("--json", ping.json, "NDJSON events, one object per line (docs/JSON.md)");

  reach::tools::SocketsOptions so;
  auto* s = app.add_subcommand("sockets", "what is listening here? local sockets with their owning processes (as netstat -anptu / ss)");
  s->add_flag("-l,--listening", so.listening, "listening sockets only (TCP LISTEN, unconnected UDP/raw)");
  s->add_flag("-a,--all", so.all, "listening and non-listening sockets (default: non-listening only, as netstat)");
  s->add_flag("-t,--tcp", so.tcp, "TCP");
  s->add_flag("-u,--udp", so.udp, "UDP");
  s->add_flag("-w,--raw", so.raw, "raw sockets");
  s->add_flag("-x,--unix", so.unix_sockets, "unix domain sockets");
  s->add_flag("-4", so.v4, "IPv4 only");
  s->add_flag("-6", so.v6, "IPv6 only");
  s->add_flag("-n,--numeric", so.numeric, "numeric addresses and ports (reach never resolves names)");
  s->add_flag("-p,--programs", so.programs, "the PID/program owning each socket");
  s->add_flag("-e,--extend", so.extended, "user (uid) and inode columns");
  s->add_option("--port", so.port, "local or peer port is N");
  s->add_option("--sport", so.sport, "local port is N");
  s->add_option("--dport", so.dport, "peer port is N");
  s->add_option("--state", so.states, "only these states (ESTABLISHED, LISTEN, TIME_WAIT, ... or ss names; comma list)");
  s->add_option("--addr", so.addrs, "local or peer address in CIDR (198.18.0.0/15, 2001:db8::/32)");
  s->add_option("--pid", so.pid, "sockets of process PID");
  s->add_option("--program", so.program, "sockets of processes named NAME (/proc/PID/comm)");
  s->add_option("--netns", so.netns, "the sockets of network namespace NAME (/run/netns/NAME)");
  s->add_flag("--all-netns", so.all_netns, "every network namespace on the machine, with a Netns column");
  s->add_flag("--json", so.json, "NDJSON rows, one object per socket (docs/SOCKETS.md)");
  s->add_flag("-s,--summary", so.summary, "counts per protocol and state, as ss -s");

  reach::tools::CheckOptions co;
  bool c4 = false, c6 = false;
  auto* c = app.add_subcommand("check", "are my backends answering, is my network segmented? endpoints checked concurrently, with the reason of each failure");
  c->add_option("endpoints", co.endpoints, "host:port, [v6addr]:port, or http(s):// URLs (--kind icmp: hosts)");
  c->add_option("--file", co.file, "endpoints, one per line: host port [name] (# comments)");
  c->add_option("--nodes-json", co.nodes_json, "node list of a load balancer API (file or URL): Rackspace nodes, Octavia members");
  c->add_option("-H,--header", co.headers, "HTTP header for fetching --nodes-json (repeatable), e.g. 'X-Auth-Token: ...'");
  c->add_option("--select", co.select, "where the nodes are in other JSON: [list=/ptr,]address=/ptr,port=/ptr[,name=/ptr]");
  c->add_option("--policy", co.policy, "segmentation policy (TOML) of flows that must pass or be blocked (docs/CHECK.md)");
  c->add_option("--kind", co.kind, "check host:port endpoints over tcp (connect, default), http, https, icmp (echo) or syn (raw, needs CAP_NET_RAW)");
  c->add_option("--path", co.path, "URL path for --kind http/https (default /)");
  c->add_option("-j,--jobs", co.jobs, "checks in flight at once (default 1000)");
  c->add_option("-W,--timeout", co.timeout, "seconds to wait for each attempt (default 2)");
  c->add_option("-r,--retries", co.retries, "extra attempts after a timeout or unreachable (default 0)");
  c->add_option("--expect-status", co.expect_status, "HTTP statuses that pass (default 200-399)");
  c->add_option("--body", co.body, "HTTP body must contain this text");
  c->add_option("--body-regex", co.body_regex, "HTTP body must match this regular expression (ECMAScript)");
  c->add_flag("-k,--insecure", co.insecure, "do not verify TLS certificates (expiry is still reported)");
  c->add_option("--cacert", co.cacert, "trust the CA certificates in this PEM file for https checks and --nodes-json");
  c->add_option("--cert-days", co.cert_days, "fail when the certificate expires within this many days (default 0)");
  c->add_flag("-4", c4, "IPv4 only");
  c->add_flag("-6", c6, "IPv6 only");
  c->add_flag("--json", co.json, "NDJSON, one object per endpoint and a summary (docs/JSON.md)");
  c->add_flag("--nagios", co.nagios, "Nagios plugin output and exit codes");
  c->add_option("-w,--warning", co.warn, "--nagios WARNING when a check takes more than TIME s or more than FAILED fail: TIME[,FAILED]");
  c->add_option("-c,--critical", co.crit, "--nagios CRITICAL threshold: TIME[,FAILED] (default: any failure)");

  bool nagios_args = false;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--nagios") nagios_args = true;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return parse_error(app, e, nagios_args && argc > 1 && std::string_view(argv[1]) == "check");
  }

  if (p->parsed()) {
    if (tcp + connect + udp + icmp > 1) {
      std::cerr << "reach ping: choose one of --icmp, --tcp, --connect, --udp\n";
      return 2;
    }
    if (v4 && v6) {
      std::cerr << "reach ping: -4 and -6 exclude each other\n";
      return 2;
    }
    if (tcp) ping.method = reach::model::Method::tcp_syn;
    if (connect) ping.method = reach::model::Method::tcp_connect;
    if (udp) ping.method = reach::model::Method::udp;
    if (v4) ping.family = reach::Family::v4;
    if (v6) ping.family = reach::Family::v6;
    return reach::tools::run_ping(ping, std::cout, std::cerr);
  }
  if (s->parsed()) return reach::tools::run_sockets(so, std::cout, std::cerr);
  if (c->parsed()) {
    if (c4 && c6) {
      if (co.nagios) return (std::cout << "CHECK UNKNOWN: -4 and -6 exclude each other\n"), 3;
      std::cerr << "reach check: -4 and -6 exclude each other\n";
      return 2;
    }
    if (c4) co.family = reach::Family::v4;
    if (c6) co.family = reach::Family::v6;
    return reach::tools::run_check(co, std::cout, std::cerr);
  }
  return 2;
}
