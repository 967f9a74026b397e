# Coverage-guided fuzzing (issue 12; docs/testing.md, "Fuzzing"): libFuzzer
# targets, built with clang and ASan + UBSan, for every decoder of bytes
# kscope did not write itself (tests/fuzz/*.c):
#
#   make fuzz            each target for FUZZ_SECONDS (default 60), its corpus grown
#                        in build/fuzz/corpus/<target> from the committed one
#   make fuzz-regress    each target over its committed corpus (tests/fuzz/corpus),
#                        then FUZZ_REGRESS_SECONDS (default 5) of new inputs: any
#                        crash, leak, undefined behaviour or hang fails (make test)
#   make fuzz-merge      fold build/fuzz/corpus/<target> back into the committed corpus,
#                        keeping only inputs that add coverage (-merge=1)
#
# The targets link kscope's own objects, compiled again here, but for
# src/engine/trace.c and session.c: tests/fuzz/stub.c stands in for
# ks_trace_run(), so a command's real entry point parses, builds its state
# and gets the records.

FUZZ_CC ?= clang
FUZZ_OUT := $(OUT)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_REGRESS_SECONDS ?= 5
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	-Wno-missing-field-initializers -fno-omit-frame-pointer $(FUZZ_SAN) \
	-I $(OUT)/skel -I src -I tests/fuzz
FUZZ_TARGETS := fuzz_btf fuzz_events fuzz_cli fuzz_http
FUZZ_BINS := $(patsubst %,$(FUZZ_OUT)/%,$(FUZZ_TARGETS))
# every userspace source but main.c, commands.c, doctor (it probes the kernel
# after parsing), the agent's command (it serves HTTP; its parser and store
# are here: fuzz_http), trace.c and session.c (the stub's)
FUZZ_SRCS := $(filter-out src/engine/trace.c src/engine/session.c src/doctor/% src/agent/agent.c src/top/%,$(ENGINE_SRCS) $(CMD_SRCS))
FUZZ_OBJS := $(patsubst src/%.c,$(FUZZ_OUT)/obj/%.o,$(FUZZ_SRCS)) $(FUZZ_OUT)/obj/gen/tables.o
# libFuzzer's options: kscope's own stderr closed (libFuzzer and the sanitizers
# keep theirs), inputs up to a few ring buffer records, no input slower than 10 s
# the agent's objects (http.c, webcfg.c) need them (dynamic here)
FUZZ_WEB_LIBS := -lssl -lcrypto -lyaml -lcrypt
FUZZ_OPTS := -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=2

.PHONY: fuzz fuzz-regress fuzz-merge fuzz-build fuzz-seeds

$(FUZZ_OUT)/obj/%.o: src/%.c | $(SKELS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/obj/gen/tables.o: $(OUT)/gen/tables.c src/engine/names.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/obj/fuzz/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h | $(SKELS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link -c $< -o $@

# headers: an object built against an older struct layout is never linked (the .d files)
-include $(shell find $(FUZZ_OUT)/obj -name '*.d' 2>/dev/null)

$(FUZZ_OUT)/fuzz_btf: $(FUZZ_OUT)/obj/fuzz/fuzz_btf.o $(FUZZ_OUT)/obj/engine/btf_scan.o
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ -lelf -lz -o $@

# the agent's HTTP request parser alone: a client's bytes (fuzz_http.c)
$(FUZZ_OUT)/fuzz_http: $(FUZZ_OUT)/obj/fuzz/fuzz_http.o $(FUZZ_OUT)/obj/agent/http.o \
		$(FUZZ_OUT)/obj/agent/webcfg.o
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(FUZZ_WEB_LIBS) -lz -pthread -o $@

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fuzz/fuzz_%.o $(FUZZ_OUT)/obj/fuzz/stub.o $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $^ $(FUZZ_WEB_LIBS) -lbpf -lelf -lz -lm -o $@

# fuzz_cli's open(2) refuses FIFOs and devices (fuzz_cli.c)
$(FUZZ_OUT)/fuzz_cli: $(FUZZ_OUT)/obj/fuzz/fuzz_cli.o $(FUZZ_OUT)/obj/fuzz/stub.o $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -Wl,--wrap=open $^ $(FUZZ_WEB_LIBS) -lbpf -lelf -lz -lm -o $@

fuzz-build: $(FUZZ_BINS)

# Each target in turn for FUZZ_SECONDS: new inputs go to build/fuzz/corpus/<t>
# (the committed corpus is read, never written), crashes to build/fuzz/crashes/
fuzz: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_OUT)/corpus/$$t $(FUZZ_OUT)/crashes; \
		echo "fuzz: $$t for $(FUZZ_SECONDS) s (log: build/fuzz/$$t.log)"; \
		if (cd $(FUZZ_OUT) && $(abspath $(FUZZ_OUT))/$$t $(FUZZ_OPTS) -max_total_time=$(FUZZ_SECONDS) \
			-artifact_prefix=$(abspath $(FUZZ_OUT))/crashes/$$t- \
			$(abspath $(FUZZ_OUT))/corpus/$$t $(abspath tests/fuzz/corpus)/$$t \
			> $$t.log 2>&1); then :; else fail=1; \
			echo "fuzz: $$t FOUND A PROBLEM:"; grep -A30 -m1 'ERROR\|runtime error' \
				$(FUZZ_OUT)/$$t.log; fi; \
		grep -h '^stat::number_of_executed_units\|^#.*DONE' $(FUZZ_OUT)/$$t.log; \
	done; exit $$fail

# The committed corpus (every input runs once, first), then new inputs for the
# rest of FUZZ_REGRESS_SECONDS into a scratch corpus; the log is shown on failure.
fuzz-regress: fuzz-build
	@rm -rf $(FUZZ_OUT)/regress
	@fail=0; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_OUT)/regress/$$t; \
		if (cd $(FUZZ_OUT)/regress && $(abspath $(FUZZ_OUT))/$$t $(FUZZ_OPTS) \
			-max_total_time=$(FUZZ_REGRESS_SECONDS) -artifact_prefix=$$t- \
			$(abspath $(FUZZ_OUT))/regress/$$t $(abspath tests/fuzz/corpus)/$$t \
			> $$t.log 2>&1); then \
			echo "fuzz-regress: $$t: $$(ls $(abspath tests/fuzz/corpus)/$$t | wc -l) inputs of the corpus, then $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_OUT)/regress/$$t.log) runs in all: ok"; \
		else \
			echo "fuzz-regress: $$t FAILED (build/fuzz/regress/$$t.log):"; \
			tail -n 60 $(FUZZ_OUT)/regress/$$t.log; fail=1; \
		fi; \
	done; exit $$fail

fuzz-merge: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p tests/fuzz/corpus/$$t $(FUZZ_OUT)/corpus/$$t; \
		(cd $(FUZZ_OUT) && $(abspath $(FUZZ_OUT))/$$t -merge=1 $(FUZZ_OPTS) $(abspath tests/fuzz/corpus)/$$t \
			$(abspath $(FUZZ_OUT))/corpus/$$t > $$t-merge.log 2>&1) || exit 1; \
		echo "fuzz-merge: $$t: $$(grep -o 'MERGE-OUTER: [0-9]* new files' \
			$(FUZZ_OUT)/$$t-merge.log)"; \
	done

# the starting corpus, from the real structs (tests/fuzz/seeds.c): written into
# tests/fuzz/corpus, where `make fuzz-merge` later adds what fuzzing found
$(FUZZ_OUT)/seeds: tests/fuzz/seeds.c $(wildcard src/*/*.h) | $(SKELS)
	@mkdir -p $(@D)
	$(CC) -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I src -I tests/fuzz $< -o $@

fuzz-seeds: $(FUZZ_OUT)/seeds
	$(FUZZ_OUT)/seeds tests/fuzz/corpus
