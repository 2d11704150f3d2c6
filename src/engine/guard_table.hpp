#pragma once
// A compact hash map for guard's per-source state: keys and values in dense vectors (no node per
// entry), an open-addressed index of 32-bit tagged positions (linear probing, backward-shift
// erase), so a tracked source costs its key, its value and 4.6 to 9.1 bytes of index. Erase moves the last entry into
// the hole and says so, so the owner can move side arrays along. Internal to engine/guard_*.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace reach::engine::guard_detail {

inline std::uint64_t mix64(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <class K, class V, class Hash>
class DenseMap {
 public:
  using Key = K;
  static constexpr std::uint32_t npos = 0xffffffffu;

  std::size_t size() const { return keys_.size(); }
  const K& key(std::uint32_t i) const { return keys_[i]; }
  V& value(std::uint32_t i) { return vals_[i]; }
  const V& value(std::uint32_t i) const { return vals_[i]; }

  std::uint32_t find(const K& k) const {
    if (slots_.empty()) return npos;
    const std::uint64_t h = Hash{}(k);
    const std::uint32_t tag = tag_of(h);
    for (std::size_t s = h & mask();; s = (s + 1) & mask()) {
      const std::uint32_t v = slots_[s];
      if (v == 0) return npos;
      if ((v & ~pos_mask()) == tag && keys_[(v & pos_mask()) - 1] == k) return (v & pos_mask()) - 1;
    }
  }

  // Inserts k (not present) with v; returns its position.
  std::uint32_t insert(const K& k, V v) {
    if ((keys_.size() + 1) * 8 > slots_.size() * 7) grow();
    keys_.push_back(k);
    vals_.push_back(std::move(v));
    const auto pos = static_cast<std::uint32_t>(keys_.size() - 1);
    place(Hash{}(k), pos);
    return pos;
  }

  // Removes the entry at position i. Returns the position whose entry moved into i (the last
  // one), or npos when none moved.
  std::uint32_t erase_at(std::uint32_t i) {
    unlink(i);
    const auto last = static_cast<std::uint32_t>(keys_.size() - 1);
    std::uint32_t moved = npos;
    if (i != last) {
      const std::size_t s = slot_of(last);
      keys_[i] = std::move(keys_[last]);
      vals_[i] = std::move(vals_[last]);
      slots_[s] = (slots_[s] & ~pos_mask()) | (i + 1);
      moved = last;
    }
    keys_.pop_back();
    vals_.pop_back();
    return moved;
  }

  void clear() {
    keys_.clear();
    vals_.clear();
    slots_.clear();
  }

  // Gives back what a far larger past left behind, once a quarter or less of the capacity is in
  // use: the vectors shrink to their size and the index to the least that keeps it 7/8 full at
  // most. Positions do not change. Returns whether it shrank.
  bool shrink() {
    if (keys_.capacity() <= 1024 || keys_.size() * 4 > keys_.capacity()) return false;
    keys_.shrink_to_fit();
    vals_.shrink_to_fit();
    std::size_t n = 1024;
    while (n * 7 < (keys_.size() + 1) * 8) n *= 2;
    std::vector<std::uint32_t> fresh(n, 0);
    slots_.swap(fresh);
    for (std::uint32_t i = 0; i < keys_.size(); ++i) place(Hash{}(keys_[i]), i);
    return true;
  }

  std::size_t bytes() const {
    return keys_.capacity() * sizeof(K) + vals_.capacity() * sizeof(V) + slots_.capacity() * sizeof(std::uint32_t);
  }

 private:
  // A slot holds position + 1 in its low bits (below the slot count, as there are more slots than
  // entries) and high hash bits above them, so most probes of a full run never touch keys_: the
  // index can run 7/8 full, 4.6 to 9.1 bytes per entry.
  std::size_t mask() const { return slots_.size() - 1; }
  std::uint32_t pos_mask() const { return static_cast<std::uint32_t>(slots_.size() - 1); }
  std::uint32_t tag_of(std::uint64_t h) const { return static_cast<std::uint32_t>(h >> 32) & ~pos_mask(); }

  std::size_t slot_of(std::uint32_t pos) const {
    for (std::size_t s = Hash{}(keys_[pos]) & mask();; s = (s + 1) & mask())
      if ((slots_[s] & pos_mask()) == pos + 1) return s;
  }

  void place(std::uint64_t h, std::uint32_t pos) {
    std::size_t s = h & mask();
    while (slots_[s] != 0) s = (s + 1) & mask();
    slots_[s] = tag_of(h) | (pos + 1);
  }

  void grow() {
    std::vector<std::uint32_t> fresh(slots_.empty() ? 1024 : slots_.size() * 2, 0);
    slots_.swap(fresh);
    for (std::uint32_t i = 0; i < keys_.size(); ++i) place(Hash{}(keys_[i]), i);
  }

  // Backward-shift deletion: later entries of the probe run move up, so no tombstones pile up.
  void unlink(std::uint32_t pos) {
    std::size_t i = slot_of(pos);
    for (std::size_t j = (i + 1) & mask(); slots_[j] != 0; j = (j + 1) & mask()) {
      const std::size_t k = Hash{}(keys_[(slots_[j] & pos_mask()) - 1]) & mask();
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) continue;
      slots_[i] = slots_[j];
      i = j;
    }
    slots_[i] = 0;
  }

  std::vector<K> keys_;
  std::vector<V> vals_;
  std::vector<std::uint32_t> slots_;  // 0 = empty, else tag | (position + 1)
};

}  // namespace reach::engine::guard_detail
