#!/usr/bin/env bash
# scripts/demo.sh: THE main-job command (README). On a fresh Debian 12 machine, as root:
#
#   bash scripts/demo.sh
#
# 1. installs the build dependencies (scripts/install-deps.sh --build; apt-get),
# 2. builds build/veilfs (make),
# 3. creates a demo vault in ./demo/ of this checkout: demo/cipher (the cipher directory),
#    demo/passfile (the demo password, printed below), demo/plain (the mount point) and
#    demo/veilfs.log (the daemon's log),
# 4. mounts it, writes sample files through the mount, shows the ciphertext that landed in
#    demo/cipher (encrypted names, a hex dump of a cipher file, a search for the plaintext)
#    and unmounts.
# Re-running replaces ./demo/. Everything it mounts is unmounted on exit, also on failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
V=$repo/build/veilfs
demo=$repo/demo
cipher=$demo/cipher
plain=$demo/plain
passfile=$demo/passfile
password="veilfs demo password"
steps=6

if [[ -t 2 ]]; then bold=$'\033[1m' plain_font=$'\033[0m'; else bold='' plain_font=''; fi
step() { printf '\n%s==> [%s/%s] %s%s\n' "$bold" "$1" "$steps" "$2" "$plain_font" >&2; }
say() { printf '    %s\n' "$*" >&2; }
show() { printf '    $ %s\n' "$*" >&2; "$@" 2>&1 | sed 's/^/      /' >&2; }
is_mounted() { grep -q " $1 fuse" /proc/self/mounts 2>/dev/null; }

mounted_here=0
cleanup() {
	if ((mounted_here)) && is_mounted "$plain"; then
		"$V" umount "$plain" >/dev/null 2>&1 || fusermount3 -uz "$plain" 2>/dev/null ||
			umount -l "$plain" 2>/dev/null || true
	fi
}
trap cleanup EXIT

hexdump_head() {
	if command -v hexdump >/dev/null; then
		hexdump -C "$1" | head -n "$2"
	else
		od -A x -t x1z "$1" | head -n "$2"
	fi
}

step 1 "installing build dependencies (scripts/install-deps.sh --build)"
bash scripts/install-deps.sh --build

step 2 "building build/veilfs (make)"
make -j"$(nproc 2>/dev/null || echo 2)" build/veilfs
show "$V" --version

step 3 "creating the demo vault in ./demo/"
if is_mounted "$plain"; then
	say "unmounting the mount left by an earlier demo"
	"$V" umount "$plain" || fusermount3 -uz "$plain" || umount -l "$plain"
fi
rm -rf "$demo"
mkdir -p "$demo" "$plain"
chmod 700 "$demo"
printf '%s\n' "$password" >"$passfile"
chmod 600 "$passfile"
say "demo password: '$password' (in demo/passfile)"
show "$V" init --passfile "$passfile" "$cipher"

step 4 "the vault's public parameters (veilfs info: no password needed)"
show "$V" info "$cipher"
say "the cipher directory right after init:"
show ls -la "$cipher"

step 5 "mounting: plaintext in demo/plain, ciphertext in demo/cipher"
set +e
mount_err=$("$V" mount --passfile "$passfile" --log "$demo/veilfs.log" "$cipher" "$plain" 2>&1)
mount_rc=$?
set -e
if ((mount_rc != 0)); then
	say "veilfs mount failed (exit $mount_rc):"
	say "  $mount_err"
	exit 1
fi
mounted_here=1
is_mounted "$plain" || { say "veilfs mount returned 0 but demo/plain is not mounted"; exit 1; }
say "mounted. Writing sample files through the mount:"
secret="Hello from veilfs: this sentence only exists in plaintext above the mount."
printf '%s\n' "$secret" >"$plain/hello.txt"
mkdir "$plain/projects"
printf 'meeting notes, %s\n' "$(date -u +%F)" >"$plain/projects/notes.md"
head -c 10000 /dev/urandom >"$plain/projects/random.bin"
show ls -lR "$plain"
show cat "$plain/hello.txt"

say "what landed in the cipher directory (encrypted names, directory IVs):"
show ls -laR "$cipher"
enc=$(find "$cipher" -maxdepth 1 -type f ! -name 'veilfs.*' -size -200c | head -n 1)
if [[ -n $enc ]]; then
	say "the cipher file of hello.txt ($(stat -c %s "$enc") bytes for $(stat -c %s "$plain/hello.txt") plaintext bytes: 20-byte header + nonce + ciphertext + tag):"
	say "\$ hexdump -C cipher/$(basename "$enc") | head -n 8"
	hexdump_head "$enc" 8 | sed 's/^/      /' >&2
fi
say "searching demo/cipher for the plaintext sentence and the names:"
if grep -rqF -e "Hello from veilfs" -e "hello.txt" -e "projects" "$cipher"; then
	say "FOUND plaintext in the cipher directory: this is a bug"
	exit 1
fi
say "not found: only ciphertext is stored below."

step 6 "unmounting"
show "$V" umount "$plain"
mounted_here=0
is_mounted "$plain" && { say "demo/plain is still mounted"; exit 1; }
say "demo/plain is empty again; demo/cipher keeps the encrypted files:"
show ls -la "$plain"
say "mount it again with:"
say "  build/veilfs mount --passfile demo/passfile demo/cipher demo/plain"
say "  ... and unmount with: build/veilfs umount demo/plain"
