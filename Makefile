# zkswarm - build, test and package.
#
#   make             the daemon, build/zkswarmd
#   make check       unit tests (cmocka)
#   make asan-check  unit tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make valgrind    unit tests under valgrind's memcheck
#   make plugin      the managed plugin bundle in plugin/ (config.json + rootfs/)
#   make clean
#
# Dependencies come from pkg-config, except the ZooKeeper C client, which
# ships no .pc file (headers in /usr/include/zookeeper, -lzookeeper_mt).

CC ?= cc
BUILD ?= build
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

PKGS := libmicrohttpd libcjson libnl-3.0 libnl-route-3.0
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation -Wvla
CFLAGS ?= -O2 -g
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ALL_CPPFLAGS := -Iinclude -D_GNU_SOURCE -DTHREADED -DZKSWARM_VERSION=\"$(VERSION)\" \
	$(shell pkg-config --cflags $(PKGS)) $(CPPFLAGS)
ALL_CFLAGS := -std=gnu11 -pthread $(WARN) $(CFLAGS) -MMD -MP
LIBS := $(shell pkg-config --libs $(PKGS)) -lzookeeper_mt -lpthread
TEST_LIBS := $(shell pkg-config --libs cmocka)

LIB_SRCS := $(wildcard src/lib/*.c src/store/*.c src/core/*.c src/sys/*.c src/api/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all check asan-check valgrind plugin clean format
.DELETE_ON_ERROR:

all: $(BUILD)/zkswarmd

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libzkswarm.a: $(LIB_OBJS)
	ar rcs $@ $^

$(BUILD)/zkswarmd: $(BUILD)/src/zkswarmd.o $(BUILD)/libzkswarm.a
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(BUILD)/tests/unit/helpers.o $(BUILD)/libzkswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS) $(TEST_LIBS)

# CLI over the netlink module for tests/integration/test_netlink.sh
$(BUILD)/tests/netlink_driver: $(BUILD)/tests/netlink/netlink_driver.o $(BUILD)/libzkswarm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

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

format:
	clang-format -i $(wildcard include/zkswarm/*.h src/*.c src/*/*.c tests/unit/*.c)

clean:
	rm -rf build build-asan plugin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
