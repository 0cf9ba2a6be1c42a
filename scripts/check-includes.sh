#!/usr/bin/env bash
# scripts/check-includes.sh: the layering rules of STYLE.md, checked on every file in src/.
#
#  1. every header compiles on its own (`make check-headers`), one case per header;
#  2. #include "..." lines point down only:
#       cli -> fuse -> vault -> coord -> cache/names/keys -> format/crypto/store -> base
#     (a module may include its own headers and any module on a lower level; a module on
#     its own level only in one direction: keys -> names and names -> keys together is a
#     cycle), one case per source file plus one for the absence of same-level cycles;
#  3. below fuse/ (the portable core) no FUSE header, no Linux-only header outside an
#     `#ifdef __linux__` (or `#if defined(__linux__)`) block, and no _GNU_SOURCE except in
#     the platform back ends of store/ (store_posix*.c), one case per source file.
# Prints one line per failure and ends with "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

declare -A level=(
	[base]=0
	[format]=1 [crypto]=1 [store]=1
	[codec]=2 [cache]=2 [names]=2 [keys]=2
	[coord]=3
	[vault]=4
	[fuse]=5 [fsck]=5
	[cli]=6
)
# Headers only Linux has (or whose API there is Linux-only).
linux_only='^(sys/(prctl|epoll|inotify|signalfd|eventfd|timerfd|sendfile|fsuid|syscall|vfs|sysinfo|mount|sysmacros)\.h|linux/.*|asm/.*|mntent\.h|features-time64\.h)$'
fuse_hdr='^(fuse|fuse3)/|^fuse(_lowlevel|_common|_opt|_kernel)?\.h$'

pass=0 fail=0
declare -A sideways=() # "from>to" -> first file that includes sideways
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); printf 'FAIL %s\n' "$*"; }

# 1. Headers alone, with the build's flags (one compile per header, like check-headers).
cflags=$(make -s --no-print-directory -f - print-cflags <<'EOF' 2>/dev/null || true
include Makefile
print-cflags:
	@echo $(ALL_CFLAGS)
EOF
)
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
	if [[ -z ${level[$mod]+x} ]]; then
		bad "$f: module '$mod' has no level in scripts/check-includes.sh"
		continue
	fi
	mylevel=${level[$mod]}
	dir_ok=1 port_ok=1
	platform=0
	[[ $f =~ ^src/store/store_posix[^/]*\.c$ ]] && platform=1
	while IFS= read -r inc; do
		target=${inc%%/*}
		if [[ $inc == */* && -n ${level[$target]+x} ]]; then
			if [[ $target != "$mod" ]] && ((level[$target] == mylevel)); then
				[[ -n ${sideways[$mod>$target]+x} ]] || sideways[$mod>$target]=$f
			elif [[ $target != "$mod" ]] && ((level[$target] > mylevel)); then
				bad "$f includes \"$inc\": $mod (level $mylevel) may not include $target (level ${level[$target]})"
				dir_ok=0
			fi
		elif [[ $inc != */* && -e $(dirname "$f")/$inc ]]; then
			: # a private header next to the file
		elif [[ ! -e src/$inc ]]; then
			bad "$f includes \"$inc\", which is not under src/"
			dir_ok=0
		fi
	done < <(sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/p' "$f")
	if ((mylevel < level[fuse])); then
		# "guarded<TAB>header" per include; guarded = inside an #if on __linux__.
		while IFS=$'\t' read -r guarded inc; do
			if [[ $inc =~ $fuse_hdr ]]; then
				bad "$f includes <$inc>: no FUSE headers below fuse/"
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

cycle=0
for e in "${!sideways[@]}"; do
	from=${e%%>*} to=${e#*>}
	if [[ -n ${sideways[$to>$from]+x} && $from < $to ]]; then
		bad "include cycle on one level: ${sideways[$e]} ($from -> $to) and ${sideways[$to>$from]} ($to -> $from)"
		cycle=1
	fi
done
((cycle)) || ok

echo "$pass passed, $fail failed"
((fail == 0))
