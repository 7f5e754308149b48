#include "store/store.hpp"  // must not be found from lib/core
int probe_core() { return 0; }
