# Thin front for CMake; tools/bootstrap installs what is missing and builds.
.PHONY: all build demo test fuzz bench clean
all: build
build:
	@tools/bootstrap all
demo: build
	@tools/demo
test:
	@tools/bootstrap all asan
	@ctest --test-dir build --output-on-failure -j 2
	@ctest --test-dir build/asan --output-on-failure -j 2
fuzz:
	@tools/bootstrap fuzz
	@build/fuzz/tests/fuzz/fuzz-rewrite -max_total_time=$${FUZZ_SECONDS:-300} tests/fuzz/corpus build/fuzz/corpus-new
bench: build
	@tools/bench/rewrite-throughput
clean:
	rm -rf build
