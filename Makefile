# lintel's Makefile. configure writes $(B)/config.mk (flags, module sources, install
# paths); this file holds the rules. `make` before `configure` runs configure with its
# defaults; a change to configure or auto/ re-runs it with the same arguments.

B ?= objs

.DEFAULT_GOAL := all

-include $(B)/config.mk

$(B)/config.mk: configure $(wildcard auto/*)
	./configure $(if $(filter-out objs,$(B)),--builddir=$(B)) $(LT_CONFIGURE_ARGS)

CORE_SRCS := $(wildcard core/*.c)
HTTP_SRCS := $(if $(filter YES,$(LT_HAVE_HTTP)),$(wildcard http/*.c))
MAIN_SRC := core/lintel.c
LIB_SRCS := $(filter-out $(MAIN_SRC),$(CORE_SRCS)) $(HTTP_SRCS) $(LT_MODULE_SRCS)

LIB_OBJS := $(patsubst %.c,$(B)/%.o,$(LIB_SRCS)) $(B)/modules.o
MAIN_OBJ := $(B)/core/lintel.o

UNIT_SRCS := $(wildcard t/unit/*.c)
UNIT_BINS := $(patsubst t/unit/%.c,$(B)/unit/%,$(UNIT_SRCS))

FUZZ_SRCS := $(wildcard t/fuzz/*.c)

DEPS := $(LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) $(UNIT_BINS:=.d)

CC := $(LT_CC)
ALL_CFLAGS = $(LT_CPPFLAGS) $(LT_CFLAGS) -MMD -MP

PROVE ?= prove
PROVE_FLAGS ?= -j2

.PHONY: all unit test check sanitize fuzz install clean run check-headers

all: $(B)/lintel

$(B)/lintel: $(MAIN_OBJ) $(B)/liblintel.a
	$(CC) -o $@ $(MAIN_OBJ) $(B)/liblintel.a $(LT_LDFLAGS) $(LT_LIBS)

$(B)/liblintel.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(B)/%.o: %.c $(B)/config.mk
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/modules.o: $(B)/modules.c $(B)/config.mk
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# unit tests: each t/unit/X.c is a program printing TAP; it may #include the .c under
# test to reach its statics, and links the rest from liblintel.a
$(B)/unit/%: t/unit/%.c $(B)/liblintel.a t/unit/tap.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I t/unit -o $@ $< $(B)/liblintel.a $(LT_LDFLAGS) $(LT_LIBS)

unit: $(UNIT_BINS)

# `make test`: the unit tests, then the integration tests, in one prove run so that
# its summary is the last line
test: all unit check-headers
	LINTEL_BINARY=$(abspath $(B)/lintel) $(PROVE) $(PROVE_FLAGS) $(UNIT_BINS) -r t/

check: test

# `make run`: lintel in the foreground from the source tree, with the shipped
# configuration, logging to the terminal; Ctrl-C stops it
run: all
	@mkdir -p logs
	$(B)/lintel -p $(CURDIR)/ -c conf/lintel.conf -g 'daemon off; error_log stderr notice;'

# every header compiles on its own
check-headers:
	@set -e; for h in core/*.h $(if $(HTTP_SRCS),http/*.h); do \
	    printf '#include "%s"\n' $$(basename $$h) > $(B)/header-check.c; \
	    $(CC) $(LT_CPPFLAGS) $(LT_CFLAGS) -fsyntax-only $(B)/header-check.c \
	        || { echo "$$h does not compile on its own"; exit 1; }; \
	done; rm -f $(B)/header-check.c; echo "headers: each compiles on its own"

# the whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer, with
# the debug pool (one malloc per pool allocation), in a build directory of its own
SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
sanitize:
	@test objs/san/config.mk -nt auto/modules_list || ./configure --builddir=objs/san --with-debug \
	    --with-debug-pool --with-cc-opt='$(SAN_FLAGS) -O1' --with-ld-opt='$(SAN_FLAGS)'
	$(MAKE) --no-print-directory B=objs/san test

# libFuzzer harnesses (clang): build and run each for FUZZ_SECONDS on its corpus
FUZZ_SECONDS ?= 20
fuzz:
	@test objs/fuzz/config.mk -nt auto/modules_list || ./configure --builddir=objs/fuzz --with-cc=clang \
	    --with-debug-pool --with-cc-opt='-fsanitize=fuzzer-no-link,address,undefined -O1' \
	    --with-ld-opt='-fsanitize=address,undefined'
	$(MAKE) B=objs/fuzz objs/fuzz/liblintel.a
	@set -e; for f in $(FUZZ_SRCS); do \
	    n=$$(basename $$f .c); \
	    clang $$(sed -n 's/^LT_CPPFLAGS = //p' objs/fuzz/config.mk) -std=c11 -D_GNU_SOURCE \
	        -g -O1 -fsanitize=fuzzer,address,undefined -o objs/fuzz/$$n $$f objs/fuzz/liblintel.a \
	        $$(sed -n 's/^LT_LIBS = //p' objs/fuzz/config.mk); \
	    mkdir -p objs/fuzz/corpus-$$n; \
	    objs/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -timeout=5 objs/fuzz/corpus-$$n \
	        t/fuzz/corpus/$$n; \
	done

install: all
	test -d '$(DESTDIR)$(dir $(LT_SBIN_PATH))' || mkdir -p '$(DESTDIR)$(dir $(LT_SBIN_PATH))'
	test ! -f '$(DESTDIR)$(LT_SBIN_PATH)' \
	    || mv '$(DESTDIR)$(LT_SBIN_PATH)' '$(DESTDIR)$(LT_SBIN_PATH).old'
	cp $(B)/lintel '$(DESTDIR)$(LT_SBIN_PATH)'
	test -d '$(DESTDIR)$(dir $(LT_CONF_PATH))' || mkdir -p '$(DESTDIR)$(dir $(LT_CONF_PATH))'
	cp conf/mime.types '$(DESTDIR)$(dir $(LT_CONF_PATH))mime.types.default'
	test -f '$(DESTDIR)$(dir $(LT_CONF_PATH))mime.types' \
	    || cp conf/mime.types '$(DESTDIR)$(dir $(LT_CONF_PATH))mime.types'
	cp conf/lintel.conf '$(DESTDIR)$(LT_CONF_PATH).default'
	test -f '$(DESTDIR)$(LT_CONF_PATH)' || cp conf/lintel.conf '$(DESTDIR)$(LT_CONF_PATH)'
	test -d '$(DESTDIR)$(dir $(LT_PID_PATH))' || mkdir -p '$(DESTDIR)$(dir $(LT_PID_PATH))'
	test -d '$(DESTDIR)$(dir $(LT_ERROR_LOG_PATH))' \
	    || mkdir -p '$(DESTDIR)$(dir $(LT_ERROR_LOG_PATH))'
	test -d '$(DESTDIR)$(dir $(LT_HTTP_LOG_PATH))' \
	    || mkdir -p '$(DESTDIR)$(dir $(LT_HTTP_LOG_PATH))'
	test -d '$(DESTDIR)$(LT_PREFIX)/html' || cp -R html '$(DESTDIR)$(LT_PREFIX)'
	test -d '$(DESTDIR)$(dir $(LT_MAN_PATH))' || mkdir -p '$(DESTDIR)$(dir $(LT_MAN_PATH))'
	cp man/lintel.8 '$(DESTDIR)$(LT_MAN_PATH)'

clean:
	rm -rf objs $(filter-out objs objs/%,$(B))

-include $(DEPS)
