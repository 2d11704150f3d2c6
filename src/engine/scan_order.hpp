#pragma once
// The two pure pieces of a fast scan that need no packets: a keyed permutation of the probe
// indexes (flat memory, reproducible with --seed) and a token bucket that paces sends.
#include <cstdint>

#include "base/time.hpp"

namespace reach::engine {

// A bijection of [0, n): a 4-round Feistel network over the smallest even power of two >= n,
// walking the cycle until it lands inside [0, n) (at most 4 steps on average).
class Permutation {
 public:
  Permutation(std::uint64_t n, std::uint64_t seed);
  std::uint64_t size() const { return n_; }
  std::uint64_t at(std::uint64_t i) const;  // i < size()

 private:
  std::uint64_t feistel(std::uint64_t x) const;
  std::uint64_t n_;
  std::uint64_t keys_[4];
  unsigned half_bits_ = 1;
  std::uint64_t half_mask_ = 1;
};

// Sends allowed at `rate` per second, bursts of at most `burst`. Time is passed in.
class TokenBucket {
 public:
  TokenBucket(double rate, double burst);
  // How many of `want` sends may go now (and takes them).
  std::uint64_t take(TimeNs now, std::uint64_t want);
  // When `n` tokens will be there (<= now when they are); n is capped at the burst.
  TimeNs next_token_at(TimeNs now, std::uint64_t n = 1);

 private:
  void refill(TimeNs now);
  double rate_, burst_, tokens_;
  TimeNs last_ = 0;
  bool started_ = false;
};

}  // namespace reach::engine
