# SPDX-License-Identifier: Apache-2.0
# station: a bed-of-nails test station orchestrator.  Plain make + pkg-config.
#
#   make            build bin/station and the simulators in bin/
#   make test       install missing Debian packages, build, run every test
#   make demo       run the factory flow on simulated fixtures -> demo/station.db
#   make check      the tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      performance figures
#   make install    PREFIX=/usr/local DESTDIR=

.DEFAULT_GOAL := all
PREFIX  ?= /usr/local
DESTDIR ?=
ifeq ($(origin CC),default)
CC      := gcc
endif
BUILD   ?= build
BINDIR  ?= bin
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

PKGS    := libserialport libftdi1 sqlite3 libcurl yaml-0.1 jansson libmicrohttpd libpq
MBEDTLS := -lmbedtls -lmbedx509 -lmbedcrypto

# Debian packages this tree needs to build, test and demo.
DEBS := build-essential pkg-config libserialport-dev libftdi1-dev libsqlite3-dev \
	libcurl4-openssl-dev libmbedtls-dev libyaml-dev libjansson-dev libcmocka-dev \
	sqlite3 stm32flash python3 clang libclang-rt-14-dev yq curl openssl valgrind chromium \
	libmicrohttpd-dev ser2net libunicorn-dev gcc-arm-none-eabi libnewlib-arm-none-eabi \
	libpq-dev postgresql

WARN    := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CFLAGS  ?= -O2 -g
SAN     ?=
ifeq ($(SAN),1)
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -I$(CURDIR) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP \
	     -DST_VERSION='"$(VERSION)"' -DST_DATADIR='"$(PREFIX)/share/station"'
LIBS       = $(PKG_LIBS) $(MBEDTLS) -lpthread -lm

# --- the station's parts, one folder and one archive each ------------------
# Bottom up; a part may use only itself and the parts listed as its deps
# (tools/layering checks the #includes, the link order checks the calls).
PARTS         := station report central cms mes web db se loader fixtures link common
deps_common   :=
deps_link     := common
deps_fixtures := link common
deps_loader   := link common
deps_se       := link common
deps_db       := common
deps_cms      := common
deps_web      := common
deps_mes      := common
deps_report   := db se link common
deps_central  := db common
deps_station  := report central cms mes web db se loader fixtures link common
part_src    = $(if $(filter station,$(1)),$(filter-out station/main.c,$(shell find station -name '*.c')),$(wildcard $(1)/*.c))
part_lib    = $(BUILD)/lib$(1).a
DB_EXTRA   := $(BUILD)/gen/schema_sql.o
LOADER_EXTRA := $(BUILD)/gen/stub_f1.o
STATION_EXTRA := $(BUILD)/gen/panel_files.o
$(foreach p,$(PARTS),$(eval $(call part_lib,$(p)): $(patsubst %.c,$(BUILD)/%.o,$(call part_src,$(p))) $(if $(filter db,$(p)),$(DB_EXTRA)) $(if $(filter loader,$(p)),$(LOADER_EXTRA)) $(if $(filter station,$(p)),$(STATION_EXTRA))))
LIBST    := $(foreach p,$(PARTS),$(call part_lib,$(p)))
# the libraries a unit test named test_<part>_*.c links against
part_deps = $(call part_lib,$(1)) $(foreach p,$(deps_$(1)),$(call part_lib,$(p)))

# --- the simulators: never link the station's code -------------------------
TOOL_DIRS := $(filter-out simlib,$(sort $(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/*.c))))))
TOOL_COMMON_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tools/simlib/*.c))
TOOL_BINS := $(addprefix $(BINDIR)/,$(TOOL_DIRS))

# --- tests ----------------------------------------------------------------
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps test test-run demo check bench install clean fuzz layering print-layers
all: $(BINDIR)/station $(TOOL_BINS) $(UNIT_BINS)

deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "make deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "make deps: missing Debian packages. Run as root:"; \
	  echo "  apt-get install -y --no-install-recommends$$missing"; exit 1; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# db/schema.sql is compiled in, so the binary never runs without its schema.
$(BUILD)/gen/schema_sql.c: db/schema.sql
	@mkdir -p $(dir $@)
	@{ echo '/* generated from db/schema.sql */'; echo 'const char db_schema_sql[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ';'; } > $@
$(BUILD)/gen/schema_sql.o: $(BUILD)/gen/schema_sql.c
	$(CC) $(ALL_CFLAGS) -Wno-overlength-strings -c $< -o $@

# The RAM flasher stub (loader/stub): Thumb-2 for the Cortex-M3, built from
# source with Debian's arm-none-eabi-gcc and compiled into the loader.
STUB_CFLAGS := -std=c17 -mcpu=cortex-m3 -mthumb -Os -ffreestanding -nostdlib -fno-common \
	-ffunction-sections -Wall -Wextra -Wpedantic -Werror
$(BUILD)/stub/stub_f1.elf: loader/stub/stub_f1.c loader/stub/stub_f1.ld
	@mkdir -p $(dir $@)
	arm-none-eabi-gcc $(STUB_CFLAGS) -Wl,--gc-sections -T loader/stub/stub_f1.ld -o $@ $< -lgcc
$(BUILD)/stub/stub_f1.bin: $(BUILD)/stub/stub_f1.elf
	arm-none-eabi-objcopy -O binary -j .text -j .data $< $@
$(BUILD)/gen/stub_f1.c: $(BUILD)/stub/stub_f1.bin
	@mkdir -p $(dir $@)
	@{ echo '/* generated from loader/stub/stub_f1.c */'; echo '#include <stddef.h>'; \
	   echo 'const unsigned char loader_stub_f1[] = {'; \
	   od -An -v -tx1 $< | sed 's/\([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	   echo '};'; echo 'const size_t loader_stub_f1_len = sizeof(loader_stub_f1);'; } > $@
$(BUILD)/gen/stub_f1.o: $(BUILD)/gen/stub_f1.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@
# station serve's panel (station/panel/) is compiled in as byte arrays, so
# the binary never serves without it, and nothing is read from disk.
PANEL := $(sort $(wildcard station/panel/*.html station/panel/*.css station/panel/*.js))
panel_id = panel_$(subst .,_,$(notdir $(1)))
$(BUILD)/gen/panel_files.c: $(PANEL) Makefile
	@mkdir -p $(dir $@)
	@{ echo '/* generated from station/panel/ by the Makefile */'; \
	   echo '#include "station/panel.h"'; \
	   $(foreach f,$(PANEL),echo 'static const unsigned char $(call panel_id,$(f))[] = {'; \
	     od -An -v -tx1 $(f) | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '};';) \
	   echo 'const struct panel_file panel_files[] = {'; \
	   $(foreach f,$(PANEL),echo '	{ "$(notdir $(f))", $(call panel_id,$(f)), sizeof($(call panel_id,$(f))) },';) \
	   echo '	{ 0 }'; echo '};'; } > $@
$(BUILD)/gen/panel_files.o: $(BUILD)/gen/panel_files.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIBST):
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(BINDIR)/station: $(BUILD)/station/main.o $(LIBST)
	@mkdir -p $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

.SECONDEXPANSION:
$(TOOL_BINS): $(BINDIR)/%: $$(addprefix $(BUILD)/,$$(subst .c,.o,$$(wildcard tools/$$*/*.c))) $(TOOL_COMMON_OBJ)
	@mkdir -p $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lutil
# cms-sim alone serves HTTPS: libmicrohttpd over GnuTLS (the station uses OpenSSL).
MHD_PKGS := libmicrohttpd gnutls
$(BINDIR)/cms-sim: LIBS += $(shell pkg-config --libs $(MHD_PKGS) 2>/dev/null)
$(BUILD)/tools/cms-sim/http.o: ALL_CFLAGS += $(shell pkg-config --cflags $(MHD_PKGS) 2>/dev/null)
# dut-sim runs code loaded into SRAM (a flasher stub) on Unicorn's Cortex-M3.
$(BINDIR)/dut-sim: LIBS += -lunicorn

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $$(call part_deps,$$(firstword $$(subst _, ,$$*)))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

# the include rules of the parts (tests/layering); make check runs it
LAYERS = $(foreach p,$(PARTS),$(p)=$(subst $(eval) ,$(comma),$(strip $(deps_$(p)))))
comma := ,
layering:
	@python3 tests/layering $(LAYERS) && echo "layering: every #include follows the parts' order"
print-layers:
	@echo $(LAYERS)

test: deps
	$(MAKE) all
	$(MAKE) test-run

test-run:
	BUILD=$(BUILD) BINDIR=$(BINDIR) tests/run

check: deps layering
	$(MAKE) SAN=1 BUILD=build/san BINDIR=build/san/bin all
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  BUILD=build/san BINDIR=build/san/bin tests/run

demo: deps
	$(MAKE) all
	tools/demo.sh

bench: deps
	$(MAKE) all
	bench/run

# Everything a shipped sequence needs (its includes, limits, the schema for
# editors), the example fixtures, the queries, the docs and the man page.
# The installed station finds PREFIX/share/station from its own path, so a
# DESTDIR tree or a moved one works as well (station/search.c).
DATADIR := $(DESTDIR)$(PREFIX)/share/station
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DATADIR)/sequences $(DATADIR)/fixtures \
	  $(DATADIR)/db/queries $(DESTDIR)$(PREFIX)/share/doc/station/examples \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BINDIR)/station $(DESTDIR)$(PREFIX)/bin/station
	cd sequences && find . -type f \( -name '*.yaml' -o -name '*.json' \) \
	  -exec install -D -m 644 {} $(DATADIR)/sequences/{} \;
	install -m 644 fixtures/*.yaml $(DATADIR)/fixtures/
	install -m 644 db/*.sql $(DATADIR)/db/
	install -m 644 db/queries/*.sql $(DATADIR)/db/queries/
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/station/
	install -m 644 docs/examples/* $(DESTDIR)$(PREFIX)/share/doc/station/examples/
	install -m 644 docs/station.1 $(DESTDIR)$(PREFIX)/share/man/man1/station.1

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# fuzz, fuzz-build, fuzz-smoke: libFuzzer targets in tests/fuzz/
include tests/fuzz/fuzz.mk
