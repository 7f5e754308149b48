#include "libpcap.hpp"

namespace opskit::net {

Libpcap::Libpcap(const SharedLibrary& lib) {
#define OPSKIT_LIBPCAP_LOAD(name) name = lib.function<decltype(::pcap_##name)>("pcap_" #name);
  OPSKIT_LIBPCAP_FUNCTIONS(OPSKIT_LIBPCAP_LOAD)
#undef OPSKIT_LIBPCAP_LOAD
}

}  // namespace opskit::net
