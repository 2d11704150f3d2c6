#include "tools/sockets/filter.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace reach::tools::sockets {

using model::SocketRow;

std::optional<std::uint32_t> parse_state(std::string_view name) {
  std::string n;
  for (char ch : name)
    if (ch != '-' && ch != '_') n += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  using namespace model;
  auto bit = [](unsigned s) { return std::uint32_t{1} << s; };
  if (n == "established" || n == "estab") return bit(kEstablished);
  if (n == "synsent") return bit(kSynSent);
  if (n == "synrecv") return bit(kSynRecv) | bit(kNewSynRecv);
  if (n == "finwait1") return bit(kFinWait1);
  if (n == "finwait2") return bit(kFinWait2);
  if (n == "timewait") return bit(kTimeWait);
  if (n == "close" || n == "closed" || n == "unconn") return bit(kClose);
  if (n == "closewait") return bit(kCloseWait);
  if (n == "lastack") return bit(kLastAck);
  if (n == "listen" || n == "listening") return bit(kListen);
  if (n == "closing") return bit(kClosing);
  if (n == "all") return kAllStates;
  if (n == "connected") return kAllStates & ~(bit(kListen) | bit(kClose));
  return std::nullopt;
}

bool Filter::keep(const SocketRow& r) const {
  const std::uint32_t mask = r.proto == model::SockProto::tcp     ? tcp_states
                            : r.proto == model::SockProto::unix_ ? unix_states
                                                                 : dgram_states;
  if (!(mask & (std::uint32_t{1} << (r.state & 31)))) return false;
  if (port && r.local_port != *port && r.peer_port != *port) return false;
  if (sport && r.local_port != *sport) return false;
  if (dport && r.peer_port != *dport) return false;
  if (!addrs.empty()) {
    if (r.proto == model::SockProto::unix_) return false;
    bool hit = std::any_of(addrs.begin(), addrs.end(),
                           [&](const IpPrefix& c) { return c.contains(r.local) || c.contains(r.peer); });
    if (!hit) return false;
  }
  if (pid && std::none_of(r.owners.begin(), r.owners.end(), [&](const auto& o) { return o.pid == *pid; }))
    return false;
  if (!program.empty() &&
      std::none_of(r.owners.begin(), r.owners.end(), [&](const auto& o) { return o.program == program; }))
    return false;
  return true;
}

}  // namespace reach::tools::sockets
