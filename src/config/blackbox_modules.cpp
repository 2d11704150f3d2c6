#include "config/blackbox_modules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <tuple>

#include "config/yaml_walk.hpp"

namespace reach::config {

const BbModule* BbModules::find(std::string_view name) const {
  auto it = std::lower_bound(modules.begin(), modules.end(), name,
                             [](const BbModule& m, std::string_view n) { return m.name < n; });
  return it != modules.end() && it->name == name ? &*it : nullptr;
}

std::vector<std::string> BbModules::warnings(const std::string& source) const {
  std::vector<std::string> out;
  for (const auto& m : modules)
    if (!m.supported)
      out.push_back(fmt::format("{}:{}: module {}: {}", source, m.line, m.name, m.unsupported_reason));
  return out;
}

namespace {

using yaml::Walker;

// Options blackbox_exporter 0.23 knows that reach does not implement: the module loads as
// unsupported with this reason instead of probing differently from blackbox.
bool blackbox_knows_unsupported(std::string_view block, std::string_view key) {
  static const std::set<std::pair<std::string_view, std::string_view>> kKnown = {
      {"http", "basic_auth"},        {"http", "bearer_token"},     {"http", "bearer_token_file"},
      {"http", "authorization"},     {"http", "oauth2"},           {"http", "proxy_url"},
      {"http", "no_proxy"},          {"http", "proxy_from_environment"}, {"http", "proxy_connect_header"},
      {"http", "skip_resolve_phase_with_proxy"}, {"http", "use_proxy_dns"}, {"http", "follow_redirect"},
      {"http", "http_headers"},      {"tcp", "query_response"},    {"dns", "dns_over_tls"},
      {"tls_config", "max_version"}, {"tls_config", "ca"},         {"tls_config", "cert"},
      {"tls_config", "key"},
  };
  return kKnown.count({block, key}) != 0;
}

struct ModuleCtx {
  Walker& w;             // problems found in this module only
  std::vector<std::string> unsupported;
  void unsupported_option(const std::string& path) {
    unsupported.push_back(fmt::format("{} is not supported by reach", path));
  }
  void unknown_option(const yaml::Node& at, const std::string& path) {
    w.error(at, path, "unknown option (blackbox_exporter refuses it too)");
  }
};

std::string join(const std::string& a, std::string_view b) { return a + "." + std::string(b); }

void ip_protocol(ModuleCtx& c, const yaml::Node& v, const std::string& p, IpProtocol& out) {
  auto s = c.w.str(v, p, true);
  if (!s) return;
  if (*s == "ip4" || *s == "ipv4") out = IpProtocol::ip4;
  else if (*s == "ip6" || *s == "ipv6" || s->empty()) out = IpProtocol::ip6;
  else c.w.error(v, p, "must be ip4 or ip6");
}

// The options every prober shares; true when `k` was one of them.
bool ip_option(ModuleCtx& c, const std::string& k, const yaml::Node& v, const std::string& p, IpProtocol& preferred,
               bool& fallback, std::string* source) {
  if (k == "preferred_ip_protocol") {
    ip_protocol(c, v, p, preferred);
  } else if (k == "ip_protocol_fallback") {
    if (auto b = c.w.boolean(v, p)) fallback = *b;
  } else if (k == "source_ip_address" && source) {
    if (auto s = c.w.str(v, p, true)) *source = *s;
  } else {
    return false;
  }
  return true;
}

void tls_config(ModuleCtx& c, const yaml::Node& n, const std::string& path, BbTlsConfig& t) {
  for (auto& [k, v] : c.w.entries(n, path, {})) {
    auto p = join(path, k);
    if (k == "insecure_skip_verify") {
      if (auto b = c.w.boolean(v, p)) t.insecure_skip_verify = *b;
    } else if (k == "ca_file" || k == "cert_file" || k == "key_file" || k == "server_name") {
      if (auto s = c.w.str(v, p, true))
        (k == "ca_file" ? t.ca_file : k == "cert_file" ? t.cert_file : k == "key_file" ? t.key_file : t.server_name) = *s;
    } else if (k == "min_version") {
      auto s = c.w.str(v, p, true);
      if (s && (*s == "" || *s == "TLS10" || *s == "TLS11" || *s == "TLS12" || *s == "TLS13")) t.min_version = *s;
      else if (s) c.w.error(v, p, "must be TLS10, TLS11, TLS12 or TLS13");
    } else if (blackbox_knows_unsupported("tls_config", k)) {
      c.unsupported_option(p);
    } else {
      c.unknown_option(v, p);
    }
  }
}

std::vector<std::string> regex_list(ModuleCtx& c, const yaml::Node& v, const std::string& p) {
  return c.w.str_list(v, p).value_or(std::vector<std::string>{});
}

std::vector<BbHeaderMatch> header_matches(ModuleCtx& c, const yaml::Node& v, const std::string& p) {
  std::vector<BbHeaderMatch> out;
  std::size_t i = 0;
  for (const auto& item : c.w.items(v, p)) {
    auto pi = fmt::format("{}[{}]", p, i++);
    BbHeaderMatch m;
    for (auto& [k, x] : c.w.entries(item, pi, {"header", "regexp", "allow_missing"})) {
      if (k == "allow_missing") {
        if (auto b = c.w.boolean(x, join(pi, k))) m.allow_missing = *b;
      } else if (auto s = c.w.str(x, join(pi, k))) {
        (k == "header" ? m.header : m.regexp) = *s;
      }
    }
    if (m.header.empty() || m.regexp.empty()) c.w.error(item, pi, "header and regexp must be set");
    out.push_back(std::move(m));
  }
  return out;
}

void parse_http(ModuleCtx& c, const yaml::Node& n, const std::string& path, BbHttp& h) {
  for (auto& [k, v] : c.w.entries(n, path, {})) {
    auto p = join(path, k);
    if (k == "valid_status_codes") {
      std::size_t i = 0;
      for (const auto& item : c.w.items(v, p))
        if (auto x = c.w.integer(item, fmt::format("{}[{}]", p, i++), 100, 599)) h.valid_status_codes.push_back(static_cast<int>(*x));
    } else if (k == "valid_http_versions") {
      if (auto l = c.w.str_list(v, p)) h.valid_http_versions = *l;
    } else if (k == "method") {
      if (auto s = c.w.str(v, p)) {
        bool token = std::all_of(s->begin(), s->end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
        if (token) h.method = *s;
        else c.w.error(v, p, "must be an upper-case HTTP method");
      }
    } else if (k == "headers") {
      if (auto m = c.w.str_map(v, p)) h.headers = *m;
    } else if (k == "body") {
      if (auto s = c.w.str(v, p, true)) h.body = *s;
    } else if (k == "no_follow_redirects" || k == "follow_redirects") {
      if (auto b = c.w.boolean(v, p)) h.follow_redirects = k == "follow_redirects" ? *b : !*b;
    } else if (k == "fail_if_ssl") {
      if (auto b = c.w.boolean(v, p)) h.fail_if_ssl = *b;
    } else if (k == "fail_if_not_ssl") {
      if (auto b = c.w.boolean(v, p)) h.fail_if_not_ssl = *b;
    } else if (k == "fail_if_body_matches_regexp") {
      h.fail_if_body_matches_regexp = regex_list(c, v, p);
    } else if (k == "fail_if_body_not_matches_regexp") {
      h.fail_if_body_not_matches_regexp = regex_list(c, v, p);
    } else if (k == "fail_if_header_matches") {
      h.fail_if_header_matches = header_matches(c, v, p);
    } else if (k == "fail_if_header_not_matches") {
      h.fail_if_header_not_matches = header_matches(c, v, p);
    } else if (k == "tls_config") {
      tls_config(c, v, p, h.tls_config);
    } else if (ip_option(c, k, v, p, h.preferred_ip_protocol, h.ip_protocol_fallback, nullptr)) {
    } else if (k == "enable_http2") {
      if (auto b = c.w.boolean(v, p)) h.enable_http2 = *b;
    } else if (k == "body_size_limit") {
      auto s = c.w.str(v, p);
      auto size = s ? parse_byte_size(*s) : Result<std::uint64_t>(0);
      if (size) h.body_size_limit = *size;
      else c.w.error(v, p, size.error().detail);
    } else if (k == "compression") {
      auto s = c.w.str(v, p, true);
      if (s && (*s == "" || *s == "gzip" || *s == "br" || *s == "deflate" || *s == "identity")) h.compression = *s;
      else if (s) c.w.error(v, p, "must be gzip, br, deflate or identity");
    } else if (blackbox_knows_unsupported("http", k)) {
      c.unsupported_option(p);
    } else {
      c.unknown_option(v, p);
    }
  }
}

void parse_tcp(ModuleCtx& c, const yaml::Node& n, const std::string& path, BbTcp& t) {
  for (auto& [k, v] : c.w.entries(n, path, {})) {
    auto p = join(path, k);
    if (ip_option(c, k, v, p, t.preferred_ip_protocol, t.ip_protocol_fallback, &t.source_ip_address)) {
    } else if (k == "tls") {
      if (auto b = c.w.boolean(v, p)) t.tls = *b;
    } else if (k == "tls_config") {
      tls_config(c, v, p, t.tls_config);
    } else if (k == "query_response") {
      // Read so that a later prober can run it; until then the module says it cannot.
      std::size_t i = 0;
      for (const auto& item : c.w.items(v, p)) {
        auto pi = fmt::format("{}[{}]", p, i++);
        BbQueryResponse q;
        for (auto& [qk, qv] : c.w.entries(item, pi, {"expect", "send", "starttls"})) {
          if (qk == "starttls") {
            if (auto b = c.w.boolean(qv, join(pi, qk))) q.starttls = *b;
          } else if (auto s = c.w.str(qv, join(pi, qk), true)) {
            (qk == "expect" ? q.expect : q.send) = *s;
          }
        }
        t.query_response.push_back(std::move(q));
      }
      if (!t.query_response.empty()) c.unsupported_option(p);
    } else {
      c.unknown_option(v, p);
    }
  }
}

void parse_icmp(ModuleCtx& c, const yaml::Node& n, const std::string& path, BbIcmp& ic) {
  for (auto& [k, v] : c.w.entries(n, path, {})) {
    auto p = join(path, k);
    if (ip_option(c, k, v, p, ic.preferred_ip_protocol, ic.ip_protocol_fallback, &ic.source_ip_address)) {
    } else if (k == "payload_size") {
      if (auto x = c.w.integer(v, p, 0, 65000)) ic.payload_size = static_cast<int>(*x);
    } else if (k == "dont_fragment") {
      if (auto b = c.w.boolean(v, p)) ic.dont_fragment = *b;
    } else if (k == "ttl") {
      if (auto x = c.w.integer(v, p, 0, 255)) ic.ttl = static_cast<int>(*x);
    } else {
      c.unknown_option(v, p);
    }
  }
}

void rr_validator(ModuleCtx& c, const yaml::Node& n, const std::string& path, BbRrValidator& r) {
  for (auto& [k, v] : c.w.entries(n, path, {"fail_if_matches_regexp", "fail_if_all_match_regexp",
                                            "fail_if_not_matches_regexp", "fail_if_none_matches_regexp"})) {
    auto l = regex_list(c, v, join(path, k));
    (k == "fail_if_matches_regexp"       ? r.fail_if_matches_regexp
     : k == "fail_if_all_match_regexp"   ? r.fail_if_all_match_regexp
     : k == "fail_if_not_matches_regexp" ? r.fail_if_not_matches_regexp
                                         : r.fail_if_none_matches_regexp) = std::move(l);
  }
}

std::string upper(std::string s) {
  for (auto& ch : s)
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 32);
  return s;
}

void parse_dns(ModuleCtx& c, const yaml::Node& n, const std::string& path, BbDns& d) {
  static constexpr std::array<std::string_view, 11> kRcodes = {"NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN",
                                                               "NOTIMP",  "REFUSED",  "YXDOMAIN", "YXRRSET",
                                                               "NXRRSET", "NOTAUTH",  "NOTZONE"};
  for (auto& [k, v] : c.w.entries(n, path, {})) {
    auto p = join(path, k);
    if (ip_option(c, k, v, p, d.preferred_ip_protocol, d.ip_protocol_fallback, &d.source_ip_address)) {
    } else if (k == "transport_protocol") {
      auto s = c.w.str(v, p, true);
      if (s && (*s == "udp" || *s == "tcp" || s->empty())) d.transport_protocol = s->empty() ? "udp" : *s;
      else if (s) c.w.error(v, p, "must be udp or tcp");
    } else if (k == "tls_config") {
      tls_config(c, v, p, d.tls_config);
    } else if (k == "query_name") {
      if (auto s = c.w.str(v, p)) d.query_name = *s;
    } else if (k == "query_type" || k == "query_class") {
      if (auto s = c.w.str(v, p)) (k == "query_type" ? d.query_type : d.query_class) = upper(*s);
    } else if (k == "recursion_desired") {
      if (auto b = c.w.boolean(v, p)) d.recursion_desired = *b;
    } else if (k == "valid_rcodes") {
      if (auto l = c.w.str_list(v, p)) {
        d.valid_rcodes.clear();
        for (auto& r : *l) {
          if (std::find(kRcodes.begin(), kRcodes.end(), upper(r)) == kRcodes.end())
            c.w.error(v, p, fmt::format("'{}' is not an rcode name (NOERROR, NXDOMAIN, SERVFAIL, ...)", r));
          d.valid_rcodes.push_back(upper(r));
        }
      }
    } else if (k == "validate_answer_rrs") {
      rr_validator(c, v, p, d.validate_answer_rrs);
    } else if (k == "validate_authority_rrs") {
      rr_validator(c, v, p, d.validate_authority_rrs);
    } else if (k == "validate_additional_rrs") {
      rr_validator(c, v, p, d.validate_additional_rrs);
    } else if (blackbox_knows_unsupported("dns", k)) {
      if (auto b = c.w.boolean(v, p); b && *b) c.unsupported_option(p);
    } else {
      c.unknown_option(v, p);
    }
  }
}

BbModule parse_module(const std::string& source, const std::string& name, const yaml::Node& n) {
  BbModule m;
  m.name = name;
  m.line = yaml::line_of(n);
  Walker w(source);
  ModuleCtx c{w, {}};
  std::string prober;
  if (!n.IsMap()) {
    w.error(n, "", "must be a map with prober:");
  } else {
    for (auto& [k, v] : w.entries(n, "", {})) {
      if (k == "prober") {
        if (auto s = w.str(v, k)) prober = *s;
      } else if (k == "timeout") {
        if (auto d = w.duration(v, k, 0, 3600 * kNsPerSec)) m.timeout = *d;
      } else if (k == "http") {
        parse_http(c, v, k, m.http);
      } else if (k == "tcp") {
        parse_tcp(c, v, k, m.tcp);
      } else if (k == "icmp") {
        parse_icmp(c, v, k, m.icmp);
      } else if (k == "dns") {
        parse_dns(c, v, k, m.dns);
      } else if (k == "grpc") {
        // Only meaningful with prober grpc, which is refused below.
      } else {
        c.unknown_option(v, k);
      }
    }
  }
  m.prober_name = prober;
  static constexpr std::array<std::pair<std::string_view, BbProber>, 5> kProbers = {
      {{"http", BbProber::http}, {"tcp", BbProber::tcp}, {"icmp", BbProber::icmp}, {"dns", BbProber::dns},
       {"grpc", BbProber::grpc}}};
  for (auto [pn, pk] : kProbers)
    if (pn == prober) m.prober = pk;
  if (m.prober == BbProber::dns && m.dns.query_name.empty() && w.ok())
    w.error(n, "dns.query_name", "must be set for a dns module");
  if (!w.ok()) {
    auto errs = w.take_errors();
    const auto& e = errs.items.front();
    m.supported = false;
    m.unsupported_reason = e.path.empty() ? e.message : e.path + ": " + e.message;
    if (errs.items.size() > 1) m.unsupported_reason += fmt::format(" (and {} more)", errs.items.size() - 1);
  } else if (prober.empty()) {
    m.supported = false;
    m.unsupported_reason = "no prober given";
  } else if (m.prober == BbProber::grpc || m.prober == BbProber::other) {
    m.supported = false;
    m.unsupported_reason = fmt::format("prober {} is not supported by reach (http, tcp, icmp, dns are)", prober);
  } else if (!c.unsupported.empty()) {
    m.supported = false;
    m.unsupported_reason = c.unsupported.front();
    for (std::size_t i = 1; i < c.unsupported.size(); ++i) m.unsupported_reason += "; " + c.unsupported[i];
  }
  return m;
}

void sort_modules(BbModules& m) {
  std::stable_sort(m.modules.begin(), m.modules.end(),
                   [](const BbModule& a, const BbModule& b) { return a.name < b.name; });
}

}  // namespace

ConfigResult<BbModules> parse_blackbox_modules(std::string_view text, const std::string& source) {
  Walker w(source);
  BbModules out;
  try {
    auto doc = yaml::load(text, w);
    if (!doc) return tl::unexpected(w.take_errors());
    const yaml::Node top_node = doc->root();
    const yaml::Node* root = &top_node;
    if (!root->IsMap()) {
      w.error(*root, "", "a blackbox modules file is a map with modules:");
      return tl::unexpected(w.take_errors());
    }
    auto top = w.entries(*root, "", {"modules"});
    if (!w.ok()) return tl::unexpected(w.take_errors());
    for (auto& [k, v] : top) {
      if (!v.IsMap() && !v.IsNull()) {
        w.error(v, "modules", "must be a map of module names to modules");
        continue;
      }
      for (auto& [name, node] : w.entries(v, "modules", {})) out.modules.push_back(parse_module(source, name, node));
    }
  } catch (const std::exception& e) {  // yaml-cpp's, or bad_alloc: never past this layer
    w.error(0, "", fmt::format("cannot read: {}", e.what()));
  }
  if (!w.ok()) return tl::unexpected(w.take_errors());
  sort_modules(out);
  return out;
}

BbModules builtin_blackbox_modules() {
  BbModules b;
  for (auto [name, prober, prober_name] :
       {std::tuple{"http_2xx", BbProber::http, "http"}, std::tuple{"icmp", BbProber::icmp, "icmp"},
        std::tuple{"tcp_connect", BbProber::tcp, "tcp"}}) {
    BbModule m;
    m.name = name;
    m.prober = prober;
    m.prober_name = prober_name;
    b.modules.push_back(std::move(m));
  }
  sort_modules(b);
  return b;
}

BbModules with_builtins(BbModules file) {
  BbModules out = builtin_blackbox_modules();
  for (auto& m : file.modules) {
    auto it = std::find_if(out.modules.begin(), out.modules.end(), [&](const BbModule& x) { return x.name == m.name; });
    if (it != out.modules.end()) *it = std::move(m);
    else out.modules.push_back(std::move(m));
  }
  sort_modules(out);
  return out;
}

TimeNs effective_timeout(const BbModule& module, std::optional<double> scrape_timeout_seconds,
                         double offset_seconds) {
  double scrape = scrape_timeout_seconds && *scrape_timeout_seconds > 0 && *scrape_timeout_seconds < 1e9
                      ? *scrape_timeout_seconds
                      : 120.0;
  double limit = scrape - offset_seconds;
  double module_s = static_cast<double>(module.timeout) / 1e9;
  double chosen = (module.timeout > 0 && (module_s < limit || limit < 0)) ? module_s : limit;
  if (chosen < 0) chosen = 0;
  return static_cast<TimeNs>(chosen * 1e9);
}

std::optional<model::WatchProbe> probe_kind(const BbModule& module) {
  switch (module.prober) {
    case BbProber::http: return model::WatchProbe::http;
    case BbProber::tcp: return model::WatchProbe::tcp;
    case BbProber::icmp: return model::WatchProbe::icmp;
    case BbProber::dns: return model::WatchProbe::dns;
    default: return std::nullopt;
  }
}

}  // namespace reach::config
