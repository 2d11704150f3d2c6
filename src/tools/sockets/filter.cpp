#include "tools/sockets/filter.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace reach::tools::sockets {

using model::SocketRow;

bool Cidr::contains(const IpAddr& a0) const {
  IpAddr a = a0;
  // A v4 network also matches IPv4-mapped IPv6 addresses (dual-stack sockets).
  if (net.is_v4() && !a.is_v4()) {
    static const std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!std::equal(mapped, mapped + 12, a.data())) return false;
    a = IpAddr::from_bytes(Family::v4, a.data() + 12);
  }
  if (a.family() != net.family()) return false;
  int bits = prefix;
  for (std::size_t i = 0; i < a.size() && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a.data()[i] & mask) != (net.data()[i] & mask)) return false;
  }
  return true;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = IpAddr::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  Cidr c{*addr, static_cast<int>(addr->size() * 8)};
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    int n = -1;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || n < 0 || n > c.prefix) return std::nullopt;
    c.prefix = n;
  }
  // Host bits set beyond the prefix are almost always a typo: refuse them.
  for (std::size_t i = 0; i < addr->size(); ++i) {
    const int keep = std::clamp(c.prefix - static_cast<int>(i) * 8, 0, 8);
    const std::uint8_t mask = keep == 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - keep));
    if ((addr->data()[i] & ~mask & 0xff) != 0) return std::nullopt;
  }
  return c;
}

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
                           [&](const Cidr& c) { return c.contains(r.local) || c.contains(r.peer); });
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
