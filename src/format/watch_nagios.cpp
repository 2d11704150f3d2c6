// Nagios plugin output for watch rounds (see watch_nagios.hpp).
#include "format/watch_nagios.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "format/nagios_perf.hpp"
#include "format/rtt_summary.hpp"
#include "format/watch_words.hpp"

namespace reach::format {
namespace {

double loss_pct(const model::RoundResult& r) {
  return r.sent > 0 ? 100.0 * (r.sent - r.received) / r.sent : 100.0;
}

// The RTT the thresholds apply to: the mean of the replies (check_icmp's rta); none without one.
std::optional<double> rtt_s(const model::RoundResult& r) {
  if (r.rtts.empty()) return std::nullopt;
  return summarize_rtts(r.rtts).mean;
}

std::string thr(const std::optional<double>& v, double scale, const char* f) {
  return v ? fmt::format(fmt::runtime(f), *v * scale) : "";
}

std::string perfdata(const model::RoundResult& r, const WatchNagiosThresholds& t, const std::string& prefix) {
  auto label = [&](const char* n) { return nagios_perf_label(prefix + n); };
  std::vector<std::string> p;
  if (r.probe == model::WatchProbe::icmp) {
    auto ms = [](double s) { return fmt::format("{:.3f}ms", s * 1e3); };
    if (!r.rtts.empty()) {
      RttSummary s = summarize_rtts(r.rtts);
      p.push_back(fmt::format("{}={};{};{};0;", label("rta"), ms(s.mean), thr(t.warn_rtt_s, 1e3, "{:.3f}"),
                              thr(t.crit_rtt_s, 1e3, "{:.3f}")));
    } else {
      p.push_back(fmt::format("{}=U;{};{};0;", label("rta"), thr(t.warn_rtt_s, 1e3, "{:.3f}"),
                              thr(t.crit_rtt_s, 1e3, "{:.3f}")));
    }
    p.push_back(fmt::format("{}={:g}%;{};{};0;100", label("pl"), std::round(loss_pct(r)),
                            thr(t.warn_loss_pct, 1, "{:g}"), thr(t.crit_loss_pct, 1, "{:g}")));
    if (!r.rtts.empty()) {
      RttSummary s = summarize_rtts(r.rtts);
      p.push_back(fmt::format("{}={};;;0;", label("rtmax"), ms(s.max)));
      p.push_back(fmt::format("{}={};;;0;", label("rtmin"), ms(s.min)));
      p.push_back(fmt::format("{}={};;;0;", label("rtmedian"), ms(s.median)));
    }
  } else {
    auto v = rtt_s(r);
    p.push_back(fmt::format("{}={};{};{};0;", label("time"), v ? fmt::format("{:.6f}s", *v) : "U",
                            thr(t.warn_rtt_s, 1, "{:.6f}"), thr(t.crit_rtt_s, 1, "{:.6f}")));
    if (r.probe == model::WatchProbe::http && r.http_status)
      p.push_back(fmt::format("{}={}B;;;0;", label("size"), r.body_length));
  }
  return fmt::format("{}", fmt::join(p, " "));
}

std::string describe(const model::RoundResult& r) {
  std::string head = r.addr.empty() || r.addr == r.target ? r.target : fmt::format("{} {}", r.target, r.addr);
  head += fmt::format(" {}: ", watch_probe_word(r.probe));
  if (r.probe == model::WatchProbe::icmp) {
    head += fmt::format("{}/{} replies, loss {:g}%", r.received, r.sent, std::round(loss_pct(r)));
    if (auto v = rtt_s(r)) head += fmt::format(", rta {:.3f} ms", *v * 1e3);
  } else if (auto v = rtt_s(r)) {
    head += fmt::format("{:.3f} ms", *v * 1e3);
    if (r.http_status) head += fmt::format(", status {}", r.http_status);
  }
  if (!r.success && !r.reason.empty()) head += (head.back() == ' ' ? "" : ", ") + r.reason;
  return nagios_text(head);
}

}  // namespace

NagiosState watch_nagios_state(const model::RoundResult& r, const WatchNagiosThresholds& t) {
  if (!r.success) return NagiosState::critical;
  NagiosState s = NagiosState::ok;
  auto check = [&s](std::optional<double> v, const std::optional<double>& warn, const std::optional<double>& crit) {
    if (!v) return;
    if (crit && *v > *crit) s = NagiosState::critical;
    else if (warn && *v > *warn && s != NagiosState::critical) s = NagiosState::warning;
  };
  check(rtt_s(r), t.warn_rtt_s, t.crit_rtt_s);
  check(loss_pct(r), t.warn_loss_pct, t.crit_loss_pct);
  return s;
}

int write_watch_nagios(std::ostream& out, const std::vector<model::RoundResult>& rounds,
                       const WatchNagiosThresholds& t) {
  if (rounds.empty()) {
    out << "WATCH UNKNOWN: no targets\n";
    out.flush();
    return static_cast<int>(NagiosState::unknown);
  }
  NagiosState worst = NagiosState::ok;
  std::vector<std::string> perf, bad;
  for (const auto& r : rounds) {
    NagiosState s = watch_nagios_state(r, t);
    worst = std::max(worst, s);
    perf.push_back(perfdata(r, t, rounds.size() > 1 ? r.target + "_" : ""));
    if (s != NagiosState::ok) bad.push_back(fmt::format("{} {}", nagios_state_word(s), describe(r)));
  }
  std::string text;
  if (rounds.size() == 1) {
    text = describe(rounds.front());
  } else {
    std::size_t ok = rounds.size() - bad.size();
    text = fmt::format("{} of {} targets ok", ok, rounds.size());
    std::vector<std::string> names;
    for (const auto& r : rounds)
      if (watch_nagios_state(r, t) != NagiosState::ok) names.push_back(r.target);
    if (!names.empty()) text += nagios_text(fmt::format(", not ok: {}", fmt::join(names, ", ")));
  }
  out << "WATCH " << nagios_state_word(worst) << ": " << text << " | " << fmt::format("{}", fmt::join(perf, " "))
      << '\n';
  if (rounds.size() > 1)
    for (const auto& b : bad) out << b << '\n';
  out.flush();
  return static_cast<int>(worst);
}

}  // namespace reach::format
