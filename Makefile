# The two commands of the README: `make demo` and `make test`. Both install what they need first.
BUILD ?= build
SAN   ?= build-asan
FUZZ  ?= build-fuzz
JOBS  ?= $(shell nproc)
FUZZ_SECONDS ?= 15
PY    := /usr/bin/python3

.PHONY: deps build demo test unit sanitize fuzz bench clean

deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

# The main job: a small namespace lab, and reach ping, trace, scan and check against it.
demo: build
	REACH_BUILD_DIR=$(abspath $(BUILD)) $(PY) scripts/demo.py

# Every test: each fuzzer for a short run, then unit and integration tests under ASan+UBSan.
test: deps fuzz sanitize

sanitize:
	cmake -S . -B $(SAN) -DCMAKE_BUILD_TYPE=Debug -DREACH_SANITIZE=ON
	cmake --build $(SAN) -j$(JOBS)
	ctest --test-dir $(SAN) --output-on-failure

unit: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -L unit

fuzz:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREACH_FUZZ=ON
	cmake --build $(FUZZ) -j$(JOBS)
	bash scripts/run-fuzzers.sh $(FUZZ) $(FUZZ_SECONDS)

bench: build
	REACH_BUILD_DIR=$(abspath $(BUILD)) bash bench/run.sh

clean:
	rm -rf $(BUILD) $(SAN) $(FUZZ)
