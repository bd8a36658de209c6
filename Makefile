# The two commands of the README: `make demo` and `make test`. Everything else is a step of them.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all deps build static test unit demo demo-basic fuzz test-asan test-images bench clean

all: build

deps:
	@bash .ci/install-deps.sh test

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# A fully static, stripped binary that can be copied alone into any image.
static: deps
	@cmake -S . -B $(BUILD)-static -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel -DSUPERVISOR_STATIC=ON -DSUPERVISOR_TESTS=OFF >/dev/null
	@cmake --build $(BUILD)-static -j $(JOBS)
	@ls -l $(BUILD)-static/supervisor

# Every test (unit and integration, the integration ones as PID 1 in namespaces); prints totals.
test: build
	@cd $(BUILD) && ctest --output-on-failure --timeout 300 -j 1

# The whole suite again, every binary built with AddressSanitizer and UndefinedBehaviorSanitizer,
# but valgrind's test (valgrind and ASan do not mix) and the RSS-growth one (ASan's quarantine
# makes RSS meaningless, and 10,000 restarts under ASan outlast its time limit).
test-asan: deps
	@cmake -S . -B $(BUILD)-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSUPERVISOR_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)-asan -j $(JOBS)
	@cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --output-on-failure --timeout 300 -j 1 -E 'valgrind|growth'

# Fuzz the service-file loader and the request parser for SECONDS each (default 60).
SECONDS ?= 60
fuzz:
	@bash tests/fuzz/run.sh $(SECONDS)

# The real images (Dockerfile.ha, Dockerfile.webapp) built and run by Podman: the lab with
# docker-compose and --scale, health checks, PID 1 through the engine, the conditions matrix,
# the Kubernetes manifests with podman kube play. Installs Podman & co from Debian packages.
test-images:
	@bash tests/images/run.sh

unit: build
	@$(BUILD)/tests/unit_tests

# The lab (an HAProxy in front of Node web apps that come and go), containers as namespaces.
demo: build
	@bash examples/lab/demo.sh $(BUILD)/supervisor

# A small directory of services supervised as PID 1: start order, crashes, reload, shutdown.
demo-basic: build
	@bash examples/demo.sh $(BUILD)/supervisor

clean:
	rm -rf $(BUILD) $(BUILD)-static $(BUILD)-asan $(BUILD)-fuzz .fuzz
