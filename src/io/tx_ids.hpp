#pragma once
// Which probe a TX timestamp belongs to: the kernel reports each stamp with the send's
// OPT_ID, and ProbeSocket remembers the probe's tag under that id until the stamp comes.
#include <cstdint>
#include <optional>
#include <unordered_map>

namespace reach::io {

class TxStampMap {
 public:
  // Stamps the kernel never delivers (a send dropped by nftables, a full error queue) must not
  // pile up; but clearing all on overflow would throw away the stamps of every probe still in
  // flight under load. Ids are handed out in order, so only the one `kWindow` sends older than
  // the newest is let go at each send.
  static constexpr std::uint32_t kWindow = 4096;

  void remember(std::uint32_t id, std::uint64_t tag) {
    pending_.erase(id - kWindow);  // unsigned: wraps with the ids
    pending_[id] = tag;
  }
  // The tag sent under `id`, once: a second stamp with the same id finds nothing.
  std::optional<std::uint64_t> take(std::uint32_t id) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return std::nullopt;
    std::uint64_t tag = it->second;
    pending_.erase(it);
    return tag;
  }
  std::size_t size() const { return pending_.size(); }
  void clear() { pending_.clear(); }

 private:
  std::unordered_map<std::uint32_t, std::uint64_t> pending_;
};

}  // namespace reach::io
