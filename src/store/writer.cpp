#include "store/writer.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

namespace reach::store {

struct Writer::Impl {
  using Op = std::variant<model::RoundResult, std::vector<AlertState>, std::vector<std::string>>;

  std::unique_ptr<Store> store;  // the writer thread's alone once it runs
  std::size_t max_pending = 0;

  mutable std::mutex mu;
  std::condition_variable cv;
  std::condition_variable released;  // holds back to 0
  int holds = 0;
  std::deque<Op> ops;             // in arrival order
  std::size_t queued_rounds = 0;
  std::optional<TimeNs> tick_at;  // a flush asked for, with its time
  bool stopping = false;
  bool closed = false;            // the thread ran and was joined (caller's thread only)
  Status st;                      // dropped: by this queue
  std::size_t store_dropped = 0;  // by the Store's own queue (writes failing for long)
  std::thread thread;

  // Takes everything queued (under the lock) and writes it: rounds in one transaction, alert
  // state changes in order around them.
  // Before each transaction of ours: the caller's writes (Hold) go first.
  void yield_to_holds() {
    std::unique_lock<std::mutex> lock(mu);
    released.wait(lock, [&] { return holds == 0; });
  }

  void write_queued() {
    yield_to_holds();
    std::deque<Op> batch;
    {
      std::lock_guard<std::mutex> lock(mu);
      batch.swap(ops);
      queued_rounds = 0;
    }
    std::size_t rounds = 0;
    auto commit_rounds = [&] {
      if (rounds == 0) return;
      record(store->write_rounds(), rounds);
      rounds = 0;
    };
    for (Op& op : batch) {
      if (auto* r = std::get_if<model::RoundResult>(&op)) {
        store->add_round(*r);
        ++rounds;
        continue;
      }
      commit_rounds();  // alert state after the rounds that came before it
      if (auto* a = std::get_if<std::vector<AlertState>>(&op)) record(store->save_alert_states(*a), 0);
      else record(store->forget_alert_states(std::get<std::vector<std::string>>(op)), 0);
    }
    commit_rounds();
  }

  template <class R>
  void record(const R& r, std::size_t rounds) {
    std::lock_guard<std::mutex> lock(mu);
    if (r) {
      st.failing = false;
      st.written += rounds;
      return;
    }
    // The Store keeps rounds it could not write (bounded) and retries them with the next ones.
    st.failing = true;
    st.error = r.error().message();
    ++st.errors;
  }

  void run() {
    for (;;) {
      std::optional<TimeNs> now;
      {
        std::unique_lock<std::mutex> lock(mu);
        // While writes fail (a full disk) they are tried again once a tick, not at each round.
        cv.wait(lock, [&] { return stopping || tick_at || (!ops.empty() && !st.failing); });
        if (ops.empty() && !tick_at && stopping) return;
        now = tick_at;
        tick_at.reset();
      }
      write_queued();
      if (!now) continue;
      yield_to_holds();
      auto f = store->flush(*now, [this] { write_queued(); });
      record(f, f ? f->written : 0);
      std::lock_guard<std::mutex> lock(mu);
      ++st.flushes;
      if (f) store_dropped = f->dropped;
    }
  }
};

Writer::Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Writer::Hold::Hold(Writer* w) : w_(w) {
  if (!w_) return;
  std::lock_guard<std::mutex> lock(w_->impl_->mu);
  ++w_->impl_->holds;
}

Writer::Hold::~Hold() {
  if (!w_) return;
  {
    std::lock_guard<std::mutex> lock(w_->impl_->mu);
    --w_->impl_->holds;
  }
  w_->impl_->released.notify_all();
}

Result<std::unique_ptr<Writer>> Writer::open(const Options& options) {
  auto s = Store::open(options);
  if (!s) return tl::unexpected(s.error());
  auto impl = std::make_unique<Impl>();
  impl->store = std::move(*s);
  impl->max_pending = options.max_pending;
  return std::unique_ptr<Writer>(new Writer(std::move(impl)));
}

void Writer::start() {
  if (impl_->thread.joinable() || impl_->closed) return;
  Impl* raw = impl_.get();
  impl_->thread = std::thread([raw] { raw->run(); });
}

Writer::~Writer() {
  if (impl_->closed) return;
  start();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;  // what is queued is still written, without a last flush
  }
  impl_->cv.notify_one();
  impl_->thread.join();
  impl_->closed = true;
}

void Writer::add_round(const model::RoundResult& round) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto& im = *impl_;
    if (im.queued_rounds >= im.max_pending) {
      // The oldest queued round goes (the thread is stuck or far behind: a full disk).
      for (auto it = im.ops.begin(); it != im.ops.end(); ++it)
        if (std::holds_alternative<model::RoundResult>(*it)) {
          im.ops.erase(it);
          --im.queued_rounds;
          ++im.st.dropped;
          break;
        }
    }
    wake = im.ops.empty();
    im.ops.emplace_back(round);
    ++im.queued_rounds;
  }
  if (wake) impl_->cv.notify_one();  // the thread takes the whole queue at once
}

void Writer::save_alert_states(std::vector<AlertState> states) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->ops.emplace_back(std::move(states));
  }
  impl_->cv.notify_one();
}

void Writer::forget_alert_states(std::vector<std::string> targets) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->ops.emplace_back(std::move(targets));
  }
  impl_->cv.notify_one();
}

void Writer::tick(TimeNs now_wall) {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->tick_at = now_wall;
  }
  impl_->cv.notify_one();
}

Result<void> Writer::close(TimeNs now_wall) {
  if (impl_->closed) return {};
  start();
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->tick_at = now_wall;  // the last flush, after everything queued
    impl_->stopping = true;
  }
  impl_->cv.notify_one();
  impl_->thread.join();
  impl_->closed = true;
  Status s = status();
  if (s.failing) return fail("store close", "", 0, s.error);
  return {};
}

Writer::Status Writer::status() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  Status s = impl_->st;
  s.queued = impl_->queued_rounds;
  s.dropped += impl_->store_dropped;
  return s;
}

}  // namespace reach::store
