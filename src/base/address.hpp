#pragma once
// Every address a user types, split and checked in one place (`reach ping|trace|scan|check`,
// --file lists, node JSON): IPv4, IPv6, IPv6 with a zone (`fe80::1%eth0`, `%3`; RFC 4007 §11),
// brackets (`[2001:db8::1]`, `[fe80::1%eth0]:22`), and in URLs the zone written `%25` (RFC 6874).
// Pure: names and zones are looked up by sys::resolve.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "base/ip_addr.hpp"

namespace reach {

enum class AddressForm : std::uint8_t {
  host,       // a target: name, v4, v6, v6%zone, [v6], [v6%zone]; no port
  host_port,  // an endpoint: host:port, [v6]:port, [v6%zone]:port
  url,        // a URL's authority: host[:port], [v6][:port], [v6%25zone][:port]
};

struct AddressText {
  std::string host;               // a host name or an address literal: no brackets, no zone
  std::optional<IpAddr> literal;  // the address when `host` is numeric
  std::string zone;               // the interface after '%' (name or index), empty when none
  std::optional<std::uint16_t> port;

  // host%zone, as the user would write it outside brackets.
  std::string host_and_zone() const { return zone.empty() ? host : host + "%" + zone; }
};

// Errors say what is wrong with `text` (op "address"). Only host_port requires a port.
Result<AddressText> parse_address(std::string_view text, AddressForm form);

// A decimal port 1..65535 (no sign, no spaces), nullopt otherwise.
std::optional<std::uint16_t> parse_port_number(std::string_view text);
// A host name (letters, digits, '-', '_', '.'; at most 253) or an address literal.
bool valid_host_name(std::string_view host);
// The inverse of parse_address: a host (a name or an address literal, with its zone after '%')
// and a port as one writes them, IPv6 literals in brackets (RFC 3986 §3.2.2, RFC 5952 §6):
// "198.18.0.1:80", "[2001:db8::1]:80", "[fe80::1%eth0]:22". No port: the host with brackets
// around an IPv6 literal when `bracket_v6` (an authority), as it is otherwise ("2001:db8::1").
std::string join_host_port(std::string_view host, std::optional<std::uint16_t> port, bool bracket_v6 = true);
// An interface name (1 to 15 bytes, no '/', ':', '%', blanks or controls) or a decimal index.
bool valid_zone(std::string_view zone);

}  // namespace reach
