#include "packet/checksum.hpp"

namespace reach::packet {
namespace {

std::uint32_t fold(std::uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint32_t>(sum);
}

// Plain sum of big-endian 16-bit words (addresses are 4 or 16 bytes: even, small).
std::uint32_t word_sum(const IpAddr& a) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < a.size(); i += 2)
    sum += (std::uint32_t{a.data()[i]} << 8) | a.data()[i + 1];
  return sum;
}

}  // namespace

std::uint32_t sum16(Bytes data, std::uint32_t initial) {
  // 64-bit accumulator: no carry is lost however long the data.
  std::uint64_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += be16(data, i);
  if (i < data.size()) sum += std::uint32_t{data[i]} << 8;  // odd length: pad with a zero byte
  return fold(sum);
}

std::uint16_t checksum(Bytes data, std::uint32_t initial) {
  return static_cast<std::uint16_t>(~sum16(data, initial));
}

std::uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, std::uint8_t proto,
                                std::uint32_t l4_length) {
  std::uint32_t sum = word_sum(src) + word_sum(dst);
  sum += proto;
  if (src.is_v4()) {
    sum += l4_length & 0xffff;
  } else {
    sum += l4_length >> 16;
    sum += l4_length & 0xffff;
  }
  return sum;
}

}  // namespace reach::packet
