#include "config/endpoint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/address.hpp"

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

// host[:port] or [v6%zone][:port] (base/address.hpp); the host keeps its zone ("fe80::1%eth0").
Result<std::pair<std::string, std::uint16_t>> split_authority(std::string_view whole, std::string_view a,
                                                              std::optional<std::uint16_t> default_port) {
  auto t = parse_address(a, default_port ? AddressForm::url : AddressForm::host_port);
  if (!t) return bad(whole, t.error().detail);
  return std::pair{t->host_and_zone(), t->port.value_or(default_port.value_or(0))};
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

std::optional<std::uint16_t> parse_port(std::string_view text) { return parse_port_number(text); }

bool valid_host(std::string_view host) { return valid_host_name(host); }

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
      auto a = parse_address(t[0], AddressForm::host);
      if (!a) return where(a.error().detail);
      std::string host = a->host_and_zone();
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

}  // namespace reach::config
