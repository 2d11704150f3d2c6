# The two commands of the README, run as root: `make demo` and `make test`. Both install what
# they need first (scripts/install-deps.sh: apt-get as root, no sudo needed).
# Developer and CI builds treat warnings as errors (REACH_WERROR); a plain cmake build does not.
BUILD ?= build
REL   ?= build-release
SAN   ?= build-asan
FUZZ  ?= build-fuzz
JOBS  ?= $(shell nproc)
FUZZ_SECONDS ?= 15
WERROR ?= ON
PREFIX ?= /usr/local
PY    := /usr/bin/python3

.PHONY: deps build compile demo test unit sanitize fuzz release package install bench clean

deps:
	bash scripts/install-deps.sh

build: deps compile

# The developer build alone, without deps: needs neither root nor apt once the packages are in.
compile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREACH_WERROR=$(WERROR)
	cmake --build $(BUILD) -j$(JOBS)

# The main job: a small namespace lab, and reach ping, trace, scan and check against it.
demo: build
	REACH_BUILD_DIR=$(abspath $(BUILD)) $(PY) scripts/demo.py

# Every test: each fuzzer for a short run, unit and integration tests under ASan+UBSan (a lab
# test that skips fails: REACH_REQUIRE_LAB), then the Release build users get, its unit tests
# and its Debian package.
test: deps fuzz sanitize release

sanitize:
	cmake -S . -B $(SAN) -DCMAKE_BUILD_TYPE=Debug -DREACH_SANITIZE=ON -DREACH_WERROR=$(WERROR)
	cmake --build $(SAN) -j$(JOBS)
	ctest --test-dir $(SAN) --output-on-failure --no-tests=error -L unit
	REACH_REQUIRE_LAB=1 ctest --test-dir $(SAN) --output-on-failure --no-tests=error -L integration

unit: compile
	ctest --test-dir $(BUILD) --output-on-failure --no-tests=error -L unit

fuzz:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREACH_FUZZ=ON \
	  -DREACH_WERROR=$(WERROR)
	cmake --build $(FUZZ) -j$(JOBS) --target fuzzers
	bash scripts/run-fuzzers.sh $(FUZZ) $(FUZZ_SECONDS)

# Release as packaged (installed under /usr): unit tests, then the .deb is built and inspected.
release:
	cmake -S . -B $(REL) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DREACH_WERROR=$(WERROR)
	cmake --build $(REL) -j$(JOBS)
	ctest --test-dir $(REL) --output-on-failure --no-tests=error -L 'unit|package'

# reach_VERSION_ARCH.deb in $(REL) (docs/INSTALL.md).
package:
	cmake -S . -B $(REL) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DREACH_WERROR=$(WERROR)
	cmake --build $(REL) -j$(JOBS)
	cd $(REL) && cpack -G DEB

# Binary, man pages, completion, docs and the systemd unit under $(PREFIX) (DESTDIR honoured);
# as root, also the capability raw probes need (setcap, as the .deb's postinst does).
install:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)
	cmake --build $(BUILD) -j$(JOBS)
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD)
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ] && command -v setcap >/dev/null; then \
	  setcap cap_net_raw+ep $(PREFIX)/bin/reach; fi

bench: build
	REACH_BUILD_DIR=$(abspath $(BUILD)) bash bench/run.sh

clean:
	rm -rf $(BUILD) $(REL) $(SAN) $(FUZZ)
