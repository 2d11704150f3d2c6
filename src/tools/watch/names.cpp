#include "tools/watch/names.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "base/address.hpp"
#include "sys/resolve.hpp"

namespace reach::tools::watch {
namespace {

// The preferred family's first address, else the resolver's first (blackbox's
// preferred_ip_protocol with fallback).
IpAddr pick(const std::vector<IpAddr>& all, std::optional<Family> family) {
  if (family)
    for (const IpAddr& a : all)
      if (a.family() == *family) return a;
  return all.front();
}

}  // namespace

NameCache::NameCache(io::Reactor& reactor, std::string resolv_conf)
    : reactor_(reactor), resolv_conf_(std::move(resolv_conf)) {}

NameCache::~NameCache() {
  dns_.reset();  // abandons its callbacks
  for (auto& [key, e] : entries_)
    for (auto& [id, w] : e.waiters) reactor_.cancel(w.timer);
}

std::optional<Result<IpAddr>> NameCache::lookup(const std::string& host, std::optional<Family> family, bool fallback,
                                                 std::uint32_t owner, TimeNs wait, Ready later) {
  const TimeNs now = reactor_.now();
  if (++lookups_ % 4096 == 0) sweep(now);
  const std::string key = fmt::format("{}|{}|{}", host, family ? static_cast<int>(*family) : -1, fallback);
  auto it = entries_.find(key);
  if (it == entries_.end() || (!it->second.pending && it->second.host.empty() && now >= it->second.expires)) {
    // Literals (with their zone) by the rule of every command, at once; names go to c-ares.
    auto t = parse_address(host, AddressForm::host);
    Entry e;
    if (!t) {
      e.answer = fail("resolve", host, 0, t.error().detail);
      e.expires = INT64_MAX;
    } else if (t->literal) {
      auto all = sys::resolve(*t, fallback ? std::nullopt : family);
      e.answer = all ? Result<IpAddr>(pick(*all, family)) : Result<IpAddr>(tl::unexpected(all.error()));
      e.expires = now + kMaxKeep;  // a zone's interface may come and go
    } else {
      e.host = t->host;
      e.zone = t->zone;
      e.family = family;
      e.fallback = fallback;
    }
    it = entries_.insert_or_assign(key, std::move(e)).first;
  }
  Entry& e = it->second;
  e.used = now;
  if (e.answer && now < e.expires) return *e.answer;
  if (!e.pending) start(e, key);
  // Stale: used while it is refreshed. Not pending after start(): c-ares could not start.
  if (e.answer && (e.answer->has_value() || !e.pending)) return *e.answer;
  const std::uint64_t id = next_waiter_++;
  Waiter& w = e.waiters[id];
  w.owner = owner;
  w.ready = std::move(later);
  by_owner_[owner].emplace_back(key, id);
  w.timer = reactor_.after(wait, [this, key, id, host, wait] {
    auto en = entries_.find(key);
    if (en == entries_.end()) return;
    auto wt = en->second.waiters.find(id);
    if (wt == en->second.waiters.end()) return;
    Ready ready = std::move(wt->second.ready);
    forget_wait(wt->second.owner, id);
    en->second.waiters.erase(wt);
    ready(fail("resolve", host, 0,
               fmt::format("no answer from the resolver within {} ms (still asking)", wait / kNsPerMs)));
  });
  return std::nullopt;
}

// Names nobody asked for in a while go (targets removed by a reload, one-off /probe targets).
void NameCache::sweep(TimeNs now) {
  std::erase_if(entries_, [&](const auto& kv) {
    const Entry& e = kv.second;
    return !e.pending && e.waiters.empty() && now - e.used > kForget;
  });
}

void NameCache::start(Entry& e, const std::string& key) {
  if (!dns_) {
    auto d = io::DnsAsync::create(reactor_);
    if (!d) {
      e.answer = tl::unexpected(d.error());
      e.expires = reactor_.now() + kRetry;
      return;
    }
    dns_ = std::move(*d);
  }
  e.pending = true;
  io::HostQuery q{e.host, e.fallback ? std::nullopt : e.family, resolv_conf_};
  std::weak_ptr<bool> alive(alive_);
  dns_->resolve_host(q, [this, alive, key](io::HostResult r) {
    if (!alive.expired()) answered(key, std::move(r));
  });
}

void NameCache::answered(const std::string& key, io::HostResult r) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.pending = false;
  const TimeNs now = reactor_.refresh_now();
  if (!r.addrs.empty()) {
    auto z = sys::zone_for(pick(r.addrs, e.family), e.zone, "");
    e.answer = z ? Result<IpAddr>(*z) : Result<IpAddr>(fail("resolve", e.host + "%" + e.zone, 0, z.error().detail));
    e.expires = now + std::clamp(r.ttl, kMinKeep, kMaxKeep);
  } else {
    e.answer = fail("resolve", e.host, 0, r.error);
    e.expires = now + kRetry;
  }
  const Result<IpAddr> answer = *e.answer;
  auto waiters = std::move(e.waiters);
  e.waiters.clear();
  for (auto& [id, w] : waiters) forget_wait(w.owner, id);
  for (auto& [id, w] : waiters) {
    reactor_.cancel(w.timer);
    w.ready(answer);  // may look names up again (and move `e`)
  }
}

void NameCache::forget_wait(std::uint32_t owner, std::uint64_t id) {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return;
  std::erase_if(it->second, [&](const auto& w) { return w.second == id; });
  if (it->second.empty()) by_owner_.erase(it);
}

void NameCache::cancel(std::uint32_t owner) {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return;
  for (const auto& [key, id] : it->second) {
    auto e = entries_.find(key);
    if (e == entries_.end()) continue;
    auto w = e->second.waiters.find(id);
    if (w == e->second.waiters.end()) continue;
    reactor_.cancel(w->second.timer);
    e->second.waiters.erase(w);
  }
  by_owner_.erase(it);
}

std::size_t NameCache::resolving() const {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [](const auto& kv) {
    return kv.second.pending;
  }));
}

}  // namespace reach::tools::watch
