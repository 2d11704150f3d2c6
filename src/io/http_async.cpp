#include "io/http_async.hpp"

#include <sys/epoll.h>

#include <map>
#include <unordered_set>

#include "io/curl_transfer.hpp"

namespace reach::io {

struct HttpAsync::Impl {
  struct Req {
    RequestId id = 0;
    HttpRequest req;
    HttpResponse resp;
    detail::Transfer t;
    Callback cb;
  };

  Reactor& reactor;
  CURLM* multi = nullptr;
  Reactor::TimerId timer = 0;
  RequestId next_id = 1;
  std::map<RequestId, std::unique_ptr<Req>> reqs;
  std::unordered_set<int> watched;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // a callback may destroy us

  explicit Impl(Reactor& r) : reactor(r) {}

  ~Impl() {
    for (auto& [id, q] : reqs) detail::curl().multi_remove_handle(multi, q->t.easy);
    reqs.clear();
    if (multi) detail::curl().multi_cleanup(multi);  // closes cached connections (socket callbacks first)
    for (int fd : watched) reactor.unwatch(fd);
    if (timer) reactor.cancel(timer);
  }

  static int on_socket(CURL*, curl_socket_t s, int what, void* userp, void*) {
    auto* self = static_cast<Impl*>(userp);
    if (what == CURL_POLL_REMOVE) {
      self->reactor.unwatch(s);
      self->watched.erase(s);
      return 0;
    }
    std::uint32_t ev = 0;
    if (what & CURL_POLL_IN) ev |= EPOLLIN;
    if (what & CURL_POLL_OUT) ev |= EPOLLOUT;
    if (self->watched.count(s)) {
      if (self->reactor.rewatch(s, ev)) return 0;
      self->reactor.unwatch(s);  // curl closed and reopened the number without telling us
      self->watched.erase(s);
    }
    auto r = self->reactor.watch(s, ev, [self, s](std::uint32_t got) { self->on_ready(s, got); });
    if (!r) return -1;  // curl fails the transfer
    self->watched.insert(s);
    return 0;
  }

  static int on_timer(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<Impl*>(userp);
    if (self->timer) self->reactor.cancel(self->timer);
    self->timer = 0;
    if (timeout_ms < 0) return 0;
    // Never call curl back from inside its own callback: the reactor runs it on a later turn.
    self->timer = self->reactor.after(static_cast<TimeNs>(timeout_ms) * kNsPerMs, [self] {
      self->timer = 0;
      self->action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  void on_ready(int fd, std::uint32_t got) {
    int flags = 0;
    if (got & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
    if (got & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (got & EPOLLERR) flags |= CURL_CSELECT_ERR;
    action(fd, flags);
  }

  void action(curl_socket_t s, int flags) {
    int running = 0;
    detail::curl().multi_socket_action(multi, s, flags, &running);
    finish_done();
  }

  void finish_done() {
    std::vector<std::unique_ptr<Req>> done;
    int left = 0;
    while (CURLMsg* m = detail::curl().multi_info_read(multi, &left)) {
      if (m->msg != CURLMSG_DONE) continue;
      Req* q = nullptr;
      detail::getinfo<CURLINFO_PRIVATE>(m->easy_handle, &q);
      CURLcode code = m->data.result;
      if (!q) continue;
      detail::collect(q->t, code);
      detail::curl().multi_remove_handle(multi, m->easy_handle);
      auto it = reqs.find(q->id);
      if (it == reqs.end()) continue;
      done.push_back(std::move(it->second));
      reqs.erase(it);
    }
    std::weak_ptr<bool> still(alive);
    for (auto& q : done) {
      q->cb(std::move(q->resp));
      if (still.expired()) return;  // the callback destroyed the HttpAsync
    }
  }
};

Result<void> load_http_library() {
  if (auto api = detail::load_curl(); !api) return tl::unexpected(api.error());
  return {};
}

HttpAsync::HttpAsync(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpAsync::~HttpAsync() = default;

Result<std::unique_ptr<HttpAsync>> HttpAsync::create(Reactor& reactor) {
  if (auto api = detail::load_curl(); !api) return tl::unexpected(api.error());
  auto impl = std::make_unique<Impl>(reactor);
  impl->multi = detail::curl().multi_init();
  if (!impl->multi) return fail("curl_multi_init", "", 0);
  CURLM* m = impl->multi;
  detail::multi_setopt<CURLMOPT_SOCKETFUNCTION>(m, &Impl::on_socket);
  detail::multi_setopt<CURLMOPT_SOCKETDATA>(m, impl.get());
  detail::multi_setopt<CURLMOPT_TIMERFUNCTION>(m, &Impl::on_timer);
  detail::multi_setopt<CURLMOPT_TIMERDATA>(m, impl.get());
  return std::unique_ptr<HttpAsync>(new HttpAsync(std::move(impl)));
}

Result<HttpAsync::RequestId> HttpAsync::start(HttpRequest req, Callback cb) {
  auto q = std::make_unique<Impl::Req>();
  q->id = impl_->next_id++;
  q->req = std::move(req);
  q->cb = std::move(cb);
  q->t.req = &q->req;
  q->t.resp = &q->resp;
  if (auto r = detail::setup(q->t); !r) return tl::unexpected(r.error());
  detail::setopt<CURLOPT_PRIVATE>(q->t.easy, q.get());
  if (CURLMcode c = detail::curl().multi_add_handle(impl_->multi, q->t.easy); c != CURLM_OK)
    return fail("curl_multi_add_handle", q->req.url, 0, detail::curl().multi_strerror(c));
  RequestId id = q->id;
  impl_->reqs.emplace(id, std::move(q));
  return id;
}

void HttpAsync::cancel(RequestId id) {
  auto it = impl_->reqs.find(id);
  if (it == impl_->reqs.end()) return;
  detail::curl().multi_remove_handle(impl_->multi, it->second->t.easy);
  impl_->reqs.erase(it);
}

std::size_t HttpAsync::in_flight() const { return impl_->reqs.size(); }

}  // namespace reach::io
