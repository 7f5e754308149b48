# The front door: make deps | build | demo | test | bench | install | package | package-smoke | fuzz
BUILD ?= build
PREFIX ?= /usr/local
PROGRAM_PREFIX ?=
JOBS ?= $(shell nproc)
SANITIZE ?= 0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

ifeq ($(SANITIZE),1)
  BUILD := build-sanitize
  CMAKE_FLAGS += -DOPSKIT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
endif

# Every build and test dependency, from Debian 12 packages.
DEPS := build-essential cmake pkg-config git ca-certificates \
  libcli11-dev libsqlite3-dev sqlite3 libpq-dev postgresql postgresql-client \
  nlohmann-json3-dev libyaml-cpp-dev libcurl4-openssl-dev libssl-dev libpcap-dev zlib1g-dev \
  libeigen3-dev catch2 libkainjow-mustache-dev libicu-dev libutf8proc-dev libpsl-dev publicsuffix \
  libpugixml-dev libglpk-dev ieee-data clang libclang-rt-14-dev shellcheck nginx tshark wireshark-common wamerican \
  ccache man-db groff-base systemd chromium python3 python3-yaml openssl procps util-linux \
  debootstrap

.PHONY: all deps build test demo bench install package package-smoke fuzz golden-update clean

all: build

deps:
	@missing=$$(dpkg-query -W -f='$${Status} $${Package}\n' $(DEPS) 2>/dev/null | awk '$$3!="installed"{print $$4}'; \
	  for p in $(DEPS); do dpkg-query -W -f='$${Package}\n' $$p >/dev/null 2>&1 || echo $$p; done); \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -n "$$(echo $$missing | tr -d ' ')" ]; then \
	  echo "make deps: installing $$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: everything is installed"; fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: deps build
	OPSKIT_BIN=$(CURDIR)/$(BUILD)/bin jobs/nightly.sh --demo

bench: deps build
	OPSKIT_BIN=$(CURDIR)/$(BUILD)/bin tests/bench/run.sh

golden-update: build
	OPSKIT_GOLDEN_UPDATE=1 $(MAKE) test

fuzz:
	cmake -S . -B build-fuzz -DOPSKIT_FUZZ=ON -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-fuzz -j $(JOBS) --target fuzz_targets
	cd build-fuzz && ctest -R '^fuzz_run_' --output-on-failure -j $(JOBS)

install: build
	DESTDIR=$(DESTDIR) PREFIX=$(PREFIX) PROGRAM_PREFIX=$(PROGRAM_PREFIX) BUILD=$(BUILD) jobs/install.sh

package: build
	cd $(BUILD) && cpack -G DEB

# The .deb on a clean Debian 12 root (debootstrap, as root): installs with its
# dependencies from the mirror and passes a smoke test. Not in make test: it
# downloads ~100 MB and takes minutes (tests/ops/package_smoke.sh).
package-smoke: deps build
	JOBS=$(JOBS) tests/ops/package_smoke.sh $(CURDIR) $(CURDIR)/$(BUILD)

clean:
	rm -rf build build-sanitize build-fuzz
