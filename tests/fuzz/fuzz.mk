# SPDX-License-Identifier: Apache-2.0
# libFuzzer targets (tests/fuzz/fuzz_*.c), included by the Makefile.
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="cms console"]   each target for a bounded time
#   make fuzz-smoke                  each target for FUZZ_SMOKE_SECONDS (3), plus its regressions
# The station's parts are rebuilt with clang and the sanitizers into FUZZ_BUILD;
# inputs found go to FUZZ_BUILD/corpus/<target>, crashes to FUZZ_BUILD/crash-<target>-*.
FUZZ_BUILD         ?= build/fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_TARGETS       ?= cms console an3155 cert sequence image
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $(FUZZ_SAN)
FUZZ_LIBS  := $(foreach p,$(PARTS),$(FUZZ_BUILD)/lib$(p).a)
FUZZ_BINS  := $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build fuzz-bins fuzz-smoke
fuzz-build:
	+@$(MAKE) --no-print-directory CC=clang BUILD=$(FUZZ_BUILD) CFLAGS="$(FUZZ_CFLAGS)" $(FUZZ_LIBS)
	+@$(MAKE) --no-print-directory CC=clang BUILD=$(FUZZ_BUILD) CFLAGS="$(FUZZ_CFLAGS)" fuzz-bins

fuzz-bins: $(FUZZ_BINS)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_link.c tests/fuzz/fuzz_link.h $(FUZZ_LIBS)
	clang -std=c17 -D_GNU_SOURCE -I$(CURDIR) $(WARN) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer $(FUZZ_SAN) \
	  $(PKG_CFLAGS) -DFUZZ_TRUST='"$(CURDIR)/tests/fuzz/trust/root-ca.crt"' \
	  -o $@ $< tests/fuzz/fuzz_link.c $(FUZZ_LIBS) $(LIBS)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  tests/fuzz/run.sh $(FUZZ_BUILD) $$t $(FUZZ_SECONDS) || exit 1; done

fuzz-smoke: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  tests/fuzz/run.sh $(FUZZ_BUILD) $$t $(FUZZ_SMOKE_SECONDS) || exit 1; done
