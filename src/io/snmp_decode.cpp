#include "io/snmp_decode.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <algorithm>
#include <limits>


namespace reach::io {
namespace {

const SnmpOid kSysUpTime{1, 3, 6, 1, 2, 1, 1, 3, 0};
const SnmpOid kIfEntry{1, 3, 6, 1, 2, 1, 2, 2, 1};        // ifTable
const SnmpOid kIfXEntry{1, 3, 6, 1, 2, 1, 31, 1, 1, 1};   // ifXTable

SnmpOid column(const SnmpOid& entry, std::uint32_t col) {
  SnmpOid o = entry;
  o.push_back(col);
  return o;
}
SnmpOid cell(const SnmpOid& entry, std::uint32_t col, int if_index) {
  SnmpOid o = column(entry, col);
  o.push_back(static_cast<std::uint32_t>(if_index));
  return o;
}

const char* type_name(std::uint8_t t) {
  switch (t) {
    case kAsnInteger: return "INTEGER";
    case kAsnOctets: return "OCTET STRING";
    case kAsnNull: return "NULL (or a malformed value)";
    case kAsnOid: return "OBJECT IDENTIFIER";
    case kAsnCounter32: return "Counter32";
    case kAsnGauge32: return "Gauge32";
    case kAsnTimeTicks: return "TimeTicks";
    case kAsnCounter64: return "Counter64";
    case kNoSuchObject: return "noSuchObject";
    case kNoSuchInstance: return "noSuchInstance";
    case kEndOfMibView: return "endOfMibView";
  }
  return "an unknown type";
}

bool absent(std::uint8_t t) { return t == kNoSuchObject || t == kNoSuchInstance || t == kEndOfMibView; }

struct Lookup {
  std::span<const SnmpVarbind> vbs;
  const std::string& host;
  const SnmpVarbind* find(const SnmpOid& oid) const {
    for (const auto& v : vbs)
      if (v.oid == oid) return &v;
    return nullptr;
  }
  // The value when present with type `want` (and within 32 bits unless Counter64); nullopt when
  // the agent has no such object; an error for anything else.
  Result<std::optional<std::uint64_t>> number(const SnmpOid& oid, const char* name, std::uint8_t want) const {
    const SnmpVarbind* v = find(oid);
    if (!v || absent(v->type)) return std::optional<std::uint64_t>{};
    if (v->type != want)
      return fail("snmp get", host, 0,
                  std::string(name) + ": expected " + type_name(want) + ", got " + type_name(v->type));
    if (want != kAsnCounter64 && v->number > std::numeric_limits<std::uint32_t>::max())
      return fail("snmp get", host, 0, std::string(name) + ": value out of range for " + type_name(want));
    return std::optional<std::uint64_t>{v->number};
  }
};

}  // namespace

std::vector<SnmpOid> if_counter_oids(int i) {
  return {kSysUpTime,          cell(kIfXEntry, 6, i),  cell(kIfXEntry, 10, i), cell(kIfEntry, 10, i),
          cell(kIfEntry, 16, i), cell(kIfXEntry, 19, i), cell(kIfXEntry, 15, i), cell(kIfEntry, 5, i),
          if_oper_status(i)};
}
SnmpOid if_oper_status(int i) { return cell(kIfEntry, 8, i); }
SnmpOid if_name_column() { return column(kIfXEntry, 1); }
SnmpOid if_descr_column() { return column(kIfEntry, 2); }

Result<SnmpIfCounters> decode_if_counters(std::span<const SnmpVarbind> vbs, int if_index, const std::string& host) {
  const Lookup in{vbs, host};
  const auto oids = if_counter_oids(if_index);
  const std::string n = "." + std::to_string(if_index);
  SnmpIfCounters c;
  c.if_index = if_index;
  auto up = in.number(oids[0], "sysUpTime.0", kAsnTimeTicks);
  if (!up) return tl::unexpected(up.error());
  if (!*up) return fail("snmp get", host, 0, "no sysUpTime.0 in the answer");
  c.sys_uptime = static_cast<std::uint32_t>(**up);

  constexpr int kN = 8;
  Result<std::optional<std::uint64_t>> got[kN];
  const char* names[kN] = {"ifHCInOctets", "ifHCOutOctets", "ifInOctets", "ifOutOctets",
                           "ifCounterDiscontinuityTime", "ifHighSpeed", "ifSpeed", "ifOperStatus"};
  const std::uint8_t types[kN] = {kAsnCounter64, kAsnCounter64, kAsnCounter32, kAsnCounter32,
                                  kAsnTimeTicks, kAsnGauge32, kAsnGauge32, kAsnInteger};
  for (int k = 0; k < kN; ++k) {
    got[k] = in.number(oids[static_cast<std::size_t>(k) + 1], (std::string(names[k]) + n).c_str(), types[k]);
    if (!got[k]) return tl::unexpected(got[k].error());
  }
  if (*got[0] && *got[1]) {
    c.hc_in = **got[0];
    c.hc_out = **got[1];
  }
  if (*got[2] && *got[3]) {
    c.in32 = static_cast<std::uint32_t>(**got[2]);
    c.out32 = static_cast<std::uint32_t>(**got[3]);
    c.has32 = true;
  }
  if (!c.hc_in && !c.has32)
    return fail("snmp get", host, 0, "no such interface: no ifHCInOctets/ifHCOutOctets nor ifInOctets/ifOutOctets" + n);
  if (*got[4]) c.discontinuity = static_cast<std::uint32_t>(**got[4]);
  if (*got[5] && **got[5] > 0) {
    c.speed = **got[5] * 1'000'000;
  } else if (*got[6] && **got[6] > 0 && **got[6] < std::numeric_limits<std::uint32_t>::max()) {
    c.speed = **got[6];
  }
  if (*got[7]) c.oper_status = static_cast<int>(**got[7]);
  return c;
}

std::vector<SnmpVarbind> varbinds_from(const variable_list* vars, std::size_t max) {
  std::vector<SnmpVarbind> out;
  for (const variable_list* v = vars; v && out.size() < max; v = v->next_variable) {
    SnmpVarbind b;
    if (v->name && v->name_length <= MAX_OID_LEN)
      for (std::size_t i = 0; i < v->name_length; ++i)
        b.oid.push_back(static_cast<std::uint32_t>(std::min<oid>(v->name[i], std::numeric_limits<std::uint32_t>::max())));
    b.type = v->type;
    switch (v->type) {
      case ASN_INTEGER:
      case ASN_COUNTER:
      case ASN_GAUGE:
      case ASN_TIMETICKS:
        if (v->val.integer && v->val_len >= sizeof(long)) {
          // Unsigned types arrive as u_long; INTEGER as long (a negative one reads huge: garbage).
          b.number = static_cast<std::uint64_t>(*v->val.integer);
        } else {
          b.type = kAsnNull;
        }
        break;
      case ASN_COUNTER64:
        if (v->val.counter64 && v->val_len >= sizeof(struct counter64)) {
          b.number = (static_cast<std::uint64_t>(v->val.counter64->high & 0xffffffffUL) << 32) |
                     (v->val.counter64->low & 0xffffffffUL);
        } else {
          b.type = kAsnNull;
        }
        break;
      case ASN_OCTET_STR:
        if (v->val.string || v->val_len == 0) {
          b.octets.assign(reinterpret_cast<const char*>(v->val.string), v->val.string ? v->val_len : 0);
        } else {
          b.type = kAsnNull;
        }
        break;
      case ASN_OBJECT_ID:
        if (v->val.objid && v->val_len % sizeof(oid) == 0 && v->val_len / sizeof(oid) <= MAX_OID_LEN) {
          for (std::size_t i = 0; i < v->val_len / sizeof(oid); ++i)
            b.oid_value.push_back(static_cast<std::uint32_t>(v->val.objid[i]));
        } else {
          b.type = kAsnNull;
        }
        break;
      default:
        break;  // exceptions and types we never read keep their type and no value
    }
    out.push_back(std::move(b));
  }
  return out;
}

std::optional<std::vector<SnmpVarbind>> varbinds_from_ber(std::span<const std::uint8_t> bytes) {
  netsnmp_pdu* pdu = snmp_pdu_create(SNMP_MSG_RESPONSE);
  if (!pdu) return std::nullopt;
  pdu->version = SNMP_VERSION_2c;
  std::vector<u_char> copy(bytes.begin(), bytes.end());  // net-snmp wants a mutable buffer
  std::size_t len = copy.size();
  std::optional<std::vector<SnmpVarbind>> out;
  if (snmp_pdu_parse(pdu, copy.data(), &len) == SNMPERR_SUCCESS) out = varbinds_from(pdu->variables);
  snmp_free_pdu(pdu);
  return out;
}

std::string oid_string(const SnmpOid& oid) {
  std::string s;
  for (std::size_t i = 0; i < oid.size(); ++i) {
    if (i) s += '.';
    s += std::to_string(oid[i]);
  }
  return s;
}

std::optional<std::uint32_t> row_under(const SnmpOid& oid, const SnmpOid& prefix) {
  if (oid.size() != prefix.size() + 1 || !std::equal(prefix.begin(), prefix.end(), oid.begin())) return std::nullopt;
  return oid.back();
}

}  // namespace reach::io
