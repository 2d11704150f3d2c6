// SNMP answers to interface counters on arbitrary bytes, two ways: a BER PDU through net-snmp's
// parser and our copy of its variables (varbinds_from_ber), and varbinds built directly from the
// bytes (OIDs from the poll's own list, so decoding gets past the lookups). No crash, and what
// decodes is consistent: 32-bit values fit, HC counters come in pairs.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "fuzz_input.hpp"
#include "io/snmp_decode.hpp"

using namespace reach::io;
using reach::fuzz::check;

namespace {

void decode_and_check(const std::vector<SnmpVarbind>& vbs, int if_index) {
  auto c = decode_if_counters(vbs, if_index, "198.18.0.1");
  if (!c) {
    check(!c.error().detail.empty());
    return;
  }
  check(c->if_index == if_index);
  check(c->hc_in.has_value() == c->hc_out.has_value());
  check(c->hc_in || c->has32);
  if (!c->has32) check(c->in32 == 0 && c->out32 == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reach::fuzz::Reader in{data, size};
  const std::uint8_t mode = in.u8();
  const int if_index = 1 + in.u8();
  if (mode & 1) {
    const auto bytes = in.bytes(in.n);
    if (auto vbs = varbinds_from_ber(bytes)) {
      for (const auto& v : *vbs) (void)oid_string(v.oid);
      decode_and_check(*vbs, if_index);
    }
    return 0;
  }
  const auto oids = if_counter_oids(if_index);
  std::vector<SnmpVarbind> vbs;
  while (!in.empty() && vbs.size() < 16) {
    SnmpVarbind v;
    const std::uint8_t pick = in.u8();
    v.oid = oids[pick % oids.size()];
    if (pick & 0x80) v.oid.push_back(in.u8());  // an OID the poll did not ask for
    static constexpr std::uint8_t kTypes[] = {kAsnInteger, kAsnOctets, kAsnNull, kAsnOid, kAsnCounter32,
                                             kAsnGauge32, kAsnTimeTicks, kAsnCounter64, kNoSuchObject,
                                             kNoSuchInstance, kEndOfMibView, 0xff};
    v.type = kTypes[in.u8() % sizeof kTypes];
    for (int k = 0; k < 8; ++k) v.number = (v.number << 8) | in.u8();
    vbs.push_back(std::move(v));
  }
  decode_and_check(vbs, if_index);
  for (const auto& v : vbs) {
    if (auto row = row_under(v.oid, if_name_column())) check(v.oid.back() == *row);
  }
  return 0;
}
