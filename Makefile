# Thin front for CMake; tools/bootstrap installs what is missing and builds.
.PHONY: all build demo test fuzz fidelity bench clean
all: build
build:
	@tools/bootstrap all
demo: build
	@tools/demo
test:
	@tools/bootstrap all asan fuzz
	@ctest --test-dir build --output-on-failure -j 2
	@ctest --test-dir build/asan --output-on-failure -j 2
	@ctest --test-dir build/fuzz -R '^fuzz/' --output-on-failure
fuzz:
	@tools/bootstrap fuzz
	@mkdir -p build/fuzz/corpus-new
	@build/fuzz/tests/fuzz/fuzz-rewrite -max_total_time=$${FUZZ_SECONDS:-300} -timeout=10 \
		-dict=tests/fuzz/python.dict -artifact_prefix=build/fuzz/ build/fuzz/corpus-new tests/fuzz/corpus
fidelity: build
	@tools/fidelity
bench: build
	@tools/bench/rewrite-throughput
	@tools/bench/runtime-overhead
clean:
	rm -rf build
