#include "tools/watch/payloads.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <sstream>

#include "format/alert_email.hpp"
#include "format/alertmanager.hpp"
#include "format/syslog5424.hpp"
#include "format/wall_time.hpp"
#include "format/watch_json.hpp"
#include "format/watch_nagios.hpp"
#include "format/watch_words.hpp"

namespace reach::tools::watch {

namespace {
std::string chomp(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}
}  // namespace

std::string event_ndjson(const model::WatchEvent& e, const std::string& netns) {
  return chomp(format::watch_event_json(e, netns));
}
std::string round_ndjson(const model::RoundResult& r, const std::string& netns) {
  return chomp(format::watch_round_json(r, netns));
}

std::string event_text(const model::WatchEvent& e) {
  std::string s = format::rfc3339_micro(e.wall) + " " + format::watch_event_word(e.kind);
  if (!e.target.empty()) s += " " + e.target;
  if (!e.alert.empty()) s += " alert=" + e.alert;
  if (!e.reason.empty()) s += " (" + e.reason + ")";
  return s;
}

std::optional<std::string> state_trail(const model::WatchEvent& e) {
  using model::TargetState;
  if (e.kind != model::WatchEvent::Kind::state_change || e.from == e.to) return std::nullopt;
  if (e.from == TargetState::unknown && e.to == TargetState::up) return std::nullopt;
  std::string s = e.target + ": " + format::watch_state_word(e.from) + " -> " + format::watch_state_word(e.to);
  if (e.to == TargetState::down && !e.reason.empty()) s += " (" + e.reason + ")";
  return s;
}

std::string notifier_payload(const config::Notifier& n, const model::WatchEvent& e, const AlertContext& ctx) {
  format::AlertInput a{e, ctx.labels};
  a.labels.emplace_back("probe", ctx.probe);
  a.labels.emplace_back("instance", ctx.instance);
  if (const auto* s = std::get_if<config::SyslogNotifier>(&n.kind)) {
    format::SyslogOptions o;
    o.facility = s->facility;
    o.hostname = ctx.instance;
    o.app_name = s->app_name;
    o.procid = std::to_string(::getpid());
    return format::syslog5424(e, o);
  }
  if (const auto* m = std::get_if<config::EmailNotifier>(&n.kind)) {
    format::EmailOptions o;
    o.from = m->from;
    o.to = m->to;
    o.hostname = ctx.instance;
    o.external_url = ctx.external_url;
    // Unique per notification: two alerts of one round differ by rule and target.
    return format::alert_email(a, o, fmt::format("{}.{:x}", e.wall, std::hash<std::string>{}(e.alert + '\n' + e.target + '\n' + n.name)));
  }
  return format::alertmanager_webhook({a}, format::WebhookContext{n.name, ctx.external_url});
}

std::pair<std::string, int> nagios_report(const std::vector<model::RoundResult>& rounds) {
  std::ostringstream out;
  const int code = format::write_watch_nagios(out, rounds, {});
  std::string text = out.str();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return {text, code};
}

}  // namespace reach::tools::watch
