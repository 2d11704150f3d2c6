#include "sys/reverse_dns.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/select.h>

#include <atomic>
#include <set>

namespace reach::sys {

struct ReverseDns::State {
  ares_channel channel = nullptr;
  mutable std::mutex mu;
  std::vector<IpAddr> queue;                          // asked, not yet handed to c-ares
  std::set<IpAddr> asked;                             // every address ever asked
  std::map<IpAddr, std::optional<std::string>> done;  // finished lookups
  std::atomic<bool> stop{false};
};

namespace {

struct Query {
  ReverseDns* owner;
  IpAddr addr;
};

}  // namespace

ReverseDns::ReverseDns() : st_(std::make_unique<State>()) {
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return;
  ares_options opts{};
  opts.timeout = 1000;  // ms per try: a dead resolver gives up soon; nobody waits on it anyway
  opts.tries = 2;
  if (ares_init_options(&st_->channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) != ARES_SUCCESS) return;
  ok_ = true;
  thread_ = std::thread([this] { loop(); });
}

ReverseDns::~ReverseDns() {
  st_->stop = true;
  if (thread_.joinable()) thread_.join();
  if (st_->channel) ares_destroy(st_->channel);
  if (ok_) ares_library_cleanup();
}

void ReverseDns::lookup(const IpAddr& a) {
  if (!ok_) return;
  std::lock_guard lock(st_->mu);
  if (st_->asked.insert(a).second) st_->queue.push_back(a);
}

std::optional<std::string> ReverseDns::name(const IpAddr& a) const {
  std::lock_guard lock(st_->mu);
  auto it = st_->done.find(a);
  return it == st_->done.end() ? std::nullopt : it->second;
}

bool ReverseDns::settled(const IpAddr& a) const {
  if (!ok_) return true;
  std::lock_guard lock(st_->mu);
  return !st_->asked.count(a) || st_->done.count(a);
}

void ReverseDns::loop() {
  State& st = *st_;
  while (!st.stop) {
    std::vector<IpAddr> fresh;
    {
      std::lock_guard lock(st.mu);
      fresh.swap(st.queue);
    }
    for (const IpAddr& a : fresh) {
      auto* q = new Query{this, a};
      ares_gethostbyaddr(
          st.channel, a.data(), static_cast<int>(a.size()), a.is_v4() ? AF_INET : AF_INET6,
          [](void* arg, int status, int, hostent* host) {
            auto* q = static_cast<Query*>(arg);
            std::optional<std::string> n;
            if (status == ARES_SUCCESS && host && host->h_name) n = host->h_name;
            {
              std::lock_guard lock(q->owner->st_->mu);
              q->owner->st_->done[q->addr] = n;
            }
            delete q;
          },
          q);
    }
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    int n = ares_fds(st.channel, &rd, &wr);
    timeval tv{0, 10 * 1000};  // wake up often enough to pick up new addresses
    select(n, &rd, &wr, nullptr, &tv);
    ares_process(st.channel, &rd, &wr);
  }
  ares_cancel(st.channel);  // callbacks run now (ARES_ECANCELLED) and free their queries
}

}  // namespace reach::sys
