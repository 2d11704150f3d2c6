#include "engine/connect_outcome.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "packet/icmp.hpp"

namespace reach::engine {
namespace {

using model::PortReason;
using model::PortState;

ConnectVerdict make(PortState s, PortReason r, int err, std::string text) {
  ConnectVerdict v;
  v.state = s;
  v.reason = r;
  v.err = err;
  v.answered = r != PortReason::no_response;
  v.text = std::move(text);
  return v;
}

}  // namespace

PortReason icmp_port_reason(Family f, std::uint8_t type, std::uint8_t code) {
  switch (packet::classify_icmp(f, type, code)) {
    case packet::IcmpErrorKind::admin_prohibited: return PortReason::admin_prohibited;
    case packet::IcmpErrorKind::host_unreachable: return PortReason::host_unreachable;
    case packet::IcmpErrorKind::net_unreachable: return PortReason::net_unreachable;
    case packet::IcmpErrorKind::port_unreachable: return PortReason::port_unreachable;
    case packet::IcmpErrorKind::protocol_unreachable: return PortReason::proto_unreachable;
    default: return PortReason::icmp_other;
  }
}

ConnectVerdict classify_connect_outcome(int err, const std::optional<model::IcmpSeen>& icmp, bool immediate) {
  if (err == 0) return make(PortState::open, PortReason::connected, 0, "connected");
  if (icmp && !immediate) {
    // Whoever sent it, an ICMP error is what it says; the errno Linux made of it is not.
    auto r = icmp_port_reason(icmp->v6 ? Family::v6 : Family::v4, icmp->type, icmp->code);
    std::string name = r == PortReason::icmp_other
                           ? packet::icmp_error_name(icmp->v6 ? Family::v6 : Family::v4, icmp->type, icmp->code)
                           : model::port_reason_name(r);
    auto v = make(PortState::filtered, r, err,
                  fmt::format("{}{} (ICMP{} type {} code {})", name,
                              icmp->from ? " from " + icmp->from->to_string() : std::string(), icmp->v6 ? "v6" : "",
                              icmp->type, icmp->code));
    v.icmp = icmp;
    return v;
  }
  const std::string local = immediate ? " (local)" : "";
  switch (err) {
    case ECONNREFUSED: return make(PortState::closed, PortReason::rst, err, "connection refused (RST)");
    case ECONNRESET: return make(PortState::closed, PortReason::rst, err, "connection reset");
    case ETIMEDOUT: return make(PortState::filtered, PortReason::no_response, err, "no answer (SYN retries exhausted)");
    case ENETUNREACH:
      return make(PortState::filtered, PortReason::net_unreachable, err,
                  immediate ? "no route in the local routing table" : "network unreachable");
    case EHOSTUNREACH:
      return make(PortState::filtered, PortReason::host_unreachable, err,
                  immediate ? "host unreachable (local route)" : "host unreachable (no ARP/ND answer)");
    case EHOSTDOWN: return make(PortState::filtered, PortReason::host_unreachable, err, "host is down");
    case EACCES:
    case EPERM:
      if (!immediate) return make(PortState::filtered, PortReason::admin_prohibited, err, "admin-prohibited");
      return make(PortState::filtered, PortReason::local_error, err, "prohibited by a local firewall or route (local)");
    default:
      return make(PortState::filtered, PortReason::local_error, err,
                  fmt::format("error {} ({}){}", strerrorname_np(err) ? strerrorname_np(err) : "?",
                              std::strerror(err), local));
  }
}

}  // namespace reach::engine
