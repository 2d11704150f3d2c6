#pragma once
// What `reach sockets` keeps: options turned into a predicate over rows, and the state masks
// handed to the kernel so it filters before sending.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_prefix.hpp"
#include "model/socket.hpp"

namespace reach::tools::sockets {

// A state name as netstat (ESTABLISHED, SYN_SENT, LISTEN, ...) or ss (established, syn-sent,
// listening, unconn, ...) spells it, any case, "-" or "_" alike; the bit mask of kernel
// states (bit n = state n). nullopt for an unknown name.
std::optional<std::uint32_t> parse_state(std::string_view name);

struct Filter {
  std::uint32_t tcp_states = 0;    // kernel mask for TCP
  std::uint32_t dgram_states = 0;  // kernel mask for UDP and raw
  std::uint32_t unix_states = 0;   // kernel mask for unix sockets
  std::optional<int> port, sport, dport;
  std::vector<IpPrefix> addrs;
  std::optional<int> pid;
  std::string program;
  bool keep(const model::SocketRow& r) const;
};

// States 0..12 (TCP_ESTABLISHED .. TCP_NEW_SYN_RECV), the set `ss -a` and netstat show.
inline constexpr std::uint32_t kAllStates = 0x1ffeU;

}  // namespace reach::tools::sockets
