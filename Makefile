# The two commands a fresh machine needs:
#   make chat   — install, fetch the default model, build, and chat with it
#   make test   — install, fetch, build and run the test suite
SWIFT ?= swift
# -enable-testing lets the unit tests use @testable imports in the optimised build (one build serves all targets).
SWIFTFLAGS ?= -Xswiftc -enable-testing
CONFIG ?= release
PROMPT ?=

.PHONY: deps fetch build chat demo test tsan bench-tokenizer clean

deps:
	@Scripts/install-deps.sh

fetch:
	@Scripts/fetch-models.sh

build: deps
	$(SWIFT) build -c $(CONFIG) $(SWIFTFLAGS) --product llama-cli
	$(SWIFT) build -c $(CONFIG) $(SWIFTFLAGS) --product llama-logits

# Interactive chat with the default model (SmolLM2-135M-Instruct); PROMPT="..." asks one question instead.
chat: deps fetch build
	@if [ -n "$(PROMPT)" ]; then .build/$(CONFIG)/llama-cli --prompt "$(PROMPT)"; else .build/$(CONFIG)/llama-cli; fi

demo: deps fetch build
	.build/$(CONFIG)/llama-cli --prompt "What is the capital of France?" --temperature 0

# Tests run optimised (-c release): the end-to-end model tests would take minutes in a debug build.
test: deps fetch
	$(SWIFT) build -c $(CONFIG) $(SWIFTFLAGS) --build-tests
	$(SWIFT) test -c $(CONFIG) $(SWIFTFLAGS) --skip-build --skip LlamaKitOpenCLTests
	@# PoCL calls setenv() while OpenCL initialises, which races with other threads reading the environment
	@# (a crash in getenv/strlen seen once in a parallel run): the OpenCL tests run on their own, serially.
	$(SWIFT) test -c $(CONFIG) $(SWIFTFLAGS) --skip-build --filter LlamaKitOpenCLTests --no-parallel

# The concurrency tests (engine, chat sessions, block manager, batched forward pass) under Thread Sanitizer,
# in a build folder of their own (every target instrumented; optimised, or the model tests take minutes).
tsan: deps fetch
	$(SWIFT) build -c $(CONFIG) $(SWIFTFLAGS) --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test -c $(CONFIG) $(SWIFTFLAGS) --skip-build --sanitize=thread --scratch-path .build-tsan \
		--filter "EngineTests|ChatSessionEngineTests|KVBlockManagerTests|BatchedForwardTests|GenerationTests"

# Llama 3 encoding speed: LlamaKit (llama-tokenize --bench) and tiktoken / tokenizers on the same ~10 MB text.
# The package-benchmark suite is separate: cd Benchmarks && swift package benchmark (see Docs/Tokenizers.md).
bench-tokenizer: deps fetch
	$(SWIFT) build -c release --product llama-tokenize
	python3 Benchmarks/tokenizer_bench.py --write-text .build/tokenizer_bench.txt
	.build/release/llama-tokenize --tokenizer .models/llama3/tokenizer.model --bench .build/tokenizer_bench.txt --rounds 5
	.build/release/llama-tokenize --tokenizer .models/llama3/tokenizer.json --bench .build/tokenizer_bench.txt --rounds 5
	python3 Benchmarks/tokenizer_bench.py

clean:
	rm -rf .build
