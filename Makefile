# Thin wrapper around CMake so the README commands stay short.
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: all deps build test test-slow test-all demo bench clean install

all: build

deps:
	@./scripts/setup-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/Makefile
	@cmake --build $(BUILD) -j2

# the fast suite (under 30 s on 2 cores); test-slow runs the cases labelled slow
test: build
	@cd $(BUILD) && ctest --output-on-failure -j2 -LE slow

test-slow: build
	@cd $(BUILD) && ctest --output-on-failure -j2 -L slow

test-all: build
	@cd $(BUILD) && ctest --output-on-failure -j2

demo: build
	@./$(BUILD)/cvxrelu demo

bench: build
	@cmake --build $(BUILD) -j2 --target bench_gated
	@./bench/run

install: build
	@cmake --install $(BUILD)

clean:
	@rm -rf $(BUILD)
