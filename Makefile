# sysops-agent - GNU make build. No autotools: dependencies come from pkg-config.
#
#   make                 build/sysops-agent
#   make check           every unit and integration test (+ toml-test suite)
#   make check SAN=1     the same under ASan+UBSan (objects in build/san)
#   make WITH_SQLITE=0   build without the optional SQLite history
#   make bench           the whole daemon against a floor (BENCH=all: every bench)
#   make run | install | deps | fuzz

SHELL       := /bin/bash
PREFIX      ?= /usr/local
BINDIR      ?= $(PREFIX)/sbin
# The delivery launcher helper (sysops-launch) goes in LIBEXECDIR/sysops-agent.
LIBEXECDIR  ?= $(PREFIX)/libexec
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
DESTDIR     ?=
VERSION     := 0.1.0
SHARED      ?= ../shared

CC          ?= cc
PKG_CONFIG  ?= pkg-config
PKGS        := libsystemd libcurl libcap-ng json-c libpcre2-8
TEST_PKGS   := cmocka

# Optional SQLite: auto-detected unless WITH_SQLITE is given.
WITH_SQLITE ?= $(shell $(PKG_CONFIG) --exists sqlite3 2>/dev/null && echo 1 || echo 0)
ifeq ($(WITH_SQLITE),1)
PKGS        += sqlite3
endif

# Optional libseccomp (>= 2.4; Debian 11 and RHEL 8 ship 2.5): the seccomp
# filters of src/core/sandbox.c. Without it the build warns and the delivery
# process is confined by capabilities and no_new_privs alone. With it (and
# libcap-ng, always) the daemon is compiled against it but opens it with
# dlopen() only while start-up uses it (src/core/dynlib.c): nothing refers
# to it at link time, so --as-needed leaves it out, and the packages name it.
WITH_SECCOMP ?= $(shell $(PKG_CONFIG) --atleast-version=2.4 libseccomp 2>/dev/null && echo 1 || echo 0)
ifeq ($(WITH_SECCOMP),1)
PKGS        += libseccomp
else
$(warning libseccomp >= 2.4 not found: building without seccomp filters (apt install libseccomp-dev / dnf install libseccomp-devel))
endif

# libcap-ng >= 0.8 has the ambient set (CAPNG_SELECT_ALL, CAPNG_CLEAR_AMBIENT);
# 0.7.9 (Debian 11, Ubuntu 20.04/22.04) has not: src/core/privilege.c then
# clears it with prctl(). Enum constants, so the header is probed, not #ifdef.
ifeq ($(origin HAVE_CAPNG_AMBIENT),undefined)
HAVE_CAPNG_AMBIENT := $(shell printf '\043include <cap-ng.h>\nint x = CAPNG_SELECT_ALL | CAPNG_CLEAR_AMBIENT;\n' | \
	$(CC) -x c -fsyntax-only - 2>/dev/null && echo 1 || echo 0)
endif

# Each flavour builds in its own directory so they never share objects.
BUILD       := build
ifeq ($(SAN),1)
BUILD       := $(BUILD)/san
endif
ifeq ($(WITH_SQLITE),0)
BUILD       := $(BUILD)/nosqlite
endif

# libcurl is compiled against but not linked: src/core/libcurl.c opens it
# on first use, so an agent without HTTP channels never maps it (or TLS).
# Nor is libsqlite3: src/history/sqlite_api.c opens it for each session of
# the history and closes it after (the packages name it: shlibdeps and rpm's
# find-requires cannot see a dlopen). Tests that read a database with
# SQLite themselves link it.
LINK_PKGS    = $(filter-out libcurl sqlite3,$(PKGS))
# Evaluated lazily (=) so that `make deps` can run before pkg-config knows them.
PKG_CFLAGS   = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS     = $(shell $(PKG_CONFIG) --libs $(LINK_PKGS)) -ldl
TEST_CFLAGS  = $(shell $(PKG_CONFIG) --cflags $(TEST_PKGS))
TEST_LIBS    = $(shell $(PKG_CONFIG) --libs $(TEST_PKGS) $(filter sqlite3,$(PKGS)))

WARNINGS    := -Wall -Wextra -Wshadow -Wformat=2 -Werror
HARDENING   := -fstack-protector-strong -fPIE -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2
# CFLAGS/LDFLAGS from the command line or a packager (rpm's %{optflags},
# dpkg-buildflags) are kept; what the project needs is added with override,
# so a packaged build still gets C11, _GNU_SOURCE, -Werror and hardening.
CFLAGS      ?= -O2 -g
override CFLAGS   += -std=c11 -D_GNU_SOURCE $(WARNINGS) -MMD -MP
# sqrt() as the instruction alone, not a call into libm for a negative
# argument's errno (nothing reads errno after a math function): with
# src/core/numeric.h the daemon's own code calls nothing in libm.
override CFLAGS   += -fno-math-errno
override CPPFLAGS += -Isrc -DSYSOPS_VERSION=\"$(VERSION)\" -DWITH_SQLITE=$(WITH_SQLITE) \
		     -DHAVE_CAPNG_AMBIENT=$(HAVE_CAPNG_AMBIENT) \
		     -DHAVE_SECCOMP=$(WITH_SECCOMP) \
		     -DSYSOPS_LIBEXECDIR=\"$(LIBEXECDIR)/sysops-agent\"
override LDFLAGS  += -pie -Wl,-z,relro,-z,now -Wl,--as-needed
# DT_RELR (binutils >= 2.38 with glibc >= 2.36: Debian 12 and later) packs
# the PIE's ~2,000 relative relocations into a bitmap: the read-only segment
# the loader reads them from shrinks by ~47 KiB, resident for the daemon's
# life. Probed by linking and running a PIE with one relative relocation
# (--fatal-warnings: older ld only warns about an unknown -z option); a
# compiler whose output cannot run here (cross builds) does without.
ifeq ($(origin HAVE_RELR),undefined)
HAVE_RELR := $(shell t=$$(mktemp -d) && \
	printf 'static int x;\nint *const p = &x;\nint main(void) { return *p; }\n' | \
	$(CC) -x c - -fPIE -pie -Wl,--fatal-warnings,-z,pack-relative-relocs -o $$t/relr \
	2>/dev/null && $$t/relr && echo 1 || echo 0; rm -rf $$t)
endif
ifeq ($(HAVE_RELR),1)
override LDFLAGS  += -Wl,-z,pack-relative-relocs
endif
# Each function in its own section, so that the functions the default
# configuration runs (scripts/hot-functions.txt) can be renamed .text.hot.*,
# which the linker's default script places together at the start of .text:
# text the default daemon never runs (subcommands, channels, checks, export)
# then stays in pages it never faults in (64 KiB fault-around makes a page's
# neighbours resident with it). A linker without that rule links as before.
override CFLAGS   += -ffunction-sections
HOT_LIST    := scripts/hot-functions.txt
ifeq ($(SAN),1)
override CFLAGS   := $(filter-out -O2,$(CFLAGS)) -O1 -fsanitize=address,undefined \
                     -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS  += -fsanitize=address,undefined
else
override CFLAGS   += $(HARDENING)
endif

# Every module folder under src/ joins the daemon; main.c is the only file
# kept out of the library the tests link against, besides the main() of the
# launcher helper, which links src/launcher's objects, the frame header's
# check (alerter/delivery_header.o) and libc alone.
SRC         := $(sort $(wildcard src/*/*.c))
MAIN_SRC    := src/core/main.c
LAUNCH_SRC  := src/launcher/sysops_launch.c
LIB_SRC     := $(filter-out $(MAIN_SRC) $(LAUNCH_SRC),$(SRC))
LAUNCH_OBJ  := $(BUILD)/src/launcher/sysops_launch.o $(BUILD)/src/launcher/launcher.o \
               $(BUILD)/src/launcher/launcher_filter.o $(BUILD)/src/alerter/delivery_header.o
LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ    := $(MAIN_SRC:%.c=$(BUILD)/%.o)
LIB         := $(BUILD)/libsysops.a

UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC    := $(sort $(wildcard tests/tools/*.c))
TOOL_BIN    := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tests/tools/%)
BENCH_SRC   := $(sort $(wildcard bench/*.c))
BENCH_BIN   := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN    := $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/%)

.PHONY: all build-all check check-build check-run bench bench-run run \
	run-foreground install deps ensure-deps ensure-test-deps fuzz fuzz-build \
	clean format dist man-build
.DEFAULT_GOAL := all

# The public targets install what is missing first, then hand over to a fresh
# make (a target whose name holds no $(BUILD)) so that everything pkg-config
# decides (WITH_SQLITE, flags, BUILD) is decided with the dependencies present:
# plain `make` on a fresh machine works the first time.
all: ensure-deps
	@$(MAKE) --no-print-directory build-all

build-all: $(BUILD)/sysops-agent $(BUILD)/sysops-launch $(BUILD)/toml-decoder

# Installs what is missing, a quick no-op when everything is present:
# `make`, `make run`, `make bench`, `make man` the build group (compiler and
# libraries); `make check` also the test group and, best effort, the
# packaging tools (scripts/install-deps says which groups hold what).
ensure-deps:
	@scripts/install-deps --if-root build

ensure-test-deps:
	@scripts/install-deps --if-root test tools

deps:
	@scripts/install-deps all

$(BUILD)/%.o: %.c $(HOT_LIST)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@
	@scripts/hot-sections $@ $(HOT_LIST)

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/sysops-agent: $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $^ $(PKG_LIBS) -lm -o $@

# No library but libc: it stays resident as long as the daemon runs.
$(BUILD)/sysops-launch: $(LAUNCH_OBJ)
	$(CC) $(LDFLAGS) $^ -o $@

# Beside the test tools too: alert_feed finds it next to itself.
$(BUILD)/tests/tools/sysops-launch: $(BUILD)/sysops-launch
	@mkdir -p $(dir $@)
	cp $< $@

$(BUILD)/toml-decoder: $(BUILD)/tests/tools/toml_decoder
	cp $< $@

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Isrc/core $(CFLAGS) $(PKG_CFLAGS) $< $(LIB) $(LDFLAGS) $(PKG_LIBS) -lm -o $@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Isrc/core $(CFLAGS) $(PKG_CFLAGS) $(TEST_CFLAGS) $< $(LIB) \
		$(LDFLAGS) $(PKG_LIBS) $(TEST_LIBS) -lm -o $@

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(PKG_CFLAGS) $< $(LIB) $(LDFLAGS) $(PKG_LIBS) -lm -o $@

check-build: $(BUILD)/sysops-agent $(BUILD)/sysops-launch $(BUILD)/toml-decoder $(UNIT_BIN) $(TOOL_BIN) \
	$(BUILD)/tests/tools/sysops-launch

check: ensure-test-deps
	@$(MAKE) --no-print-directory check-run

check-run: check-build
	@BUILD=$(BUILD) SHARED=$(SHARED) SAN=$(SAN) tests/run-tests

bench:
	@scripts/install-deps --if-root bench
	@$(MAKE) --no-print-directory bench-run

bench-run: $(BUILD)/sysops-agent $(BUILD)/sysops-launch $(BENCH_BIN)
	@BUILD=$(BUILD) BENCH=$(BENCH) bench/run-bench

# Foreground daemon on the example config; state stays inside build/.
run: ensure-deps
	@$(MAKE) --no-print-directory run-foreground

run-foreground: $(BUILD)/sysops-agent
	@# No mkdir: a state directory the daemon creates, it may hand to its user.
	@chmod go-w etc/sysops-agent.toml # a umask of 002 must not get it refused
	STATE_DIRECTORY=$(CURDIR)/$(BUILD)/state $(BUILD)/sysops-agent -f -c etc/sysops-agent.toml

# libFuzzer targets, always clang, always with sanitizers.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Isrc -Isrc/core -fsanitize=fuzzer,address,undefined \
               -DSYSOPS_VERSION=\"$(VERSION)\" -DWITH_SQLITE=0
fuzz:
	@scripts/install-deps --if-root build tools
	@command -v clang >/dev/null || { echo "make fuzz needs clang with libFuzzer" \
		"(scripts/install-deps tools could not install it here)" >&2; exit 1; }
	@$(MAKE) --no-print-directory fuzz-build

fuzz-build: $(FUZZ_BIN)
	@echo "fuzz targets: $(FUZZ_BIN)"
	@echo "run one (new inputs go to the first, scratch, directory):"
	@echo "  mkdir -p build/fuzz/corpus-toml && build/fuzz/fuzz_toml -max_total_time=60 build/fuzz/corpus-toml tests/fuzz/corpus/toml"

build/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) $(PKG_CFLAGS) $< $(LIB_SRC) \
		$(filter-out -lsqlite3,$(PKG_LIBS)) -lm -o $@

install: $(BUILD)/sysops-agent $(BUILD)/sysops-launch
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR)/sysops-agent \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/sysops-agent $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 $(BUILD)/sysops-agent $(DESTDIR)$(BINDIR)/sysops-agent
	install -m 0755 $(BUILD)/sysops-launch $(DESTDIR)$(LIBEXECDIR)/sysops-agent/sysops-launch
	install -m 0644 man/sysops-agent.8 $(DESTDIR)$(MANDIR)/man8/sysops-agent.8
	install -m 0644 man/sysops-agent.toml.5 $(DESTDIR)$(MANDIR)/man5/sysops-agent.toml.5
	install -m 0640 etc/sysops-agent.toml $(DESTDIR)$(SYSCONFDIR)/sysops-agent/config.toml
	sed 's|/usr/sbin/sysops-agent|$(BINDIR)/sysops-agent|g' etc/sysops-agent.service \
		>$(DESTDIR)$(UNITDIR)/sysops-agent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/sysops-agent.service
	install -m 0644 etc/sysusers.d/sysops-agent.conf $(DESTDIR)$(SYSUSERSDIR)/sysops-agent.conf
	install -m 0644 etc/tmpfiles.d/sysops-agent.conf $(DESTDIR)$(TMPFILESDIR)/sysops-agent.conf
	install -d $(DESTDIR)$(DOCDIR)/templates
	install -m 0644 etc/templates/*.json.tmpl $(DESTDIR)$(DOCDIR)/templates/

# Man pages, release tarball and packages (rpm/, debian/). `make man` rewrites
# man/*.8 and man/*.5 from their templates, --help and the config schema.
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
DOCDIR      ?= $(PREFIX)/share/doc/sysops-agent
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
DIST        := sysops-agent-$(VERSION)
.PHONY: man dist rpm deb

man: ensure-deps
	@$(MAKE) --no-print-directory man-build

man-build: $(BUILD)/sysops-agent $(BUILD)/tests/tools/config_doc
	man/generate $(BUILD) man

# The tracked files as they are in the tree (edits included), reproducibly.
dist:
	@mkdir -p build
	scripts/make-dist $(VERSION) build/$(DIST).tar.gz

rpm: dist
	scripts/build-rpm build/$(DIST).tar.gz build/rpm

deb: dist
	scripts/build-deb build/$(DIST).tar.gz build/deb

format:
	clang-format -i $(SRC) $(wildcard src/*/*.h) $(UNIT_SRC) $(TOOL_SRC) $(FUZZ_SRC) $(BENCH_SRC)

clean:
	rm -rf build

# Dependency files of this flavour's build directory only (BUILD may be
# any directory): build/deb and build/rpm hold package builds (whose
# etc/sysusers.d and own build/ must not be read as ours), build/distro and
# build/nspawn the roots of scripts/distro-check and the container test.
-include $(shell find $(BUILD) \( -path build/deb -o -path build/rpm -o -path build/distro \
	-o -path build/nspawn \) \
	-prune -o -type f -name '*.d' -print 2>/dev/null)
