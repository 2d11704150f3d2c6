// The history blobs' decoders on arbitrary bytes (a damaged database hands them anything).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.hpp"
#include "store/codec.hpp"

using reach::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  if (auto rtts = reach::store::decode_rtts(blob)) {
    for (std::size_t i = 1; i < rtts->size(); ++i) check((*rtts)[i] >= (*rtts)[i - 1]);
    check(reach::store::decode_rtts(reach::store::encode_rtts(*rtts)) == *rtts);
  }
  if (auto h = reach::store::decode_hist(blob)) {
    check(reach::store::decode_hist(reach::store::encode_hist(*h)) == *h);
    reach::store::HistoryPoint p;
    p.hist = *h;
    p.rtt_max = 1000000;
    auto q = p.quantile(0.5);
    check(q >= 0 && q <= p.rtt_max);
  }
  return 0;
}
