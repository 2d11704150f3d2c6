// Writes an hour of history (one round per second per target, N RTTs per round) through the
// store as the daemon would (one flush per second), then prints the database's bytes per round:
// the "database bytes per sample" of docs/ARCHITECTURE.md.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "store/store.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: store_bytes DB TARGETS SECONDS PACKETS\n");
    return 2;
  }
  using namespace reach;
  std::string path = argv[1];
  int targets = std::atoi(argv[2]), seconds = std::atoi(argv[3]), packets = std::atoi(argv[4]);
  store::Options o;
  o.path = path;
  auto s = store::Store::open(o);
  if (!s) {
    std::fprintf(stderr, "%s\n", s.error().message().c_str());
    return 2;
  }
  const TimeNs t0 = 1798149600LL * kNsPerSec;
  std::uint64_t rounds = 0;
  double longest_flush = 0;
  auto w0 = std::chrono::steady_clock::now();
  for (int sec = 0; sec < seconds; ++sec) {
    for (int t = 0; t < targets; ++t) {
      model::RoundResult r;
      r.target = "target-" + std::to_string(t);
      r.start_wall = t0 + sec * kNsPerSec + t * 1000;
      r.sent = packets;
      r.received = packets;
      r.success = true;
      for (int p = 0; p < packets; ++p) r.rtts.push_back(1000000 + ((sec * 7919 + t * 104729 + p * 31) % 400000));
      std::sort(r.rtts.begin(), r.rtts.end());
      (*s)->add_round(r);
      ++rounds;
    }
    auto f0 = std::chrono::steady_clock::now();
    auto f = (*s)->flush(t0 + (sec + 1) * kNsPerSec);
    longest_flush = std::max(longest_flush, std::chrono::duration<double>(std::chrono::steady_clock::now() - f0).count());
    if (!f) {
      std::fprintf(stderr, "%s\n", f.error().message().c_str());
      return 2;
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  s->reset();  // closes: the WAL is checkpointed into the file
  auto bytes = std::filesystem::file_size(path);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf("rounds %llu packets %d bytes %llu bytes_per_round %.1f wall_s %.2f cpu_s %.2f cpu_us_per_round %.1f longest_flush_s %.3f\n",
              static_cast<unsigned long long>(rounds), packets, static_cast<unsigned long long>(bytes),
              static_cast<double>(bytes) / static_cast<double>(rounds), secs, cpu, cpu * 1e6 / static_cast<double>(rounds), longest_flush);
  return 0;
}
