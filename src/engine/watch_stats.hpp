#pragma once
// Statistics of one round of RTTs, as SmokePing draws them: median, spread and loss; and a
// short rolling window per target for the live table (no end-of-run summary: it runs forever).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "base/time.hpp"
#include "model/watch.hpp"

namespace reach::engine {

struct RoundStats {
  int sent = 0, received = 0;
  double loss = 0;                  // 0..1; 1 when nothing was sent
  TimeNs min = 0, max = 0, median = 0, mean = 0, stddev = 0;  // 0 when nothing came back
};

// `rtts` ascending (RoundResult::rtts). The median of an even count is the mean of the two
// middle values; stddev is the population standard deviation (ping's mdev is another measure).
RoundStats round_stats(const std::vector<TimeNs>& rtts, int sent);
// Nearest-rank percentile (q in [0, 1]) of ascending `rtts`; nullopt when empty.
std::optional<TimeNs> percentile(const std::vector<TimeNs>& rtts, double q);

// The last `capacity` rounds of one target: what the live table and /api show.
class RollingWindow {
 public:
  explicit RollingWindow(std::size_t capacity = 60) : capacity_(capacity) {}
  void add(const model::RoundResult& r);
  std::size_t size() const { return rounds_.size(); }
  // Loss over the window, 0..1 (packets, not rounds).
  double loss() const;
  // Median of the rounds' medians; nullopt when no round got an answer.
  std::optional<TimeNs> median_of_medians() const;
  std::optional<TimeNs> max_rtt() const;
  // Per round, oldest first: the round's median RTT, or nullopt for a round without answers.
  std::vector<std::optional<TimeNs>> medians() const;

 private:
  struct Entry {
    int sent, received;
    std::optional<TimeNs> median, max;
  };
  std::size_t capacity_;
  std::deque<Entry> rounds_;
};

}  // namespace reach::engine
