// The `notifiers:` section, shared by `reach watch` and `reach usage` (docs/WATCH-CONFIG.md).
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "config/config_words.hpp"

namespace reach::config::words {
namespace {

using yaml::Walker;

std::optional<int> facility_of(std::string_view s) {
  static constexpr std::array<std::string_view, 24> kNames = {
      "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
      "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "security", "console", "solaris-cron",
      "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == s) return static_cast<int>(i);
  if (!s.empty() && s.size() <= 2 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int v = std::stoi(std::string(s));
    if (v <= 23) return v;
  }
  return std::nullopt;
}

std::optional<Notifier> parse_notifier(Walker& w, const std::string& name, const yaml::Node& n,
                                       const std::string& path) {
  Notifier out;
  out.name = name;
  out.line = yaml::line_of(n);
  if (!is_name(name)) w.error(n, path, "notifier names are 1..128 of A-Z a-z 0-9 _ . : -");
  if (!n.IsMap()) {
    w.error(n, path, "must be a map with one of webhook, smtp, syslog, exec");
    return std::nullopt;
  }
  int kinds = n["webhook"].IsDefined() + n["smtp"].IsDefined() + n["syslog"].IsDefined() + n["exec"].IsDefined();
  if (kinds != 1) {
    w.error(n, path, "needs exactly one of webhook, smtp, syslog, exec");
    return std::nullopt;
  }
  if (n["webhook"].IsDefined()) {
    WebhookNotifier h;
    for (auto& [k, v] : w.entries(n, path, {"webhook", "timeout", "headers"})) {
      auto p = at(path, k);
      if (k == "webhook") {
        if (auto s = w.str(v, p)) {
          if (!url_scheme(*s, {"http", "https"}).empty()) h.url = *s;
          else w.error(v, p, "must be an http:// or https:// URL with a host");
        }
      } else if (k == "timeout") {
        if (auto d = w.duration(v, p, kNsPerMs, 3600 * kNsPerSec)) h.timeout = *d;
      } else if (k == "headers") {
        if (auto m = w.str_map(v, p)) {
          for (auto& [hk, hv] : *m) {
            bool token = !hk.empty() && std::all_of(hk.begin(), hk.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
            });
            if (!token || !printable(hv, true)) w.error(v, at(p, hk), "header names are letters, digits, - and _; values printable");
            else h.headers.emplace_back(hk, hv);
          }
        }
      }
    }
    out.kind = h;
  } else if (n["smtp"].IsDefined()) {
    EmailNotifier e;
    for (auto& [k, v] : w.entries(n, path, {"smtp", "from", "to", "username", "password_file", "starttls", "timeout"})) {
      auto p = at(path, k);
      if (k == "smtp") {
        if (auto s = w.str(v, p)) {
          if (!url_scheme(*s, {"smtp", "smtps"}).empty()) e.smtp = *s;
          else w.error(v, p, "must be smtp://host[:port] or smtps://host[:port]");
        }
      } else if (k == "from") {
        if (auto s = w.str(v, p)) {
          if (s->find('@') != std::string::npos && printable(*s, true)) e.from = *s;
          else w.error(v, p, "must be a mail address");
        }
      } else if (k == "to") {
        if (auto l = w.str_list(v, p, true)) {
          for (auto& a : *l)
            if (a.find('@') == std::string::npos || !printable(a, true)) w.error(v, p, fmt::format("'{}' is not a mail address", a));
          e.to = *l;
        }
      } else if (k == "username") {
        if (auto s = w.str(v, p)) e.username = *s;
      } else if (k == "password_file") {
        if (auto s = w.str(v, p)) e.password_file = *s;
      } else if (k == "starttls") {
        if (auto b = w.boolean(v, p)) e.starttls = *b;
      } else if (k == "timeout") {
        if (auto d = w.duration(v, p, kNsPerMs, 3600 * kNsPerSec)) e.timeout = *d;
      }
    }
    if (!n["from"].IsDefined()) w.error(n, at(path, "from"), "is required for smtp");
    if (!n["to"].IsDefined() || (n["to"].IsSequence() && n["to"].size() == 0))
      w.error(n, at(path, "to"), "needs at least one address");
    if (e.username.empty() != e.password_file.empty())
      w.error(n, path, "username and password_file go together");
    out.kind = e;
  } else if (n["syslog"].IsDefined()) {
    SyslogNotifier s;
    for (auto& [k, v] : w.entries(n, path, {"syslog", "facility", "app_name"})) {
      auto p = at(path, k);
      if (k == "syslog") {
        auto text = w.str(v, p);
        if (!text) continue;
        if (*text == "local") {
          s.transport = SyslogNotifier::Transport::local;
          continue;
        }
        auto scheme = url_scheme(*text, {"udp", "tcp"});
        std::string rest = scheme.empty() ? std::string() : text->substr(scheme.size() + 3);
        int port = scheme == "udp" ? 514 : 601;
        std::string host = rest;
        auto colon = rest.rfind(':');
        bool bracket = !rest.empty() && rest.front() == '[';
        if (colon != std::string::npos && (!bracket || rest[colon - 1] == ']') &&
            (bracket || rest.find(':') == colon)) {
          host = rest.substr(0, colon);
          auto ps = rest.substr(colon + 1);
          bool digits = !ps.empty() && ps.size() <= 5 && std::all_of(ps.begin(), ps.end(), [](char c) { return c >= '0' && c <= '9'; });
          port = digits ? std::stoi(ps) : 0;
        }
        if (bracket && host.size() > 2 && host.back() == ']') host = host.substr(1, host.size() - 2);
        if (scheme.empty() || !is_host(host) || host.find('/') != std::string::npos || port < 1 || port > 65535) {
          w.error(v, p, "must be udp://host[:port], tcp://host[:port] or local");
          continue;
        }
        s.transport = scheme == "udp" ? SyslogNotifier::Transport::udp : SyslogNotifier::Transport::tcp;
        s.host = host;
        s.port = port;
      } else if (k == "facility") {
        auto text = w.str(v, p);
        auto f = text ? facility_of(*text) : std::nullopt;
        if (f) s.facility = *f;
        else if (text) w.error(v, p, "must be kern, user, mail, daemon, auth, syslog, ..., local0..local7 or 0..23");
      } else if (k == "app_name") {
        auto text = w.str(v, p);
        if (text && text->size() <= 48 && printable(*text, false)) s.app_name = *text;
        else if (text) w.error(v, p, "must be 1..48 printable ASCII characters without spaces");
      }
    }
    out.kind = s;
  } else {
    ExecNotifier x;
    for (auto& [k, v] : w.entries(n, path, {"exec", "timeout"})) {
      auto p = at(path, k);
      if (k == "exec") {
        if (auto l = w.str_list(v, p)) {
          if (l->empty()) w.error(v, p, "must name the command to run ([/path/cmd, arg...])");
          x.argv = *l;
        }
      } else if (k == "timeout") {
        if (auto d = w.duration(v, p, kNsPerMs, 3600 * kNsPerSec)) x.timeout = *d;
      }
    }
    out.kind = x;
  }
  return out;
}
}  // namespace

std::vector<Notifier> parse_notifiers(Walker& w, const yaml::Node& n, const std::string& path) {
  std::vector<Notifier> out;
  for (auto& [name, nv] : w.entries(n, path, {}))
    if (auto x = parse_notifier(w, name, nv, at(path, name))) out.push_back(std::move(*x));
  std::sort(out.begin(), out.end(), [](const Notifier& a, const Notifier& b) { return a.name < b.name; });
  return out;
}

}  // namespace reach::config::words
