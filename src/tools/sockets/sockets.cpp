#include "tools/sockets/sockets.hpp"
#include "tools/geo_option.hpp"

#include <linux/inet_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <fmt/format.h>
#include <future>
#include <set>
#include <string_view>

#include "format/sockets_writer.hpp"
#include "model/socket.hpp"
#include "packet/netlink.hpp"
#include "sys/netlink.hpp"
#include "sys/netns.hpp"
#include "sys/procfs.hpp"
#include "tools/sockets/filter.hpp"

namespace reach::tools {
namespace {

using model::SockProto;
using model::SocketRow;
using sockets::Filter;

struct Notes {
  std::size_t malformed = 0;  // netlink messages skipped as malformed
  std::set<std::string> messages;
};

// The rows of one netlink dump (inet or unix), appended to `rows`.
Result<void> dump(int fd, const packet::Buffer& request, std::uint32_t seq, const char* what,
                  const std::function<void(packet::Bytes)>& on_row, Notes& notes) {
  auto r = sys::netlink_dump(fd, request, seq, packet::nl::kSockDiagByFamily, "sock_diag dump", what, on_row);
  if (!r) return tl::unexpected(r.error());
  notes.malformed += *r;
  return {};
}

struct Want {
  bool tcp = false, udp = false, raw = false, unix_sockets = false, v4 = true, v6 = true;
};

// Raw sockets from /proc/net/raw{,6}: this kernel has no raw_diag module.
void read_proc_raw(Family f, const Filter& filter, const std::string& label, std::vector<SocketRow>& rows,
                   Notes& notes) {
  const std::string path = f == Family::v4 ? "/proc/thread-self/net/raw" : "/proc/thread-self/net/raw6";
  auto text = sys::read_text_file(path);
  if (!text) {
    if (text.error().err != ENOENT) notes.messages.insert(text.error().message());
    return;
  }
  std::string_view all(*text);
  std::size_t lines = 0;
  while (!all.empty() && lines++ < (1u << 24)) {
    auto nl = all.find('\n');
    std::string_view line = all.substr(0, nl);
    all = nl == std::string_view::npos ? std::string_view{} : all.substr(nl + 1);
    auto p = packet::nl::parse_proc_net_line(line, f);
    if (!p) continue;  // the header line
    if (!(filter.dgram_states & (std::uint32_t{1} << (p->state & 31)))) continue;
    SocketRow r;
    r.proto = SockProto::raw;
    r.family = f;
    r.state = p->state;
    r.local = p->local;
    r.peer = p->remote;
    r.local_port = p->lport;
    r.peer_port = p->rport;
    r.recv_q = p->rx_queue;
    r.send_q = p->tx_queue;
    r.uid = p->uid;
    r.inode = p->inode;
    r.netns = label;
    rows.push_back(std::move(r));
  }
}

// Every socket of the calling thread's network namespace that the kernel-side state masks keep.
Result<void> collect(const Want& want, const Filter& filter, const std::string& label, std::vector<SocketRow>& rows,
                     Notes& notes) {
  auto fd = sys::open_sock_diag();
  if (!fd) return tl::unexpected(fd.error());
  std::uint32_t seq = 1;
  struct Job {
    bool on;
    SockProto proto;
    std::uint8_t ipproto;
    Family family;
  };
  const Job jobs[] = {
      {want.tcp && want.v4, SockProto::tcp, IPPROTO_TCP, Family::v4},
      {want.tcp && want.v6, SockProto::tcp, IPPROTO_TCP, Family::v6},
      {want.udp && want.v4, SockProto::udp, IPPROTO_UDP, Family::v4},
      {want.udp && want.v6, SockProto::udp, IPPROTO_UDP, Family::v6},
  };
  for (const Job& j : jobs) {
    if (!j.on) continue;
    const std::uint32_t states = j.proto == SockProto::tcp ? filter.tcp_states : filter.dgram_states;
    if (states == 0) continue;
    const std::uint8_t af = j.family == Family::v4 ? AF_INET : AF_INET6;
    const auto req = packet::nl::build_inet_diag_request(af, j.ipproto, states, ++seq);
    const char* what = j.proto == SockProto::tcp ? (j.family == Family::v4 ? "tcp" : "tcp6")
                                                 : (j.family == Family::v4 ? "udp" : "udp6");
    auto r = dump(
        fd->get(), req, seq, what,
        [&](packet::Bytes payload) {
          auto d = packet::nl::parse_inet_diag(payload);
          if (!d || d->family != af) {
            ++notes.malformed;
            return;
          }
          SocketRow row;
          row.proto = j.proto;
          row.family = j.family;
          row.state = d->state;
          row.local = d->src;
          row.peer = d->dst;
          row.local_port = d->sport;
          row.peer_port = d->dport;
          row.recv_q = d->rqueue;
          row.send_q = d->wqueue;
          row.uid = d->uid;
          row.inode = d->inode;
          row.netns = label;
          rows.push_back(std::move(row));
        },
        notes);
    // A protocol the kernel cannot dump (module missing) is not fatal to the others.
    if (!r) {
      if (r.error().err == ENOENT || r.error().err == EOPNOTSUPP) {
        notes.messages.insert(r.error().message());
        continue;
      }
      return r;
    }
  }
  if (want.raw && filter.dgram_states) {
    if (want.v4) read_proc_raw(Family::v4, filter, label, rows, notes);
    if (want.v6) read_proc_raw(Family::v6, filter, label, rows, notes);
  }
  if (want.unix_sockets && filter.unix_states) {
    const auto req = packet::nl::build_unix_diag_request(
        filter.unix_states, UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_UID, ++seq);
    auto r = dump(
        fd->get(), req, seq, "unix",
        [&](packet::Bytes payload) {
          auto d = packet::nl::parse_unix_diag(payload);
          if (!d) {
            ++notes.malformed;
            return;
          }
          SocketRow row;
          row.proto = SockProto::unix_;
          row.state = d->state;
          row.unix_type = d->type;
          row.inode = d->inode;
          row.path = d->name.value_or("");
          row.peer_inode = d->peer.value_or(0);
          row.recv_q = d->rqueue.value_or(0);
          row.send_q = d->wqueue.value_or(0);
          row.uid = d->uid;
          row.netns = label;
          rows.push_back(std::move(row));
        },
        notes);
    if (!r) return r;
  }
  return {};
}

int usage(std::ostream& err, const std::string& m) {
  err << "reach sockets: " << m << '\n';
  return 2;
}

std::optional<std::string> build_filter(const SocketsOptions& o, Filter& f) {
  for (auto [v, name] : {std::pair{o.port, "--port"}, {o.sport, "--sport"}, {o.dport, "--dport"}})
    if (v && (*v < 0 || *v > 65535)) return fmt::format("bad port for {}: {} (0-65535)", name, *v);
  // Port 0 of "local or peer" is every unconnected socket: a filter that says nothing useful.
  if (o.port && *o.port == 0) return "bad port for --port: 0 (1-65535; --sport 0 or --dport 0 for unbound or unconnected)";
  f.port = o.port;
  f.sport = o.sport;
  f.dport = o.dport;
  for (const auto& a : o.addrs) {
    auto c = parse_prefix(a);
    if (!c) return "bad address or CIDR for --addr: " + prefix_error(a);
    f.addrs.push_back(*c);
  }
  if (o.pid && *o.pid <= 0) return fmt::format("bad pid: {}", *o.pid);
  f.pid = o.pid;
  f.program = o.program;
  using namespace model;
  auto bit = [](unsigned s) { return std::uint32_t{1} << s; };
  if (!o.states.empty()) {
    std::uint32_t mask = 0;
    for (const auto& list : o.states) {
      std::string_view rest(list);
      for (std::size_t i = 0; i < 64 && !rest.empty(); ++i) {
        auto comma = rest.find(',');
        auto name = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        auto m = sockets::parse_state(name);
        if (!m)
          return fmt::format(
              "unknown state '{}' (one of ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT1 FIN_WAIT2 TIME_WAIT CLOSE "
              "CLOSE_WAIT LAST_ACK LISTEN CLOSING, or ss's names: unconn, listening, connected, all...)",
              name);
        mask |= *m;
      }
    }
    f.tcp_states = f.dgram_states = f.unix_states = mask;
  } else if (o.all) {
    f.tcp_states = f.dgram_states = f.unix_states = sockets::kAllStates;
  } else if (o.listening) {
    f.tcp_states = bit(kListen);
    f.dgram_states = bit(kClose);
    f.unix_states = bit(kListen);
  } else {
    f.tcp_states = sockets::kAllStates & ~bit(kListen);
    f.dgram_states = sockets::kAllStates & ~bit(kClose);
    f.unix_states = sockets::kAllStates & ~bit(kListen);
  }
  return std::nullopt;
}

std::string label_of(const sys::NetnsRef& ns) {
  return !ns.name.empty() ? ns.name : fmt::format("pid:{}", ns.pid);
}

}  // namespace

int run_sockets(const SocketsOptions& opts, std::ostream& out, std::ostream& err) {
  SocketsOptions o = opts;
  if (o.summary && !o.listening) o.all = true;  // as ss -s: every socket is counted
  Filter filter;
  if (auto m = build_filter(o, filter)) return usage(err, *m);
  if (!o.netns.empty() && o.all_netns) return usage(err, "--netns and --all-netns exclude each other");
  format::GeoOf geo;
  if (!open_geo(o.geo, "reach sockets", err, geo)) return 2;
  Want want;
  const bool any = o.tcp || o.udp || o.raw || o.unix_sockets;
  want.tcp = o.tcp || !any;
  want.udp = o.udp || !any;
  want.raw = o.raw || !any;
  want.unix_sockets = o.unix_sockets;
  if (o.v4 || o.v6) {
    want.v4 = o.v4;
    want.v6 = o.v6;
  }
  if (!filter.addrs.empty() || filter.port || filter.sport || filter.dport) want.unix_sockets = false;

  // The /proc walk that names the owners costs more than the listing itself: run it on a
  // second thread while this one dumps the sockets (it reads /proc only, whatever namespace
  // this thread enters).
  const bool need_owners = o.programs || filter.pid || !filter.program.empty();
  std::future<Result<sys::SocketOwners>> owners_job;
  if (need_owners) owners_job = std::async(std::launch::async, [] { return sys::socket_owners(); });

  std::vector<SocketRow> rows;
  rows.reserve(1024);
  Notes notes;
  bool show_netns = false;
  if (!o.netns.empty()) {
    auto ns = sys::named_netns(o.netns);
    if (!ns) return usage(err, ns.error().message());
    Result<void> inner;
    auto r = sys::in_netns(ns->path, [&] { inner = collect(want, filter, ns->name, rows, notes); });
    if (!r) return usage(err, r.error().message());
    if (!inner) return usage(err, inner.error().message());
    show_netns = true;
  } else if (o.all_netns) {
    auto list = sys::all_netns();
    if (!list) return usage(err, list.error().message());
    auto self = sys::current_netns();
    std::size_t refused = 0;
    for (const auto& ns : *list) {
      const std::string label = label_of(ns);
      Result<void> inner;
      if (self && ns.id == *self) {
        inner = collect(want, filter, label, rows, notes);
      } else {
        auto r = sys::in_netns(ns, [&] { inner = collect(want, filter, label, rows, notes); });
        if (!r) {
          // The process exited (its namespace went with it) or we lack the privilege.
          if (r.error().err == EPERM || r.error().err == EACCES) ++refused;
          continue;
        }
      }
      if (!inner) notes.messages.insert(label + ": " + inner.error().message());
    }
    if (refused)
      notes.messages.insert(fmt::format(
          "{} network namespace(s) could not be entered; you would have to be root (CAP_SYS_ADMIN) to see them",
          refused));
    show_netns = true;
  } else {
    auto r = collect(want, filter, "", rows, notes);
    if (!r) return usage(err, r.error().message());
  }

  if (need_owners) {
    auto owners = owners_job.get();
    if (!owners) return usage(err, owners.error().message());
    for (auto& row : rows) {
      if (row.inode == 0) continue;  // time-wait and request sockets belong to nobody
      for (const auto& [inode, p] : owners->of(row.inode))  // sorted by pid, then fd
        row.owners.push_back(model::SocketOwner{p.pid, p.comm, p.fd});
    }
    if (owners->unreadable)
      notes.messages.insert(
          "Not all processes could be identified, non-owned process info will not be shown, you would have to be "
          "root to see it all.");
  }
  std::erase_if(rows, [&](const SocketRow& r) { return !filter.keep(r); });

  if (notes.malformed)
    notes.messages.insert(fmt::format("skipped {} malformed netlink message(s)", notes.malformed));
  for (const auto& m : notes.messages) {
    if (o.json)
      format::write_sockets_notice_json(out, m);
    else
      err << "reach sockets: " << m << '\n';
  }

  if (o.summary) {
    if (o.json)
      format::write_sockets_summary_json(out, rows);
    else
      format::write_sockets_summary_text(out, rows);
    return 0;
  }
  if (o.json) {
    format::write_sockets_json(out, rows, geo);
    return 0;
  }
  format::SocketsTextOptions t;
  t.scope = !o.states.empty() || o.all ? format::SocketsTextOptions::Scope::all
            : o.listening             ? format::SocketsTextOptions::Scope::listening
                                      : format::SocketsTextOptions::Scope::connected;
  t.programs = o.programs;
  t.extended = o.extended;
  t.netns = show_netns;
  t.inet = want.tcp || want.udp || want.raw;
  t.unix_sockets = want.unix_sockets;
  t.geo = geo;
  format::write_sockets_text(out, rows, t);
  return 0;
}

}  // namespace reach::tools
