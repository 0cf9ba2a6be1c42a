# veilfs build (GNU make). Output goes to build/ (or $(BUILD)); `make SANITIZE=1` builds
# with ASan+UBSan into build-san/. See README for the targets.

CC      ?= cc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/veilfs
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/vendor-completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
SCDOC   ?= scdoc
SANITIZE ?=
ifeq ($(SANITIZE),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT     ?= -O1 -g
else
BUILD   ?= build
SANFLAGS =
OPT     ?= -O2 -g
endif

PKGS    := fuse3 libcrypto libargon2 libsodium smbclient tss2-esys tss2-mu tss2-tctildr tss2-rc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wvla \
           -Wwrite-strings -fno-common -Wformat=2 -Wshadow
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS  ?=
ALL_CFLAGS := -std=c17 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE $(OPT) $(WARN) $(HARDEN) $(SANFLAGS) -Isrc $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LDFLAGS ?=
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(SANFLAGS) $(LDFLAGS)
LIBS    := $(PKG_LIBS) -lpthread

CORE_DIRS := base crypto format codec keys names store cache coord vault fsck
# Windows back ends (*_win32.c) are built by `make windows` only (its section below).
CORE_SRC  := $(filter-out %_win32.c,$(foreach d,$(CORE_DIRS),$(wildcard src/$(d)/*.c)))
FUSE_SRC  := $(wildcard src/fuse/*.c)
CLI_SRC   := $(filter-out %_win32.c,$(wildcard src/cli/*.c))
UNIT_SRC  := $(filter-out %_win32.c,$(wildcard tests/unit/test_*.c))
UNIT_MAIN := tests/unit/runner.c tests/unit/helpers.c tests/unit/helpers_fs.c

CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
APP_OBJ   := $(FUSE_SRC:%.c=$(BUILD)/%.o) $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_OBJ  := $(UNIT_SRC:%.c=$(BUILD)/%.o) $(UNIT_MAIN:%.c=$(BUILD)/%.o)

MAN       := $(BUILD)/man/veilfs.1 $(BUILD)/man/veilfs.5
UNIT_FILE := $(BUILD)/veilfs@.service
DOCS      := README.md docs/CLI.md docs/MOUNT.md docs/SHARED.md docs/FORMAT.md docs/FSCK.md \
             docs/ARCHITECTURE.md

.PHONY: all man unit check install uninstall clean check-headers print-cflags fuzz
all: $(BUILD)/veilfs $(BUILD)/unit-tests $(MAN) $(UNIT_FILE)

# Man pages: one scdoc source each (docs/man/*.scd), roff generated here.
man: $(MAN)
$(BUILD)/man/%: docs/man/%.scd
	@mkdir -p $(dir $@)
	$(SCDOC) < $< > $@.tmp && mv $@.tmp $@

# The systemd template unit, with the installed binary's path.
$(UNIT_FILE): contrib/veilfs@.service.in
	@mkdir -p $(dir $@)
	sed 's|@BINDIR@|$(BINDIR)|g' $< > $@

$(BUILD)/libveilfs-core.a: $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

$(BUILD)/veilfs: $(APP_OBJ) $(BUILD)/libveilfs-core.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libveilfs-core.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

check: all
	tests/run.sh

# The compiler flags of the build (scripts/check-includes.sh compiles each header with them).
print-cflags:
	@echo $(ALL_CFLAGS)

# Every header must compile on its own.
check-headers:
	@set -e; for h in $$(find src -name '*.h'); do \
		printf '#include "%s"\n' "$${h#src/}" | \
		$(CC) $(ALL_CFLAGS) -x c -fsyntax-only -MF /dev/null - || { echo "header $$h does not compile alone"; exit 1; }; \
	done; echo "all headers compile alone"

fuzz:
	fuzz/build.sh $(BUILD)/fuzz

# The unit's ExecStart names $(BINDIR): rebuild it for each install (PREFIX may differ).
install: $(BUILD)/veilfs $(MAN)
	install -D -m 0755 $(BUILD)/veilfs $(DESTDIR)$(BINDIR)/veilfs
	install -D -m 0644 $(BUILD)/man/veilfs.1 $(DESTDIR)$(MANDIR)/man1/veilfs.1
	install -D -m 0644 $(BUILD)/man/veilfs.5 $(DESTDIR)$(MANDIR)/man5/veilfs.5
	install -D -m 0644 contrib/completion/veilfs.bash $(DESTDIR)$(BASHCOMPDIR)/veilfs
	install -D -m 0644 contrib/completion/_veilfs $(DESTDIR)$(ZSHCOMPDIR)/_veilfs
	@mkdir -p $(DESTDIR)$(UNITDIR)
	sed 's|@BINDIR@|$(BINDIR)|g' contrib/veilfs@.service.in > $(DESTDIR)$(UNITDIR)/veilfs@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/veilfs@.service
	install -d -m 0755 $(DESTDIR)$(DOCDIR)
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/veilfs $(DESTDIR)$(MANDIR)/man1/veilfs.1 \
	      $(DESTDIR)$(MANDIR)/man5/veilfs.5 $(DESTDIR)$(BASHCOMPDIR)/veilfs \
	      $(DESTDIR)$(ZSHCOMPDIR)/_veilfs $(DESTDIR)$(UNITDIR)/veilfs@.service
	rm -rf $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-san build-win

-include $(CORE_OBJ:.o=.d) $(APP_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)

# ---- Windows (issue 16, docs/WINDOWS.md) ------------------------------------------------
# `make windows` cross-compiles with mingw-w64 (scripts/install-deps.sh --windows) into
# build-win/: the portable core with the libgcrypt crypto back end (WITH_GCRYPT:
# src/crypto/gcrypt/ instead of the OpenSSL/libsodium/libargon2 files) and the platform
# files *_win32.c, linked statically (no DLLs to ship or find under wine).
# platform/win32/compat.h (force-included) supplies the POSIX types the core names.
WIN_CC     ?= x86_64-w64-mingw32-gcc-posix
WIN_AR     ?= x86_64-w64-mingw32-ar
WIN_SYSROOT ?= /usr/x86_64-w64-mingw32
WIN_BUILD  := build-win
# -Wno-format: GCC checks format(printf) attributes against the Microsoft runtime's printf
# (no %zu) even though __USE_MINGW_ANSI_STDIO gives the C99 one; the Linux build checks them.
WIN_CFLAGS := -std=c17 -DWITH_GCRYPT -D_WIN32_WINNT=0x0601 -D__USE_MINGW_ANSI_STDIO=1 \
              -D_POSIX_THREAD_SAFE_FUNCTIONS=200112L \
              -O2 -g $(WARN) -Wno-format -include platform/win32/compat.h -Iplatform/win32/include \
              -Isrc -Itests/unit -I$(WIN_SYSROOT)/include -MMD -MP
WIN_LIBS   := -static -L$(WIN_SYSROOT)/lib -lgcrypt -lgpg-error -lws2_32 -lpthread
# Linked into every .exe: binary files and standard streams, as on POSIX.
WIN_START  := $(WIN_BUILD)/platform/win32/startup.o $(WIN_BUILD)/platform/win32/posix.o
# The core: every module below fuse/, with the Windows files instead of the Linux ones.
WIN_LINUX_ONLY := src/base/secmem.c src/crypto/aead.c src/crypto/siv.c src/crypto/kdf.c \
              src/crypto/argon2.c src/crypto/rand.c src/crypto/box.c src/keys/tpm.c src/store/store_posix.c \
              src/store/store_smb.c
WIN_CORE   := $(filter-out $(WIN_LINUX_ONLY),$(foreach d,$(CORE_DIRS),$(wildcard src/$(d)/*.c))) \
              $(wildcard src/crypto/gcrypt/*.c)
# The unit tests that are portable (the others need FUSE or Linux-only calls:
# docs/WINDOWS.md lists them and why).
WIN_UNITS  := admin base config_v2 coord crypto format names rekey_mark store_record store_win32 vectors \
              write_plan
WIN_UNIT_SRC := $(WIN_UNITS:%=tests/unit/test_%.c) tests/unit/runner.c tests/unit/helpers.c \
                tests/unit/helpers_fs_win32.c
# veilfs.exe: the CLI without FUSE (mount, umount and status say so: cmd_mount_win32.c).
WIN_CLI_LINUX := src/cli/cmd_mount.c src/cli/cmd_umount.c src/cli/cmd_status.c src/cli/mounts.c \
              src/cli/registry_platform.c src/cli/lower.c src/cli/lower_gluster.c \
              src/cli/password_tty.c
WIN_CLI    := $(filter-out $(WIN_CLI_LINUX),$(wildcard src/cli/*.c))
WIN_CLI_OBJ := $(WIN_CLI:%.c=$(WIN_BUILD)/%.o)
WIN_CORE_OBJ := $(WIN_CORE:%.c=$(WIN_BUILD)/%.o)
WIN_UNIT_OBJ := $(WIN_UNIT_SRC:%.c=$(WIN_BUILD)/%.o)

.PHONY: windows
windows: $(WIN_BUILD)/unit-tests.exe $(WIN_BUILD)/veilfs.exe

$(WIN_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(WIN_CC) $(WIN_CFLAGS) -c -o $@ $<

$(WIN_BUILD)/libveilfs-core.a: $(WIN_CORE_OBJ)
	$(WIN_AR) rcs $@ $^

$(WIN_BUILD)/unit-tests.exe: $(WIN_UNIT_OBJ) $(WIN_START) $(WIN_BUILD)/libveilfs-core.a
	$(WIN_CC) -o $@ $^ $(WIN_LIBS)

$(WIN_BUILD)/veilfs.exe: $(WIN_CLI_OBJ) $(WIN_START) $(WIN_BUILD)/libveilfs-core.a
	$(WIN_CC) -o $@ $^ $(WIN_LIBS)

-include $(WIN_CORE_OBJ:.o=.d) $(WIN_UNIT_OBJ:.o=.d) $(WIN_START:.o=.d) $(WIN_CLI_OBJ:.o=.d)
