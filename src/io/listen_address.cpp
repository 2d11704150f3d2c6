#include "io/listen_address.hpp"

#include <cerrno>

namespace reach::io {
namespace {

constexpr const char* kForms = "write ADDRESS:PORT, [IPv6]:PORT or :PORT, e.g. 0.0.0.0:80, [::]:80, :80";

tl::unexpected<Error> bad(std::string_view text, std::string why) {
  return fail("listen address", "\"" + std::string(text.substr(0, 200)) + "\"", 0, std::move(why));
}

}  // namespace

std::string ListenAddress::to_string() const {
  std::string host;
  if (addr) host = addr->is_v4() ? addr->to_string() : "[" + addr->to_string() + "]";
  return host + ":" + std::to_string(port);
}

Result<ListenAddress> parse_listen_address(std::string_view text, bool allow_port_zero) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad(text, "missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 >= text.size()) return bad(text, std::string("no port (") + kForms + ")");
    if (text[close + 1] != ':') return bad(text, "expected [IPv6]:PORT");
    port = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return bad(text, "brackets are for IPv6 addresses");
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad(text, std::string("no port (") + kForms + ")");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad(text, "write IPv6 addresses in brackets: [::1]:PORT");
  }
  if (port.empty()) return bad(text, std::string("no port after ':' (") + kForms + ")");
  if (port.size() > 5) return bad(text, "port must be 1-65535");
  unsigned long p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return bad(text, "port must be 1-65535");
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (p > 65535 || (p == 0 && !allow_port_zero)) return bad(text, "port must be 1-65535");
  ListenAddress out;
  out.port = static_cast<std::uint16_t>(p);
  if (host.empty()) {
    if (text.front() == '[') return bad(text, "empty address in brackets");
    return out;
  }
  if (host.find('\0') != std::string_view::npos) return bad(text, "NUL in the address");
  if (host.find('%') != std::string_view::npos) return bad(text, "zone ids are not supported");
  auto a = IpAddr::parse(host);
  if (!a) return bad(text, "not a numeric IP address (host names are not resolved)");
  if (text.front() != '[' && !a->is_v4()) return bad(text, "write IPv6 addresses in brackets: [::1]:PORT");
  out.addr = *a;
  return out;
}

}  // namespace reach::io
