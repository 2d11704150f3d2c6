#pragma once
// Writers of `reach sockets` rows: netstat -anptu columns, NDJSON rows, ss -s style summary.
#include <ostream>
#include <string>
#include <vector>

#include "format/geo_note.hpp"
#include "model/socket.hpp"

namespace reach::format {

struct SocketsTextOptions {
  enum class Scope { connected, listening, all } scope = Scope::connected;  // for the header line
  bool programs = false;   // -p: PID/Program name column
  bool extended = false;   // -e: User and Inode columns
  bool netns = false;      // --all-netns / --netns: Netns column
  bool inet = true;        // print the "Active Internet connections" table
  bool unix_sockets = false;  // print the "Active UNIX domain sockets" table
  GeoOf geo;               // --geo: a Geo column of each peer
};

// "198.18.0.1:80", "::1:80", "0.0.0.0:*" (port 0 reads "*"), as netstat prints them.
std::string endpoint_text(const IpAddr& a, std::uint16_t port);
// The state word of a row in text: netstat's word, empty for unconnected UDP/raw sockets.
std::string state_text(const model::SocketRow& r);
// "1234/nginx" for the first owner, "-" when none is known.
std::string owner_text(const model::SocketRow& r);

void write_sockets_text(std::ostream& out, const std::vector<model::SocketRow>& rows,
                        const SocketsTextOptions& opts);
// One {"type":"socket","version":1,...} object per row.
void write_sockets_json(std::ostream& out, const std::vector<model::SocketRow>& rows, const GeoOf& geo = {});

void write_sockets_summary_text(std::ostream& out, const std::vector<model::SocketRow>& rows);
void write_sockets_summary_json(std::ostream& out, const std::vector<model::SocketRow>& rows);

// A notice (e.g. "not all processes could be identified") as an NDJSON object.
void write_sockets_notice_json(std::ostream& out, const std::string& message);

}  // namespace reach::format
