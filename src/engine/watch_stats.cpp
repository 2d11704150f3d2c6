#include "engine/watch_stats.hpp"

#include <algorithm>
#include <cmath>

namespace reach::engine {

RoundStats round_stats(const std::vector<TimeNs>& rtts, int sent) {
  RoundStats s;
  s.sent = sent;
  s.received = static_cast<int>(rtts.size());
  s.loss = sent > 0 ? std::clamp(1.0 - static_cast<double>(s.received) / sent, 0.0, 1.0) : 1.0;
  if (rtts.empty()) return s;
  const std::size_t n = rtts.size();
  s.min = rtts.front();
  s.max = rtts.back();
  s.median = n % 2 ? rtts[n / 2] : (rtts[n / 2 - 1] + rtts[n / 2]) / 2;
  double sum = 0;
  for (TimeNs r : rtts) sum += static_cast<double>(r);
  const double mean = sum / static_cast<double>(n);
  double var = 0;
  for (TimeNs r : rtts) var += (static_cast<double>(r) - mean) * (static_cast<double>(r) - mean);
  s.mean = static_cast<TimeNs>(std::llround(mean));
  s.stddev = static_cast<TimeNs>(std::llround(std::sqrt(var / static_cast<double>(n))));
  return s;
}

std::optional<TimeNs> percentile(const std::vector<TimeNs>& rtts, double q) {
  if (rtts.empty()) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(rtts.size())));
  return rtts[rank == 0 ? 0 : rank - 1];
}

void RollingWindow::add(const model::RoundResult& r) {
  Entry e{r.sent, r.received, std::nullopt, std::nullopt};
  if (!r.rtts.empty()) {
    RoundStats s = round_stats(r.rtts, r.sent);
    e.median = s.median;
    e.max = s.max;
  }
  rounds_.push_back(e);
  while (rounds_.size() > capacity_) rounds_.pop_front();
}

double RollingWindow::loss() const {
  long sent = 0, received = 0;
  for (const Entry& e : rounds_) sent += e.sent, received += e.received;
  return sent > 0 ? std::clamp(1.0 - static_cast<double>(received) / static_cast<double>(sent), 0.0, 1.0) : 0.0;
}

std::optional<TimeNs> RollingWindow::median_of_medians() const {
  std::vector<TimeNs> m;
  for (const Entry& e : rounds_)
    if (e.median) m.push_back(*e.median);
  if (m.empty()) return std::nullopt;
  std::sort(m.begin(), m.end());
  return round_stats(m, static_cast<int>(m.size())).median;
}

std::optional<TimeNs> RollingWindow::max_rtt() const {
  std::optional<TimeNs> best;
  for (const Entry& e : rounds_)
    if (e.max && (!best || *e.max > *best)) best = e.max;
  return best;
}

std::vector<std::optional<TimeNs>> RollingWindow::medians() const {
  std::vector<std::optional<TimeNs>> out;
  out.reserve(rounds_.size());
  for (const Entry& e : rounds_) out.push_back(e.median);
  return out;
}

}  // namespace reach::engine
