// What a person sees: a line per round (not a terminal), a live table like mtr for many hosts
// (a terminal), and a summary when Ctrl-C ends a command-line watch.
#include <fmt/format.h>

#include <algorithm>

#include "engine/watch_stats.hpp"
#include "format/sparkline.hpp"
#include "format/watch_words.hpp"
#include "sys/clock.hpp"
#include "tools/watch/daemon.hpp"

namespace reach::tools::watch {

namespace {

std::string ms(TimeNs ns) { return fmt::format("{:.3f}", static_cast<double>(ns) / 1e6); }

}  // namespace

void Daemon::show_round(const Target& t, const model::RoundResult& r) {
  if (!opts_.lines) return;
  std::string line = fmt::format("{} {} {}", t.cfg.name, format::watch_probe_word(t.spec.kind),
                                 format::watch_state_word(t.shown.state));
  if (r.sent > 0) line += fmt::format(" {}/{}", r.received, r.sent);
  if (!r.rtts.empty()) {
    engine::RoundStats s = engine::round_stats(r.rtts, r.sent);
    line += r.rtts.size() == 1 ? fmt::format(" rtt={} ms", ms(s.min))
                               : fmt::format(" rtt min/median/max = {}/{}/{} ms", ms(s.min), ms(s.median), ms(s.max));
  }
  if (r.http_status) line += fmt::format(" status={}", r.http_status);
  if (!r.success && !r.reason.empty()) line += " (" + r.reason + ")";
  out_ << line << '\n' << std::flush;
}

void Daemon::redraw() {
  reactor_->after(kNsPerSec, [this] { redraw(); });
  std::string screen = "\x1b[H\x1b[2J";
  screen += fmt::format("reach watch: {} targets, every round's median; Ctrl-C for a summary\n\n", targets_.size());
  screen += fmt::format("{:<24} {:<5} {:<7} {:>9} {:>9} {:>9} {:>6}  {}\n", "TARGET", "PROBE", "STATE", "LAST",
                        "MEDIAN", "MAX", "LOSS", "HISTORY");
  for (const auto& [name, id] : by_name_) {
    const Target& t = targets_.at(id);
    std::string last = "-", median = "-", max = "-";
    if (t.last && !t.last->rtts.empty()) last = ms(engine::round_stats(t.last->rtts, t.last->sent).median);
    if (auto m = t.window.median_of_medians()) median = ms(*m);
    if (auto m = t.window.max_rtt()) max = ms(*m);
    std::string state = format::watch_state_word(t.shown.state);
    if (t.shown.state == model::TargetState::down) state = "\x1b[31m" + state + "\x1b[0m";
    screen += fmt::format("{:<24} {:<5} {:<7} {:>9} {:>9} {:>9} {:>5.1f}%  {}\n", name.substr(0, 24),
                          format::watch_probe_word(t.spec.kind), state, last, median, max, t.window.loss() * 100,
                          format::sparkline(t.window.medians(), 30));
  }
  out_ << screen << std::flush;
}

void Daemon::summary() {
  // Daemons, Nagios mode and a single round (its lines say it all) print no summary. A file run
  // for -c N rounds is no daemon: without the summary it printed nothing at all.
  const bool daemon = !opts_.config_path.empty() && !opts_.rounds;
  if (daemon || opts_.nagios || (opts_.rounds && *opts_.rounds == 1)) return;
  if (opts_.live) out_ << "\n";
  out_ << fmt::format("--- reach watch summary ---\n{:<24} {:>6} {:>6} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "TARGET",
                      "ROUNDS", "FAILED", "LOSS", "MIN", "MEDIAN", "MAX", "STDDEV");
  for (const auto& [name, id] : by_name_) {
    Target t = targets_.at(id);
    std::sort(t.all_rtts.begin(), t.all_rtts.end());
    const double loss = t.sent ? 100.0 * static_cast<double>(t.sent - t.received) / static_cast<double>(t.sent) : 0;
    if (t.all_rtts.empty()) {
      out_ << fmt::format("{:<24} {:>6} {:>6} {:>6.1f}% {:>9} {:>9} {:>9} {:>9}\n", name, t.rounds, t.failed, loss, "-",
                          "-", "-", "-");
      continue;
    }
    engine::RoundStats s = engine::round_stats(t.all_rtts, static_cast<int>(t.sent));
    out_ << fmt::format("{:<24} {:>6} {:>6} {:>6.1f}% {:>9} {:>9} {:>9} {:>9}\n", name, t.rounds, t.failed, loss,
                        ms(s.min), ms(s.median), ms(s.max), ms(s.stddev));
  }
  out_ << std::flush;
}

}  // namespace reach::tools::watch
