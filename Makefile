# resc - thin driver over CMake.  See README.md.
#   make        build everything into build/
#   make test   install what is missing, build, run every test (ctest), then
#               the sanitizer subset in build-asan/ (SANITIZE_ALL=1: the whole
#               suite there, as CI runs it; SANITIZE=0 leaves it out)
#   make demo   compile the embedded digits model and run it
#   make bench  speed against ONNX Runtime (not part of the tests)
#   make fuzz   libFuzzer on model loading for FUZZ_SECONDS (build-fuzz/)
#   make sanitize  the tests under ASan+UBSan (build-asan/; docs/security.md)
BUILD ?= build
JOBS  ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps configure build test demo bench clean models fuzz sanitize

all: build

deps:
	@./scripts/install-deps

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j$(JOBS)

models: build
	@./scripts/make-models $(BUILD)

test: build models
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) $(CTEST_FLAGS)
	@if [ "$(SANITIZE)" = 0 ]; then echo "make test: SANITIZE=0, sanitizer build skipped"; else \
	  if [ "$(SANITIZE_ALL)" = 1 ]; then echo "make test: the ASan+UBSan build (build-asan/) and the whole suite in it (SANITIZE=0 skips)"; \
	  else echo "make test: the ASan+UBSan build (build-asan/) and its test subset (SANITIZE_ALL=1: all; SANITIZE=0 skips)"; fi; \
	  SANITIZE_ALL=$(SANITIZE_ALL) RESC_MODELS=$(abspath $(BUILD))/models ./scripts/sanitize build-asan; fi

demo: build
	@./scripts/demo $(BUILD)

bench: build models
	@./bench/run $(BUILD) $(BENCH_ARGS)

FUZZ_SECONDS ?= 300
FUZZ_JOBS ?= 1
fuzz: deps
	@./scripts/fuzz --build build-fuzz --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS)

sanitize: deps models
	@RESC_MODELS=$(abspath $(BUILD))/models ./scripts/sanitize build-asan $(CTEST_FLAGS)

clean:
	rm -rf $(BUILD)
