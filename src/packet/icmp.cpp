#include "packet/icmp.hpp"

#include <fmt/format.h>

#include "packet/checksum.hpp"

namespace reach::packet {

std::optional<IcmpMessage> parse_icmp(Bytes data) {
  if (data.size() < 8) return std::nullopt;
  IcmpMessage m;
  m.type = data[0];
  m.code = data[1];
  m.checksum = be16(data, 2);
  m.ident = be16(data, 4);
  m.seq = be16(data, 6);
  m.body = data.subspan(8);
  return m;
}

bool icmp4_checksum_ok(Bytes data) {
  return data.size() >= 8 && checksum(data) == 0;
}

Buffer build_echo_request(Family f, std::uint16_t ident, std::uint16_t seq,
                          std::size_t payload_size, std::uint64_t cookie) {
  Buffer b(8 + payload_size, 0);
  b[0] = f == Family::v4 ? kIcmp4EchoRequest : kIcmp6EchoRequest;
  put16(b, 4, ident);
  put16(b, 6, seq);
  std::size_t i = 0;
  if (payload_size >= 8) {
    put32(b, 8, static_cast<std::uint32_t>(cookie >> 32));
    put32(b, 12, static_cast<std::uint32_t>(cookie));
    i = 8;
  }
  for (; i < payload_size; ++i) b[8 + i] = static_cast<std::uint8_t>(i & 0xff);
  if (f == Family::v4) put16(b, 2, checksum(b));
  return b;
}

std::optional<std::uint64_t> echo_cookie(Bytes echo_body) {
  if (echo_body.size() < 8) return std::nullopt;
  return (std::uint64_t{be32(echo_body, 0)} << 32) | be32(echo_body, 4);
}

namespace {

IcmpErrorKind classify4(std::uint8_t type, std::uint8_t code) {
  using K = IcmpErrorKind;
  switch (type) {
    case kIcmp4DestUnreach:
      switch (code) {
        case 0: case 6: case 11: return K::net_unreachable;
        case 1: case 7: case 12: return K::host_unreachable;
        case 2: return K::protocol_unreachable;
        case 3: return K::port_unreachable;
        case 4: return K::frag_needed;
        case 9: case 10: case 13: return K::admin_prohibited;
        default: return K::other_unreachable;  // 5 source route, 8 isolated, 14/15 precedence
      }
    case kIcmp4TimeExceeded:
      return code == 1 ? K::reassembly_time_exceeded : K::time_exceeded;
    case kIcmp4ParamProblem: return K::param_problem;
    default: return K::not_error;
  }
}

IcmpErrorKind classify6(std::uint8_t type, std::uint8_t code) {
  using K = IcmpErrorKind;
  switch (type) {
    case kIcmp6DestUnreach:
      switch (code) {
        case 0: return K::net_unreachable;
        case 1: case 5: case 6: return K::admin_prohibited;  // 5/6: policy, RFC 4443 3.1
        case 2: case 3: return K::host_unreachable;          // traceroute marks both !H
        case 4: return K::port_unreachable;
        default: return K::other_unreachable;
      }
    case kIcmp6PacketTooBig: return K::frag_needed;
    case kIcmp6TimeExceeded:
      return code == 1 ? K::reassembly_time_exceeded : K::time_exceeded;
    case kIcmp6ParamProblem: return K::param_problem;
    default: return K::not_error;
  }
}

// Words follow iputils ping; every administratively-prohibited code says so in those words.
std::string name4(std::uint8_t type, std::uint8_t code) {
  switch (type) {
    case kIcmp4EchoReply: return "Echo Reply";
    case kIcmp4EchoRequest: return "Echo Request";
    case kIcmp4DestUnreach:
      switch (code) {
        case 0: return "Destination Net Unreachable";
        case 1: return "Destination Host Unreachable";
        case 2: return "Destination Protocol Unreachable";
        case 3: return "Destination Port Unreachable";
        case 4: return "Frag needed and DF set";
        case 5: return "Source Route Failed";
        case 6: return "Destination Net Unknown";
        case 7: return "Destination Host Unknown";
        case 8: return "Source Host Isolated";
        case 9: return "Destination Net Administratively Prohibited";
        case 10: return "Destination Host Administratively Prohibited";
        case 11: return "Destination Net Unreachable for Type of Service";
        case 12: return "Destination Host Unreachable for Type of Service";
        case 13: return "Communication Administratively Prohibited";
        case 14: return "Host Precedence Violation";
        case 15: return "Precedence Cutoff";
        default: return fmt::format("Dest Unreachable, Bad Code: {}", code);
      }
    case 4: return "Source Quench";
    case 5: return "Redirect";
    case kIcmp4TimeExceeded:
      switch (code) {
        case 0: return "Time to live exceeded";
        case 1: return "Frag reassembly time exceeded";
        default: return fmt::format("Time exceeded, Bad Code: {}", code);
      }
    case kIcmp4ParamProblem: return "Parameter problem";
    case 13: return "Timestamp";
    case 14: return "Timestamp Reply";
    default: return fmt::format("Bad ICMP type: {}", type);
  }
}

std::string name6(std::uint8_t type, std::uint8_t code) {
  switch (type) {
    case kIcmp6EchoRequest: return "Echo request";
    case kIcmp6EchoReply: return "Echo reply";
    case kIcmp6DestUnreach:
      switch (code) {
        case 0: return "Destination unreachable: No route";
        case 1: return "Destination unreachable: Administratively Prohibited";
        case 2: return "Destination unreachable: Beyond scope of source address";
        case 3: return "Destination unreachable: Address unreachable";
        case 4: return "Destination unreachable: Port unreachable";
        case 5:
          return "Destination unreachable: Administratively Prohibited "
                 "(source address failed ingress/egress policy)";
        case 6:
          return "Destination unreachable: Administratively Prohibited "
                 "(reject route to destination)";
        default: return fmt::format("Destination unreachable: Unknown code {}", code);
      }
    case kIcmp6PacketTooBig: return "Packet too big";
    case kIcmp6TimeExceeded:
      switch (code) {
        case 0: return "Time exceeded: Hop limit";
        case 1: return "Time exceeded: Defragmentation failure";
        default: return fmt::format("Time exceeded: code {}", code);
      }
    case kIcmp6ParamProblem:
      switch (code) {
        case 0: return "Parameter problem: Wrong header field";
        case 1: return "Parameter problem: Unknown header";
        case 2: return "Parameter problem: Unknown option";
        default: return fmt::format("Parameter problem: code {}", code);
      }
    default: return fmt::format("Unknown ICMP type: {}", type);
  }
}

// Annotations as Butskoy's traceroute prints them (parse_icmp_res), without the MTU suffix.
std::string flag4(std::uint8_t type, std::uint8_t code) {
  if (type == kIcmp4TimeExceeded) return "";
  if (type != kIcmp4DestUnreach) {
    return classify4(type, code) == IcmpErrorKind::not_error ? ""
                                                             : fmt::format("!<{}-{}>", type, code);
  }
  switch (code) {
    case 0: case 6: case 8: case 11: return "!N";
    case 1: case 7: case 12: return "!H";
    case 2: return "!P";
    case 3: return "";  // the destination itself answered
    case 4: return "!F";
    case 5: return "!S";
    case 9: case 10: case 13: return "!X";
    case 14: return "!V";
    case 15: return "!C";
    default: return fmt::format("!<{}>", code);
  }
}

std::string flag6(std::uint8_t type, std::uint8_t code) {
  if (type == kIcmp6TimeExceeded) return "";
  if (type == kIcmp6PacketTooBig) return "!F";
  if (type != kIcmp6DestUnreach) {
    return classify6(type, code) == IcmpErrorKind::not_error ? ""
                                                             : fmt::format("!<{}-{}>", type, code);
  }
  switch (code) {
    case 0: return "!N";
    case 1: return "!X";
    case 2: case 3: return "!H";
    case 4: return "";
    default: return fmt::format("!<{}>", code);
  }
}

}  // namespace

IcmpErrorKind classify_icmp(Family f, std::uint8_t type, std::uint8_t code) {
  return f == Family::v4 ? classify4(type, code) : classify6(type, code);
}

std::string icmp_error_name(Family f, std::uint8_t type, std::uint8_t code) {
  return f == Family::v4 ? name4(type, code) : name6(type, code);
}

std::string icmp_error_flag(Family f, std::uint8_t type, std::uint8_t code) {
  return f == Family::v4 ? flag4(type, code) : flag6(type, code);
}

}  // namespace reach::packet
