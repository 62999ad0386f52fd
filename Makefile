# tambo — one GNU Makefile for the whole tree.
#
#   make            build everything under $(B) (default build/)
#   make run        install missing Debian packages, build, run a loopback instance
#   make check      install missing Debian packages, build, run the whole suite,
#                   then again on an AddressSanitizer/UBSan build
#   make bench      tambo against a private Postfix instance, same machine, same run
#   make install    DESTDIR= PREFIX= (see the paths below)
#   make fuzz       clang libFuzzer builds of the parsers (tests/fuzz)

CC        ?= cc
B         ?= build
PREFIX    ?= /usr
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/tambo
UNITDIR   ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SANITIZE  ?=
PKG_CONFIG ?= pkg-config

WARN := -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wimplicit-fallthrough -Wpointer-arith \
	-Wcast-qual -Wwrite-strings -Wundef
HARDEN := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
OPT ?= -O2 -g
ifneq ($(SANITIZE),)
OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
HARDEN := -fPIE
endif

CFLAGS ?=
LDFLAGS ?=
ALL_CFLAGS := -std=c17 -D_GNU_SOURCE $(OPT) $(WARN) $(HARDEN) -MMD -MP \
	-Ilibexec/common -DSYSCONFDIR='"$(SYSCONFDIR)"' $(CFLAGS)
ALL_LDFLAGS := $(OPT) -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS)

IDN_LIBS     := $(shell $(PKG_CONFIG) --libs libidn2 2>/dev/null || echo -lidn2)
CRYPT_LIBS   := $(shell $(PKG_CONFIG) --libs libcrypt 2>/dev/null || echo -lcrypt)
GNUTLS_LIBS  := $(shell $(PKG_CONFIG) --libs gnutls 2>/dev/null || echo -lgnutls)
SYSTEMD_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)
RESOLV_LIBS  := -lresolv

COMMON_SRC := $(wildcard libexec/common/*.c)
COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/obj/%.o)
COMMON_LIB := $(B)/obj/libtambo.a

# Programs: bin/NAME/*.c -> $(B)/bin/NAME, libexec/NAME/*.c ->
# $(B)/libexec/tambo/NAME (libexec/common and libexec/tls are not programs).
# NAME_LIBS: what each links besides the static library.
BIN_NAMES     := $(notdir $(patsubst %/,%,$(dir $(wildcard bin/*/main.c))))
LIBEXEC_NAMES := $(filter-out common tls,\
	$(notdir $(patsubst %/,%,$(dir $(wildcard libexec/*/main.c)))))
PROGS := $(BIN_NAMES:%=$(B)/bin/%) $(LIBEXEC_NAMES:%=$(B)/libexec/tambo/%)
# libidn2 is loaded on first use (addr.c), GnuTLS with the TLS plugin
# (tls.so): neither is linked into the per-connection handler.
tambo_LIBS    := $(CRYPT_LIBS) $(RESOLV_LIBS) $(SYSTEMD_LIBS)
smtpd_LIBS    := $(CRYPT_LIBS) $(RESOLV_LIBS)
authd_LIBS    := $(CRYPT_LIBS)
enqueue_LIBS  :=
deliver_LIBS  := $(RESOLV_LIBS)
remote_LIBS   := $(RESOLV_LIBS)
sendmail_LIBS :=
# dkimsign is a filter, not a per-connection handler: it links GnuTLS
# (nettle underneath) for its hashes and signatures.
dkimsign_LIBS := $(GNUTLS_LIBS)

# The TLS plugin (tls.h): GnuTLS is loaded only by sessions that use TLS.
TLS_SRC    := $(wildcard libexec/tls/*.c)
TLS_PLUGIN := $(B)/libexec/tambo/tls.so
GNUTLS_CFLAGS := $(shell $(PKG_CONFIG) --cflags gnutls 2>/dev/null)
PIC_CFLAGS := $(filter-out -fPIE,$(ALL_CFLAGS)) -fPIC -fvisibility=hidden \
	$(GNUTLS_CFLAGS)

UNIT_SRC  := $(wildcard tests/unit/*.c)
# the TLS unit test is a GnuTLS client of the plugin
TEST_LIBS_tls := $(GNUTLS_LIBS)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/tests/fuzz/%-replay)

# Objects are kept, so a second `make` has nothing to do.
.SECONDARY:

.PHONY: all check check-plain check-asan test run bench install clean deps \
	fuzz analyze lint-man
all: $(PROGS) $(TLS_PLUGIN) $(UNIT_BIN) $(FUZZ_REPLAY)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/obj-pic/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC  $< (PIC)"
	@$(CC) $(PIC_CFLAGS) -c -o $@ $<

# DESIGN.md: no GnuTLS API newer than 3.7.3 (Ubuntu 22.04); the symbol
# versions the plugin imports say which it uses.
$(TLS_PLUGIN): $(TLS_SRC:%.c=$(B)/obj-pic/%.o)
	@mkdir -p $(@D)
	$(CC) -shared $(OPT) -Wl,-z,relro,-z,now -Wl,--as-needed -o $@ $^ \
		$(GNUTLS_LIBS)
	@if objdump -T $@ | grep -E 'GNUTLS_3_7_([4-9]|[1-9][0-9])|GNUTLS_3_([89]|[1-9][0-9])'; then \
		echo "$@: uses GnuTLS API newer than 3.7.3" >&2; rm -f $@; exit 1; fi

$(B)/obj/tests/unit/tls.o: ALL_CFLAGS += $(GNUTLS_CFLAGS)
$(B)/tests/unit/tls: | $(TLS_PLUGIN)

$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

define prog_rule
$(1): $$(patsubst %.c,$(B)/obj/%.o,$$(wildcard $(2)/*.c)) $(COMMON_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$($(3)_LIBS)
endef
$(foreach p,$(BIN_NAMES),$(eval $(call prog_rule,$(B)/bin/$(p),bin/$(p),$(p))))
$(foreach p,$(LIBEXEC_NAMES),$(eval \
	$(call prog_rule,$(B)/libexec/tambo/$(p),libexec/$(p),$(p))))
$(B)/obj/libexec/dkimsign/%.o: ALL_CFLAGS += $(GNUTLS_CFLAGS)

$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CRYPT_LIBS) $(RESOLV_LIBS) $(TEST_LIBS_$*)

$(B)/tests/fuzz/%-replay: $(B)/obj/tests/fuzz/%.o $(B)/obj/tests/fuzz/replay.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(IDN_LIBS) $(RESOLV_LIBS)

# --- set-up ---------------------------------------------------------------

deps:
	@sh tests/lib/deps.sh

# --- tests ----------------------------------------------------------------
# `make check` runs the suite on the normal build, then on a second build
# with AddressSanitizer and UBSan (build/asan).  prove prints the summary.

PROVE ?= prove
SCRIPTS := $(wildcard tests/smtpd/*.t tests/integration/*.t tests/fuzz/*.t)
UNIT_NAMES := $(UNIT_SRC:tests/unit/%.c=%)

check: deps
	$(MAKE) all
	$(MAKE) B=build/asan SANITIZE=1 CC=clang all
	$(MAKE) check-plain
	$(MAKE) check-asan

check-plain:
	TAMBO_BUILD=$(CURDIR)/$(B) $(PROVE) -j2 \
		$(UNIT_NAMES:%=$(B)/tests/unit/%) $(SCRIPTS)

check-asan:
	TAMBO_BUILD=$(CURDIR)/build/asan TAMBO_SANITIZE=1 \
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(PROVE) -j2 $(UNIT_NAMES:%=build/asan/tests/unit/%) $(SCRIPTS)

test: all check-plain

run: deps all
	@sh tests/lib/run.sh "$(CURDIR)/$(B)"

bench: deps all
	@bash tests/bench/run

fuzz:
	@sh tests/fuzz/run-libfuzzer.sh

analyze:
	$(MAKE) B=build/analyze OPT='-O1 -g -fanalyzer' all

lint-man:
	mandoc -Tlint -Wwarning man/*.[1-8]

# --- install --------------------------------------------------------------

install: $(PROGS) $(TLS_PLUGIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/tambo
	install -m 0755 $(BIN_NAMES:%=$(B)/bin/%) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(LIBEXEC_NAMES:%=$(B)/libexec/tambo/%) \
		$(DESTDIR)$(LIBEXECDIR)/
	if [ -f $(B)/bin/sendmail ]; then \
		ln -sf ../bin/sendmail $(DESTDIR)$(SBINDIR)/sendmail; \
		ln -sf sendmail $(DESTDIR)$(BINDIR)/mailq; fi
	install -m 0644 $(TLS_PLUGIN) $(DESTDIR)$(LIBEXECDIR)/tls.so
	for u in units/*.socket units/*.service units/*.timer units/*.path; do \
		[ -f "$$u" ] || continue; \
		sed 's|/usr/libexec/tambo|$(LIBEXECDIR)|g; s|/usr/bin/tambo|$(BINDIR)/tambo|g' \
			"$$u" > $(DESTDIR)$(UNITDIR)/$${u#units/}; \
	done
	[ ! -f units/tambo.sysusers ] || install -m 0644 units/tambo.sysusers $(DESTDIR)$(SYSUSERSDIR)/tambo.conf
	[ ! -f units/tambo.tmpfiles ] || install -m 0644 units/tambo.tmpfiles $(DESTDIR)$(TMPFILESDIR)/tambo.conf
	for m in man/*.5; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man5/ || true; done
	for m in man/*.7; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man7/ || true; done
	for m in man/*.8; do [ -f "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man8/ || true; done
	[ -f $(DESTDIR)$(SYSCONFDIR)/tambo/tambo.conf.example ] || \
		install -m 0644 etc/tambo.conf $(DESTDIR)$(SYSCONFDIR)/tambo/tambo.conf.example

clean:
	rm -rf build

-include $(shell find $(B)/obj $(B)/obj-pic -name '*.d' 2>/dev/null)
