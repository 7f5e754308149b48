// MappedFile and the SIGBUS handler that keeps a cut file from killing
// the process.
#include "net/mapped_file.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include "core/error.hpp"

namespace opskit::net {

namespace {

// The live mappings, read by the handler: fixed slots of atomics (lock-free,
// so safe to read in a signal handler). A capture run maps one or two files
// at a time; a mapping that finds no free slot is simply not guarded.
struct Slot {
  std::atomic<bool> used{false};
  std::atomic<uintptr_t> begin{0}, end{0};  // begin 0: nothing to guard
  std::atomic<bool> cut{false};
};
constexpr int kSlots = 16;
Slot slots[kSlots];
uintptr_t page_bytes = 4096;  // sysconf is not for signal handlers: read once, at install
struct sigaction previous_action;

void on_sigbus(int signal, siginfo_t* info, void*) {
  int saved_errno = errno;
  // Only a fault on a read (si_code > 0) has an address to look at.
  if (info->si_code > 0) {
    auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    for (Slot& s : slots) {
      uintptr_t begin = s.begin.load(std::memory_order_acquire), end = s.end.load(std::memory_order_acquire);
      if (!begin || addr < begin || addr >= end) continue;
      // Zero pages over the rest of the mapping: the read that faulted and
      // every later one see zeros instead of another SIGBUS.
      uintptr_t page = addr & ~(page_bytes - 1);
      if (mmap(reinterpret_cast<void*>(page), end - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
          MAP_FAILED) {
        s.cut.store(true, std::memory_order_relaxed);
        errno = saved_errno;
        return;
      }
    }
  }
  // Not ours: hand the signal back to the handler before ours. A fault
  // re-raises itself when the instruction runs again; a sent signal is raised
  // again here and delivered once this handler returns.
  sigaction(signal, &previous_action, nullptr);
  if (info->si_code <= 0) raise(signal);
  errno = saved_errno;
}

void install_handler() {
  page_bytes = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  struct sigaction action {};
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previous_action);
}

}  // namespace

MappedFile::MappedFile(int fd, size_t size, const std::string& path) : size_(size) {
  void* map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  int err = errno;
  ::close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED)
    throw DataError(SourceLocation{path, 0, 0, ""}, std::string("cannot map: ") + std::strerror(err));
  data_ = static_cast<const uint8_t*>(map);
  static std::once_flag installed;
  std::call_once(installed, install_handler);
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!slots[i].used.compare_exchange_strong(expected, true)) continue;
    Slot& s = slots[i];
    s.cut.store(false);
    s.end.store((reinterpret_cast<uintptr_t>(map) + size + page_bytes - 1) & ~(page_bytes - 1));
    s.begin.store(reinterpret_cast<uintptr_t>(map), std::memory_order_release);
    slot_ = i;
    cut_ = &s.cut;
    break;
  }
}

MappedFile::~MappedFile() {
  if (slot_ >= 0) {
    slots[slot_].begin.store(0, std::memory_order_release);
    slots[slot_].used.store(false);
  }
  munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace opskit::net
