#include "tools/watch/module_spec.hpp"

#include <fmt/format.h>


#include "base/address.hpp"
#include "engine/pattern.hpp"
#include "sys/input_file.hpp"

namespace reach::tools::watch {

namespace {
Result<void> set_body_pattern(engine::HttpExpect& e, const std::string& text, std::string_view what) {
  auto p = engine::Pattern::compile(text, what);
  if (!p) return tl::unexpected(p.error());
  e.body_regex = std::move(*p);
  return {};
}
}  // namespace

std::optional<std::pair<std::string, int>> split_host_port(const std::string& text) {
  // The one address parser of every command; the host keeps its zone ("fe80::1%eth0").
  auto a = parse_address(text, AddressForm::host_port);
  if (!a) a = parse_address(text, AddressForm::host);
  if (!a) return std::nullopt;
  return std::pair{a->host_and_zone(), a->port ? int{*a->port} : 0};
}

Result<engine::HttpExpect> http_expect(const config::StatusSet& statuses, const std::string& statuses_text,
                                       const std::string& body, const std::string& body_regex, int cert_days) {
  engine::HttpExpect e;
  e.statuses = statuses.ranges;
  if (e.statuses.empty()) e.statuses = {{200, 399}};
  e.statuses_text = statuses_text.empty() ? "200-399" : statuses_text;
  e.body = body;
  if (!body_regex.empty())
    if (auto r = set_body_pattern(e, body_regex, "body_regex"); !r) return tl::unexpected(r.error());
  e.cert_days = cert_days;
  return e;
}

Result<ProbeSpec> spec_from_module(const config::BbModule& m, const std::string& target, TimeNs timeout) {
  if (!m.supported) return fail("probe", m.name, 0, m.unsupported_reason);
  auto kind = config::probe_kind(m);
  if (!kind) return fail("probe", m.name, 0, "prober " + m.prober_name + " is not supported");
  ProbeSpec s;
  s.kind = *kind;
  s.timeout = m.timeout > 0 ? m.timeout : 5 * kNsPerSec;
  if (timeout > 0) s.timeout = std::min(s.timeout, timeout);
  auto family = [](config::IpProtocol p) { return p == config::IpProtocol::ip4 ? Family::v4 : Family::v6; };
  switch (*kind) {
    case model::WatchProbe::icmp:
      s.host = target;
      s.family = family(m.icmp.preferred_ip_protocol);
      s.family_fallback = m.icmp.ip_protocol_fallback;
      if (m.icmp.payload_size > 0) s.payload = static_cast<std::size_t>(std::max(m.icmp.payload_size, 8));
      break;
    case model::WatchProbe::tcp: {
      auto hp = split_host_port(target);
      if (!hp || hp->second == 0) return fail("probe", target, 0, "tcp target must be host:port");
      s.host = hp->first;
      s.port = hp->second;
      s.family = family(m.tcp.preferred_ip_protocol);
      s.family_fallback = m.tcp.ip_protocol_fallback;
      break;
    }
    case model::WatchProbe::http: {
      s.url = target.find("://") == std::string::npos ? "http://" + target : target;
      s.family = family(m.http.preferred_ip_protocol);
      s.family_fallback = m.http.ip_protocol_fallback;
      s.http.method = m.http.method;
      for (const auto& [k, v] : m.http.headers) s.http.headers.push_back(k + ": " + v);
      if (!m.http.body.empty()) s.http.body = m.http.body;
      s.http.max_redirects = m.http.follow_redirects ? 10 : 0;
      s.http.verify_tls = !m.http.tls_config.insecure_skip_verify;
      s.http.ca_file = m.http.tls_config.ca_file;  // a private CA: without it every such target was down
      s.http.fail_if_ssl = m.http.fail_if_ssl;
      s.http.fail_if_not_ssl = m.http.fail_if_not_ssl;
      // blackbox: 0 reads the whole body; here the watch default then bounds a body that never
      // ends (judged on what came, as a native target).
      s.http.body_limit = m.http.body_size_limit > 0 ? m.http.body_size_limit : config::kBodySizeLimit;
      s.http.fail_over_limit = m.http.body_size_limit > 0;
      // blackbox: valid_status_codes empty means any 2xx.
      if (m.http.valid_status_codes.empty()) {
        s.http.expect.statuses = {{200, 299}};
        s.http.expect.statuses_text = "2xx";
      } else {
        std::string text;
        for (int c : m.http.valid_status_codes) {
          s.http.expect.statuses.emplace_back(c, c);
          text += (text.empty() ? "" : ",") + std::to_string(c);
        }
        s.http.expect.statuses_text = text;
      }
      if (!m.http.fail_if_body_not_matches_regexp.empty())
        if (auto r = set_body_pattern(s.http.expect, m.http.fail_if_body_not_matches_regexp.front(),
                                      "fail_if_body_not_matches_regexp");
            !r)
          return tl::unexpected(r.error());
      for (const std::string& text : m.http.fail_if_body_matches_regexp) {
        auto p = engine::Pattern::compile(text, "fail_if_body_matches_regexp");
        if (!p) return tl::unexpected(p.error());
        s.http.fail_if_body_matches.push_back(std::move(*p));
      }
      break;
    }
    case model::WatchProbe::dns: {
      auto hp = split_host_port(target);
      if (!hp) return fail("probe", target, 0, "dns target must be a server address[:port]");
      s.host = hp->first;
      s.port = hp->second;
      s.family = family(m.dns.preferred_ip_protocol);
      s.family_fallback = m.dns.ip_protocol_fallback;
      s.dns.name = m.dns.query_name;
      s.dns.type = m.dns.query_type;
      s.dns.recursion_desired = m.dns.recursion_desired;
      s.dns.tcp = m.dns.transport_protocol == "tcp";
      s.dns_valid_rcodes = m.dns.valid_rcodes;
      break;
    }
    default:
      return fail("probe", m.name, 0, "prober not supported");
  }
  return s;
}

Result<config::BbModules> load_modules(const std::string& path) {
  auto text = sys::read_input_file(path);
  if (!text) return tl::unexpected(text.error());
  auto m = config::parse_blackbox_modules(*text, path);
  if (!m) return tl::unexpected(m.error().to_error());
  return config::with_builtins(std::move(*m));
}

}  // namespace reach::tools::watch
