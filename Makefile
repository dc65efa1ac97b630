# zkswarm - build, test and package.
#
#   make             the daemon, build/zkswarmd, and the operator's CLI, build/zkswarmctl
#   make check       unit tests (cmocka)
#   make asan-check  unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make valgrind    unit tests under valgrind's memcheck
#   make plugin      the managed plugin bundle in plugin/ (config.json + rootfs/)
#   make fuzz        the libFuzzer targets build-fuzz/fuzz_request, fuzz_dns, fuzz_config and
#                    fuzz_dashboard
#                    (clang, ASan+UBSan)
#   make fuzz-run    replay tests/fuzz/regressions/*, then fuzz for FUZZ_SECONDS
#                    (default 600) on a copy of tests/fuzz/corpus; then the same for
#                    fuzz_dns (tests/fuzz/dns/) for FUZZ_DNS_SECONDS (default 30) and
#                    fuzz_config (tests/fuzz/config/) for FUZZ_CONFIG_SECONDS (default 20); crashes
#                    are saved under tests/fuzz/crashes/ and fail the target
#   make bench-tools the load tools build/bench/loadgen (libcurl), build/bench/zkraw,
#                    build/bench/dnsload (DNS over UDP), build/bench/cfgwatch (inotify) and
#                    build/bench/viewbuild (the dashboard's document at scale)
#   make bench       bench/run.sh: its own ZooKeeper and daemon (and a Docker engine),
#                    prints a table and writes BENCHMARKS.md (~13 min; never a test)
#   make format      format every C file with .clang-format; make format-check fails on drift
#   make clean
#
# Dependencies come from pkg-config, except the ZooKeeper C client, which
# ships no .pc file (headers in /usr/include/zookeeper, -lzookeeper_mt).

CC ?= cc
BUILD ?= build
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

# libcurl: the daemon's client of the engine's API (src/sys/engine.c) and zkswarmctl's of the daemon.
PKGS := libmicrohttpd libcjson libnl-3.0 libnl-route-3.0 libcurl
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation -Wvla
CFLAGS ?= -O2 -g
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# The fuzz build: Debian's clang; the library is instrumented for coverage
# (fuzzer-no-link), the target links libFuzzer's main.
FUZZ_CC ?= clang
FUZZ_BUILD := build-fuzz
FUZZ_CFLAGS := $(SAN_FLAGS) -fsanitize=fuzzer-no-link -Wno-unknown-warning-option
FUZZ_SECONDS ?= 600

ALL_CPPFLAGS := -Iinclude -D_GNU_SOURCE -DTHREADED -DZKSWARM_VERSION=\"$(VERSION)\" \
	$(shell pkg-config --cflags $(PKGS)) $(CPPFLAGS)
ALL_CFLAGS := -std=gnu11 -pthread $(WARN) $(CFLAGS) -MMD -MP
# libldns (the DNS server's wire format): Debian's 1.8.3 ships ldns.pc; -lldns without it.
LDNS_LIBS := $(shell pkg-config --libs ldns 2>/dev/null || echo -lldns)
# libcrypto (OpenSSL): SHA-256 of configuration files (src/core/records_config.c).
LIBS := $(shell pkg-config --libs $(PKGS)) $(LDNS_LIBS) -lzookeeper_mt -lcrypto -lpthread
TEST_LIBS := $(shell pkg-config --libs cmocka)

LIB_SRCS := $(wildcard src/lib/*.c src/store/*.c src/core/*.c src/sys/*.c src/api/*.c src/dns/*.c \
	src/view/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/dashboard_assets.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all check asan-check valgrind plugin clean format format-check bench bench-tools fuzz fuzz-run
.DELETE_ON_ERROR:

all: $(BUILD)/zkswarmd $(BUILD)/zkswarmctl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

# The dashboard's page, embedded (src/api/dashboard_assets.h): od and awk, ETags by sha256sum.
DASH_ASSETS := web/dashboard/index.html web/dashboard/app.js web/dashboard/app.css \
	web/dashboard/favicon.svg
$(BUILD)/gen/dashboard_assets.c: $(DASH_ASSETS) scripts/embed-assets.sh
	@mkdir -p $(dir $@)
	scripts/embed-assets.sh $@ $(DASH_ASSETS)
$(BUILD)/gen/dashboard_assets.o: $(BUILD)/gen/dashboard_assets.c
	$(CC) $(ALL_CPPFLAGS) -Isrc/api $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libzkswarm.a: $(LIB_OBJS)
	ar rcs $@ $^

$(BUILD)/zkswarmd: $(BUILD)/src/zkswarmd.o $(BUILD)/libzkswarm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# zkswarmctl, the operator's CLI: src/zkswarmctl.c over its library of src/ctl/*.c.
CTL_LIB_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard src/ctl/*.c))
$(BUILD)/libzkswarmctl.a: $(CTL_LIB_OBJS)
	ar rcs $@ $^
$(BUILD)/zkswarmctl: $(BUILD)/src/zkswarmctl.o $(BUILD)/libzkswarmctl.a $(BUILD)/libzkswarm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# The fakes of the kernel and of the Docker engine (tests/fakes/) serve the unit tests and the
# fuzz target.
$(BUILD)/tests/%.o: ALL_CPPFLAGS += -Itests/fakes
TEST_FAKES := $(BUILD)/tests/fakes/fakes.o $(BUILD)/tests/fakes/fake_engine.o

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/helpers.o $(TEST_FAKES) \
		$(BUILD)/libzkswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# The unit tests of zkswarmctl (tests/unit/test_ctl_*.c) also link its library.
CTL_UNIT_BINS := $(filter $(BUILD)/tests/test_ctl_%,$(UNIT_BINS))
$(CTL_UNIT_BINS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/helpers.o \
		$(TEST_FAKES) $(BUILD)/libzkswarmctl.a $(BUILD)/libzkswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# CLI over the netlink module for tests/integration/test_netlink.sh
$(BUILD)/tests/netlink_driver: $(BUILD)/tests/netlink/netlink_driver.o $(BUILD)/libzkswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# configs.c over the ZooKeeper store, for tests/integration/test_configs_zk.sh.
$(BUILD)/tests/configs_zk: $(BUILD)/tests/integration/configs_zk.o $(BUILD)/libzkswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# libFuzzer target over zks_http_dispatch (tests/fuzz/fuzz_request.c); BUILD=build-fuzz only.
$(BUILD)/fuzz_request: $(BUILD)/tests/fuzz/fuzz_request.o $(TEST_FAKES) $(BUILD)/libzkswarm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# libFuzzer target over zks_dns_answer with a fixed small index (tests/fuzz/fuzz_dns.c).
$(BUILD)/fuzz_dns: $(BUILD)/tests/fuzz/fuzz_dns.o $(BUILD)/libzkswarm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# libFuzzer target over the configuration records' decoders (tests/fuzz/fuzz_config.c).
$(BUILD)/fuzz_config: $(BUILD)/tests/fuzz/fuzz_config.o $(BUILD)/libzkswarm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# libFuzzer target over zks_dashboard_dispatch (tests/fuzz/fuzz_dashboard.c).
$(BUILD)/fuzz_dashboard: $(BUILD)/tests/fuzz/fuzz_dashboard.o $(BUILD)/libzkswarm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

# libFuzzer target over zks_plugin_id_from_mountinfo (tests/fuzz/fuzz_mountinfo.c).
$(BUILD)/fuzz_mountinfo: $(BUILD)/tests/fuzz/fuzz_mountinfo.o $(BUILD)/libzkswarm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" $(FUZZ_BUILD)/fuzz_request $(FUZZ_BUILD)/fuzz_dns \
		$(FUZZ_BUILD)/fuzz_config $(FUZZ_BUILD)/fuzz_dashboard $(FUZZ_BUILD)/fuzz_mountinfo

# The request target gets FUZZ_SECONDS, the DNS and config targets their own.
FUZZ_DNS_SECONDS ?= 30
FUZZ_CONFIG_SECONDS ?= 20
FUZZ_DASHBOARD_SECONDS ?= 20
FUZZ_MOUNTINFO_SECONDS ?= 10
fuzz-run: fuzz
	tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz_request $(FUZZ_SECONDS)
	FUZZ_DIR=dns tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz_dns $(FUZZ_DNS_SECONDS)
	FUZZ_DIR=config tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz_config $(FUZZ_CONFIG_SECONDS)
	FUZZ_DIR=dashboard tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz_dashboard $(FUZZ_DASHBOARD_SECONDS)
	FUZZ_DIR=mountinfo tests/fuzz/run.sh $(FUZZ_BUILD)/fuzz_mountinfo $(FUZZ_MOUNTINFO_SECONDS)

check: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== $$t"; $$t || fail=1; done; exit $$fail

asan-check:
	$(MAKE) BUILD=build-asan CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" check

valgrind: $(UNIT_BINS)
	@fail=0; for t in $(UNIT_BINS); do echo "== valgrind $$t"; \
	  valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	    $$t || fail=1; done; exit $$fail

plugin: $(BUILD)/zkswarmd config.json scripts/make-plugin.sh
	scripts/make-plugin.sh $(BUILD)/zkswarmd plugin

# Every C file of the tree, formatted by .clang-format (Debian 12's clang-format 14).
FORMAT_SRCS := $(wildcard include/zkswarm/*.h src/*.c src/*/*.c src/*/*.h tests/*/*.c \
	tests/*/*.h bench/*.c)
format:
	clang-format -i $(FORMAT_SRCS)

# Fails, naming the files, when a file differs from what `make format` makes of it.
format-check:
	@bad=0; for f in $(FORMAT_SRCS); do \
	  clang-format --dry-run --Werror $$f >/dev/null 2>&1 || { echo "not formatted: $$f"; bad=$$((bad + 1)); }; \
	done; n=$(words $(FORMAT_SRCS)); echo "$$((n - bad)) passed, $$bad failed"; \
	[ $$bad -eq 0 ] || { echo "run: make format"; exit 1; }

clean:
	rm -rf build build-asan build-fuzz plugin

# Benchmark tools (bench/): not part of the daemon, built on their own.
BENCH_BINS := $(BUILD)/bench/loadgen $(BUILD)/bench/zkraw $(BUILD)/bench/dnsload \
	$(BUILD)/bench/cfgwatch $(BUILD)/bench/viewbuild
BENCH_CFLAGS = -std=gnu11 -pthread $(WARN) $(CFLAGS)

$(BUILD)/bench/loadgen: bench/loadgen.c bench/samples.h bench/common.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(shell pkg-config --cflags libcurl) $(LDFLAGS) -o $@ $< \
		$(shell pkg-config --libs libcurl) -lpthread

$(BUILD)/bench/zkraw: bench/zkraw.c bench/samples.h bench/common.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DTHREADED $(LDFLAGS) -o $@ $< -lzookeeper_mt -lpthread

$(BUILD)/bench/dnsload: bench/dnsload.c bench/samples.h bench/common.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $< -lpthread

$(BUILD)/bench/cfgwatch: bench/cfgwatch.c bench/common.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DTHREADED $(LDFLAGS) -o $@ $< -lzookeeper_mt -lpthread

# The dashboard's build (snapshot, view, feed) at scale, over the in-memory store.
$(BUILD)/bench/viewbuild: bench/viewbuild.c $(BUILD)/libzkswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(BENCH_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

bench-tools: $(BENCH_BINS)

bench: bench-tools $(BUILD)/zkswarmd $(BUILD)/zkswarmctl
	bench/run.sh

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
