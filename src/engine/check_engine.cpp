#include "engine/check_engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace reach::engine {
namespace {

using model::CheckStatus;

std::string from_text(const model::IcmpSeen& i) { return i.from ? " from " + i.from->to_string() : ""; }

Classified from_icmp(const model::IcmpSeen& i) {
  std::string tc = fmt::format("(ICMP{} type {} code {}){}", i.v6 ? "v6" : "", i.type, i.code, from_text(i));
  if (!i.v6 && i.type == 3) {
    switch (i.code) {
      case 0: case 6: case 11: return {CheckStatus::no_route, "network unreachable " + tc};
      case 1: case 7: case 12: return {CheckStatus::unreachable, "host unreachable " + tc};
      case 3: return {CheckStatus::refused, "port unreachable " + tc};
      case 2: return {CheckStatus::refused, "protocol unreachable " + tc};
      case 9: case 10: case 13: return {CheckStatus::prohibited, "administratively prohibited " + tc};
      default: return {CheckStatus::unreachable, "destination unreachable " + tc};
    }
  }
  if (i.v6 && i.type == 1) {
    switch (i.code) {
      case 0: return {CheckStatus::no_route, "no route to destination " + tc};
      case 1: case 5: case 6: return {CheckStatus::prohibited, "administratively prohibited " + tc};
      case 3: return {CheckStatus::unreachable, "address unreachable " + tc};
      case 4: return {CheckStatus::refused, "port unreachable " + tc};
      default: return {CheckStatus::unreachable, "destination unreachable " + tc};
    }
  }
  return {CheckStatus::unreachable, "ICMP error " + tc};
}

}  // namespace

Classified classify_connect(int err, const std::optional<model::IcmpSeen>& icmp, bool immediate) {
  if (err == 0) return {CheckStatus::open, "connected"};
  // An ICMP error names the reason more precisely than errno (admin prohibited and host
  // unreachable are both EHOSTUNREACH for a TCP socket).
  if (icmp && !immediate && err != ECONNREFUSED && err != ECONNRESET) return from_icmp(*icmp);
  const std::string local = immediate ? " (local)" : "";
  switch (err) {
    case ECONNREFUSED: return {CheckStatus::refused, "connection refused (RST)"};
    case ECONNRESET: return {CheckStatus::reset, "connection reset"};
    case ETIMEDOUT: return {CheckStatus::timeout, "timed out (SYN retries exhausted)"};
    case ENETUNREACH: return {CheckStatus::no_route, immediate ? "no route in the local routing table" : "network unreachable"};
    case EHOSTUNREACH:
      return {CheckStatus::unreachable, immediate ? "host unreachable (local route)" : "host unreachable (no ARP/ND answer)"};
    case EACCES: case EPERM: return {CheckStatus::prohibited, "prohibited by a local firewall or route" + local};
    case EHOSTDOWN: return {CheckStatus::unreachable, "host is down"};
    default: return {CheckStatus::error, std::string(std::strerror(err)) + local};
  }
}

Classified classify_icmp(const model::IcmpSeen& icmp) { return from_icmp(icmp); }

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
