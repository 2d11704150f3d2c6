#pragma once
// DNS queries to a chosen server on the Reactor (c-ares: ares_set_socket_callback for its
// sockets, ares_timeout for its timers, ares_process_fd when ready): watch's dns:// probes and
// check's DNSBL lookups (`check --dnsbl`). One c-ares channel per server, kept while queries use it.
//
// Threading: on the Reactor's thread only. Callbacks run from reactor callbacks, never from
// inside query().
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "base/time.hpp"
#include "io/reactor.hpp"

namespace reach::io {

struct DnsQuery {
  IpAddr server;
  std::uint16_t port = 53;
  std::string name;           // "example.org" (a trailing dot is fine)
  std::string type = "A";     // A AAAA MX TXT NS CNAME PTR SOA SRV CAA ANY, or "TYPE<n>"
  TimeNs timeout = 1 * kNsPerSec;
  bool recursion_desired = true;
  bool tcp = false;           // query over TCP instead of UDP
};

struct DnsResult {
  // The server answered (any rcode); false: `error` says why not (timed out, refused...).
  bool answered = false;
  bool timed_out = false;
  std::string error;
  int rcode = -1;             // 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN... (-1 without an answer)
  std::string rcode_name;     // "NOERROR", "NXDOMAIN"...
  int answer_count = 0, authority_count = 0, additional_count = 0;  // from the header
  // Answer records of the asked type as text, in c-ares's parse of them: "198.18.1.2",
  // "10 mail.example.org", "\"v=spf1 -all\"" (TXT strings quoted and joined by a space),
  // "ns1.example.org", "ns1.example.org hostmaster.example.org 1 3600 600 86400 60" (SOA).
  // Types c-ares cannot parse give no text (the counts still hold).
  std::vector<std::string> answers;
  TimeNs duration = 0;        // query start to answer (or to the timeout)
};

// A host name through the system's resolver configuration (resolv.conf, the hosts file), as
// getaddrinfo would, without blocking the loop: watch's targets given by name.
struct HostQuery {
  std::string name;
  std::optional<Family> family;  // nullopt: both
  std::string resolv_conf;       // empty: /etc/resolv.conf (tests point it elsewhere)
};

struct HostResult {
  std::vector<IpAddr> addrs;     // in c-ares's order (RFC 6724 sorted); empty on error
  TimeNs ttl = 0;                // the smallest TTL of the answers (0 from the hosts file)
  std::string error;             // why there is no address ("Domain name not found", ...)
  bool timed_out = false;        // the resolver did not answer
};

// The name servers of the system's resolver configuration (resolv.conf, as c-ares reads it), in
// its order: for queries to "the resolver" when the user names none (`check --dnsbl`).
struct DnsServer {
  IpAddr addr;
  std::uint16_t port = 53;
};
Result<std::vector<DnsServer>> system_dns_servers(const std::string& resolv_conf = {});

class DnsAsync {
 public:
  static Result<std::unique_ptr<DnsAsync>> create(Reactor& reactor);
  ~DnsAsync();  // pending queries are abandoned: their callbacks are not called

  using Callback = std::function<void(DnsResult)>;
  // Errors (unknown type, bad name) before anything is sent; `cb` runs exactly once otherwise.
  Result<void> query(const DnsQuery& q, Callback cb);
  // Resolves a host name; `cb` runs exactly once, from a later reactor callback. How long it
  // takes is resolv.conf's business (timeout, attempts): callers bound their own wait.
  void resolve_host(const HostQuery& q, std::function<void(HostResult)> cb);
  std::size_t in_flight() const;

  struct Impl;

 private:
  explicit DnsAsync(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace reach::io
