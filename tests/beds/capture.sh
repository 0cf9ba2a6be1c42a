#!/usr/bin/env bash
# tests/beds/capture.sh: capture loopback traffic of one bed and search
# captures and directory trees for marker strings (e.g. plaintext that must
# never reach the wire or the server's disk).
#
#   source tests/beds/capture.sh
#   capture_start PORT PCAP [IFACE]   # tshark -i lo -f "tcp port PORT" -w PCAP
#   capture_stop [PCAP]               # stop (all) capture(s); also on EXIT
#   pcap_count_raw PCAP MARKER        # occurrences of MARKER in the raw bytes
#   pcap_count_raw_utf16 PCAP MARKER  # same, MARKER encoded as UTF-16LE (SMB2
#                                     # sends file names in UTF-16LE)
#   pcap_count_frames PCAP MARKER [PORT [DISSECTOR]]
#                                     # frames that contain MARKER (tshark)
#   tree_grep DIR MARKER              # files under DIR whose bytes or name
#                                     # contain MARKER (one path a line)
#   tree_has_marker DIR MARKER        # status 0 if any such file exists
# Notes: a marker split across two TCP segments is missed by the per-frame
# count but found by the raw count only if both segments are adjacent in the
# file; use markers much shorter than a segment (< 1000 bytes).  Stop a
# capture only after the client has flushed (rclone uploads after its
# write-back delay).  SSH encrypts SFTP, so for that bed search the server's
# export tree instead.  A non-standard SMB port must be dissected as NBSS:
# pcap_count_frames FILE MARKER PORT nbss.

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CAPTURE_PIDS=()		# "PCAP:PID"

pcap_started() {
	# dumpcap writes the pcapng section header as soon as it captures
	[[ -s "$1" ]]
}

# capture_start PORT PCAP [IFACE]
capture_start() {
	local port=$1 pcap=$2 iface=${3:-lo} pid
	bed_need tshark
	[[ "$port" =~ ^[0-9]+$ ]] || die "capture_start: bad port '$port'"
	[[ "$iface" == lo || "$iface" == vfg* ]] ||
		die "capture_start: refusing to capture on '$iface' (loopback or bed bridges only)"
	rm -f "$pcap"
	tshark -q -i "$iface" -f "tcp port $port" -w "$pcap" >"$pcap.log" 2>&1 </dev/null &
	pid=$!
	CAPTURE_PIDS+=("$pcap:$pid")
	t_defer capture_stop "$pcap"
	if ! wait_for 15 "tshark capture on $iface port $port" pcap_started "$pcap"; then
		cat "$pcap.log" >&2 || true
		die "tshark did not start"
	fi
	sleep 0.3 # dumpcap writes the header just before the filter is live
	t_log "capture: tshark pid $pid on $iface tcp port $port -> $pcap"
}

# capture_stop [PCAP]: SIGINT lets tshark flush the file.
capture_stop() {
	local want=${1:-} i entry pid
	for i in "${!CAPTURE_PIDS[@]}"; do
		entry="${CAPTURE_PIDS[$i]}"
		if [[ -z "$want" || "${entry%:*}" == "$want" ]]; then
			pid="${entry##*:}"
			if alive "$pid"; then
				kill -INT "$pid" 2>/dev/null || true
				wait_for 10 "tshark $pid to stop" dead "$pid" || bed_kill "$pid" 2
			fi
			wait "$pid" 2>/dev/null || true
			unset 'CAPTURE_PIDS[$i]'
		fi
	done
}

# pcap_count_raw PCAP MARKER: count MARKER in the raw capture bytes (0 when grep finds
# none; false, with a message, when PCAP is missing or grep fails).
pcap_count_raw() {
	[[ -s $1 ]] || { t_log "no capture file '$1'"; return 1; }
	{ LC_ALL=C grep -a -o -F -- "$2" "$1" || (($? == 1)); } | wc -l
}

# pcap_count_raw_utf16 FILE MARKER: count MARKER encoded as UTF-16LE
# (ASCII markers only).  Works on any file, not only captures.
pcap_count_raw_utf16() {
	local pat="" i c
	for ((i = 0; i < ${#2}; i++)); do
		c="${2:i:1}"
		pat+="$(printf '\\x%02x\\x00' "'$c")"
	done
	[[ -s $1 ]] || { t_log "no capture file '$1'"; return 1; }
	{ LC_ALL=C grep -a -o -P -- "$pat" "$1" || (($? == 1)); } | wc -l
}

# pcap_count_frames PCAP MARKER [PORT [DISSECTOR]]: frames containing MARKER.
pcap_count_frames() {
	local pcap=$1 marker=$2 port=${3:-} diss=${4:-} args=()
	if [[ -n "$port" && -n "$diss" ]]; then
		args=(-d "tcp.port==$port,$diss")
	fi
	# escape backslashes and quotes for the display-filter string literal
	marker="${marker//\\/\\\\}"
	marker="${marker//\"/\\\"}"
	tshark -r "$pcap" "${args[@]}" -Y "frame contains \"$marker\"" -T fields -e frame.number \
		2>/dev/null | wc -l
}

# tree_grep DIR MARKER: files (any type, recursively, binary-safe) whose
# contents or name contain MARKER.
tree_grep() {
	local dir=$1 marker=$2
	{
		grep -r -a -l -F -- "$marker" "$dir" 2>/dev/null || true
		find "$dir" -name "*$(printf '%s' "$marker" | sed 's/[][*?\\]/\\&/g')*" 2>/dev/null || true
	} | sort -u
}

tree_has_marker() {
	[[ -n "$(tree_grep "$1" "$2")" ]]
}
