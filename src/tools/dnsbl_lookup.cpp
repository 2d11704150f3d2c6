#include "tools/dnsbl_lookup.hpp"

#include <fmt/format.h>

#include "base/address.hpp"
#include "engine/dnsbl.hpp"

namespace reach::tools {

Result<io::DnsServer> dnsbl_dns_server(const std::string& text, const std::string& what) {
  if (text.empty()) {
    auto s = io::system_dns_servers();
    if (!s) return tl::unexpected(s.error());
    return s->front();
  }
  auto a = parse_address(text, AddressForm::url);
  if (!a || !a->literal || !a->zone.empty())
    return fail(what, text, 0, "write ADDR, ADDR:PORT or [IPV6ADDR]:PORT (an address, not a name)");
  return io::DnsServer{*a->literal, a->port.value_or(53)};
}

model::DnsblOutcome dnsbl_row(const std::string& input, const IpAddr& addr, const std::string& zone) {
  auto t = engine::dnsbl_target(addr);
  model::DnsblOutcome r;
  r.input = input;
  r.addr = t.addr;
  r.mapped_v4 = t.mapped_v4;
  r.zone = zone;
  r.query = engine::dnsbl_query_name(t.addr, zone);
  return r;
}

io::DnsQuery dnsbl_query(const io::DnsServer& server, const model::DnsblOutcome& row, const char* type,
                         TimeNs timeout) {
  io::DnsQuery q;
  q.server = server.addr;
  q.port = server.port;
  q.name = row.query;
  q.type = type;
  q.timeout = timeout;
  return q;
}

bool take_dnsbl_answer(model::DnsblOutcome& row, const io::DnsResult& r, TimeNs timeout) {
  engine::DnsblAnswer a{r.answered, r.timed_out, r.error, r.rcode, r.rcode_name, r.answers};
  auto v = engine::classify_dnsbl(a);
  row.status = v.status;
  row.codes = std::move(v.codes);
  row.rcode = r.rcode_name;
  row.reason = r.timed_out ? fmt::format("no answer within {:g}s x {} attempt{}", static_cast<double>(timeout) / 1e9,
                                         row.attempts, row.attempts == 1 ? "" : "s")
                           : std::move(v.reason);
  if (r.answered) row.time = r.duration;
  return row.status == model::DnsblStatus::listed;
}

void take_dnsbl_txt(model::DnsblOutcome& row, const io::DnsResult& r) {
  if (r.answered && r.rcode == 0) row.txt = engine::dnsbl_txt_text(r.answers);
}

}  // namespace reach::tools
