#pragma once
// Offline country and AS lookup in MaxMind DB files (libmaxminddb): GeoLite2-Country, -City and
// -ASN, or DB-IP's lite country and ASN files, whichever the user has. Each field comes from the
// first file that has it, so a country file and an ASN file together give both.
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/ip_addr.hpp"
#include "model/geo.hpp"

namespace reach::io {

class GeoDb {
 public:
  // Opens every file (memory-mapped); an error names the file and libmaxminddb's reason.
  static Result<GeoDb> open(const std::vector<std::string>& paths);
  // *.mmdb files of $REACH_GEOIP_DIR, else of /var/lib/GeoIP (geoipupdate's) and /usr/share/GeoIP,
  // sorted by name; empty when there are none.
  static std::vector<std::string> default_paths();
  // The directories default_paths() looks in, for a message.
  static std::string default_dirs_text();

  GeoDb(GeoDb&&) noexcept;
  GeoDb& operator=(GeoDb&&) noexcept;
  ~GeoDb();

  // What the files know about `a` (IPv4-mapped IPv6 is looked up as IPv4); empty when nothing.
  model::GeoTag lookup(const IpAddr& a) const;
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  struct Impl;
  GeoDb(std::unique_ptr<Impl> impl, std::vector<std::string> paths);
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> paths_;
};

}  // namespace reach::io
