#include "engine/check_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace reach::engine {

using model::CheckStatus;

Classified classify_connect(int err, const std::optional<model::IcmpSeen>& icmp, bool immediate) {
  return classify_verdict(classify_connect_outcome(err, icmp, immediate));
}

Classified classify_verdict(const ConnectVerdict& v) {
  auto status = [&] {
    switch (v.reason) {
      case model::PortReason::syn_ack:
      case model::PortReason::connected: return CheckStatus::open;
      case model::PortReason::rst: return v.err == ECONNRESET ? CheckStatus::reset : CheckStatus::refused;
      case model::PortReason::no_response: return CheckStatus::timeout;
      case model::PortReason::admin_prohibited: return CheckStatus::prohibited;
      case model::PortReason::host_unreachable: return CheckStatus::unreachable;
      case model::PortReason::net_unreachable: return CheckStatus::no_route;
      case model::PortReason::port_unreachable:
      case model::PortReason::proto_unreachable:
      case model::PortReason::icmp_other: return CheckStatus::filtered;
      case model::PortReason::local_error:
        return v.err == EACCES || v.err == EPERM ? CheckStatus::prohibited : CheckStatus::error;
    }
    return CheckStatus::error;
  }();
  return {status, v.text};
}

// An ICMP error about an echo request or a raw SYN: the same words as about a connect.
Classified classify_icmp(const model::IcmpSeen& icmp) { return classify_connect(EHOSTUNREACH, icmp, false); }

Classified classify_timeout(TimeNs timeout) {
  return {CheckStatus::timeout, fmt::format("no answer within {:g}s (filtered or down)", static_cast<double>(timeout) / 1e9)};
}

bool retryable(model::CheckStatus s) {
  return s == CheckStatus::timeout || s == CheckStatus::unreachable || s == CheckStatus::reset ||
         s == CheckStatus::error;
}

CheckScheduler::CheckScheduler(std::size_t items, std::size_t concurrency, unsigned retries, TimeNs timeout)
    : items_(items), concurrency_(std::max<std::size_t>(1, concurrency)), retries_(retries), timeout_(timeout) {
  for (std::size_t i = 0; i < items; ++i) waiting_.push_back(i);
}

std::vector<std::size_t> CheckScheduler::start(TimeNs now) {
  std::vector<std::size_t> out;
  while (running_ < concurrency_ && !waiting_.empty()) {
    std::size_t i = waiting_.front();
    waiting_.pop_front();
    Item& it = items_[i];
    it.running = true;
    ++it.attempts;
    it.deadline = now + timeout_;
    deadlines_.push_back({it.deadline, i, it.attempts});
    ++running_;
    out.push_back(i);
  }
  return out;
}

bool CheckScheduler::finished(std::size_t item, model::CheckStatus s) {
  Item& it = items_.at(item);
  if (!it.running) return it.final;
  it.running = false;
  --running_;
  if (retryable(s) && it.attempts <= retries_) {
    waiting_.push_back(item);
    return false;
  }
  it.final = true;
  ++final_;
  return true;
}

std::vector<std::size_t> CheckScheduler::expired(TimeNs now) {
  std::vector<std::size_t> out;
  while (!deadlines_.empty() && deadlines_.front().when <= now) {
    Deadline d = deadlines_.front();
    deadlines_.pop_front();
    const Item& it = items_[d.item];
    if (it.running && it.attempts == d.attempt) out.push_back(d.item);
  }
  return out;
}

std::optional<TimeNs> CheckScheduler::next_deadline() {
  // Attempts that ended early leave stale entries at the front: drop them here, once.
  while (!deadlines_.empty()) {
    const Deadline& d = deadlines_.front();
    const Item& it = items_[d.item];
    if (it.running && it.attempts == d.attempt) return d.when;
    deadlines_.pop_front();
  }
  return std::nullopt;
}

}  // namespace reach::engine
