#pragma once
// The listen addresses users write ("127.0.0.1:9798", "[::1]:9798", "[::]:9798", ":9798").
// A pure parser (fuzzed by tests/fuzz/fuzz_listen_address.cpp): no DNS, no system calls.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/ip_addr.hpp"

namespace reach::io {

struct ListenAddress {
  // nullopt: ":PORT", every address of both families (one IPv6 socket with IPV6_V6ONLY off).
  std::optional<IpAddr> addr;
  std::uint16_t port = 0;
  // "[::]:PORT" is IPv6 only (IPV6_V6ONLY on); ":PORT" is the dual-stack wildcard.
  bool v6_only() const { return addr && !addr->is_v4(); }
  std::string to_string() const;  // canonical: "127.0.0.1:9798", "[::1]:9798", ":9798"
};

// Accepts "A.B.C.D:PORT", "[IPv6]:PORT", ":PORT" with PORT 1-65535 (0 only if allow_port_zero,
// for tests that let the kernel choose). Host names, missing ports, unbracketed IPv6, zone ids
// and trailing text are errors naming the text: `listen address "x:1": ...`.
Result<ListenAddress> parse_listen_address(std::string_view text, bool allow_port_zero = false);

}  // namespace reach::io
