#include "tools/relay/conn.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "packet/proxy_protocol.hpp"
#include "sys/batch.hpp"
#include "sys/socket.hpp"
#include "tools/connect_result.hpp"

namespace reach::tools::relay {

namespace {
// A PROXY header longer than this (v2 TLVs) is refused: bounded memory per connection.
constexpr std::size_t kMaxProxyHeader = 4096;
}  // namespace

Conn::Conn(Hooks& hooks, io::Reactor& r, std::uint64_t id, sys::Accepted accepted,
           std::shared_ptr<const config::RelayConfig> cfg, TimeNs head_deadline)
    : hooks_(hooks), r_(r), id_(id), cfg_(std::move(cfg)), peer_(accepted.peer), peer_port_(accepted.peer_port),
      deadline_(head_deadline) {
  fd_[client] = std::move(accepted.fd);
  client_ = peer_;
  client_port_ = peer_port_;
  counted_ = peer_;
}

Conn::~Conn() {
  for (int s : {0, 1})
    if (watching_[s]) r_.unwatch(fd_[s].get());
  if (timer_) r_.cancel(timer_);
}

void Conn::start() {
  last_active_ = r_.now();
  want_proxy_ = std::any_of(cfg_->accept_proxy.begin(), cfg_->accept_proxy.end(),
                            [&](const IpPrefix& p) { return p.contains(peer_); });
  if (!want_proxy_ && !cfg_->http) return connect_next();
  arm(deadline_);
  update_interest();
}

// One timer at a time, moved only ever earlier: one that fires before `at` finds the phase's
// deadline not reached and re-arms for it (a connection that ends within its connect timeout
// costs one timer, not one per phase).
void Conn::arm(TimeNs at) {
  if (timer_ && timer_at_ <= at) return;
  if (timer_) r_.cancel(timer_);
  timer_at_ = at;
  timer_ = r_.at(at, [this] {
    timer_ = 0;
    on_timer();
  });
}

void Conn::on_timer() {
  const TimeNs now = r_.now();
  switch (phase_) {
    case Phase::head:
      if (now < deadline_) return arm(deadline_);
      hooks_.head_timed_out(peer_);
      return close(Reject::head_timeout);
    case Phase::connecting: {
      if (now < deadline_) return arm(deadline_);
      const engine::ConnectVerdict v = timed_out_connect(fd_[backend].get());
      hooks_.backend_failed(*trying_, v.text);
      r_.unwatch(fd_[backend].get());
      watching_[backend] = false;
      fd_[backend] = sys::Fd();
      return connect_next();
    }
    case Phase::open:
      if (now - last_active_ >= cfg_->idle_timeout) return close(Reject::idle_timeout);
      return arm(last_active_ + cfg_->idle_timeout);
    case Phase::closed:
      return;
  }
}

void Conn::on_event(Side s, std::uint32_t ev) {
  if (phase_ == Phase::head) return read_head();
  if (phase_ == Phase::connecting) {
    if (s != backend) return;
    const engine::ConnectVerdict v = finished_connect(fd_[backend].get());
    if (v.state == model::PortState::open) return on_connected();
    hooks_.backend_failed(*trying_, v.text);
    r_.unwatch(fd_[backend].get());
    watching_[backend] = false;
    fd_[backend] = sys::Fd();
    return connect_next();
  }
  if (phase_ == Phase::open) forward(s, ev);
}

void Conn::read_head() {
  std::array<std::uint8_t, 4096> buf;
  for (int i = 0; i < 4; ++i) {
    auto n = sys::read_stream(fd_[client].get(), buf);
    if (!n) return close(Reject::client_error);
    if (!*n) return;
    if (**n == 0) return close(want_proxy_ ? Reject::bad_proxy_header : Reject::bad_request);
    if (!take_head_bytes(packet::Bytes(buf.data(), **n))) return;
    if (phase_ != Phase::head) return;
  }
}

// Bytes of the head phase: the PROXY header first (when expected), then the first request head
// (--http). False when the connection was closed or moved on.
bool Conn::take_head_bytes(packet::Bytes in) {
  packet::Buffer rest(in.begin(), in.end());
  if (want_proxy_) {
    head_.insert(head_.end(), in.begin(), in.end());
    const auto p = packet::proxy::parse(head_);
    if (p.status == packet::proxy::Parsed::Status::invalid || head_.size() > kMaxProxyHeader) {
      close(Reject::bad_proxy_header);
      return false;
    }
    if (p.status == packet::proxy::Parsed::Status::incomplete) return true;
    if (p.header.has_endpoints) {
      client_ = p.header.endpoints.src;
      client_port_ = p.header.endpoints.src_port;
      local_ = p.header.endpoints.dst;
      local_port_ = p.header.endpoints.dst_port;
      have_local_ = true;
      // From now on the limits count the client, not the balancer.
      if (!hooks_.handover(peer_, client_)) {
        close(Reject::limited);
        return false;
      }
      counted_ = client_;
    }
    want_proxy_ = false;
    // What follows the header is the client's own stream.
    rest.assign(head_.begin() + static_cast<std::ptrdiff_t>(p.header.length), head_.end());
    head_ = packet::Buffer();
    if (!cfg_->http) {
      up_.pending() = std::move(rest);
      settle();
      connect_next();
      return false;
    }
  }
  if (!cfg_->http) return true;
  if (!http_) {
    packet::ForwardFor who;
    who.client = client_;
    who.client_port = client_port_;
    // Trust is about who wrote the headers: the client a trusted balancer named, else the peer.
    who.trusted = std::any_of(cfg_->trusted.begin(), cfg_->trusted.end(),
                              [&](const IpPrefix& p) { return p.contains(client_); });
    http_ = std::make_unique<packet::HttpForward>(who, cfg_->max_head);
  }
  const auto st = http_->feed(rest, up_.pending());
  if (st == packet::HttpForward::Status::bad_request) {
    refuse_http(400, "Bad Request", Reject::bad_request);
    return false;
  }
  if (st == packet::HttpForward::Status::head_too_large) {
    refuse_http(431, "Request Header Fields Too Large", Reject::head_too_large);
    return false;
  }
  if (http_->heads() > 0) {
    settle();
    connect_next();
    return false;
  }
  return true;
}

void Conn::refuse_http(int status, const char* text, Reject why) {
  const std::string r = "HTTP/1.1 " + std::to_string(status) + " " + text +
                        "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  // One try: a client that cannot take 80 bytes now does not get them.
  (void)sys::send_stream(fd_[client].get(), packet::Bytes(reinterpret_cast<const std::uint8_t*>(r.data()), r.size()));
  close(why);
}

void Conn::settle() {
  if (settled_) return;
  settled_ = true;
  hooks_.settled(id_);
}

void Conn::connect_next() {
  phase_ = Phase::connecting;
  for (;;) {
    trying_ = hooks_.pick_backend(tried_);
    if (!trying_) {
      if (cfg_->http) return refuse_http(503, "Service Unavailable", Reject::no_backend);
      return close(Reject::no_backend);
    }
    if (tried_.size() <= *trying_) tried_.resize(*trying_ + 1, false);
    tried_[*trying_] = true;
    const BackendRef b = hooks_.backend(*trying_);
    auto fd = open_connect_socket(b.addr.family());
    if (!fd) {
      hooks_.backend_failed(*trying_, fd.error().message());
      continue;
    }
    // Only when bytes leave at once (a PROXY header, what the head phase read): a backend that
    // speaks first would otherwise see its accept wait for the delayed ACK (40 ms).
    if (b.send_proxy != config::ProxySend::none || !up_.pending().empty()) (void)sys::delay_handshake_ack(fd->get());
    auto c = sys::connect_nonblocking(fd->get(), b.addr, b.port);
    if (!c) {
      hooks_.backend_failed(*trying_, failed_connect(c.error().err).text);
      continue;
    }
    fd_[backend] = std::move(*fd);
    if (*c) return on_connected();
    deadline_ = r_.now() + cfg_->connect_timeout;
    arm(deadline_);
    update_interest();
    return;
  }
}

void Conn::on_connected() {
  backend_ = hooks_.backend(*trying_);
  hooks_.backend_opened(*trying_);
  phase_ = Phase::open;
  packet::Buffer header;
  if (backend_->send_proxy != config::ProxySend::none) {
    // The address the client reached: only the PROXY header needs it (Forwarded carries the
    // client alone), so only then a getsockname, unless a balancer's header named it.
    if (!have_local_) {
      if (auto l = sys::local_endpoint(fd_[client].get())) {
        local_ = l->first;
        local_port_ = l->second;
      }
    }
    const auto e = packet::proxy::header_endpoints(client_, client_port_, local_, local_port_);
    header = backend_->send_proxy == config::ProxySend::v1 ? packet::proxy::build_v1(e) : packet::proxy::build_v2(e);
  }
  up_.pending().insert(up_.pending().begin(), header.begin(), header.end());
  Flow::Filter filter;
  if (http_)
    filter = [this](packet::Bytes in, packet::Buffer& out) {
      return http_->feed(in, out) == packet::HttpForward::Status::ok;
    };
  const auto limit = static_cast<std::size_t>(cfg_->pipe_bytes);
  up_.open(limit, &hooks_.pipes(), std::move(filter));
  down_.open(limit, &hooks_.pipes());
  last_active_ = r_.now();
  arm(last_active_ + cfg_->idle_timeout);
  forward(backend, EPOLLOUT);
}

void Conn::forward(Side s, std::uint32_t ev) {
  if ((ev & EPOLLERR) && sys::socket_error(fd_[s].get()) != 0)
    return close(s == client ? Reject::client_error : Reject::backend_error);
  // Only the directions this event concerns: readable `s` feeds the flow that reads it, writable
  // `s` the flow that writes it (a flow needs nothing from the other side's fd), so no read is
  // tried that epoll did not announce. A hang-up or error concerns both.
  const bool gone = ev & (EPOLLHUP | EPOLLERR);
  const bool readable = gone || (ev & (EPOLLIN | EPOLLRDHUP));
  const bool writable = gone || (ev & EPOLLOUT);
  const bool to_eof = ev & (EPOLLRDHUP | EPOLLHUP);  // the peer's FIN is in: read up to it
  Flow::Progress none;
  auto up = (s == client ? readable : writable) ? up_.pump(fd_[client].get(), fd_[backend].get(), s == client && to_eof)
                                                : Result<Flow::Progress>(none);
  if (!up) return close(up.error().err == EPROTO ? Reject::bad_request : Reject::client_error);
  auto down = (s == backend ? readable : writable) ? down_.pump(fd_[backend].get(), fd_[client].get(), s == backend && to_eof)
                                                   : Result<Flow::Progress>(none);
  if (!down) return close(Reject::backend_error);
  const std::size_t moved = up->in + up->out + down->in + down->out;
  if (up->out || down->out) hooks_.bytes(up->out, down->out);
  // Without a head to wait for, a connection is established by its first byte from either side
  // (our PROXY header does not count): until then a full relay may evict it.
  if (up->in || down->in) settle();
  if (moved) {
    last_active_ = r_.now();
    parked_[0] = parked_[1] = false;
  } else if (ev & (EPOLLHUP | EPOLLERR)) {
    parked_[s] = true;  // level-triggered HUP would fire every turn: wait for progress elsewhere
  }
  // Half-close: one side's end of stream, once all of it is written, becomes our FIN. The last
  // one is left to the close just below (both ends read to their end: it sends a FIN, no reset).
  if (up_.drained() && !up_.shut()) {
    if (!down_.drained()) (void)sys::shutdown_write(fd_[backend].get());
    up_.mark_shut();
  }
  if (down_.drained() && !down_.shut()) {
    if (!up_.shut()) (void)sys::shutdown_write(fd_[client].get());
    down_.mark_shut();
  }
  if (up_.shut() && down_.shut()) return close(Reject::none);
  update_interest();
}

void Conn::update_interest() {
  for (int s : {0, 1}) {
    std::uint32_t want = 0;
    const bool have = fd_[s].valid();
    if (!have) continue;
    if (phase_ == Phase::head) {
      want = s == client ? std::uint32_t{EPOLLIN} : 0u;
    } else if (phase_ == Phase::connecting) {
      want = s == backend ? std::uint32_t{EPOLLOUT} : 0u;
    } else if (phase_ == Phase::open) {
      const Flow& from = s == client ? up_ : down_;  // reads this fd
      const Flow& to = s == client ? down_ : up_;    // writes this fd
      if (from.wants_read()) want |= EPOLLIN | EPOLLRDHUP;
      if (to.wants_write()) want |= EPOLLOUT;
    }
    const bool should = !parked_[s] && want != 0;
    if (should && !watching_[s]) {
      const Side side = static_cast<Side>(s);
      if (auto w = r_.watch(fd_[s].get(), want, [this, side](std::uint32_t ev) { on_event(side, ev); }); !w)
        return close(Reject::client_error);
      watching_[s] = true;
      watched_[s] = want;
    } else if (!should && watching_[s]) {
      r_.unwatch(fd_[s].get());
      watching_[s] = false;
    } else if (should && watched_[s] != want) {
      (void)r_.rewatch(fd_[s].get(), want);
      watched_[s] = want;
    }
  }
}

void Conn::close(Reject why) {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  // The sockets close just below: the close takes them out of the epoll set.
  for (int s : {0, 1}) {
    if (watching_[s]) r_.unwatch_closing(fd_[s].get());
    watching_[s] = false;
  }
  if (timer_) r_.cancel(timer_), timer_ = 0;
  // An early refusal leaves no TIME_WAIT behind (a flood must not fill the port space).
  if ((why == Reject::bad_proxy_header || why == Reject::head_timeout || why == Reject::limited ||
       why == Reject::evicted) &&
      fd_[client].valid())
    (void)sys::set_linger_zero(fd_[client].get());
  fd_[client] = sys::Fd();
  fd_[backend] = sys::Fd();
  if (backend_) hooks_.backend_closed(backend_->text);
  hooks_.finished(id_, why);
}

}  // namespace reach::tools::relay
