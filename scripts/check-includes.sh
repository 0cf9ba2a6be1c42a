#!/usr/bin/env bash
# scripts/check-includes.sh: the layering rules of docs/ARCHITECTURE.md, checked on every
# file in src/.
#
#   scripts/check-includes.sh [--no-self-test | --self-test]
#
#  1. every header compiles on its own (`make check-headers`), one case per header;
#  2. #include "module/..." lines follow the table of arrows in docs/ARCHITECTURE.md
#     (between <!-- layers:begin --> and <!-- layers:end -->): a module may include its
#     own headers and the modules its row lists, nothing else; an arrow of the table of
#     forbidden arrows fails with its reason. One case per source file, one for the table
#     itself (parsed, no arrow both allowed and forbidden, no cycle, a row for every
#     folder of src/; rows for folders that do not exist yet are fine);
#  3. below fuse/ (the portable core) no FUSE header, no Linux-only header outside an
#     `#ifdef __linux__` (or `#if defined(__linux__)`) block, and no _GNU_SOURCE except in
#     the platform back ends of store/ (store_posix*.c), one case per source file;
#  4. the self-test: on throwaway trees with the same table, a clean tree passes and a
#     sideways, an upward, a forbidden include, a folder without a row and a table with a
#     cycle each fail.
#     --self-test runs only this; --no-self-test skips it.
# Prints one line per failure and ends with "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

mode=${1:-}
case $mode in
'' | --no-self-test | --self-test) ;;
*) echo "usage: $0 [--no-self-test | --self-test]" >&2; exit 2 ;;
esac

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }

# The table of docs/ARCHITECTURE.md. Rows "| `m` | `a`, `b` |" say m may include a and b;
# rows "| `m` → `t` | reason |" forbid m -> t. The front ends (fuse, cli) are the only
# modules outside the portable core.
design=docs/ARCHITECTURE.md
declare -A known=() allowed=() forbidden=()
frontends=" fuse cli "
table_ok=1
read_table() {
	local line first rest t mods=0
	while IFS= read -r line; do
		[[ $line =~ ^\|[[:space:]]*\`([a-z0-9_]+)\`[[:space:]]*(→[[:space:]]*\`([a-z0-9_]+)\`)?[[:space:]]*\|(.*)\|[[:space:]]*$ ]] || continue
		first=${BASH_REMATCH[1]} t=${BASH_REMATCH[3]} rest=${BASH_REMATCH[4]}
		if [[ -n $t ]]; then
			forbidden[$first>$t]=$(sed -E 's/^[[:space:]]+|[[:space:]]+$//g' <<<"$rest")
			continue
		fi
		known[$first]=1
		mods=$((mods + 1))
		# shellcheck disable=SC2016 # the backquotes are markdown, not a command
		for t in $(grep -oE '`[a-z0-9_]+`' <<<"$rest" | tr -d '`'); do
			allowed[$first>$t]=1
		done
	done < <(sed -n '/<!-- layers:begin -->/,/<!-- layers:end -->/p' "$design" 2>/dev/null)
	if ((mods == 0)); then
		bad "$design: no table of allowed arrows between <!-- layers:begin --> and <!-- layers:end -->"
		table_ok=0
	fi
}

# A cycle in the allowed arrows would make "down" meaningless: reach from every module.
check_table() {
	local e m t seen frontier next
	for e in "${!allowed[@]}" "${!forbidden[@]}"; do
		t=${e#*>}
		[[ -n ${known[${e%%>*}]+x} && -n ${known[$t]+x} ]] && continue
		bad "$design: arrow ${e%%>*} -> $t names a module without a row"
		table_ok=0
	done
	for e in "${!forbidden[@]}"; do
		if [[ -n ${allowed[$e]+x} ]]; then
			bad "$design: ${e%%>*} -> ${e#*>} is both allowed and forbidden"
			table_ok=0
		fi
	done
	for m in "${!known[@]}"; do
		seen=" " frontier=$m
		while [[ -n $frontier ]]; do
			next=""
			for e in "${!allowed[@]}"; do
				for t in $frontier; do
					[[ ${e%%>*} == "$t" ]] || continue
					t=${e#*>}
					if [[ $t == "$m" ]]; then
						bad "$design: the allowed arrows make a cycle through $m"
						table_ok=0
						return
					fi
					[[ $seen == *" $t "* ]] || { seen+="$t "; next+=" $t"; }
				done
			done
			frontier=$next
		done
	done
	for m in src/*/; do
		m=${m#src/} m=${m%/}
		[[ -n ${known[$m]+x} ]] && continue
		bad "src/$m/ has no row in the table of $design"
		table_ok=0
	done
}

# Headers only Linux has (or whose API there is Linux-only).
linux_only='^(sys/(prctl|epoll|inotify|signalfd|eventfd|timerfd|sendfile|fsuid|syscall|vfs|sysinfo|mount|sysmacros)\.h|linux/.*|asm/.*|mntent\.h|features-time64\.h)$'
fuse_hdr='^(fuse|fuse3)/|^fuse(_lowlevel|_common|_opt|_kernel)?\.h$'


check_tree() {
# 1. Headers alone, with the build's flags (one compile per header, like check-headers).
# (the self-test trees have no Makefile: they take the fallback; GNU make 4.3 left a
# /tmp/Gm* file behind each time a makefile read from stdin failed, as they did)
cflags=
[[ -f Makefile ]] && cflags=$(make -s --no-print-directory print-cflags 2>/dev/null || true)
[[ -n $cflags ]] || cflags="-std=c17 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Isrc"
cflags=$(sed -E 's/ -MMD| -MP//g' <<<"$cflags")
while IFS= read -r h; do
	# shellcheck disable=SC2086
	if printf '#include "%s"\n' "${h#src/}" | ${CC:-cc} $cflags -x c -fsyntax-only - 2>"${TMPDIR:-/tmp}/veilfs-hdr.$$"; then
		ok
	else
		bad "$h does not compile alone: $(head -n 3 "${TMPDIR:-/tmp}/veilfs-hdr.$$" | tr '\n' ' ')"
	fi
done < <(find src -name '*.h' | sort)
rm -f "${TMPDIR:-/tmp}/veilfs-hdr.$$"

# 2 and 3. Include direction and portability, per source file.
while IFS= read -r f; do
	mod=${f#src/}
	mod=${mod%%/*}
	if [[ -z ${known[$mod]+x} ]]; then
		bad "$f: module '$mod' has no row in the table of $design"
		continue
	fi
	dir_ok=1 port_ok=1
	platform=0
	[[ $f =~ ^src/store/store_posix[^/]*\.c$ ]] && platform=1
	while IFS= read -r inc; do
		target=${inc%%/*}
		if [[ $inc == */* && ( -n ${known[$target]+x} || -d src/$target ) ]]; then
			if [[ $target == "$mod" || -n ${allowed[$mod>$target]+x} ]]; then
				:
			elif [[ -n ${forbidden[$mod>$target]+x} ]]; then
				bad "$f includes \"$inc\": $mod -> $target is forbidden: ${forbidden[$mod>$target]}"
				dir_ok=0
			else
				bad "$f includes \"$inc\": $mod -> $target is not an allowed arrow in $design"
				dir_ok=0
			fi
		elif [[ $inc != */* && -e $(dirname "$f")/$inc ]]; then
			: # a private header next to the file
		elif [[ ! -e src/$inc ]]; then
			bad "$f includes \"$inc\", which is not under src/"
			dir_ok=0
		fi
	done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' "$f")
	if [[ $frontends != *" $mod "* ]]; then
		# "guarded<TAB>header" per include; guarded = inside an #if on __linux__.
		while IFS=$'\t' read -r guarded inc; do
			if [[ $inc =~ $fuse_hdr ]]; then
				bad "$f includes <$inc>: no FUSE headers below fuse/"
				port_ok=0
			elif [[ $inc == tss2/* && $f != src/keys/tpm.c ]]; then
				bad "$f includes <$inc>: tpm2-tss headers only in src/keys/tpm.c ($design)"
				port_ok=0
			elif [[ $inc =~ $linux_only ]] && ((!guarded)); then
				bad "$f includes <$inc> outside #ifdef __linux__: Linux-only header in the portable core"
				port_ok=0
			fi
		done < <(awk '
			/^[ \t]*#[ \t]*if/ {
				depth++
				lin[depth] = ($0 ~ /^[ \t]*#[ \t]*ifdef[ \t]+__linux__/) ||
					($0 ~ /^[ \t]*#[ \t]*if[ \t]/ && $0 ~ /defined[ \t(]*__linux__/ && $0 !~ /!/)
				next
			}
			/^[ \t]*#[ \t]*(else|elif)/ { lin[depth] = 0; next }
			/^[ \t]*#[ \t]*endif/ { if (depth > 0) depth--; next }
			/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
				g = 0
				for (i = 1; i <= depth; i++) if (lin[i]) g = 1
				h = $0; sub(/^[^<"]*[<"]/, "", h); sub(/[>"].*$/, "", h)
				printf "%d\t%s\n", g, h
			}' "$f")
		if grep -qE '^[[:space:]]*#[[:space:]]*define[[:space:]]+_GNU_SOURCE' "$f" && ((!platform)); then
			bad "$f defines _GNU_SOURCE: only the platform back ends of store/ may (STYLE.md)"
			port_ok=0
		fi
	fi
	((dir_ok)) && ok
	((port_ok)) && ok
done < <(find src -name '*.[ch]' | sort)

}

# 4. The self-test: a throwaway tree with this script and the real table, clean first,
# then one broken include at a time; each broken tree must fail, naming the file.
selftest_write() { # path, lines...
	local p=$1
	shift
	mkdir -p "$(dirname "$p")"
	printf '%s\n' "$@" >"$p"
}
selftest_tree() {
	local t=$1 m g
	rm -rf "$t/src"
	mkdir -p "$t/scripts" "$t/docs"
	cp "$repo/scripts/check-includes.sh" "$t/scripts/"
	cp "$repo/$design" "$t/docs/"
	for m in base crypto store keys vault fuse cli; do
		g=SELFTEST_${m^^}_H
		selftest_write "$t/src/$m/$m.h" "#ifndef $g" "#define $g" "int $m(void);" "#endif"
	done
	selftest_write "$t/src/base/base.c" '#include "base/base.h"'
	selftest_write "$t/src/crypto/crypto.c" '#include "crypto/crypto.h"' '#include "base/base.h"'
	selftest_write "$t/src/store/store.c" '#include "store/store.h"' '#include "base/base.h"'
	selftest_write "$t/src/keys/keys.c" '#include "keys/keys.h"' '#include "crypto/crypto.h"'
	selftest_write "$t/src/vault/vault.c" '#include "vault/vault.h"' '#include "keys/keys.h"'
	selftest_write "$t/src/fuse/fuse.c" '#include "fuse/fuse.h"' '#include "vault/vault.h"'
	selftest_write "$t/src/cli/cli.c" '#include "cli/cli.h"' '#include "fuse/fuse.h"'
}
# name, file to break (relative to src/, "" for the clean tree), include to add
selftest_case() {
	local t=$1 name=$2 file=$3 inc=$4 out rc=0
	selftest_tree "$t"
	if [[ -n $file ]]; then
		mkdir -p "$(dirname "$t/src/$file")"
		printf '#include "%s"\n' "$inc" >>"$t/src/$file"
	fi
	out=$(cd "$t" && CC=${CC:-cc} bash scripts/check-includes.sh --no-self-test 2>&1) || rc=$?
	if [[ -z $file ]]; then
		if ((rc == 0)); then ok; else bad "self-test: clean tree fails: $(grep FAIL <<<"$out" | head -n 3 | tr '\n' ' ')"; fi
	elif ((rc == 0)); then
		bad "self-test: $name ($file includes \"$inc\") passes"
	elif ! grep -q "^FAIL src/$file" <<<"$out"; then
		bad "self-test: $name fails without naming src/$file: $(grep FAIL <<<"$out" | head -n 3 | tr '\n' ' ')"
	else
		ok
	fi
}
# A table whose arrows make a cycle (base may include cli) must fail, naming the table.
selftest_table() {
	local t=$1 out rc=0
	selftest_tree "$t"
	# shellcheck disable=SC2016 # the backquotes are markdown, not a command
	sed -i 's/^| `base` | .* |$/| `base` | `cli` |/' "$t/$design"
	out=$(cd "$t" && CC=${CC:-cc} bash scripts/check-includes.sh --no-self-test 2>&1) || rc=$?
	if ((rc != 0)) && grep -q "^FAIL $design: the allowed arrows make a cycle" <<<"$out"; then
		ok
	else
		bad "self-test: a cycle in the table is not caught: $(grep FAIL <<<"$out" | head -n 3 | tr '\n' ' ')"
	fi
}
self_test() {
	local t
	t=$(mktemp -d "${TMPDIR:-/tmp}/veilfs-layers.XXXXXX")
	selftest_case "$t" "clean tree" "" ""
	selftest_case "$t" "sideways" store/store.c crypto/crypto.h
	selftest_case "$t" "upward" base/base.c vault/vault.h
	selftest_case "$t" "upward to a front end" vault/vault.c cli/cli.h
	selftest_case "$t" "forbidden level skip" fuse/fuse.c crypto/crypto.h
	selftest_case "$t" "front end to crypto" cli/cli.c crypto/crypto.h
	selftest_case "$t" "no row" extra/extra.c base/base.h
	selftest_table "$t"
	rm -rf "$t"
}

read_table
((table_ok)) && check_table
((table_ok)) && ok
[[ $mode == --self-test ]] || check_tree
[[ $mode == --no-self-test ]] || self_test

echo "$pass passed, $fail failed"
((fail == 0))
