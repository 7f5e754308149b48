#pragma once
// libpcap, opened on first use (see core/shared_library.hpp): live capture
// and the libpcap file reader need it, the zero-copy file reader does not,
// so a capture file run does not load it and the libraries it pulls in
// (libdbus, libsystemd, libgcrypt, lz4, zstd). The functions the sources
// call, without their "pcap_" prefix: libpcap().next_ex(...) calls
// pcap_next_ex.
#include <pcap/pcap.h>

#include "core/shared_library.hpp"

namespace opskit::net {

#define OPSKIT_LIBPCAP_FUNCTIONS(X, P)                                                                        \
  X(P, activate) X(P, close) X(P, compile) X(P, create) X(P, datalink)                                        \
  X(P, fopen_offline_with_tstamp_precision) X(P, freecode) X(P, get_selectable_fd) X(P, geterr) X(P, next_ex) \
  X(P, set_immediate_mode) X(P, set_promisc) X(P, set_snaplen) X(P, set_timeout) X(P, set_tstamp_precision)   \
  X(P, setfilter)

struct Libpcap {
  static constexpr const char* soname = "libpcap.so.0.8";
  static constexpr const char* package = "the packet capture library, Debian package libpcap0.8";
  static constexpr ExitCode exit_code = ExitCode::network;
  explicit Libpcap(const SharedLibrary& lib) { OPSKIT_LIBPCAP_FUNCTIONS(OPSKIT_LIBRARY_LOOKUP, pcap_) }
  OPSKIT_LIBPCAP_FUNCTIONS(OPSKIT_LIBRARY_MEMBER, pcap_)
};

// Opens libpcap.so.0.8 on the first call; NetworkError (exit 5) naming the
// library, or the missing function, when it cannot.
inline const Libpcap& libpcap() { return library_table<Libpcap>(); }

}  // namespace opskit::net
