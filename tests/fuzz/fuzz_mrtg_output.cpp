// MRTG external-script output on arbitrary bytes: no crash, printable text out, and a parse is
// stable (the counters printed back as the first two lines parse to the same values).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/mrtg_output.hpp"
#include "fuzz_input.hpp"

using reach::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = reach::config::parse_mrtg_output(text);
  if (!r) {
    check(!r.error().message().empty());
    return 0;
  }
  for (unsigned char c : r->uptime + r->name) check(c >= 0x20 && c < 0x7f);
  check(r->uptime.find('\n') == std::string::npos && r->name.find('\n') == std::string::npos);
  auto again = reach::config::parse_mrtg_output(std::to_string(r->in) + "\n" + std::to_string(r->out) + "\n");
  check(again && again->in == r->in && again->out == r->out);
  return 0;
}
