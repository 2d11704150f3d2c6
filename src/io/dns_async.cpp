#include "io/dns_async.hpp"

#include <arpa/inet.h>
#include <ares.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#include "sys/socket.hpp"

namespace reach::io {
namespace {

bool ares_once() {
  static const bool ok = ares_library_init(ARES_LIB_INIT_ALL) == ARES_SUCCESS;
  return ok;
}

std::optional<int> type_number(std::string_view t) {
  static const std::map<std::string_view, int> kTypes = {
      {"A", 1},    {"NS", 2},   {"CNAME", 5}, {"SOA", 6},  {"PTR", 12}, {"MX", 15},
      {"TXT", 16}, {"AAAA", 28}, {"SRV", 33},  {"ANY", 255}, {"CAA", 257}};
  std::string up(t);
  for (auto& c : up) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  if (auto it = kTypes.find(up); it != kTypes.end()) return it->second;
  if (up.rfind("TYPE", 0) == 0 && up.size() > 4 && up.size() <= 9) {
    int n = 0;
    for (char c : up.substr(4)) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n >= 1 && n <= 65535) return n;
  }
  return std::nullopt;
}

std::string rcode_name(int rc) {
  static const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                 "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  return rc >= 0 && rc <= 10 ? kNames[rc] : "RCODE" + std::to_string(rc);
}

std::string ip_text(int af, const void* a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(af, a, buf, sizeof buf);
  return buf;
}

std::string quoted(const unsigned char* s, std::size_t n) {
  std::string out = "\"";
  for (std::size_t i = 0; i < n; ++i) {
    char c = static_cast<char>(s[i]);
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The answer records of the asked type, through c-ares's own parsers (no DNS parsing here).
std::vector<std::string> answers_text(int qtype, const unsigned char* abuf, int alen) {
  std::vector<std::string> out;
  if (qtype == 1) {
    ares_addrttl a[64];
    int n = 64;
    if (ares_parse_a_reply(abuf, alen, nullptr, a, &n) == ARES_SUCCESS)
      for (int i = 0; i < n; ++i) out.push_back(ip_text(AF_INET, &a[i].ipaddr));
  } else if (qtype == 28) {
    ares_addr6ttl a[64];
    int n = 64;
    if (ares_parse_aaaa_reply(abuf, alen, nullptr, a, &n) == ARES_SUCCESS)
      for (int i = 0; i < n; ++i) out.push_back(ip_text(AF_INET6, &a[i].ip6addr));
  } else if (qtype == 15) {
    ares_mx_reply* mx = nullptr;
    if (ares_parse_mx_reply(abuf, alen, &mx) == ARES_SUCCESS)
      for (auto* m = mx; m; m = m->next) out.push_back(std::to_string(m->priority) + " " + m->host);
    ares_free_data(mx);
  } else if (qtype == 16) {
    ares_txt_ext* txt = nullptr;
    if (ares_parse_txt_reply_ext(abuf, alen, &txt) == ARES_SUCCESS)
      for (auto* t = txt; t; t = t->next) {
        std::string s = quoted(t->txt, t->length);
        if (t->record_start || out.empty())
          out.push_back(s);
        else
          out.back() += " " + s;
      }
    ares_free_data(txt);
  } else if (qtype == 2 || qtype == 12) {
    hostent* h = nullptr;
    int rc = qtype == 2 ? ares_parse_ns_reply(abuf, alen, &h) : ares_parse_ptr_reply(abuf, alen, nullptr, 0, AF_INET, &h);
    if (rc == ARES_SUCCESS && h) {
      if (qtype == 12 && h->h_name) out.push_back(h->h_name);
      for (char** a = h->h_aliases; a && *a; ++a) out.push_back(*a);
    }
    if (h) ares_free_hostent(h);
  } else if (qtype == 6) {
    ares_soa_reply* soa = nullptr;
    if (ares_parse_soa_reply(abuf, alen, &soa) == ARES_SUCCESS && soa)
      out.push_back(std::string(soa->nsname) + " " + soa->hostmaster + " " + std::to_string(soa->serial) + " " +
                    std::to_string(soa->refresh) + " " + std::to_string(soa->retry) + " " +
                    std::to_string(soa->expire) + " " + std::to_string(soa->minttl));
    ares_free_data(soa);
  } else if (qtype == 33) {
    ares_srv_reply* srv = nullptr;
    if (ares_parse_srv_reply(abuf, alen, &srv) == ARES_SUCCESS)
      for (auto* s = srv; s; s = s->next)
        out.push_back(std::to_string(s->priority) + " " + std::to_string(s->weight) + " " + std::to_string(s->port) +
                      " " + s->host);
    ares_free_data(srv);
  } else if (qtype == 257) {
    ares_caa_reply* caa = nullptr;
    if (ares_parse_caa_reply(abuf, alen, &caa) == ARES_SUCCESS)
      for (auto* c = caa; c; c = c->next)
        out.push_back(std::to_string(c->critical) + " " + std::string(reinterpret_cast<char*>(c->property), c->plength) +
                      " " + quoted(c->value, c->length));
    ares_free_data(caa);
  }
  return out;
}

int be16(const unsigned char* p) { return (p[0] << 8) | p[1]; }

}  // namespace

struct DnsAsync::Impl {
  struct Channel {
    Impl* self = nullptr;
    ares_channel ch = nullptr;
    Reactor::TimerId timer = 0;
    std::unordered_map<int, std::uint32_t> socks;  // fd -> events watched
    std::size_t pending = 0;
  };
  struct Pending {
    Impl* self = nullptr;
    Channel* chan = nullptr;
    Callback cb;
    int qtype = 0;
    TimeNs start = 0;
  };

  Reactor& reactor;
  std::map<std::string, std::unique_ptr<Channel>> channels;  // by server, port, flags, timeout
  std::size_t in_flight = 0;
  bool in_query = false;    // c-ares answered inside ares_send: deliver on the next turn
  bool destroying = false;  // ares_destroy calls every callback with ARES_EDESTRUCTION
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  explicit Impl(Reactor& r) : reactor(r) {}
  ~Impl() {
    destroying = true;
    for (auto& [k, c] : channels) {
      if (c->timer) reactor.cancel(c->timer);
      ares_destroy(c->ch);
      for (auto& [fd, ev] : c->socks) reactor.unwatch(fd);
    }
  }

  static void on_sock_state(void* data, ares_socket_t s, int readable, int writable) {
    auto* c = static_cast<Channel*>(data);
    Impl* self = c->self;
    if (self->destroying) return;
    std::uint32_t ev = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
    auto it = c->socks.find(s);
    if (ev == 0) {
      if (it != c->socks.end()) {
        self->reactor.unwatch(s);
        c->socks.erase(it);
      }
      return;
    }
    if (it != c->socks.end()) {
      if (self->reactor.rewatch(s, ev)) {
        it->second = ev;
        return;
      }
      self->reactor.unwatch(s);
      c->socks.erase(it);
    }
    if (self->reactor.watch(s, ev, [self, c, s](std::uint32_t got) {
          ares_socket_t r = (got & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? s : ARES_SOCKET_BAD;
          ares_socket_t w = (got & EPOLLOUT) ? s : ARES_SOCKET_BAD;
          std::weak_ptr<bool> still(self->alive);
          ares_process_fd(c->ch, r, w);
          if (!still.expired()) self->rearm(*c);
        }))
      c->socks[s] = ev;
  }

  // c-ares keeps its own deadlines (per-try timeouts); it says how long until the next.
  void rearm(Channel& c) {
    if (c.timer) reactor.cancel(c.timer);
    c.timer = 0;
    timeval tv{};
    if (!ares_timeout(c.ch, nullptr, &tv)) return;
    TimeNs d = static_cast<TimeNs>(tv.tv_sec) * kNsPerSec + static_cast<TimeNs>(tv.tv_usec) * kNsPerUs;
    Channel* cp = &c;
    c.timer = reactor.after(d, [this, cp] {
      cp->timer = 0;
      std::weak_ptr<bool> still(alive);
      ares_process_fd(cp->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      if (!still.expired()) rearm(*cp);
    });
  }

  static void on_answer(void* arg, int status, int, unsigned char* abuf, int alen) {
    std::unique_ptr<Pending> p(static_cast<Pending*>(arg));
    Impl* self = p->self;
    if (self->destroying || status == ARES_EDESTRUCTION) return;
    --self->in_flight;
    --p->chan->pending;
    DnsResult r;
    r.duration = self->reactor.refresh_now() - p->start;
    if (status == ARES_SUCCESS && abuf && alen >= 12) {
      r.answered = true;
      r.rcode = abuf[3] & 0x0f;
      r.rcode_name = rcode_name(r.rcode);
      r.answer_count = be16(abuf + 6);
      r.authority_count = be16(abuf + 8);
      r.additional_count = be16(abuf + 10);
      if (r.rcode == 0) r.answers = answers_text(p->qtype, abuf, alen);
    } else {
      r.timed_out = status == ARES_ETIMEOUT;
      r.error = ares_strerror(status);
    }
    if (self->in_query) {
      self->reactor.post([cb = std::move(p->cb), r = std::move(r), alive = std::weak_ptr<bool>(self->alive)]() mutable {
        if (!alive.expired()) cb(std::move(r));
      });
      return;
    }
    p->cb(std::move(r));
  }

  struct HostPending {
    Impl* self = nullptr;
    Channel* chan = nullptr;
    std::function<void(HostResult)> cb;
  };

  static void on_host(void* arg, int status, int, ares_addrinfo* res) {
    std::unique_ptr<HostPending> p(static_cast<HostPending*>(arg));
    Impl* self = p->self;
    if (self->destroying || status == ARES_EDESTRUCTION) {
      if (res) ares_freeaddrinfo(res);
      return;
    }
    --self->in_flight;
    --p->chan->pending;
    HostResult r;
    int ttl = -1;
    if (status == ARES_SUCCESS && res) {
      for (ares_addrinfo_node* n = res->nodes; n; n = n->ai_next) {
        auto a = sys::from_sockaddr(n->ai_addr, n->ai_addrlen);
        if (!a || std::find(r.addrs.begin(), r.addrs.end(), *a) != r.addrs.end()) continue;
        r.addrs.push_back(*a);
        ttl = ttl < 0 ? n->ai_ttl : std::min(ttl, n->ai_ttl);
      }
    }
    if (res) ares_freeaddrinfo(res);
    r.ttl = static_cast<TimeNs>(std::max(ttl, 0)) * kNsPerSec;
    if (r.addrs.empty()) {
      r.timed_out = status == ARES_ETIMEOUT;
      r.error = status == ARES_SUCCESS ? "no address" : ares_strerror(status);
    }
    // Always on a later turn: a hosts-file answer comes from inside ares_getaddrinfo.
    self->reactor.post([cb = std::move(p->cb), r = std::move(r), alive = std::weak_ptr<bool>(self->alive)]() mutable {
      if (!alive.expired()) cb(std::move(r));
    });
  }

  // The system's configuration (resolv.conf's servers, timeout, attempts; the hosts file).
  Result<Channel*> system_channel(const std::string& resolv_conf) {
    std::string key = "system|" + resolv_conf;
    if (auto it = channels.find(key); it != channels.end()) return it->second.get();
    auto c = std::make_unique<Channel>();
    c->self = this;
    ares_options o{};
    o.sock_state_cb = &Impl::on_sock_state;
    o.sock_state_cb_data = c.get();
    int mask = ARES_OPT_SOCK_STATE_CB;
    if (!resolv_conf.empty()) {
      o.resolvconf_path = const_cast<char*>(resolv_conf.c_str());
      mask |= ARES_OPT_RESOLVCONF;
    }
    if (int rc = ares_init_options(&c->ch, &o, mask); rc != ARES_SUCCESS)
      return fail("ares_init_options", resolv_conf.empty() ? "/etc/resolv.conf" : resolv_conf, 0, ares_strerror(rc));
    Channel* raw = c.get();
    channels.emplace(key, std::move(c));
    return raw;
  }

  Result<Channel*> channel(const DnsQuery& q) {
    const int tmo = static_cast<int>(std::max<TimeNs>(q.timeout / kNsPerMs, 1));
    std::string key = q.server.to_string() + "|" + std::to_string(q.port) + "|" + std::to_string(q.tcp) + "|" +
                      std::to_string(q.recursion_desired) + "|" + std::to_string(tmo);
    if (auto it = channels.find(key); it != channels.end()) return it->second.get();
    auto c = std::make_unique<Channel>();
    c->self = this;
    ares_options o{};
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | (q.tcp ? ARES_FLAG_USEVC : 0) |
              (q.recursion_desired ? 0 : ARES_FLAG_NORECURSE);
    o.timeout = tmo;
    o.tries = 1;  // a probe: one try, bounded by the timeout
    o.sock_state_cb = &Impl::on_sock_state;
    o.sock_state_cb_data = c.get();
    int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
    if (int rc = ares_init_options(&c->ch, &o, mask); rc != ARES_SUCCESS)
      return fail("ares_init_options", key, 0, ares_strerror(rc));
    std::string server = q.server.is_v4() ? q.server.to_string() : "[" + q.server.to_string() + "]";
    server += ":" + std::to_string(q.port);
    if (int rc = ares_set_servers_ports_csv(c->ch, server.c_str()); rc != ARES_SUCCESS) {
      ares_destroy(c->ch);
      return fail("dns server", server, 0, ares_strerror(rc));
    }
    Channel* raw = c.get();
    channels.emplace(key, std::move(c));
    return raw;
  }
};

DnsAsync::DnsAsync(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DnsAsync::~DnsAsync() = default;

Result<std::unique_ptr<DnsAsync>> DnsAsync::create(Reactor& reactor) {
  if (!ares_once()) return fail("ares_library_init", "", 0);
  return std::unique_ptr<DnsAsync>(new DnsAsync(std::make_unique<Impl>(reactor)));
}

Result<void> DnsAsync::query(const DnsQuery& q, Callback cb) {
  auto type = type_number(q.type);
  if (!type) return fail("dns query", q.name, 0, "unknown record type \"" + q.type + "\"");
  if (q.name.empty() || q.name.size() > 253 + 1) return fail("dns query", q.name, 0, "bad name");
  unsigned char* buf = nullptr;
  int len = 0;
  if (int rc = ares_create_query(q.name.c_str(), 1 /* IN */, *type, 0, q.recursion_desired ? 1 : 0, &buf, &len, 0);
      rc != ARES_SUCCESS)
    return fail("dns query", q.name, 0, ares_strerror(rc));
  auto chan = impl_->channel(q);
  if (!chan) {
    ares_free_string(buf);
    return tl::unexpected(chan.error());
  }
  auto* p = new Impl::Pending{impl_.get(), *chan, std::move(cb), *type, impl_->reactor.refresh_now()};
  ++impl_->in_flight;
  ++(*chan)->pending;
  impl_->in_query = true;
  ares_send((*chan)->ch, buf, len, &Impl::on_answer, p);
  impl_->in_query = false;
  ares_free_string(buf);
  impl_->rearm(**chan);
  return {};
}

void DnsAsync::resolve_host(const HostQuery& q, std::function<void(HostResult)> cb) {
  auto chan = impl_->system_channel(q.resolv_conf);
  if (!chan) {
    HostResult r;
    r.error = chan.error().message();
    impl_->reactor.post([cb = std::move(cb), r = std::move(r), alive = std::weak_ptr<bool>(impl_->alive)]() mutable {
      if (!alive.expired()) cb(std::move(r));
    });
    return;
  }
  ares_addrinfo_hints hints{};
  hints.ai_family = !q.family ? AF_UNSPEC : *q.family == Family::v4 ? AF_INET : AF_INET6;
  auto* p = new Impl::HostPending{impl_.get(), *chan, std::move(cb)};
  ++impl_->in_flight;
  ++(*chan)->pending;
  ares_getaddrinfo((*chan)->ch, q.name.c_str(), nullptr, &hints, &Impl::on_host, p);
  impl_->rearm(**chan);
}

Result<std::vector<DnsServer>> system_dns_servers(const std::string& resolv_conf) {
  const std::string where = resolv_conf.empty() ? "/etc/resolv.conf" : resolv_conf;
  if (!ares_once()) return fail("ares_library_init", "", 0);
  ares_channel ch = nullptr;
  ares_options o{};
  int mask = 0;
  if (!resolv_conf.empty()) {
    o.resolvconf_path = const_cast<char*>(resolv_conf.c_str());
    mask |= ARES_OPT_RESOLVCONF;
  }
  if (int rc = ares_init_options(&ch, &o, mask); rc != ARES_SUCCESS)
    return fail("read resolver configuration", where, 0, ares_strerror(rc));
  ares_addr_port_node* list = nullptr;
  int rc = ares_get_servers_ports(ch, &list);
  std::vector<DnsServer> out;
  for (auto* n = list; rc == ARES_SUCCESS && n; n = n->next) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(n->family == AF_INET ? static_cast<const void*>(&n->addr.addr4)
                                                                                   : static_cast<const void*>(&n->addr.addr6));
    out.push_back({IpAddr::from_bytes(n->family == AF_INET ? Family::v4 : Family::v6, bytes),
                   static_cast<std::uint16_t>(n->udp_port ? n->udp_port : 53)});
  }
  ares_free_data(list);
  ares_destroy(ch);
  if (rc != ARES_SUCCESS) return fail("read resolver configuration", where, 0, ares_strerror(rc));
  if (out.empty()) return fail("read resolver configuration", where, 0, "no name server");
  return out;
}

std::size_t DnsAsync::in_flight() const { return impl_->in_flight; }

}  // namespace reach::io
