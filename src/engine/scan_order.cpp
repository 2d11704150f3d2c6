#include "engine/scan_order.hpp"

#include <algorithm>
#include <cmath>

#include "engine/cookie.hpp"

namespace reach::engine {

Permutation::Permutation(std::uint64_t n, std::uint64_t seed) : n_(n) {
  unsigned bits = 2;
  while (bits < 64 && (std::uint64_t{1} << bits) < n) bits += 2;
  half_bits_ = bits / 2;
  half_mask_ = (std::uint64_t{1} << half_bits_) - 1;
  for (int r = 0; r < 4; ++r) keys_[r] = cookie(seed, {static_cast<std::uint64_t>(r), 0x5ca9ULL});
}

std::uint64_t Permutation::feistel(std::uint64_t x) const {
  std::uint64_t l = x >> half_bits_, r = x & half_mask_;
  for (std::uint64_t k : keys_) {
    std::uint64_t f = mix64(r ^ k) & half_mask_;
    std::uint64_t nl = r;
    r = l ^ f;
    l = nl;
  }
  return (l << half_bits_) | r;
}

std::uint64_t Permutation::at(std::uint64_t i) const {
  std::uint64_t x = feistel(i);
  while (x >= n_) x = feistel(x);  // cycle walking: stays a bijection of [0, n)
  return x;
}

TokenBucket::TokenBucket(double rate, double burst) : rate_(rate), burst_(std::max(1.0, burst)), tokens_(0) {}

void TokenBucket::refill(TimeNs now) {
  if (!started_) {
    started_ = true;
    last_ = now;
    tokens_ = burst_;
    return;
  }
  if (now <= last_) return;
  tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_) * rate_ / 1e9);
  last_ = now;
}

std::uint64_t TokenBucket::take(TimeNs now, std::uint64_t want) {
  refill(now);
  auto n = std::min<std::uint64_t>(want, static_cast<std::uint64_t>(std::floor(tokens_)));
  tokens_ -= static_cast<double>(n);
  return n;
}

TimeNs TokenBucket::next_token_at(TimeNs now, std::uint64_t n) {
  refill(now);
  double want = std::min(burst_, static_cast<double>(n));
  if (tokens_ >= want) return now;
  return now + static_cast<TimeNs>(std::ceil((want - tokens_) * 1e9 / rate_));
}

}  // namespace reach::engine
