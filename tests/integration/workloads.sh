#!/bin/bash
# workloads.sh [--quick] [--only LIST] [--ignore-mtime] DIR REFDIR
#
# Real workloads run in DIR (the file system under test) and in REFDIR (a
# plain directory) and compared:
#   tar     unpack Debian's linux-source tarball (--quick: only fs/), compare
#           a manifest (type, mode, size, mtime, link target) and sha256 of
#           every file, then delete the tree
#   make    generate a small multi-file C project, build it with make -j2,
#           compare every output byte for byte, check make's up-to-date logic
#   git     init, many files, several commits with renames and deletions,
#           git gc, git fsck --full, local and --no-local clones
#   sqlite  WAL database written by several concurrent sqlite3 processes,
#           then integrity_check and exact row counts
# LIST is a comma-separated subset of: tar,make,git,sqlite.
# --ignore-mtime leaves mtimes out of the tar manifest (for file systems
# known to drop them, such as bindfs 1.14 with UTIME_OMIT).
# Prints "ok N - name" lines and a final "N passed, N failed" (counting and the cleanup
# trap from tests/lib.sh: the trees are removed, the logs kept on failure).
set -euo pipefail
# shellcheck source=tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

usage() {
	echo "usage: workloads.sh [--quick|--full] [--only tar,make,git,sqlite] [--ignore-mtime] DIR REFDIR" >&2
	exit 2
}

quick=0
ignore_mtime=0
only="tar,make,git,sqlite"
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1; shift ;;
	--full) quick=0; shift ;;
	--only) only=$2; shift 2 ;;
	--ignore-mtime) ignore_mtime=1; shift ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
for tool in tar xz sha256sum make cc git sqlite3 timeout; do
	command -v "$tool" >/dev/null || { echo "workloads.sh: missing '$tool'" >&2; exit 2; }
done

dir=$(cd "$1" && pwd)
ref=$(cd "$2" && pwd)
T=$(mktemp -d "$dir/wl.XXXXXX")
R=$(mktemp -d "$ref/wl.XXXXXX")
LOG=$(mktemp -d "$ref/wl-log.XXXXXX")
T_WORK=$LOG # removed by t_cleanup, kept on failure
t_defer rm -rf "$T" "$R"
t_on_exit t_cleanup

# step NAME CMD...: run CMD with errexit in a background subshell and record
# ok/not ok with the log's last lines; last_ok tells the caller. step must
# never be called inside if/&&/||, where bash would switch errexit off.
last_ok=0
step() {
	local name=$1 rc=0 log
	shift
	log="$LOG/$(echo "$name" | tr -c 'a-zA-Z0-9\n' _).log"
	echo "workloads.sh: $name" >&2
	"$@" >"$log" 2>&1 &
	wait $! || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$name"
		last_ok=1
	else
		notok "$name" "exit $rc: $(tail -n 4 "$log" | tr '\n' '|')"
		last_ok=0
	fi
}
ok_so_far() { [ "$last_ok" -eq 1 ]; }

want() { [[ ",$only," == *",$1,"* ]]; }

# ---- tar ----------------------------------------------------------------
tarball() { ls /usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1; }

tar_extract() {
	local d=$1 tb top
	tb=$(tarball)
	[ -n "$tb" ] || { echo "no /usr/src/linux-source-*.tar.xz (apt-get install linux-source)"; return 1; }
	top=$(basename "$tb" .tar.xz)
	mkdir "$d/tar"
	if [ "$quick" -eq 1 ]; then
		timeout 900 tar -xf "$tb" -C "$d/tar" "$top/fs"
	else
		timeout 1800 tar -xf "$tb" -C "$d/tar"
	fi
	# Directories without an entry in the archive are made by tar with mtime
	# "now": pin those (newer than the tarball) to one value in both trees.
	# A directory whose archived mtime was not restored stays different
	# from REFDIR's, because there it is old and not pinned.
	find "$d/tar" -type d -newer "$tb" -exec touch -d @1000000000 {} +
}

manifest() {
	local t='%T@ '
	[ "$ignore_mtime" -eq 1 ] && t=''
	(cd "$1" && {
		find . -mindepth 1 -type d -printf "d %m $t%p\n"
		find . ! -type d -printf "%y %m %s $t%p -> %l\n"
	} | LC_ALL=C sort)
}

hashes() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

tar_compare() {
	manifest "$R/tar" >"$LOG/tar.ref.manifest"
	manifest "$T/tar" >"$LOG/tar.test.manifest"
	[ "$(wc -l <"$LOG/tar.ref.manifest")" -gt 1000 ] || { echo "too few entries unpacked"; return 1; }
	diff "$LOG/tar.ref.manifest" "$LOG/tar.test.manifest" >"$LOG/tar.manifest.diff" || true
	head -n 20 "$LOG/tar.manifest.diff"
	cmp -s "$LOG/tar.ref.manifest" "$LOG/tar.test.manifest" || { echo "manifests differ"; return 1; }
	hashes "$R/tar" >"$LOG/tar.ref.sha"
	hashes "$T/tar" >"$LOG/tar.test.sha"
	diff "$LOG/tar.ref.sha" "$LOG/tar.test.sha" >"$LOG/tar.sha.diff" || true
	head -n 20 "$LOG/tar.sha.diff"
	cmp -s "$LOG/tar.ref.sha" "$LOG/tar.test.sha" || { echo "file contents differ"; return 1; }
	echo "$(wc -l <"$LOG/tar.ref.manifest") entries identical"
}

tar_delete() {
	rm -rf "$T/tar"
	[ ! -e "$T/tar" ] || { echo "tree still present after rm -rf"; return 1; }
	[ -z "$(ls -A "$T")" ] || { echo "left over after rm -rf: $(ls -A "$T")"; return 1; }
	rm -rf "$R/tar"
}

run_tar() {
	step "tar: unpack in REFDIR" tar_extract "$R"
	ok_so_far || return 0
	step "tar: unpack in DIR" tar_extract "$T"
	ok_so_far || return 0
	step "tar: tree identical (manifest + sha256)" tar_compare
	step "tar: rm -rf of the tree" tar_delete
}

# ---- make ---------------------------------------------------------------
gen_project() {
	local d=$1 i
	mkdir -p "$d/proj/src" "$d/proj/include"
	echo "int mod_sum(void);" >"$d/proj/include/mods.h"
	for i in $(seq 0 15); do
		echo "int mod$i(int x);" >>"$d/proj/include/mods.h"
		cat >"$d/proj/src/mod$i.c" <<-C
		#include "mods.h"
		static const char tag[] = "module $i";
		int mod$i(int x)
		{
			unsigned h = 2166136261u + (unsigned)x;
			for (const char *p = tag; *p; p++)
				h = (h ^ (unsigned char)*p) * 16777619u;
			return (int)(h % 100000u) + $i;
		}
		C
	done
	{
		echo '#include "mods.h"'
		echo 'int mod_sum(void) { int s = 0;'
		for i in $(seq 0 15); do echo "s += mod$i($i);"; done
		echo 'return s; }'
	} >"$d/proj/src/sum.c"
	cat >"$d/proj/src/main.c" <<-'C'
	#include <stdio.h>
	#include "mods.h"
	int main(void) { printf("sum=%d\n", mod_sum()); return 0; }
	C
	printf '%s\n' 'CFLAGS = -O2 -Iinclude -Wall' \
		'MODS = $(patsubst src/%.c,obj/%.o,$(filter-out src/main.c,$(wildcard src/*.c)))' \
		'all: bin/app' 'obj bin:' '	mkdir -p $@' \
		'obj/%.o: src/%.c include/mods.h | obj' '	cc $(CFLAGS) -c -o $@ $<' \
		'obj/libmods.a: $(MODS)' '	ar rcsD $@ $^' \
		'bin/app: obj/main.o obj/libmods.a | bin' '	cc -o $@ obj/main.o obj/libmods.a' \
		>"$d/proj/Makefile"
}

make_build() {
	local d=$1
	gen_project "$d"
	timeout 600 make -j2 -C "$d/proj"
	"$d/proj/bin/app" >"$d/proj/out.txt"
	grep -q '^sum=' "$d/proj/out.txt"
	make -q -C "$d/proj" || { echo "make -q: tree not up to date right after the build"; return 1; }
	touch -d '2020-01-01 00:00:00' "$d"/proj/src/* "$d"/proj/include/* "$d"/proj/Makefile
	touch -d '2021-01-01 00:00:00' "$d"/proj/obj/* "$d"/proj/bin/*
	make -q -C "$d/proj" || { echo "make -q: tree not up to date with old sources"; return 1; }
	touch "$d/proj/src/mod3.c"
	if make -q -C "$d/proj"; then echo "make -q: touched source not seen as newer"; return 1; fi
	make -j2 -C "$d/proj" >"$d/rebuild.log"
	[ "$(grep -c -- ' -c ' "$d/rebuild.log")" -eq 1 ] || {
		echo "rebuild compiled $(grep -c -- ' -c ' "$d/rebuild.log") files, expected 1"
		cat "$d/rebuild.log"
		return 1
	}
}

make_compare() {
	(cd "$R/proj" && find . -type f ! -name '*.log' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$LOG/make.ref"
	(cd "$T/proj" && find . -type f ! -name '*.log' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$LOG/make.test"
	diff "$LOG/make.ref" "$LOG/make.test" || { echo "build outputs differ"; return 1; }
	cmp "$R/proj/bin/app" "$T/proj/bin/app"
}

run_make() {
	step "make: build in REFDIR" make_build "$R"
	ok_so_far || return 0
	step "make: build in DIR, up-to-date logic" make_build "$T"
	ok_so_far || return 0
	step "make: outputs identical" make_compare
}

# ---- git ----------------------------------------------------------------
git_env() {
	export GIT_AUTHOR_NAME=wl GIT_AUTHOR_EMAIL=wl@example.invalid
	export GIT_COMMITTER_NAME=wl GIT_COMMITTER_EMAIL=wl@example.invalid
	export GIT_CONFIG_NOSYSTEM=1 HOME=$LOG
}

git_commit_at() {
	GIT_AUTHOR_DATE="2020-01-0$1T12:00:00Z" GIT_COMMITTER_DATE="2020-01-0$1T12:00:00Z" \
		git commit -q -m "commit $1"
}

git_history() {
	local d=$1 i j
	git_env
	git init -q -b main "$d/repo"
	cd "$d/repo"
	for i in $(seq 0 29); do
		mkdir -p "dir$i/sub"
		for j in $(seq 0 19); do
			# shellcheck disable=SC2183,SC2046 # the format is reused for pairs of numbers
			printf 'file %d/%d\n%s\n' "$i" "$j" "$(printf 'line %d %d\n' $(seq 1 $((j * 3))))" >"dir$i/f$j.txt"
		done
		head -c $((i * 1000)) /usr/src/linux-source-*.tar.xz 2>/dev/null >"dir$i/sub/blob.bin" || true
	done
	git add -A
	git_commit_at 1
	for i in $(seq 0 29); do echo "changed $i" >>"dir$i/f3.txt"; done
	git rm -q dir5/f1.txt dir6/f2.txt
	git_commit_at 2
	git mv dir7 dir7-renamed
	git mv dir8/f4.txt dir9/f4-moved.txt
	git_commit_at 3
	for i in $(seq 0 9); do printf 'new %d\n' "$i" >"dir1/new$i.txt"; done
	git add -A
	git_commit_at 4
	git gc -q
	git fsck --full --strict
	[ "$(git count-objects -v | awk '/^count:/ {print $2}')" = 0 ] || { git count-objects -v; return 1; }
	git status --porcelain | head
	[ -z "$(git status --porcelain)" ]
}

git_clones() {
	local d=$1
	git_env
	git clone -q "$d/repo" "$d/clone-local"
	git clone -q --no-local "$d/repo" "$d/clone-pack"
	for c in clone-local clone-pack; do
		(cd "$d/$c" && git fsck --full --strict && [ -z "$(git status --porcelain)" ])
		diff -r -x .git "$d/repo" "$d/$c"
	done
	(cd "$d/repo" && git rev-parse HEAD && git ls-files -s | sha256sum) >"$d/git-id"
}

git_compare() {
	diff "$R/git-id" "$T/git-id" || { echo "commit ids or index differ"; return 1; }
	cat "$T/git-id"
}

run_git() {
	step "git: history, gc, fsck in REFDIR" git_history "$R"
	ok_so_far || return 0
	step "git: history, gc, fsck in DIR" git_history "$T"
	ok_so_far || return 0
	step "git: clones in REFDIR" git_clones "$R"
	ok_so_far || return 0
	step "git: local and --no-local clones in DIR" git_clones "$T"
	ok_so_far || return 0
	step "git: same commit id and index as REFDIR" git_compare
}

# ---- sqlite -------------------------------------------------------------
SQL_WRITERS=4 SQL_TXNS=25 SQL_ROWS=8

sql_writer() {
	local w=$1 t r
	echo ".bail on"
	echo "PRAGMA busy_timeout=30000;"
	for t in $(seq 1 $SQL_TXNS); do
		echo "BEGIN IMMEDIATE;"
		for r in $(seq 1 $SQL_ROWS); do
			echo "INSERT INTO t VALUES($w, $(((t - 1) * SQL_ROWS + r)), printf('%0300d', $w * 1000 + $t));"
		done
		echo "COMMIT;"
	done
}

sql_reader() {
	local i
	echo ".bail on"
	echo "PRAGMA busy_timeout=30000;"
	for i in $(seq 1 40); do echo "SELECT count(*) FROM t;"; done
}

sqlite_run() {
	local d=$1 db=$1/sqlite/test.db w pids=() rc=0
	mkdir "$d/sqlite"
	[ "$(sqlite3 "$db" 'PRAGMA journal_mode=WAL;')" = wal ] || { echo "WAL mode refused"; return 1; }
	sqlite3 -bail "$db" 'CREATE TABLE t(w INTEGER, i INTEGER, payload TEXT, PRIMARY KEY (w, i));'
	for w in $(seq 1 $SQL_WRITERS); do
		sql_writer "$w" | timeout 300 sqlite3 -bail "$db" >/dev/null &
		pids+=($!)
	done
	sql_reader | timeout 300 sqlite3 -bail "$db" >/dev/null &
	pids+=($!)
	for w in "${pids[@]}"; do wait "$w" || rc=$?; done
	[ "$rc" -eq 0 ] || { echo "a sqlite3 process failed (exit $rc)"; return 1; }
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check;')" = ok ] || { echo "integrity_check failed"; return 1; }
	sqlite3 "$db" 'SELECT w, count(*), sum(length(payload)), min(i), max(i) FROM t GROUP BY w;' >"$d/sqlite/counts"
	sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check;')" = ok ] || { echo "integrity_check after checkpoint failed"; return 1; }
	local expect="" rows=$((SQL_TXNS * SQL_ROWS))
	for w in $(seq 1 $SQL_WRITERS); do expect+="$w|$rows|$((rows * 300))|1|$rows"$'\n'; done
	[ "$(cat "$d/sqlite/counts")" = "${expect%$'\n'}" ] || {
		echo "row counts differ from what was written:"
		cat "$d/sqlite/counts"
		return 1
	}
}

sqlite_compare() {
	diff "$R/sqlite/counts" "$T/sqlite/counts"
	[ "$(sqlite3 "$T/sqlite/test.db" 'SELECT count(*) FROM t;')" = \
		"$(sqlite3 "$R/sqlite/test.db" 'SELECT count(*) FROM t;')" ]
}

run_sqlite() {
	step "sqlite: WAL, concurrent writers in REFDIR" sqlite_run "$R"
	ok_so_far || return 0
	step "sqlite: WAL, concurrent writers in DIR" sqlite_run "$T"
	ok_so_far || return 0
	step "sqlite: same rows as REFDIR" sqlite_compare
}

want tar && run_tar
want make && run_make
want git && run_git
want sqlite && run_sqlite
[ "$T_N" -gt 0 ] || notok "workloads" "no workload selected from '$only'"
t_summary
