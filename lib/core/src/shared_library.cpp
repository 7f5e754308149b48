#include "core/shared_library.hpp"

#include <dlfcn.h>

namespace opskit {

SharedLibrary::SharedLibrary(std::string soname, std::string package, ExitCode code)
    : soname_(std::move(soname)), package_(std::move(package)), code_(code) {
  handle_ = ::dlopen(soname_.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle_) throw Error(code_, "cannot load " + soname_ + " (" + package_ + "): " + ::dlerror());
}

void* SharedLibrary::address(const char* name) const {
  ::dlerror();
  void* p = ::dlsym(handle_, name);
  if (!p) throw Error(code_, soname_ + " (" + package_ + ") has no function " + name + "; it may be too old");
  return p;
}

}  // namespace opskit
