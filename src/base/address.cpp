#include "base/address.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace reach {
namespace {

tl::unexpected<Error> bad(std::string_view text, std::string why) {
  return fail("address", std::string(text), 0, std::move(why));
}

// addr[%zone] -> the literal and its zone; `url` decodes the zone's "%25".
Result<AddressText> split_zone(std::string_view whole, std::string_view s, bool url) {
  AddressText t;
  auto pct = s.find('%');
  std::string_view addr = s.substr(0, pct);
  if (pct != std::string_view::npos) {
    std::string_view zone = s.substr(pct + 1);
    if (url && zone.size() >= 2 && zone.substr(0, 2) == "25") zone.remove_prefix(2);
    if (zone.empty()) return bad(whole, "no interface after '%'");
    if (!valid_zone(zone)) return bad(whole, fmt::format("'{}' is not an interface name or index", zone));
    t.zone = std::string(zone);
  }
  t.host = std::string(addr);
  t.literal = IpAddr::parse(addr);
  if (!t.zone.empty() && (!t.literal || t.literal->is_v4()))
    return bad(whole, "an interface (%" + t.zone + ") may only follow an IPv6 address");
  return t;
}

}  // namespace

std::optional<std::uint16_t> parse_port_number(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v < 1 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

bool valid_host_name(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (IpAddr::parse(host)) return true;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool valid_zone(std::string_view zone) {
  if (zone.empty() || zone.size() > 15) return false;  // IFNAMSIZ - 1; an index has at most 10 digits
  return std::none_of(zone.begin(), zone.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= ' ' || u == 0x7f || c == '/' || c == ':' || c == '%' || c == '[' || c == ']';
  });
}

Result<AddressText> parse_address(std::string_view text, AddressForm form) {
  if (text.empty()) return bad("\"\"", "empty address");
  bool url = form == AddressForm::url;
  std::string_view rest;
  Result<AddressText> t;
  if (text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad(text, "missing ']' after the IPv6 address");
    t = split_zone(text, text.substr(1, close - 1), url);
    if (!t) return t;
    if (!t->literal || t->literal->is_v4())
      return bad(text, fmt::format("'{}' in brackets is not an IPv6 address", t->host));
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad(text, "expected ':port' after ']'");
  } else {
    auto colon = text.find(':');
    bool many = colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos;
    if (many && form == AddressForm::host) {  // a bare IPv6 address, maybe with its zone
      t = split_zone(text, text, false);
      if (t && !t->literal) return bad(text, "not a valid IPv6 address");
      return t;
    }
    if (many) return bad(text, "an IPv6 address needs brackets: [addr]:port");
    std::string_view host = text.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
    if (host.empty()) return bad(text, "no host");
    if (host.find('%') != std::string_view::npos) {
      t = split_zone(text, host, url);  // says that a zone needs an IPv6 address
      if (!t) return t;
    }
    if (!valid_host_name(host)) return bad(text, fmt::format("'{}' is not a host name or address", host));
    t = AddressText{std::string(host), IpAddr::parse(host), {}, std::nullopt};
  }
  if (rest.empty()) {
    if (form == AddressForm::host_port) return bad(text, "no port (write host:port or [IPv6]:port)");
    return t;
  }
  if (form == AddressForm::host) return bad(text, "a port does not belong here (use -p)");
  if (rest.size() == 1) return bad(text, "no port after ':' (write host:port or [IPv6]:port)");
  auto port = parse_port_number(rest.substr(1));
  if (!port) return bad(text, fmt::format("port '{}' is not a number from 1 to 65535", rest.substr(1)));
  t->port = port;
  return t;
}

std::string join_host_port(std::string_view host, std::optional<std::uint16_t> port, bool bracket_v6) {
  // Only an IPv6 literal holds a ':' (a name never does); one already in brackets stays as is.
  const bool v6 = host.find(':') != std::string_view::npos && host.front() != '[';
  const std::string h = v6 && (port || bracket_v6) ? fmt::format("[{}]", host) : std::string(host);
  return port ? fmt::format("{}:{}", h, *port) : h;
}

}  // namespace reach
