// guard's `relay` rule (engine/guard_relay) on arbitrary bytes. Two drivers, by the first byte:
//  0: the bytes as one line: never a crash, and a limit event always has a count and a client;
//  1: a genuine relay_limit event for a real client with the fuzzer's bytes spliced, unescaped,
//     into its message (as if a client could write there): whatever they spell — a second
//     "client", a closing brace, a nested event — the line yields the real client or nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/guard_relay.hpp"
#include "engine/guard_rules.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

namespace {

using namespace reach;

void one_line(std::string_view line) {
  const engine::RelayEvent e = engine::read_relay_event(line);
  if (e.kind == engine::RelayLine::limit) check(e.count >= 1);
  static const engine::GuardRules rules = engine::GuardRules::builtin();
  bool unparsed = false;
  if (auto m = rules.match(line, {rules.find("relay")}, {}, &unparsed)) {
    check(m->rule == "relay" && m->weight >= 1 && m->weight <= 100 && !unparsed);
  }
}

void spliced(fuzz::Reader& r) {
  const bool v6 = r.u8() & 1;
  const char* real = v6 ? "2001:db8:5::5" : "198.18.0.5";
  const bool before = r.u8() & 1;  // the message before or after the client
  std::string text;
  while (!r.empty() && text.size() < 2000) text += static_cast<char>(r.u8());
  std::string line = R"({"type":"relay_limit","version":1,)";
  const std::string client = std::string(R"("client":")") + real + "\",";
  const std::string message = R"("message":")" + text + "\",";
  line += before ? message + client : client + message;
  line += R"("reason":"per_prefix_rate","count":1})";
  const engine::RelayEvent e = engine::read_relay_event(line);
  if (e.kind == engine::RelayLine::limit) check(e.client == *IpAddr::parse(real));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  fuzz::Reader r{data + 1, size - 1};
  if (data[0] % 2 == 0)
    one_line(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  else
    spliced(r);
  return 0;
}
