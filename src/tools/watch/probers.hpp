#pragma once
// The probes of `reach watch` on the daemon's one Reactor: ICMP echo rounds for every target on
// one socket per family (engine::EchoRounds), TCP connects, HTTP(S) through libcurl's multi
// socket API, DNS through c-ares, SNMP on a helper thread (snmp_prober.hpp). Each probe ends with exactly one RoundResult.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "config/watch_config.hpp"
#include "config/watch_snmp.hpp"
#include "engine/check_http.hpp"
#include "engine/pattern.hpp"
#include "io/dns_async.hpp"
#include "io/reactor.hpp"
#include "model/watch.hpp"

namespace reach::tools::watch {

struct HttpProbe {
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value"
  std::optional<std::string> body;
  long max_redirects = 10;
  bool verify_tls = true;
  std::string ca_file;               // blackbox tls_config.ca_file: trust these CAs instead of the system's
  bool fail_if_ssl = false, fail_if_not_ssl = false;
  engine::HttpExpect expect;         // statuses, body substring, pattern, certificate days
  std::vector<engine::Pattern> fail_if_body_matches;  // blackbox: any match fails the probe
  // Bytes of body read at most (0: all): the transfer stops there and the round is judged on
  // what came; with fail_over_limit (a blackbox module's body_size_limit) reaching it fails it.
  std::uint64_t body_limit = config::kBodySizeLimit;
  bool fail_over_limit = false;
};

struct ProbeSpec {
  std::uint32_t id = 0;              // the target's runtime id (0: a one-off /probe)
  std::string name;
  model::WatchProbe kind = model::WatchProbe::icmp;
  std::string host;                  // what the user wrote (for resolution and messages)
  std::optional<Family> family;      // preferred family; nullopt: the resolver's first
  bool family_fallback = true;       // blackbox ip_protocol_fallback
  int port = 0;
  std::string url;
  int packets = 1;
  TimeNs spacing = 0;                // between the echoes of one round
  TimeNs timeout = kNsPerSec;
  std::size_t payload = 56;
  HttpProbe http;
  io::DnsQuery dns;                  // server filled from host/port when empty
  std::vector<std::string> dns_valid_rcodes = {"NOERROR"};
  config::SnmpTarget snmp;           // snmp: session (host, timeout filled) and numeric OIDs
  std::string error;                 // the spec could not be built: every round fails with it
  // dnsbl: `host` is looked up in each zone through this resolver (empty: resolv.conf's first).
  std::vector<std::string> dnsbl_zones;
  std::string dnsbl_server;
};

class Probers {
 public:
  using Done = std::function<void(model::RoundResult)>;
  // Opens nothing yet: sockets are opened on first use (raw with CAP_NET_RAW, else datagram).
  static Result<std::unique_ptr<Probers>> create(io::Reactor& reactor, std::uint64_t key);
  ~Probers();
  // Starts one round; `done` runs once from a later reactor callback, never from inside run().
  void run(const ProbeSpec& spec, Done done);
  // Forget what is running for a target removed by a reload (its callback is not called).
  void cancel(std::uint32_t id);
  // Opens the ICMP sockets now (before privileges are dropped); a failure is reported once
  // per family at the first icmp round instead.
  void open_icmp_sockets();
  std::string icmp_mode() const;     // "raw" / "datagram (unprivileged)" / ""
  std::uint64_t ignored_packets() const;

  struct Impl;

 private:
  explicit Probers(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::tools::watch
