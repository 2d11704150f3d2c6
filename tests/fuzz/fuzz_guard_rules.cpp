// guard's rules and threshold engine on arbitrary bytes. Three drivers, picked by the first byte:
//  0: the bytes as a log file, line by line and through --test-rule: never a crash;
//  1: OpenSSH's own message formats with the fuzzer's bytes where the client's text goes (user
//     name, disconnect reason, offered algorithms, version string, certificate ID): a match must
//     yield the connection's real address, never one written in that text, and lines that carry
//     no failure (successful logins, address-less kex errors) must not match at all;
//  2: a stream of failures into the decider: no ban ever covers an allowed, own or loopback
//     address, and the tables stay within max_sources.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/guard_decide.hpp"
#include "engine/guard_rules.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

namespace {

using namespace reach;

const engine::GuardRules& rules() {
  static const engine::GuardRules r = engine::GuardRules::builtin();
  return r;
}

struct Template {
  const char* text;  // {A}: the real address, {C}: the client's text
  bool may_match;
};
const Template kTemplates[] = {
    {"Invalid user {C} from {A} port 4444", true},
    {"Failed password for {C} from {A} port 4444 ssh2", true},
    {"Failed password for invalid user {C} from {A} port 4444 ssh2", true},
    {"Failed publickey for {C} from {A} port 4444 ssh2: ED25519 SHA256:abcdef", true},
    {"Failed publickey for root from {A} port 4444 ssh2: ED25519-CERT SHA256:abc ID {C} (serial 1) CA ED25519 SHA256:d",
     true},
    {"error: maximum authentication attempts exceeded for invalid user {C} from {A} port 4444 ssh2 [preauth]", true},
    {"Disconnecting invalid user {C} {A} port 4444: Too many authentication failures [preauth]", true},
    {"Disconnecting authenticating user {C} {A} port 4444: Change of username or service not allowed: ({C},"
     "ssh-connection) -> ({C},ssh-connection) [preauth]",
     true},
    {"Connection closed by invalid user {C} {A} port 4444 [preauth]", true},
    {"Connection closed by authenticating user {C} {A} port 4444 [preauth]", true},
    {"Connection reset by invalid user {C} {A} port 4444 [preauth]", true},
    {"Disconnected from invalid user {C} {A} port 4444 [preauth]", true},
    {"Disconnected from authenticating user {C} {A} port 4444 [preauth]", true},
    {"Disconnected from user {C} {A} port 4444", true},
    {"Received disconnect from {A} port 4444:11: {C} [preauth]", true},
    {"Received disconnect from {A} port 4444:11: {C}", true},
    {"error: Received disconnect from {A} port 4444:3: {C} [preauth]", true},
    {"Unable to negotiate with {A} port 4444: no matching cipher found. Their offer: {C} [preauth]", true},
    {"ssh_dispatch_run_fatal: Connection from invalid user {C} {A} port 4444: invalid format [preauth]", true},
    {"Connection from authenticating user {C} {A} port 4444 timed out [preauth]", true},
    {"User {C} from {A} not allowed because not listed in AllowUsers", true},
    {"error: PAM: Authentication failure for illegal user {C} from {A}", true},
    {"Bad protocol version identification '{C}' from {A} port 4444", true},
    {"Accepted password for {C} from {A} port 4444 ssh2", false},
    {"Accepted publickey for {C} from {A} port 4444 ssh2: ED25519 SHA256:abc", false},
    {"Postponed keyboard-interactive for invalid user {C} from {A} port 4444 ssh2 [preauth]", false},
    {"error: kex_exchange_identification: client sent invalid protocol identifier \"{C}\"", false},
    {"error: kex_exchange_identification: banner line contains invalid characters {C}", false},
    {"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={A}  user={C}", false},
};

void templates(fuzz::Reader& r) {
  const auto& t = kTemplates[r.u8() % (sizeof kTemplates / sizeof kTemplates[0])];
  const char* real = r.u8() & 1 ? "2001:db8:5::5" : "198.18.0.5";
  // sshd escapes control characters (strnvis) and cuts user names at 100 or 200 bytes; the rest
  // of a client's text is what it chose.
  std::string client;
  while (!r.empty() && client.size() < 400) {
    auto c = static_cast<char>(r.u8());
    client += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  std::string line;
  for (std::string_view s = t.text; !s.empty();) {
    if (s.substr(0, 3) == "{A}") line += real, s.remove_prefix(3);
    else if (s.substr(0, 3) == "{C}") line += client, s.remove_prefix(3);
    else line += s[0], s.remove_prefix(1);
  }
  for (auto m : {rules().match(line, "sshd"), rules().match("Nov 30 21:00:01 host sshd[77]: " + line)}) {
    if (!m) continue;
    check(t.may_match);
    check(m->addr == *IpAddr::parse(real));
  }
}

void lines(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    auto split = engine::split_log_line(line);
    check(split.message.data() >= line.data() && split.message.data() + split.message.size() <= line.data() + line.size());
    if (auto m = rules().match(line)) check(m->weight >= 0 && (m->rule == "sshd" || m->rule == "relay"));
    (void)rules().match(line, "sshd");
  }
  auto rep = engine::test_rules(rules(), text, {}, 16);
  check(rep.matched + rep.missed.size() >= std::min<std::size_t>(rep.lines, 16) || rep.missed.size() == 16);
  check(rep.hits.size() == rep.matched);
}

void decide(fuzz::Reader& r) {
  engine::GuardPolicy p;
  p.failures = 1 + r.u8() % 8;
  p.max_sources = 1000;
  p.ipv6_escalate_after = r.u8() % 4;
  p.factor = 1 + r.u8() % 4;
  p.allow.push_back({*parse_prefix("198.18.0.0/24"), "allow"});
  p.allow.push_back({*parse_prefix("2001:db8:0:1::7/128"), "allow"});
  engine::GuardDecider d(p);
  d.set_own({*IpAddr::parse("203.0.113.1")});
  const IpPrefix keep[] = {*parse_prefix("198.18.0.0/24"), *parse_prefix("2001:db8:0:1::7/128"),
                           *parse_prefix("203.0.113.1/32"), *parse_prefix("127.0.0.1/32"), *parse_prefix("::1/128")};
  TimeNs now = 0;
  while (!r.empty()) {
    const auto op = r.u8();
    now += static_cast<TimeNs>(r.u16()) * kNsPerSec / 16;
    std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, static_cast<std::uint8_t>(r.u8() % 4), 0,
                          static_cast<std::uint8_t>(r.u8() % 4)};
    b[15] = r.u8();
    model::GuardMatch m;
    m.rule = "sshd";
    m.form = "f";
    m.weight = op % 3;
    m.addr = op & 0x40 ? IpAddr::from_bytes(Family::v6, b) : IpAddr::v4(0xc6120000u | (r.u8() % 3) << 8 | b[15]);
    if (op & 0x80) m.addr = IpAddr::v4(0x7f000001);
    if ((op & 0x38) == 0x38) {
      auto bans = d.expire(now, op & 4 ? 0 : 16);
      (void)bans;
    }
    d.record(m, now);
    (void)d.explain(m.addr, now);
    for (const auto& ban : d.take_bans()) {
      check(ban.duration > 0 && ban.until == ban.at + ban.duration);
      for (const auto& k : keep) check(!ban.prefix.contains(k.net) && !k.contains(ban.prefix.net));
    }
    check(d.stats().sources <= 1000);
  }
  for (const auto& ban : d.active_bans(now))
    for (const auto& k : keep) check(!ban.prefix.contains(k.net) && !k.contains(ban.prefix.net));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  fuzz::Reader r{data + 1, size - 1};
  switch (data[0] % 3) {
    case 0: lines(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1)); break;
    case 1: templates(r); break;
    default: decide(r); break;
  }
  return 0;
}
