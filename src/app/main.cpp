// reach: parse the command line and hand over to the tool. Nothing else lives here.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "app/cli.hpp"
#include "app/daemon_commands.hpp"
#include "app/lean_image.hpp"
#include "config/values.hpp"
#include "tools/check/check.hpp"
#include "tools/ping/ping.hpp"
#include "tools/scan/scan.hpp"
#include "tools/sockets/sockets.hpp"
#include "tools/trace/trace.hpp"
#include "tools/usage/usage.hpp"
#include "tools/watch/watch.hpp"

namespace {

using reach::app::NetnsOption;

// --geo and --geo-db FILE of the commands that print addresses (docs/GEO.md).
void add_geo(CLI::App* a, reach::tools::GeoOptions& g) {
  a->add_flag("--geo", g.on, "country and AS of each address from MaxMind DB files (/var/lib/GeoIP, /usr/share/GeoIP)");
  a->add_option("--geo-db", g.files, "this MaxMind DB file (GeoLite2/DB-IP Country, City or ASN; repeatable; implies --geo)")
      ->allow_extra_args(false);
}

int run(int argc, char** argv, std::ostream& out);

}  // namespace

int main(int argc, char** argv) { return reach::app::reach_main(argc, argv, run); }

namespace {

int run(int argc, char** argv, std::ostream& out) {
  reach::app::exec_lean_image(argc, argv);  // relay, guard: their own process image, if installed
  CLI::App app;
  reach::app::init_app(app);

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
  p->add_flag("-b,--broadcast", ping.broadcast, "allow an IPv4 broadcast target (as ping -b): every host may answer");
  p->add_flag("--json", ping.json, "NDJSON events, one object per line (docs/JSON.md)");
  NetnsOption ping_ns;
  ping_ns.add_to(p);

  reach::tools::TraceOptions tr;
  bool t_udp = false, t_icmp = false, t_tcp = false, t4 = false, t6 = false;
  auto* t = app.add_subcommand("trace", "which way do packets go? traceroute over UDP, ICMP or TCP, every hop at once");
  t->add_option("target", tr.target, "host to trace (name or address)")->required();
  t->add_flag("-U,--udp", t_udp, "UDP to port 33434 (default)");
  t->add_flag("-I,--icmp", t_icmp, "ICMP echo");
  t->add_flag("-T,--tcp", t_tcp, "raw TCP SYN to -p PORT (default 80), through firewalls that let the service in");
  t->add_option("-p,--port", tr.port, "destination port (UDP: 33434, TCP: 80)");
  t->add_option("-f,--first", tr.first_ttl, "first TTL (default 1)");
  t->add_option("-m,--max-hops", tr.max_ttl, "max TTL (default 30)");
  t->add_option("-q,--queries", tr.queries, "probes per hop (default 3)");
  t->add_option("-w,--wait", tr.wait, "MAX[,HERE[,NEAR]] seconds, as traceroute (default 5,3,10)");
  t->add_option("-N,--sim-queries", tr.window, "probes in flight at once (default 16 hops: 16 x -q)");
  t->add_option("-z,--sendwait", tr.send_gap, "seconds between two probes (rate limit, default 0)");
  t->add_flag("--classic", tr.classic, "vary the port per probe as old traceroute (not flow-stable)");
  t->add_option("-i,--interface", tr.interface, "interface name or source address");
  t->add_flag("-4", t4, "IPv4 only");
  t->add_flag("-6", t6, "IPv6 only");
  t->add_flag("-n,--numeric", tr.numeric, "no reverse DNS");
  t->add_flag("--json", tr.json, "NDJSON events (docs/JSON.md)");
  t->add_flag("-r,--report", tr.report, "rounds of one probe per hop, then a table as mtr --report");
  auto* t_count = t->add_option("-c,--count", tr.count, "rounds for --report / --live (default 10 / until q)");
  auto* t_interval = t->add_option("--interval", tr.interval, "seconds between rounds (default 1)");
  t->add_flag("--live", tr.live, "full-screen table like mtr, refreshed every round; q or Ctrl-C quits");
  auto* t_mda = t->add_flag("--mda", tr.mda, "every load-balanced path: Multipath Detection Algorithm (docs/TRACE-MDA.md)");
  t->add_option("--alpha", tr.alpha, "--mda: chance of missing a next hop of one router, 0..1 (default 0.05)")
      ->needs(t_mda);
  t->add_option("--max-probes", tr.max_probes, "--mda: probe budget (default 5000)")->needs(t_mda);
  NetnsOption trace_ns;
  trace_ns.add_to(t);
  add_geo(t, tr.geo);

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
  add_geo(s, so.geo);

  reach::tools::ScanOptions sc;
  bool sc_v4 = false, sc_v6 = false, sc_all_ports = false, sc_numeric = false;
  auto* c = app.add_subcommand("scan", "what is open on it? TCP port scan: raw SYN (as nmap -sS, masscan) or connect()");
  c->add_option("targets", sc.targets, "addresses, prefixes (198.18.0.0/22, 2001:db8::/120), ranges (A-B) or host names");
  c->add_option("-p,--ports", sc.ports, "ports: 22,80,8000-8100, - for all (-p-); default nmap's top 100");
  c->add_flag("--all-ports", sc_all_ports, "all ports 1-65535 (as -p-)");
  c->add_option("-i,--input-list", sc.input_files, "read targets from FILE (- for stdin); blanks, commas, # comments")
      ->allow_extra_args(false);
  c->add_option("--exclude", sc.exclude, "never probe these (comma list of addresses, prefixes, ranges, names)")
      ->allow_extra_args(false);
  c->add_option("--exclude-file", sc.exclude_files, "never probe the targets listed in FILE")
      ->allow_extra_args(false);
  c->add_flag("--connect", sc.connect, "full TCP handshakes with connect(); needs no privilege");
  c->add_option("--rate", sc.rate, "probes per second (default 100000)");
  c->add_option("--retries", sc.retries, "extra passes over unanswered probes (default 3 SYN, 1 connect)");
  c->add_option("--wait", sc.wait, "seconds to wait for late replies after each pass (default: 3 x the slowest RTT seen, 20 ms to 1 s)");
  c->add_option("--seed", sc.seed, "seed of the probe order, for a reproducible scan");
  auto* sc_timeout =
      c->add_option("--timeout", sc.timeout, "--connect and --banners: seconds per connection attempt (default 1)");
  c->add_flag("--banners", sc.banners, "connect to open ports and show the first line each says (or answers to HTTP HEAD)");
  add_geo(c, sc.geo);
  auto* sc_concurrency =
      c->add_option("--concurrency", sc.concurrency, "--connect and --banners: connections in flight (default 1024)");
  c->add_flag("--yes", sc.yes, "allow more than 65536 addresses (a prefix wider than /16 or /112)");
  c->add_flag("-4", sc_v4, "IPv4 only");
  c->add_flag("-6", sc_v6, "IPv6 only");
  c->add_flag("-n,--numeric", sc_numeric, "numeric output only (reach never looks up names of addresses)");
  c->add_flag("--json", sc.json, "NDJSON events, one object per line (docs/JSON.md)");
  c->add_flag("-G,--grepable", sc.grepable, "one line per host, as nmap -oG");
  c->add_flag("!--no-progress", sc.progress, "no progress line on stderr (shown only when it is a terminal)");
  NetnsOption scan_ns;
  scan_ns.add_to(c);

  reach::tools::CheckOptions co;
  bool c4 = false, c6 = false;
  auto* k = app.add_subcommand("check", "are my backends answering, is my network segmented? endpoints checked concurrently, with the reason of each failure");
  k->add_option("endpoints", co.endpoints, "host:port, [v6addr]:port, or http(s):// URLs (--kind icmp: hosts)");
  k->add_option("--file", co.file, "endpoints, one per line: host port [name] (# comments)");
  k->add_option("--nodes-json", co.nodes_json, "node list of a load balancer API (file or URL): Rackspace nodes, Octavia members");
  k->add_option("-H,--header", co.headers, "HTTP header for fetching --nodes-json (repeatable), e.g. 'X-Auth-Token: ...'");
  k->add_option("--select", co.select, "where the nodes are in other JSON: [list=/ptr,]address=/ptr,port=/ptr[,name=/ptr]");
  k->add_option("--policy", co.policy, "segmentation policy (TOML) of flows that must pass or be blocked (docs/CHECK.md)");
  k->add_option("--kind", co.kind, "check host:port endpoints over tcp (connect, default), http, https, icmp (echo) or syn (raw, needs CAP_NET_RAW)");
  k->add_option("--path", co.path, "URL path for --kind http/https (default /)");
  k->add_option("-j,--jobs", co.jobs, "checks in flight at once (default 1000)");
  k->add_option("-W,--timeout", co.timeout, "seconds to wait for each attempt (default 2)");
  k->add_option("-r,--retries", co.retries, "extra attempts after a timeout or unreachable (default 0; --dnsbl: 1)");
  k->add_option("--expect-status", co.expect_status, "HTTP statuses that pass (default 200-399)");
  k->add_option("--body", co.body, "HTTP body must contain this text");
  k->add_option("--body-regex", co.body_regex, "HTTP body must match this regular expression (RE2 syntax, linear time)");
  k->add_flag("-k,--insecure", co.insecure, "do not verify TLS certificates (expiry is still reported)");
  k->add_option("--cacert", co.cacert, "trust the CA certificates in this PEM file for https checks and --nodes-json");
  k->add_option("--cert-days", co.cert_days, "fail when the certificate expires within this many days (default 0)");
  k->add_flag("-4", c4, "IPv4 only");
  k->add_flag("-6", c6, "IPv6 only");
  k->add_flag("--json", co.json, "NDJSON, one object per endpoint and a summary (docs/JSON.md)");
  k->add_flag("--nagios", co.nagios, "Nagios plugin output and exit codes");
  k->add_option("-w,--warning", co.warn, "--nagios WARNING when a check takes more than TIME s or more than FAILED fail: TIME[,FAILED]");
  k->add_option("-c,--critical", co.crit, "--nagios CRITICAL threshold: TIME[,FAILED] (default: any failure)");
  k->add_flag("--dnsbl", co.dnsbl, "look the addresses given up in DNS blocklists (docs/CHECK.md, DNS blocklists)");
  k->add_option("--dnsbl-zone", co.dnsbl_zones, "--dnsbl: a blocklist zone to query (repeatable; default zen.spamhaus.org, bl.spamcop.net, b.barracudacentral.org)")
      ->allow_extra_args(false);
  k->add_option("--dns-server", co.dns_server, "--dnsbl: the resolver to ask, ADDR[:PORT] (default: the first of /etc/resolv.conf)");
  add_geo(k, co.geo);
  NetnsOption check_ns;
  check_ns.add_to(k);

  reach::tools::WatchOptions wo;
  auto* w = app.add_subcommand("watch", "keep watching: many targets probed continuously, alerts, history, Prometheus and blackbox exports");
  w->add_option("targets", wo.targets, "host (ICMP), tcp://host:port (connect), syn://host:port (raw SYN), udp://host:port, http(s)://url, dns://server/name[?type=AAAA]");
  w->add_option("--config", wo.config, "YAML config file: run as a daemon (docs/WATCH-CONFIG.md)");
  w->add_flag("--validate", wo.validate, "check the config and print every error with its line; exit 2 on errors");
  w->add_flag("--once", wo.once, "one round of every target, then exit (0 all up, 1 some down)");
  w->add_option("-c,--count", wo.count, "this many rounds of every target, then a summary");
  w->add_flag("--nagios", wo.nagios, "with --once: Nagios plugin output and exit code (for NRPE)");
  w->add_option("--events", wo.events, "append NDJSON events (rounds, state changes, alerts) to FILE, or - for stdout");
  w->add_option("--history", wo.history, "print the stored history of target NAME and exit");
  w->add_option("--hours", wo.history_hours, "how far back --history goes (default 24)");
  w->add_option("--mrtg", wo.mrtg, "print MRTG's 4 lines (median RTT ms, loss %, uptime, name) for NAME and exit");
  w->add_flag("--live", wo.live, "redraw a table on the terminal (default when stdout is a terminal)");
  w->add_flag("--no-live", wo.no_live, "a line per round instead of the table");
  w->add_option("--listen", wo.overrides.listen, "serve /metrics, /probe, /api/v1 on this address (host:port)");
  w->add_option("--db", wo.overrides.db, "SQLite history file");
  w->add_option("--modules", wo.overrides.modules, "a blackbox_exporter modules file");
  w->add_option("--user", wo.overrides.user, "run as this user, keeping only CAP_NET_RAW");
  std::string w_interval, w_timeout;
  w->add_option("-i,--interval", w_interval, "time between rounds (default 1s)");
  w->add_option("-W,--timeout", w_timeout, "time to wait for an answer (default 1s)");
  w->add_option("--packets", wo.overrides.packets, "ICMP echoes per round");
  NetnsOption watch_ns;
  watch_ns.add_to(w);

  reach::app::GuardCommand guard;
  guard.add_to(app);
  reach::app::RelayCommand relay;
  relay.add_to(app);

  reach::tools::UsageOptions uo;
  auto* u = app.add_subcommand("usage", "bytes per billing cycle against a data cap: counts (--daemon), warns before the cap, reports like vnstat");
  u->add_option("--config", uo.config, "the YAML file with a usage: section (docs/USAGE.md)")->required();
  u->add_option("--db", uo.db, "SQLite file (overrides db: in the config)");
  auto* u_daemon = u->add_flag("--daemon", uo.daemon, "count every poll and send the alerts, until SIGTERM");
  auto* u_plan = u->add_option("--plan", uo.plan, "report only this plan");
  auto* u_days = u->add_flag("--days", uo.days, "history per day (last 30 days), like vnstat -d");
  auto* u_months = u->add_flag("--months", uo.months, "history per billing cycle (last 12), like vnstat -m");
  auto* u_json = u->add_flag("--json", uo.json, "NDJSON (docs/JSON.md)");
  auto* u_vnstat = u->add_flag("--vnstat-json", uo.vnstat_json, "vnStat's JSON (jsonversion 2), for dashboards that read vnstat --json");
  auto* u_mrtg = u->add_option("--mrtg", uo.mrtg, "MRTG's 4 lines (in and out byte counters, uptime, name) for one source (its name or id, docs/USAGE.md)");
  auto* u_nagios = u->add_flag("--nagios", uo.nagios, "Nagios plugin output and exit codes, with perfdata");
  auto* u_warn = u->add_option("-w,--warning", uo.warning, "--nagios WARNING at this percent of the cap (default 80%)");
  auto* u_crit = u->add_option("-c,--critical", uo.critical, "--nagios CRITICAL at this percent of the cap (default 90%)");
  auto* u_unblock = u->add_option("--unblock", uo.unblock, "lift this plan's on_cap.block now (nftables; needs CAP_NET_ADMIN)");
  auto* u_validate = u->add_flag("--validate", uo.validate, "check the config (and tzdata for every cycle's zone) and print every error with its line; exit 2 on errors");
  for (auto* o : {u_daemon, u_plan, u_days, u_months, u_json, u_vnstat, u_mrtg, u_nagios, u_unblock}) u_validate->excludes(o);
  for (auto* o : {u_plan, u_days, u_months, u_json, u_vnstat, u_mrtg, u_nagios}) o->excludes(u_daemon);
  for (auto* o : {u_daemon, u_plan, u_days, u_months, u_json, u_vnstat, u_mrtg, u_nagios}) u_unblock->excludes(o);
  for (auto* a : {u_json, u_vnstat, u_mrtg, u_nagios})
    for (auto* b : {u_json, u_vnstat, u_mrtg, u_nagios})
      if (a != b) a->excludes(b);
  u_warn->needs(u_nagios);
  u_crit->needs(u_nagios);

  bool nagios_args = false;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--nagios") nagios_args = true;
  const bool nagios = nagios_args && argc > 1 && (std::string_view(argv[1]) == "check" || std::string_view(argv[1]) == "usage");
  if (int code = reach::app::parse(app, argc, argv, nagios, out); code >= 0) return code;

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
    if (!ping_ns.enter("reach ping")) return 2;
    return reach::tools::run_ping(ping, out, std::cerr);
  }
  if (t->parsed()) {
    if (t_udp + t_icmp + t_tcp > 1) {
      std::cerr << "reach trace: choose one of --udp, --icmp, --tcp\n";
      return 2;
    }
    if (t4 && t6) {
      std::cerr << "reach trace: -4 and -6 exclude each other\n";
      return 2;
    }
    if (t_count->count() + t_interval->count() > 0 && !tr.report && !tr.live) {
      std::cerr << "reach trace: " << (t_count->count() ? "-c" : "--interval")
                << " counts rounds, which only --report and --live make\n";
      return 2;
    }
    if (t_icmp) tr.method = reach::model::TraceMethod::icmp;
    if (t_tcp) tr.method = reach::model::TraceMethod::tcp;
    if (t4) tr.family = reach::Family::v4;
    if (t6) tr.family = reach::Family::v6;
    if (!trace_ns.enter("reach trace")) return 2;
    return reach::tools::run_trace(tr, out, std::cerr);
  }
  if (c->parsed()) {
    if (sc_v4 && sc_v6) {
      std::cerr << "reach scan: -4 and -6 exclude each other\n";
      return 2;
    }
    // A SYN scan sends at --rate and waits --wait; per-connection settings would be ignored.
    if (sc_timeout->count() + sc_concurrency->count() > 0 && !sc.connect && !sc.banners) {
      std::cerr << "reach scan: " << (sc_timeout->count() ? "--timeout" : "--concurrency")
                << " applies to --connect and --banners, not to a SYN scan (its pace is --rate, its wait --wait)\n";
      return 2;
    }
    if (sc_all_ports) sc.ports = "-";
    if (sc_v4) sc.family = reach::Family::v4;
    if (sc_v6) sc.family = reach::Family::v6;
    if (!scan_ns.enter("reach scan")) return 2;
    return reach::tools::run_scan(sc, out, std::cerr);
  }
  if (s->parsed()) return reach::tools::run_sockets(so, out, std::cerr);
  if (w->parsed()) {
    for (auto [flag, text, slot] : {std::tuple{"--interval", &w_interval, &wo.overrides.interval},
                                    std::tuple{"--timeout", &w_timeout, &wo.overrides.timeout}}) {
      if (text->empty()) continue;
      auto d = reach::config::parse_duration(*text);
      if (!d || *d <= 0) {
        std::cerr << "reach watch: " << flag << ": '" << *text << "' is not a duration like 1s, 500ms (see reach watch --help)\n";
        return 2;
      }
      *slot = *d;
    }
    if (!watch_ns.enter("reach watch")) return 2;
    wo.netns = watch_ns.json_label();
    return reach::tools::run_watch(wo, out, std::cerr);
  }
  if (guard.sub->parsed()) return guard.run(out);
  if (u->parsed()) return reach::tools::run_usage(uo, out, std::cerr);
  if (relay.sub->parsed()) return relay.run(out);
  if (k->parsed()) {
    if (c4 && c6) {
      if (co.nagios) return (out << "CHECK UNKNOWN: -4 and -6 exclude each other\n"), 3;
      std::cerr << "reach check: -4 and -6 exclude each other\n";
      return 2;
    }
    co.retries_set = k->get_option("-r")->count() > 0;
    for (const char* name : {"--dnsbl-zone", "--dns-server"})
      if (!co.dnsbl && k->get_option(name)->count() > 0) {
        if (co.nagios) return (out << "CHECK UNKNOWN: " << name << " goes with --dnsbl\n"), 3;
        std::cerr << "reach check: " << name << " goes with --dnsbl\n";
        return 2;
      }
    for (const char* name : {"--body", "--body-regex", "--expect-status", "--cert-days"})
      if (k->get_option(name)->count() > 0) co.http_options.emplace_back(name);
    if (c4) co.family = reach::Family::v4;
    if (c6) co.family = reach::Family::v6;
    if (!check_ns.enter("reach check")) return 2;
    return reach::tools::run_check(co, out, std::cerr);
  }
  return 2;
}

}  // namespace
