#!/usr/bin/env bash
# tests/beds/gluster.sh: GlusterFS test bed (glusterd "hosts" in network
# namespaces + independent glusterfs FUSE clients in the root namespace).
#
# Owns: one bridge and one network namespace per server "host", addresses
# from GLUSTER_BED_NET.0/24 (default: first free of 10.213.77.0/24 ...
# 10.213.86.0/24; it exists only on the bridge created here and inside these
# namespaces, and nothing else is ever a target), one glusterd per host,
# a 1-brick or replica-2 volume, and any number of client mounts.
# glusterd refuses bricks on localhost, hence the namespaces.  Each glusterd
# runs as
#     nsenter --net=/run/netns/NS unshare --mount --propagation private \
#         glusterd -N -f WORKDIR/hN/glusterd.vol ...
# with its own working dir, run dir, CLI socket and log dir; the private
# mount namespace also bind-mounts per-host directories over the compiled-in
# /var/lib/glusterd, /var/log/glusterfs and /run/gluster, so several beds
# can run at once and the host's glusterd state is never touched.  The file
# system is otherwise shared, so bricks live in WORKDIR.
#
#   source tests/beds/gluster.sh
#   gluster_bed_start WORKDIR [single|replica2]   # sets GLUSTER_BED_VOLUME, GLUSTER_BED_SERVER
#   gluster_bed_volume_profile coherent|default   # volume options (also applied at start,
#                                                 # from GLUSTER_BED_VOL_PROFILE, default coherent)
#   gluster_bed_set KEY VALUE                      # one `gluster volume set`
#   gluster_bed_mount MNT [coherent|default|directio] [EXTRA glusterfs ARGS...]
#   gluster_bed_umount MNT
#   gluster_bed_stop                               # also run by the EXIT trap
#   gluster_bed_cli ARGS...                        # gluster CLI against host 1

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GLUSTER_BED_NET_FIXED="${GLUSTER_BED_NET:-}"	# set by the caller: use exactly this /24
GLUSTER_BED_NET="${GLUSTER_BED_NET:-10.213.77}"
GLUSTER_BED_DIR=""
GLUSTER_BED_ID=""
GLUSTER_BED_HOSTS=()		# namespace names, index 0 = host 1
GLUSTER_BED_ADDRS=()
GLUSTER_BED_BRIDGE=""
GLUSTER_BED_VOLUME=""
GLUSTER_BED_SERVER=""
GLUSTER_BED_MOUNTS=()		# "MNT:PID"

# Volume option sets.  "coherent" turns off every client-side performance
# translator that caches data or metadata or delays writes, so that a read
# on one client sees what another client wrote and closed.
# shellcheck disable=SC2034 # used through a nameref in gluster_bed_volume_profile
GLUSTER_BED_VOLOPTS_COHERENT=(
	performance.quick-read off
	performance.io-cache off
	performance.read-ahead off
	performance.write-behind off
	performance.stat-prefetch off
	performance.open-behind off
	performance.readdir-ahead off
	performance.nl-cache off
	performance.parallel-readdir off
)

gluster_bed_client_opts() {
	case "$1" in
	coherent) echo "--direct-io-mode=enable --attribute-timeout=0 --entry-timeout=0 --negative-timeout=0 --fopen-keep-cache=off" ;;
	directio) echo "--direct-io-mode=enable" ;;
	default) echo "" ;;
	*) return 1 ;;
	esac
}

# gluster_bed_cli ARGS...: run the gluster CLI against host 1 (bounded, 60 s).
gluster_bed_cli() {
	gluster_bed_cli_on 1 "$@"
}

# gluster_bed_cli_on N ARGS...: the gluster CLI against host N.  The CLI also
# writes below /var/lib/glusterd and /var/log/glusterfs, so it runs in a
# private mount namespace with host N's directories bound over those.
gluster_bed_cli_on() {
	local n=$1 h
	shift
	h="$GLUSTER_BED_DIR/h$n"
	timeout 60 unshare --mount --propagation private bash -c '
		h=$1; shift
		mount --bind "$h/varlib" /var/lib/glusterd &&
		mount --bind "$h/varlog" /var/log/glusterfs &&
		exec gluster --mode=script --glusterd-sock="$h/run/glusterd.socket" \
			--log-file="$h/log/cli.log" "$@"' gluster-bed-cli "$h" "$@" </dev/null
}

gluster_bed_net_up() {
	local n=$1 ns=$2 addr=$3
	ip netns add "$ns"
	ip link add "$ns" type veth peer name eth0 netns "$ns"
	ip link set "$ns" master "$GLUSTER_BED_BRIDGE" up
	ip -n "$ns" addr add "$addr/24" dev eth0
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	: "$n"
}

# gluster_bed_ns_down NS: kill every process left in NS, delete NS (its veth
# goes with it).
gluster_bed_ns_down() {
	local ns=$1 pid
	[[ -e "/run/netns/$ns" ]] || return 0
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		bed_kill "$pid" 5 || true
	done
	ip netns del "$ns" 2>/dev/null || true
	ip link del "$ns" 2>/dev/null || true
}

gluster_bed_glusterd_up() {
	local n=$1 ns=$2 addr=$3 h
	h="$GLUSTER_BED_DIR/h$n"
	mkdir -p "$h/lib" "$h/run" "$h/log" "$h/varlib" "$h/varlog" "$h/rungl"
	if [[ -d /var/lib/glusterd/groups ]]; then
		cp -r /var/lib/glusterd/groups "$h/lib/" 2>/dev/null || true
	fi
	cat >"$h/glusterd.vol" <<VOL
volume management
    type mgmt/glusterd
    option working-directory $h/lib
    option run-directory $h/run
    option glusterd-sockfile $h/run/glusterd.socket
    option transport-type socket
    option transport.address-family inet
    option transport.socket.bind-address $addr
    option transport.socket.listen-port 24007
    option transport.socket.keepalive-time 10
    option transport.socket.keepalive-interval 2
    option transport.socket.read-fail-log off
    option ping-timeout 0
    option event-threads 1
    option base-port 49152
    option max-port 60999
end-volume
VOL
	mkdir -p /var/lib/glusterd /var/log/glusterfs /run/gluster
	nsenter --net="/run/netns/$ns" unshare --mount --propagation private \
		bash -c 'mount --bind "$1/varlib" /var/lib/glusterd &&
			 mount --bind "$1/varlog" /var/log/glusterfs &&
			 mount --bind "$1/rungl" /run/gluster &&
			 exec glusterd -N -f "$1/glusterd.vol" -p "$1/run/glusterd.pid" \
				-l "$1/log/glusterd.log"' glusterd-bed "$h" \
		>"$h/log/glusterd.out" 2>&1 </dev/null &
	echo $! >"$h/glusterd.bedpid"
	if ! wait_for 20 "glusterd of host $n" test -S "$h/run/glusterd.socket" ||
		! wait_for 20 "glusterd CLI of host $n" gluster_bed_cli_on "$n" volume list; then
		tail -20 "$h/log/glusterd.log" >&2 || true
		die "glusterd of host $n did not start"
	fi
}

gluster_bed_net_in_use() {
	ip -o addr show | grep -qF " $1."
}

# gluster_bed_pick_net: GLUSTER_BED_NET if the caller set it (must be free);
# otherwise the first free one of 10.213.77 ... 10.213.86 (so concurrent
# beds do not collide).  These /24s exist only on our bridges and namespaces.
gluster_bed_pick_net() {
	local n
	if [[ -n "$GLUSTER_BED_NET_FIXED" ]]; then
		GLUSTER_BED_NET=$GLUSTER_BED_NET_FIXED
		! gluster_bed_net_in_use "$GLUSTER_BED_NET"
		return
	fi
	for n in 77 78 79 80 81 82 83 84 85 86; do
		if ! gluster_bed_net_in_use "10.213.$n"; then
			GLUSTER_BED_NET="10.213.$n"
			return 0
		fi
	done
	return 1
}

# gluster_bed_start WORKDIR [single|replica2]
gluster_bed_start() {
	local w=$1 layout=${2:-single} nhosts i ns addr t0 bricks=()
	bed_need glusterd glusterfs gluster nsenter unshare ip
	t0=$(bed_time_ms)
	mkdir -p "$w"
	GLUSTER_BED_DIR="$(realpath "$w")"
	GLUSTER_BED_ID="$(($$ % 100000))"
	case "$layout" in
	single) nhosts=1 ;;
	replica2) nhosts=2 ;;
	*) die "gluster_bed_start: unknown layout '$layout'" ;;
	esac
	gluster_bed_pick_net || die "no free /24 for the gluster bed"
	t_defer gluster_bed_stop
	GLUSTER_BED_BRIDGE="vfg${GLUSTER_BED_ID}br"
	ip link add "$GLUSTER_BED_BRIDGE" type bridge
	ip addr add "$GLUSTER_BED_NET.1/24" dev "$GLUSTER_BED_BRIDGE"
	ip link set "$GLUSTER_BED_BRIDGE" up
	GLUSTER_BED_HOSTS=()
	GLUSTER_BED_ADDRS=()
	for ((i = 1; i <= nhosts; i++)); do
		ns="vfg${GLUSTER_BED_ID}h$i"
		addr="$GLUSTER_BED_NET.$((10 + i))"
		GLUSTER_BED_HOSTS+=("$ns")
		GLUSTER_BED_ADDRS+=("$addr")
		gluster_bed_net_up "$i" "$ns" "$addr"
	done
	for ((i = 1; i <= nhosts; i++)); do
		gluster_bed_glusterd_up "$i" "${GLUSTER_BED_HOSTS[$((i - 1))]}" "${GLUSTER_BED_ADDRS[$((i - 1))]}"
	done
	GLUSTER_BED_SERVER="${GLUSTER_BED_ADDRS[0]}"
	for ((i = 2; i <= nhosts; i++)); do
		gluster_bed_cli peer probe "${GLUSTER_BED_ADDRS[$((i - 1))]}" >&2 ||
			die "peer probe of host $i failed"
		wait_for 30 "host $i to join the pool" gluster_bed_peer_connected "$i" ||
			die "host $i never joined"
	done
	GLUSTER_BED_VOLUME="vfs${GLUSTER_BED_ID}"
	for ((i = 1; i <= nhosts; i++)); do
		mkdir -p "$GLUSTER_BED_DIR/bricks/h$i"
		bricks+=("${GLUSTER_BED_ADDRS[$((i - 1))]}:$GLUSTER_BED_DIR/bricks/h$i")
	done
	if ((nhosts == 2)); then
		gluster_bed_cli volume create "$GLUSTER_BED_VOLUME" replica 2 "${bricks[@]}" force >&2 ||
			die "volume create failed"
	else
		gluster_bed_cli volume create "$GLUSTER_BED_VOLUME" "${bricks[@]}" force >&2 ||
			die "volume create failed"
	fi
	gluster_bed_volume_profile "${GLUSTER_BED_VOL_PROFILE:-coherent}"
	gluster_bed_cli volume start "$GLUSTER_BED_VOLUME" >&2 || die "volume start failed"
	wait_for 30 "bricks of $GLUSTER_BED_VOLUME online" gluster_bed_bricks_online "$nhosts" ||
		die "bricks did not come online"
	t_log "gluster bed: volume $GLUSTER_BED_VOLUME ($layout, $nhosts host(s) at ${GLUSTER_BED_ADDRS[*]}) up in $(($(bed_time_ms) - t0)) ms"
}

gluster_bed_peer_connected() {
	gluster_bed_cli_on "$1" peer status 2>/dev/null | grep -q 'Peer in Cluster (Connected)' &&
		gluster_bed_cli peer status 2>/dev/null | grep -q 'Peer in Cluster (Connected)'
}

gluster_bed_bricks_online() {
	local want=$1 got
	got="$(gluster_bed_cli volume status "$GLUSTER_BED_VOLUME" detail 2>/dev/null |
		grep -c '^Online *: Y')" || true
	((got >= want))
}

# gluster_bed_set KEY VALUE: set one volume option.
gluster_bed_set() {
	gluster_bed_cli volume set "$GLUSTER_BED_VOLUME" "$1" "$2" >/dev/null ||
		die "volume set $1 $2 failed"
}

# gluster_bed_volume_profile coherent|default: "default" sets nothing (the volume as
# `volume create` made it, the way people run it).
gluster_bed_volume_profile() {
	local -n opts
	case "$1" in
	coherent) opts=GLUSTER_BED_VOLOPTS_COHERENT ;;
	default) t_log "gluster bed: volume profile default (no options set)"; return 0 ;;
	*) die "unknown gluster volume profile '$1'" ;;
	esac
	# one CLI call sets all pairs (each call costs a cluster-wide transaction)
	gluster_bed_cli volume set "$GLUSTER_BED_VOLUME" "${opts[@]}" >/dev/null ||
		die "volume profile $1 failed"
	t_log "gluster bed: volume profile $1"
}

# gluster_bed_mount MNT [PROFILE [EXTRA ARGS...]]: one independent client.
gluster_bed_mount() {
	local mnt=$1 profile=${2:-${GLUSTER_BED_CLIENT_PROFILE:-coherent}} opts pid t0 log
	shift $(($# >= 2 ? 2 : $#))
	[[ -n "$GLUSTER_BED_VOLUME" ]] || die "gluster_bed_mount: bed not started"
	opts="$(gluster_bed_client_opts "$profile")" || die "unknown gluster client profile '$profile'"
	t0=$(bed_time_ms)
	mkdir -p "$mnt"
	mnt="$(realpath "$mnt")"
	log="$GLUSTER_BED_DIR/client.$(echo "$mnt" | tr / _).log"
	local backup=()
	if ((${#GLUSTER_BED_ADDRS[@]} > 1)); then
		backup=(--volfile-server="${GLUSTER_BED_ADDRS[1]}")
	fi
	# shellcheck disable=SC2086
	glusterfs -N --process-name fuse --volfile-server="$GLUSTER_BED_SERVER" "${backup[@]}" \
		--volfile-id="$GLUSTER_BED_VOLUME" --log-file="$log" $opts "$@" "$mnt" \
		>/dev/null 2>&1 </dev/null &
	pid=$!
	GLUSTER_BED_MOUNTS+=("$mnt:$pid")
	t_defer gluster_bed_umount "$mnt"
	if ! wait_for 20 "glusterfs mount at $mnt" gluster_bed_mount_ready "$mnt"; then
		tail -20 "$log" >&2 || true
		die "glusterfs mount at '$mnt' failed"
	fi
	t_log "gluster bed: client pid $pid mounted $mnt (profile $profile${*:+, +$*}) in $(($(bed_time_ms) - t0)) ms"
}

gluster_bed_mount_ready() {
	is_mounted "$1" && timeout 5 stat -f "$1" >/dev/null
}

gluster_bed_umount() {
	local mnt i entry
	mnt="$(realpath -m "$1")"
	bed_umount "$mnt" || true
	for i in "${!GLUSTER_BED_MOUNTS[@]}"; do
		entry="${GLUSTER_BED_MOUNTS[$i]}"
		if [[ "${entry%:*}" == "$mnt" ]]; then
			bed_kill "${entry##*:}" 5 || true
			unset 'GLUSTER_BED_MOUNTS[$i]'
		fi
	done
}

# gluster_bed_stop: unmount clients, stop the volume, glusterd and bricks,
# delete namespaces and the bridge (idempotent).
gluster_bed_stop() {
	local entry i ns
	for entry in "${GLUSTER_BED_MOUNTS[@]}"; do
		gluster_bed_umount "${entry%:*}"
	done
	GLUSTER_BED_MOUNTS=()
	if [[ -n "$GLUSTER_BED_VOLUME" && -S "$GLUSTER_BED_DIR/h1/run/glusterd.socket" ]]; then
		gluster_bed_cli volume stop "$GLUSTER_BED_VOLUME" force >/dev/null 2>&1 || true
	fi
	for ((i = ${#GLUSTER_BED_HOSTS[@]}; i >= 1; i--)); do
		ns="${GLUSTER_BED_HOSTS[$((i - 1))]}"
		bed_kill_pidfile "$GLUSTER_BED_DIR/h$i/glusterd.bedpid" 5 || true
		gluster_bed_ns_down "$ns"
	done
	GLUSTER_BED_HOSTS=()
	if [[ -n "$GLUSTER_BED_BRIDGE" ]]; then
		ip link del "$GLUSTER_BED_BRIDGE" 2>/dev/null || true
		GLUSTER_BED_BRIDGE=""
	fi
	if [[ -n "$GLUSTER_BED_VOLUME" ]]; then
		t_log "gluster bed: stopped"
		GLUSTER_BED_VOLUME=""
	fi
}
