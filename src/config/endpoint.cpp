#include "config/endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/ip_addr.hpp"

namespace reach::config {
namespace {

tl::unexpected<Error> bad(std::string_view text, std::string why) {
  return fail("endpoint", std::string(text), 0, std::move(why));
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// host[:port] or [v6][:port]; port_required for plain endpoints, default_port for URLs.
Result<std::pair<std::string, std::uint16_t>> split_authority(std::string_view whole, std::string_view a,
                                                              std::optional<std::uint16_t> default_port) {
  std::string host;
  std::string_view rest;
  if (!a.empty() && a.front() == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos) return bad(whole, "missing ']' after the IPv6 address");
    host = std::string(a.substr(1, close - 1));
    auto ip = IpAddr::parse(host);
    if (!ip || ip->is_v4()) return bad(whole, fmt::format("'{}' in brackets is not an IPv6 address", host));
    rest = a.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad(whole, "expected ':port' after ']'");
  } else {
    auto colon = a.find(':');
    if (colon != std::string_view::npos && a.find(':', colon + 1) != std::string_view::npos)
      return bad(whole, "an IPv6 address needs brackets: [addr]:port");
    host = std::string(a.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : a.substr(colon);
    if (host.empty()) return bad(whole, "no host");
    if (!valid_host(host)) return bad(whole, fmt::format("'{}' is not a host name or address", host));
  }
  if (rest.empty()) {
    if (!default_port) return bad(whole, "no port (write host:port)");
    return std::pair{host, *default_port};
  }
  auto port = parse_port(rest.substr(1));
  if (!port) return bad(whole, fmt::format("port '{}' is not a number from 1 to 65535", rest.substr(1)));
  return std::pair{host, *port};
}

Result<Endpoint> parse_url(std::string_view text, CheckKind kind, std::size_t scheme_len) {
  std::string_view after = text.substr(scheme_len);
  auto end = after.find_first_of("/?#");
  std::string_view authority = after.substr(0, end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  if (authority.empty()) return bad(text, "URL without a host");
  auto hp = split_authority(text, authority, kind == CheckKind::https ? 443 : 80);
  if (!hp) return tl::unexpected(hp.error());
  for (char c : text)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return bad(text, "URL contains spaces or control characters");
  return Endpoint{std::string(text), hp->first, hp->second, kind, std::string(text)};
}

std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size() || line[i] == '#') break;
    std::size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v < 1 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (IpAddr::parse(host)) return true;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

Result<Endpoint> parse_endpoint(std::string_view text) {
  if (starts_with_ci(text, "http://")) return parse_url(text, CheckKind::http, 7);
  if (starts_with_ci(text, "https://")) return parse_url(text, CheckKind::https, 8);
  if (text.find("://") != std::string_view::npos) return bad(text, "only http:// and https:// URLs are checked");
  auto hp = split_authority(text, text, std::nullopt);
  if (!hp) return tl::unexpected(hp.error());
  return Endpoint{std::string(text), hp->first, hp->second, CheckKind::tcp, {}};
}

Result<std::vector<Endpoint>> parse_endpoint_file(std::string_view text, const std::string& source) {
  std::vector<Endpoint> out;
  std::size_t lineno = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++lineno;
    auto t = tokens(line);
    if (t.empty()) continue;
    auto where = [&](const std::string& why) {
      return fail("read endpoints", source, 0, fmt::format("line {}: {}", lineno, why));
    };
    Result<Endpoint> e;
    std::optional<std::string_view> name;
    if (t.size() >= 2 && parse_port(t[1]) && t[0].find("://") == std::string_view::npos) {
      // host port [name]
      if (t.size() > 3) return where("expected 'host port [name]', got more words");
      if (!valid_host(t[0])) return where(fmt::format("'{}' is not a host name or address", t[0]));
      std::string host(t[0]);
      e = Endpoint{join_host_port(host, *parse_port(t[1])), host, *parse_port(t[1]), CheckKind::tcp, {}};
      if (t.size() == 3) name = t[2];
    } else {
      // host:port or URL [name]
      if (t.size() > 2) return where("expected 'host port [name]' or 'host:port [name]'");
      if (t.size() == 2 && t[0].find("://") == std::string_view::npos && t[0].find(':') == std::string_view::npos)
        return where(fmt::format("port '{}' is not a number from 1 to 65535", t[1]));
      e = parse_endpoint(t[0]);
      if (!e) return where(e.error().detail);
      if (t.size() == 2) name = t[1];
    }
    if (name) e->name = std::string(*name);
    out.push_back(std::move(*e));
  }
  return out;
}

std::string join_host_port(const std::string& host, std::uint16_t port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

}  // namespace reach::config
