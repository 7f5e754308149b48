#include "core/csv.hpp"
#include "store/store.hpp"
int probe_ok() { return 0; }
