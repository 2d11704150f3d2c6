// reach-linkem: a transparent two-port link emulator for the test lab.
//
// The kernel of the lab machine has no sch_netem, so delay and loss come from this program. It
// runs inside its own network namespace holding two veth ends (A and B), bridges every frame
// from one to the other and holds each frame for the configured one-way delay. The delay is timed
// from the kernel's software receive timestamp (SO_TIMESTAMPNS, CLOCK_REALTIME), not from the
// moment user space woke up, and the frame is released at rx_ts + delay with an absolute timerfd
// wakeup shortly before the release time followed by a short bounded spin.
//
// Frames are read and written with a virtio_net_hdr (PACKET_VNET_HDR): a frame whose checksum
// the sender left to "hardware" (CHECKSUM_PARTIAL on veth) or a GSO super-frame keeps that state
// when re-sent, so the kernel completes the checksum / segments as needed. The lab additionally
// turns veth offloads off; either way TCP and UDP survive the emulator.
//
// On SIGTERM/SIGINT it writes its statistics (frames per direction, its own timing error =
// actual send time - intended release time) as one JSON object to --stats FILE and exits 0.
//
// Only test and benchmark code uses this program; it never touches a real interface (the lab
// creates the namespace and the veth pairs).

#include <fmt/format.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr int kExitUsage = 2;
constexpr int64_t kNsPerSec = 1'000'000'000;
constexpr std::size_t kMaxFrame = 256 * 1024;  // GSO frames are at most 64 KiB; keep headroom
constexpr std::size_t kMaxSamples = 1 << 20;   // reservoir size for percentiles
constexpr int kBatch = 256;                    // frames handled per wakeup and direction
// sizeof(struct virtio_net_hdr); <linux/virtio_net.h> does not compile as C++ and the
// header's fields are passed through untouched, so only its size matters here.
constexpr std::size_t kVnetHdrLen = 10;

int64_t now_realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

int64_t now_monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

[[noreturn]] void die(int code, const std::string& msg) {
  std::fprintf(stderr, "reach-linkem: %s\n", msg.c_str());
  std::exit(code);
}

std::string errno_text(int err) { return std::strerror(err); }

// Count, mean, min, max exactly; percentiles from a reservoir sample (exact up to kMaxSamples).
class Sampler {
 public:
  explicit Sampler(uint64_t seed) : rng_(seed ^ 0x9e3779b97f4a7c15ULL) {}

  void add(int64_t ns) {
    ++count_;
    sum_ += static_cast<double>(ns);
    min_ = std::min(min_, ns);
    max_ = std::max(max_, ns);
    if (samples_.size() < kMaxSamples) {
      samples_.push_back(ns);
    } else {
      std::uniform_int_distribution<uint64_t> pick(0, count_ - 1);
      const uint64_t j = pick(rng_);
      if (j < kMaxSamples) samples_[j] = ns;
    }
  }

  [[nodiscard]] std::string json() const {
    if (count_ == 0) return R"({"count":0})";
    std::vector<int64_t> s = samples_;
    std::sort(s.begin(), s.end());
    auto pct = [&](double p) {
      const auto idx = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(s.size()))) - 1;
      return static_cast<double>(s[std::min(idx, s.size() - 1)]) / 1000.0;
    };
    return fmt::format(
        R"({{"count":{},"mean":{:.3f},"min":{:.3f},"p50":{:.3f},"p90":{:.3f},"p99":{:.3f},"p999":{:.3f},"max":{:.3f}}})",
        count_, sum_ / static_cast<double>(count_) / 1000.0, static_cast<double>(min_) / 1000.0,
        pct(50), pct(90), pct(99), pct(99.9), static_cast<double>(max_) / 1000.0);
  }

 private:
  uint64_t count_ = 0;
  double sum_ = 0;
  int64_t min_ = std::numeric_limits<int64_t>::max();
  int64_t max_ = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> samples_;
  std::mt19937_64 rng_;
};

struct Frame {
  int64_t release_ns;
  std::vector<uint8_t> data;  // virtio_net_hdr (if enabled) followed by the Ethernet frame
};

struct Direction {
  std::string name;  // "ab" = received on A, sent out B
  double delay_ms = 0;
  double loss_pct = 0;
  int64_t delay_ns = 0;
  int in_fd = -1;
  int out_fd = -1;
  std::deque<Frame> queue;
  std::size_t queue_bytes = 0;
  // counters
  uint64_t rx = 0;
  uint64_t forwarded = 0;
  uint64_t dropped_loss = 0;
  uint64_t dropped_queue = 0;
  uint64_t dropped_send = 0;
  uint64_t dropped_truncated = 0;
  uint64_t dropped_at_exit = 0;
  uint64_t no_timestamp = 0;
  uint64_t bytes = 0;
  std::size_t max_queue = 0;
};

struct Options {
  std::string if_a;
  std::string if_b;
  double delay_ab = 0;
  double delay_ba = 0;
  double loss_ab = 0;
  double loss_ba = 0;
  uint64_t seed = 1;
  std::string stats_file;
  std::size_t limit_frames = 100000;
  std::size_t limit_bytes = 256u << 20;
  int64_t spin_ns = 200'000;
  bool realtime = false;
  bool die_with_parent = false;
  bool vnet_hdr = true;
  bool loss_control = false;  // apply loss to ARP / IPv6 ND+MLD too
  double max_seconds = 3600;
};

void usage(FILE* out) {
  std::fputs(
      "usage: reach-linkem --if-a IF --if-b IF [options]\n"
      "  Bridges frames between two interfaces, holding each for a one-way delay.\n"
      "  --delay MS          one-way delay for both directions (milliseconds, fractional ok)\n"
      "  --delay-ab MS       delay for frames received on A and sent out B\n"
      "  --delay-ba MS       delay for frames received on B and sent out A\n"
      "  --loss PCT          random loss in each direction (percent)\n"
      "  --loss-ab PCT, --loss-ba PCT   loss for one direction\n"
      "  --loss-control      also drop ARP and IPv6 neighbour discovery / MLD (default: exempt)\n"
      "  --seed N            seed of the loss generator (default 1)\n"
      "  --stats FILE        write JSON statistics here on SIGTERM/SIGINT\n"
      "  --limit N           max frames queued per direction (default 100000)\n"
      "  --spin-us N         busy-wait over the last N microseconds before a release (default 200)\n"
      "  --realtime          SCHED_FIFO and mlockall (best effort)\n"
      "  --die-with-parent   exit (writing stats) within 1 s once the parent process is gone\n"
      "  --max-seconds S     exit (writing stats) after S seconds (default 3600)\n"
      "  --no-vnet-hdr       do not use PACKET_VNET_HDR (needs offloads off on the veths)\n"
      "Prints \"ready\" on stdout once both sockets are bound.\n",
      out);
}

double parse_number(std::string_view opt, const char* text, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !std::isfinite(v) || v < lo || v > hi) {
    die(kExitUsage, fmt::format("{}: invalid value '{}' (expected {} .. {})", opt, text, lo, hi));
  }
  return v;
}

Options parse_args(int argc, char** argv) {
  Options o;
  bool delay_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) die(kExitUsage, fmt::format("{}: missing value", a));
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      std::exit(0);
    } else if (a == "--if-a") {
      o.if_a = value();
    } else if (a == "--if-b") {
      o.if_b = value();
    } else if (a == "--delay") {
      o.delay_ab = o.delay_ba = parse_number(a, value(), 0, 600000);
      delay_set = true;
    } else if (a == "--delay-ab") {
      o.delay_ab = parse_number(a, value(), 0, 600000);
    } else if (a == "--delay-ba") {
      o.delay_ba = parse_number(a, value(), 0, 600000);
    } else if (a == "--loss") {
      o.loss_ab = o.loss_ba = parse_number(a, value(), 0, 100);
    } else if (a == "--loss-ab") {
      o.loss_ab = parse_number(a, value(), 0, 100);
    } else if (a == "--loss-ba") {
      o.loss_ba = parse_number(a, value(), 0, 100);
    } else if (a == "--loss-control") {
      o.loss_control = true;
    } else if (a == "--seed") {
      o.seed = static_cast<uint64_t>(parse_number(a, value(), 0, 9007199254740992.0));
    } else if (a == "--stats") {
      o.stats_file = value();
    } else if (a == "--limit") {
      o.limit_frames = static_cast<std::size_t>(parse_number(a, value(), 1, 10'000'000));
    } else if (a == "--spin-us") {
      o.spin_ns = static_cast<int64_t>(parse_number(a, value(), 0, 10'000) * 1000);
    } else if (a == "--realtime") {
      o.realtime = true;
    } else if (a == "--die-with-parent") {
      o.die_with_parent = true;
    } else if (a == "--max-seconds") {
      o.max_seconds = parse_number(a, value(), 0.001, 7 * 86400.0);
    } else if (a == "--no-vnet-hdr") {
      o.vnet_hdr = false;
    } else {
      usage(stderr);
      die(kExitUsage, fmt::format("unknown argument '{}'", a));
    }
  }
  (void)delay_set;
  if (o.if_a.empty() || o.if_b.empty()) {
    usage(stderr);
    die(kExitUsage, "--if-a and --if-b are required");
  }
  if (o.if_a == o.if_b) die(kExitUsage, "--if-a and --if-b must differ");
  return o;
}

void set_opt(int fd, int level, int name, int value, const char* what, bool required) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0 && required) {
    die(1, fmt::format("setsockopt {}: {}", what, errno_text(errno)));
  }
}

int open_port(const std::string& ifname, bool vnet_hdr) {
  const unsigned ifindex = if_nametoindex(ifname.c_str());
  if (ifindex == 0) die(kExitUsage, fmt::format("interface '{}': {}", ifname, errno_text(errno)));
  // Protocol 0: receive nothing until bound to the one interface.
  const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) die(1, fmt::format("socket(AF_PACKET): {}", errno_text(errno)));
  set_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS", true);
  set_opt(fd, SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20, "SO_RCVBUFFORCE", false);
  set_opt(fd, SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20, "SO_SNDBUFFORCE", false);
#ifdef PACKET_IGNORE_OUTGOING
  set_opt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING", false);
#endif
  if (vnet_hdr) set_opt(fd, SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR", true);
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
    die(kExitUsage, fmt::format("bind to interface '{}': {}", ifname, errno_text(errno)));
  }
  packet_mreq mr{};
  mr.mr_ifindex = static_cast<int>(ifindex);
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0) {
    std::fprintf(stderr, "reach-linkem: warning: promiscuous mode on '%s': %s\n", ifname.c_str(),
                 std::strerror(errno));
  }
  return fd;
}

// ARP and IPv6 neighbour discovery / MLD are exempt from random loss unless --loss-control:
// losing them makes a lossy link look like a dead one for seconds.
bool is_control_frame(const uint8_t* eth, std::size_t len) {
  if (len < 14) return false;
  std::size_t off = 12;
  uint16_t type = static_cast<uint16_t>(eth[off] << 8 | eth[off + 1]);
  if (type == 0x8100 && len >= 18) {
    off += 4;
    type = static_cast<uint16_t>(eth[off] << 8 | eth[off + 1]);
  }
  const std::size_t l3 = off + 2;
  if (type == 0x0806) return true;
  if (type != 0x86dd || len < l3 + 40) return false;
  uint8_t next = eth[l3 + 6];
  std::size_t p = l3 + 40;
  // Skip a hop-by-hop options header (MLD reports carry a router alert option).
  if (next == 0 && len >= p + 8) {
    next = eth[p];
    p += (static_cast<std::size_t>(eth[p + 1]) + 1) * 8;
  }
  if (next != 58 || len < p + 1) return false;
  const uint8_t icmp_type = eth[p];
  return (icmp_type >= 130 && icmp_type <= 137) || icmp_type == 143;
}

class Emulator {
 public:
  explicit Emulator(const Options& o)
      : opt_(o),
        rng_(o.seed),
        error_(o.seed),
        wake_(o.seed + 1),
        send_call_(o.seed + 2),
        timer_late_(o.seed + 3) {
    hdr_len_ = o.vnet_hdr ? kVnetHdrLen : 0;
    ab_.name = "ab";
    ba_.name = "ba";
    ab_.delay_ms = o.delay_ab;
    ba_.delay_ms = o.delay_ba;
    ab_.loss_pct = o.loss_ab;
    ba_.loss_pct = o.loss_ba;
    ab_.delay_ns = static_cast<int64_t>(std::llround(o.delay_ab * 1e6));
    ba_.delay_ns = static_cast<int64_t>(std::llround(o.delay_ba * 1e6));
    buf_.resize(kMaxFrame + hdr_len_);
  }

  void setup() {
    fd_a_ = open_port(opt_.if_a, opt_.vnet_hdr);
    fd_b_ = open_port(opt_.if_b, opt_.vnet_hdr);
    ab_.in_fd = fd_a_;
    ab_.out_fd = fd_b_;
    ba_.in_fd = fd_b_;
    ba_.out_fd = fd_a_;

    tfd_ = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
    if (tfd_ < 0) die(1, fmt::format("timerfd_create: {}", errno_text(errno)));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    sfd_ = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd_ < 0) die(1, fmt::format("signalfd: {}", errno_text(errno)));
    ep_ = epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) die(1, fmt::format("epoll_create1: {}", errno_text(errno)));
    for (int fd : {fd_a_, fd_b_, tfd_, sfd_}) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      if (epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        die(1, fmt::format("epoll_ctl: {}", errno_text(errno)));
      }
    }
  }

  void run() {
    const int64_t deadline = now_monotonic_ns() + static_cast<int64_t>(opt_.max_seconds * 1e9);
    int64_t armed = -1;
    epoll_event evs[8];
    while (!stop_) {
      // Checked at least once a second (epoll timeout). Not PR_SET_PDEATHSIG: that fires when
      // the parent *thread* ends, which would kill the link under a thread pool.
      if (opt_.die_with_parent && getppid() != parent_) break;
      const int64_t mono = now_monotonic_ns();
      if (mono >= deadline) {
        std::fprintf(stderr, "reach-linkem: --max-seconds reached, exiting\n");
        break;
      }
      int timeout_ms = static_cast<int>(std::min<int64_t>((deadline - mono) / 1'000'000 + 1, 1000));
      const int64_t next = earliest_release();
      if (next != kNone) {
        int64_t now = now_realtime_ns();
        if (next - now <= opt_.spin_ns) {
          // Bounded spin: at most spin_ns (plus a clock step) until the release time.
          const int64_t spin_limit = now + opt_.spin_ns + 1'000'000;
          while (now < next && now < spin_limit) {
            cpu_relax();
            now = now_realtime_ns();
          }
          send_due();
          timeout_ms = 0;  // poll the sockets without sleeping, then loop
        } else if (armed != next - opt_.spin_ns) {
          armed = next - opt_.spin_ns;
          arm_timer(armed);
        }
      }
      const int n = epoll_wait(ep_, evs, 8, timeout_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        die(1, fmt::format("epoll_wait: {}", errno_text(errno)));
      }
      for (int i = 0; i < n; ++i) {
        const int fd = evs[i].data.fd;
        if (fd == fd_a_) {
          drain(ab_);
        } else if (fd == fd_b_) {
          drain(ba_);
        } else if (fd == tfd_) {
          uint64_t expirations = 0;
          const ssize_t r = read(tfd_, &expirations, sizeof expirations);
          if (r < 0 && errno != EAGAIN) die(1, fmt::format("read(timerfd): {}", errno_text(errno)));
          if (r > 0 && armed > 0) timer_late_.add(now_realtime_ns() - armed);
          armed = -1;
        } else if (fd == sfd_) {
          signalfd_siginfo si{};
          while (read(sfd_, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) stop_ = true;
        }
      }
    }
    ab_.dropped_at_exit = ab_.queue.size();
    ba_.dropped_at_exit = ba_.queue.size();
  }

  void write_stats() const {
    if (opt_.stats_file.empty()) return;
    auto dir_json = [](const Direction& d) {
      return fmt::format(
          R"({{"delay_ms":{},"loss_pct":{},"rx":{},"forwarded":{},"bytes":{},"dropped_loss":{},)"
          R"("dropped_queue":{},"dropped_send":{},"dropped_truncated":{},"dropped_at_exit":{},)"
          R"("no_timestamp":{},"max_queue":{}}})",
          d.delay_ms, d.loss_pct, d.rx, d.forwarded, d.bytes, d.dropped_loss, d.dropped_queue,
          d.dropped_send, d.dropped_truncated, d.dropped_at_exit, d.no_timestamp, d.max_queue);
    };
    auto dropped = [](const Direction& d) {
      return d.dropped_loss + d.dropped_queue + d.dropped_send + d.dropped_truncated;
    };
    const std::string text = fmt::format(
        R"({{"version":1,"if_a":"{}","if_b":"{}","seed":{},"vnet_hdr":{},"spin_us":{},)"
        R"("forwarded":{},"dropped":{},"ab":{},"ba":{},)"
        R"("timing_error_us":{},"wake_latency_us":{},"send_call_us":{},"timer_late_us":{}}})"
        "\n",
        opt_.if_a, opt_.if_b, opt_.seed, opt_.vnet_hdr ? "true" : "false",
        static_cast<double>(opt_.spin_ns) / 1000.0, ab_.forwarded + ba_.forwarded,
        dropped(ab_) + dropped(ba_), dir_json(ab_), dir_json(ba_), error_.json(), wake_.json(),
        send_call_.json(), timer_late_.json());
    const std::string tmp = opt_.stats_file + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "w");
    if (f == nullptr) {
      std::fprintf(stderr, "reach-linkem: %s: %s\n", tmp.c_str(), std::strerror(errno));
      return;
    }
    std::fputs(text.c_str(), f);
    const bool ok = std::fflush(f) == 0;
    std::fclose(f);
    if (!ok || std::rename(tmp.c_str(), opt_.stats_file.c_str()) != 0) {
      std::fprintf(stderr, "reach-linkem: writing %s: %s\n", opt_.stats_file.c_str(),
                   std::strerror(errno));
    }
  }

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::max();

  int64_t earliest_release() const {
    int64_t t = kNone;
    if (!ab_.queue.empty()) t = std::min(t, ab_.queue.front().release_ns);
    if (!ba_.queue.empty()) t = std::min(t, ba_.queue.front().release_ns);
    return t;
  }

  void arm_timer(int64_t at_ns) {
    itimerspec its{};
    if (at_ns <= 0) at_ns = 1;
    its.it_value.tv_sec = static_cast<time_t>(at_ns / kNsPerSec);
    its.it_value.tv_nsec = static_cast<long>(at_ns % kNsPerSec);
    if (timerfd_settime(tfd_, TFD_TIMER_ABSTIME, &its, nullptr) != 0) {
      die(1, fmt::format("timerfd_settime: {}", errno_text(errno)));
    }
  }

  // Send every frame whose release time has come, oldest first across both directions.
  void send_due() {
    for (int i = 0; i < 2 * kBatch; ++i) {
      const int64_t now = now_realtime_ns();
      Direction* d = nullptr;
      if (!ab_.queue.empty() && ab_.queue.front().release_ns <= now) d = &ab_;
      if (!ba_.queue.empty() && ba_.queue.front().release_ns <= now &&
          (d == nullptr || ba_.queue.front().release_ns < d->queue.front().release_ns)) {
        d = &ba_;
      }
      if (d == nullptr) return;
      Frame& f = d->queue.front();
      const int64_t t_send = now_realtime_ns();
      const ssize_t r = send(d->out_fd, f.data.data(), f.data.size(), MSG_DONTWAIT);
      const int64_t t_done = now_realtime_ns();
      if (r < 0) {
        ++d->dropped_send;
        if (d->dropped_send <= 5) {
          std::fprintf(stderr, "reach-linkem: send (%s): %s\n", d->name.c_str(),
                       std::strerror(errno));
        }
      } else {
        ++d->forwarded;
        d->bytes += f.data.size() - hdr_len_;
        error_.add(t_send - f.release_ns);
        send_call_.add(t_done - t_send);
      }
      d->queue_bytes -= f.data.size();
      d->queue.pop_front();
    }
  }

  void drain(Direction& d) {
    for (int i = 0; i < kBatch; ++i) {
      sockaddr_ll from{};
      iovec iov{buf_.data(), buf_.size()};
      alignas(cmsghdr) char control[256];
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      const ssize_t n = recvmsg(d.in_fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        // ENETDOWN and friends: the link went away (teardown); report once and keep going.
        if (++recv_errors_ <= 5) {
          std::fprintf(stderr, "reach-linkem: recv (%s): %s\n", d.name.c_str(),
                       std::strerror(errno));
        }
        return;
      }
      if (from.sll_pkttype == PACKET_OUTGOING) continue;  // our own transmissions
      ++d.rx;
      if ((msg.msg_flags & MSG_TRUNC) != 0 || static_cast<std::size_t>(n) > buf_.size()) {
        ++d.dropped_truncated;
        continue;
      }
      int64_t rx_ns = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec ts{};
          std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
          rx_ns = static_cast<int64_t>(ts.tv_sec) * kNsPerSec + ts.tv_nsec;
        }
      }
      const int64_t now = now_realtime_ns();
      if (rx_ns <= 0) {
        ++d.no_timestamp;
        rx_ns = now;
      } else {
        wake_.add(now - rx_ns);
      }
      const auto len = static_cast<std::size_t>(n);
      if (d.loss_pct > 0 &&
          (opt_.loss_control || !is_control_frame(buf_.data() + hdr_len_, len - std::min(len, hdr_len_)))) {
        if (loss_dist_(rng_) * 100.0 < d.loss_pct) {
          ++d.dropped_loss;
          continue;
        }
      }
      if (d.queue.size() >= opt_.limit_frames || d.queue_bytes + len > opt_.limit_bytes) {
        ++d.dropped_queue;
        continue;
      }
      d.queue.push_back(Frame{rx_ns + d.delay_ns, std::vector<uint8_t>(buf_.begin(), buf_.begin() + n)});
      d.queue_bytes += len;
      d.max_queue = std::max(d.max_queue, d.queue.size());
    }
  }

  Options opt_;
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> loss_dist_{0.0, 1.0};
  Sampler error_;      // actual send time - intended release time
  Sampler wake_;       // kernel rx timestamp -> user space has the frame
  Sampler send_call_;  // duration of the send() call
  Sampler timer_late_;  // timerfd wakeup: actual - requested
  Direction ab_;
  Direction ba_;
  std::vector<uint8_t> buf_;
  std::size_t hdr_len_ = 0;
  int fd_a_ = -1;
  int fd_b_ = -1;
  int tfd_ = -1;
  int sfd_ = -1;
  int ep_ = -1;
  uint64_t recv_errors_ = 0;
  pid_t parent_ = getppid();
  bool stop_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_args(argc, argv);
  prctl(PR_SET_TIMERSLACK, 1UL);
  if (opt.realtime) {
    sched_param sp{};
    sp.sched_priority = 50;
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) {
      std::fprintf(stderr, "reach-linkem: warning: SCHED_FIFO: %s\n", std::strerror(errno));
    }
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
      std::fprintf(stderr, "reach-linkem: warning: mlockall: %s\n", std::strerror(errno));
    }
  }
  Emulator em(opt);
  em.setup();
  std::fputs("ready\n", stdout);
  std::fflush(stdout);
  em.run();
  em.write_stats();
  return 0;
}
