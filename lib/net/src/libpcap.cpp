#include "libpcap.hpp"

#include "core/shared_library.hpp"

namespace opskit::net {

const Libpcap& libpcap() {
  static const Libpcap table = [] {
    SharedLibrary lib("libpcap.so.0.8", "the packet capture library, Debian package libpcap0.8", ExitCode::network);
    Libpcap t;
#define OPSKIT_LIBPCAP_LOAD(name) t.name = lib.function<decltype(::pcap_##name)>("pcap_" #name);
    OPSKIT_LIBPCAP_FUNCTIONS(OPSKIT_LIBPCAP_LOAD)
#undef OPSKIT_LIBPCAP_LOAD
    return t;
  }();
  return table;
}

}  // namespace opskit::net
