# Thin wrapper around CMake so the README commands stay short.
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: all deps build python wheel test test-slow test-all demo bench clean install

all: build

deps:
	@./scripts/setup-deps.sh

$(BUILD)/Makefile: CMakeLists.txt
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/Makefile
	@cmake --build $(BUILD) -j2

# the Python package (docs/python.md): the module built with the rest, and a venv over
# Debian's Python whose site-packages point at the staged package ($(BUILD)/python)
PYTHON ?= /usr/bin/python3
python: build
	@[ -d $(BUILD)/python/cvxrelu ] || { echo "make python: no module built (need python3-dev and python3-numpy: make deps)" >&2; exit 1; }
	@[ -x $(BUILD)/python-env/bin/python ] || $(PYTHON) -m venv --system-site-packages $(BUILD)/python-env
	@$(BUILD)/python-env/bin/python -c 'import site, sys; open(site.getsitepackages()[0] + "/cvxrelu.pth", "w").write(sys.argv[1] + "\n")' "$(abspath $(BUILD))/python"
	@$(BUILD)/python-env/bin/python -c 'import cvxrelu; print("cvxrelu", cvxrelu.__version__, "in $(BUILD)/python-env/bin/python")'

# a wheel of the package for this Python and platform, made without network or build
# tools (python/build_wheel.py): $(BUILD)/dist/cvxrelu-VERSION-TAG.whl
wheel: build
	@[ -d $(BUILD)/python/cvxrelu ] || { echo "make wheel: no module built (need python3-dev and python3-numpy: make deps)" >&2; exit 1; }
	@$(PYTHON) python/build_wheel.py $(BUILD)/python $(BUILD)/dist

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
	@cmake --build $(BUILD) -j2 --target bench_gated bench_exact
	@./bench/run

install: build
	@cmake --install $(BUILD)

clean:
	@rm -rf $(BUILD)
