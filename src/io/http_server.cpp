#include "io/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_set>

#include "io/mhd_api.hpp"
#include "sys/listen.hpp"

namespace reach::io {

// What an HttpReply and the server share about one request.
struct HttpReply::State {
  HttpServer::Impl* server = nullptr;  // nullptr once the server is gone
  MHD_Connection* conn = nullptr;      // nullptr once MHD finished with the connection
  bool in_handler = false;             // send() now is synchronous: the handler queues it
  bool suspended = false;
  bool sent = false;
  std::optional<HttpServerResponse> response;  // waiting to be queued
};

namespace {

// The library's functions; HttpServer::start loaded them before anything here runs.
const MhdApi& mhd() { return **load_mhd(); }

// A burst of scrapers or /probe calls must not overflow the accept queue (a dropped SYN costs
// the client a 1 s retransmit); the kernel caps it at net.core.somaxconn.
constexpr int kBacklog = 1024;
const std::string kGet = "GET";

struct Route {
  std::string method, path;
  HttpHandler handler;
};

// MHD's per-connection record (*con_cls).
struct Conn {
  std::shared_ptr<HttpReply::State> state;
  HttpServerRequest req;
  bool started = false;  // the first call (headers only) is over
  bool too_big = false;
  bool handled = false;  // the handler was called
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

std::string peer_text(MHD_Connection* c) {
  const auto* info = mhd().get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return "";
  const sockaddr* sa = info->client_addr;
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "";
}

MHD_Result collect_pair(void* cls, MHD_ValueKind kind, const char* key, const char* value) {
  auto* req = static_cast<HttpServerRequest*>(cls);
  std::string k = key ? key : "";
  std::string v = value ? value : "";
  if (kind == MHD_HEADER_KIND)
    req->headers.emplace_back(lower(k), std::move(v));
  else
    req->query.emplace_back(std::move(k), std::move(v));
  return MHD_YES;
}

MHD_Result queue(MHD_Connection* c, const HttpServerResponse& r) {
  MHD_Response* resp = mhd().create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()),
                                                       MHD_RESPMEM_MUST_COPY);
  if (!resp) return MHD_NO;
  if (!r.content_type.empty()) mhd().add_response_header(resp, "Content-Type", r.content_type.c_str());
  for (const auto& [k, v] : r.headers) mhd().add_response_header(resp, k.c_str(), v.c_str());
  MHD_Result ok = mhd().queue_response(c, static_cast<unsigned>(r.status), resp);
  mhd().destroy_response(resp);
  return ok;
}

HttpServerResponse plain(int status, std::string body) {
  HttpServerResponse r;
  r.status = status;
  r.body = std::move(body) + "\n";
  return r;
}

}  // namespace

struct HttpServer::Impl {
  Reactor& reactor;
  HttpServerOptions opts;
  struct Daemon {
    MHD_Daemon* d = nullptr;
    int epoll_fd = -1;
    Reactor::TimerId timer = 0;
    std::uint16_t port = 0;
  };
  std::vector<Daemon> daemons;
  std::vector<Route> exact, prefix;
  std::vector<std::weak_ptr<HttpReply::State>> live;  // for shutdown
  std::size_t served = 0;
  // Connections whose request line decoded to a NUL (%00): a C string would cut the path or a
  // query value there and answer for another name, so the request is refused instead.
  std::unordered_set<MHD_Connection*> nul_in_url;
  bool run_posted = false;
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);  // posted callbacks check it

  explicit Impl(Reactor& r, HttpServerOptions o) : reactor(r), opts(std::move(o)) {}

  void run(Daemon& d) {
    mhd().run(d.d);
    schedule(d);
  }
  // MHD may have work that no fd shows (a resumed connection, buffered data): it says when.
  void schedule(Daemon& d) {
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (d.timer) reactor.cancel(d.timer);
    d.timer = 0;
    if (mhd().get_timeout(d.d, &ms) != MHD_YES) return;
    Daemon* dp = &d;
    d.timer = reactor.after(static_cast<TimeNs>(std::min<MHD_UNSIGNED_LONG_LONG>(ms, 3600000)) * kNsPerMs, [this, dp] {
      dp->timer = 0;
      run(*dp);
    });
  }
  void run_all_soon() {
    if (run_posted) return;
    run_posted = true;
    reactor.post([this, alive = std::weak_ptr<bool>(alive)] {
      if (alive.expired()) return;
      run_posted = false;
      for (auto& d : daemons) run(d);
    });
  }

  const HttpHandler* find(const HttpServerRequest& req, std::string& allow) const {
    // HEAD is GET without the body (RFC 9110 §9.3.2; MHD leaves the body out): `curl -I` and
    // uptime checkers use it.
    const std::string& method = req.method == "HEAD" ? kGet : req.method;
    for (const auto& r : exact)
      if (r.path == req.path) {
        if (r.method == method) return &r.handler;
        allow += (allow.empty() ? "" : ", ") + r.method;
      }
    const Route* best = nullptr;
    for (const auto& r : prefix) {
      if (req.path.compare(0, r.path.size(), r.path) != 0) continue;
      if (r.method != method) {
        allow += (allow.empty() ? "" : ", ") + r.method;
        continue;
      }
      if (!best || r.path.size() > best->path.size()) best = &r;
    }
    return best ? &best->handler : nullptr;
  }

  MHD_Result dispatch(Conn& c, MHD_Connection* mc) {
    auto& st = *c.state;
    c.handled = true;
    ++served;
    std::string allow;
    const HttpHandler* h = find(c.req, allow);
    if (!h) {
      st.sent = true;
      if (allow.empty()) return queue(mc, plain(404, "not found: " + c.req.path));
      auto r = plain(405, "method not allowed");
      r.headers.emplace_back("Allow", allow);
      return queue(mc, r);
    }
    st.in_handler = true;
    (*h)(c.req, HttpReply(c.state));
    st.in_handler = false;
    if (st.response) {
      auto r = std::move(*st.response);
      st.response.reset();
      return queue(mc, r);
    }
    st.suspended = true;
    mhd().suspend_connection(mc);
    return MHD_YES;
  }

  static MHD_Result on_request(void* cls, MHD_Connection* mc, const char* url, const char* method, const char*,
                               const char* upload, size_t* upload_size, void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    auto* c = static_cast<Conn*>(*con_cls);
    if (!c) {
      c = new Conn();
      *con_cls = c;
      c->state = std::make_shared<HttpReply::State>();
      c->state->server = self;
      c->state->conn = mc;
      self->live.push_back(c->state);
      if (self->nul_in_url.erase(mc)) {
        c->state->sent = true;
        c->handled = true;
        return queue(mc, plain(400, "bad request: %00 (NUL) in the URL"));
      }
      c->req.method = method ? method : "";
      c->req.path = url ? url : "";
      c->req.peer = peer_text(mc);
      mhd().get_connection_values(mc, MHD_HEADER_KIND, collect_pair, &c->req);
      mhd().get_connection_values(mc, MHD_GET_ARGUMENT_KIND, collect_pair, &c->req);
      // A declared body over the limit is refused before it is read (and before 100-continue).
      if (const std::string* len = c->req.header("content-length")) {
        char* end = nullptr;
        errno = 0;
        unsigned long long n = std::strtoull(len->c_str(), &end, 10);
        if (errno != 0 || n > self->opts.max_body) {
          c->too_big = true;
          c->state->sent = true;
          return queue(mc, plain(413, "request body over " + std::to_string(self->opts.max_body) + " bytes"));
        }
      }
      return MHD_YES;
    }
    if (*upload_size > 0) {
      if (!c->too_big && c->req.body.size() + *upload_size <= self->opts.max_body)
        c->req.body.append(upload, *upload_size);
      else
        c->too_big = true;
      *upload_size = 0;
      return MHD_YES;
    }
    if (c->too_big) {
      if (c->state->sent) return MHD_YES;  // the 413 is queued already
      c->state->sent = true;
      return queue(mc, plain(413, "request body over " + std::to_string(self->opts.max_body) + " bytes"));
    }
    if (!c->handled) return self->dispatch(*c, mc);
    // Resumed: the asynchronous reply is in.
    if (c->state->response) {
      auto r = std::move(*c->state->response);
      c->state->response.reset();
      return queue(mc, r);
    }
    return MHD_YES;
  }

  // MHD's own percent-decoding, and a note when the result holds a NUL (see nul_in_url).
  static size_t unescape(void* cls, MHD_Connection* mc, char* s) {
    const size_t n = mhd().http_unescape(s);
    if (std::strlen(s) == n) return n;
    static_cast<Impl*>(cls)->nul_in_url.insert(mc);
    s[0] = '\0';
    return 0;
  }

  static void on_connection(void* cls, MHD_Connection* mc, void**, MHD_ConnectionNotificationCode code) {
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) static_cast<Impl*>(cls)->nul_in_url.erase(mc);
  }

  static void on_completed(void* cls, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
    auto* self = static_cast<Impl*>(cls);
    auto* c = static_cast<Conn*>(*con_cls);
    if (!c) return;
    c->state->conn = nullptr;
    delete c;
    *con_cls = nullptr;
    std::erase_if(self->live, [](const auto& w) { return w.expired(); });
  }

  void complete(HttpReply::State& st) {
    if (st.in_handler || !st.conn || !st.suspended) return;
    st.suspended = false;
    mhd().resume_connection(st.conn);
    run_all_soon();
  }

  ~Impl() {
    // Suspended requests get an answer rather than a silent close; then MHD stops.
    for (auto& w : live) {
      auto st = w.lock();
      if (!st) continue;
      if (st->suspended && st->conn && !st->sent) {
        st->sent = true;
        st->response = plain(503, "server shutting down");
        complete(*st);
      }
      st->server = nullptr;
    }
    for (auto& d : daemons) {
      if (d.timer) reactor.cancel(d.timer);
      if (d.epoll_fd >= 0) reactor.unwatch(d.epoll_fd);
      mhd().run(d.d);
      mhd().stop_daemon(d.d);
    }
  }
};

HttpReply& HttpReply::operator=(HttpReply&& o) noexcept {
  if (this != &o) {
    if (state_ && !state_->sent) send(plain(500, "reply dropped"));
    state_ = std::move(o.state_);
  }
  return *this;
}

HttpReply::~HttpReply() {
  if (state_ && !state_->sent) send(plain(500, "reply dropped"));
}

bool HttpReply::sent() const { return state_ && state_->sent; }

void HttpReply::send(HttpServerResponse r) {
  if (!state_ || state_->sent) return;
  state_->sent = true;
  if (!state_->server || !state_->conn) return;  // server gone or client gone
  state_->response = std::move(r);
  state_->server->complete(*state_);
}

const std::string* HttpServerRequest::param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}

const std::string* HttpServerRequest::header(std::string_view name) const {
  std::string n = lower(name);
  for (const auto& [k, v] : headers)
    if (k == n) return &v;
  return nullptr;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::start(Reactor& reactor, HttpServerOptions opts) {
  if (opts.listen.empty()) return fail("http server", "", EINVAL, "no listen address");
  if (auto api = load_mhd(); !api) return tl::unexpected(api.error());
  auto impl = std::make_unique<Impl>(reactor, opts);
  // Parse everything first: a typo in the third address must not leave two servers running.
  std::vector<ListenAddress> addrs;
  for (const auto& text : opts.listen) {
    auto a = parse_listen_address(text, opts.allow_port_zero);
    if (!a) return tl::unexpected(a.error());
    addrs.push_back(*a);
  }
  impl->daemons.reserve(addrs.size());  // the reactor keeps pointers to these
  for (std::size_t i = 0; i < addrs.size(); ++i) {
    auto fd = sys::listen_tcp(addrs[i].addr, addrs[i].port, kBacklog, opts.listen[i]);
    if (!fd) return tl::unexpected(fd.error());
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    if (!addrs[i].addr || !addrs[i].addr->is_v4()) flags |= MHD_USE_IPv6;
    int raw = fd->release();  // MHD closes it in MHD_stop_daemon
    MHD_Daemon* d = mhd().start_daemon(
        flags, 0, nullptr, nullptr, &Impl::on_request, impl.get(), MHD_OPTION_LISTEN_SOCKET, raw,
        MHD_OPTION_CONNECTION_LIMIT, opts.connection_limit, MHD_OPTION_CONNECTION_TIMEOUT,
        opts.connection_timeout_s, MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed, impl.get(),
        MHD_OPTION_UNESCAPE_CALLBACK, &Impl::unescape, impl.get(), MHD_OPTION_NOTIFY_CONNECTION, &Impl::on_connection,
        impl.get(), MHD_OPTION_END);
    if (!d) {  // MHD closes the socket it was given on its failure path
      return fail("http server", opts.listen[i], 0, "libmicrohttpd refused to start");
    }
    Impl::Daemon dm;
    dm.d = d;
    const MHD_DaemonInfo* di = mhd().get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    const MHD_DaemonInfo* pi = mhd().get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    dm.port = pi ? pi->port : addrs[i].port;
    impl->daemons.push_back(dm);
    if (!di) return fail("http server", opts.listen[i], 0, "no epoll fd from libmicrohttpd");
    impl->daemons.back().epoll_fd = di->epoll_fd;
    Impl::Daemon* dp = &impl->daemons.back();
    Impl* ip = impl.get();
    if (auto r = reactor.watch(di->epoll_fd, EPOLLIN, [ip, dp](std::uint32_t) { ip->run(*dp); }); !r) {
      impl->daemons.back().epoll_fd = -1;
      return tl::unexpected(r.error());
    }
    impl->schedule(*dp);
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::route(std::string method, std::string path, HttpHandler h) {
  for (auto& r : impl_->exact)
    if (r.method == method && r.path == path) {
      r.handler = std::move(h);
      return;
    }
  impl_->exact.push_back({std::move(method), std::move(path), std::move(h)});
}

void HttpServer::route_prefix(std::string method, std::string prefix, HttpHandler h) {
  for (auto& r : impl_->prefix)
    if (r.method == method && r.path == prefix) {
      r.handler = std::move(h);
      return;
    }
  impl_->prefix.push_back({std::move(method), std::move(prefix), std::move(h)});
}

std::vector<std::uint16_t> HttpServer::bound_ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& d : impl_->daemons) out.push_back(d.port);
  return out;
}

std::size_t HttpServer::requests_served() const { return impl_->served; }

}  // namespace reach::io
