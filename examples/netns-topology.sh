#!/usr/bin/env bash
# Builds (or removes) three Linux hosts in network namespaces for examples/netns-multihost.json:
#   h1 10.250.0.1 ─┐
#   h2 10.250.0.2 ─┼─ bridge (in its own namespace) ─ this machine 10.250.0.254
#   h3 10.250.0.3 ─┘
# each with its own sshd (port 22) that accepts a key generated here; h1's link is rate-limited
# to 20 Mbit/s with tbf. Needs root and iproute2 + openssh-server. Usage:
#   examples/netns-topology.sh up     # then: npx nepi run examples/netns-multihost.json
#   examples/netns-topology.sh down
# NEPI_NETNS_DIR (default /tmp/nepi-netns), NEPI_NETNS_PREFIX (default nepi) and NEPI_NETNS_NET
# (default 10.250.0) let tests build their own copy next to this one; NEPI_NETNS_HOSTS (default 3)
# makes more hosts (the SSH benchmark uses 10).
set -euo pipefail
DIR=${NEPI_NETNS_DIR:-/tmp/nepi-netns}
P=${NEPI_NETNS_PREFIX:-nepi}
NET=${NEPI_NETNS_NET:-10.250.0}
RATE=${NEPI_NETNS_RATE:-20mbit}
HOSTS=${NEPI_NETNS_HOSTS:-3}
SW="${P}sw"

down() {
  for h in $(seq 1 "$HOSTS"); do
    if [ -f "$DIR/h$h/sshd.pid" ]; then kill "$(cat "$DIR/h$h/sshd.pid")" 2>/dev/null || true; fi
    # Whatever still runs in the host (sshd sessions of connections not closed): a deleted
    # namespace would keep it alive forever, unreachable.
    pids=$(ip netns pids "${P}h$h" 2>/dev/null || true)
    if [ -n "$pids" ]; then kill $pids 2>/dev/null || true; fi
    ip netns del "${P}h$h" 2>/dev/null || true
  done
  ip link del "${P}r0" 2>/dev/null || true
  ip netns del "$SW" 2>/dev/null || true
}

up() {
  [ "$(id -u)" = 0 ] || { echo "network namespaces need root" >&2; exit 1; }
  command -v /usr/sbin/sshd >/dev/null || { echo "openssh-server is not installed" >&2; exit 1; }
  down
  mkdir -p "$DIR" /run/sshd
  chmod 755 "$DIR"
  [ -f "$DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C nepi-netns -f "$DIR/id_ed25519"
  cp "$DIR/id_ed25519.pub" "$DIR/authorized_keys"
  chmod 644 "$DIR/authorized_keys"
  : > "$DIR/known_hosts"

  ip netns add "$SW"
  ip -n "$SW" link add br0 type bridge
  ip -n "$SW" link set br0 up
  ip -n "$SW" link set lo up
  # This machine's leg, so the controller reaches every host's sshd.
  ip link add "${P}r0" type veth peer name r0 netns "$SW"
  ip addr add "$NET.254/24" dev "${P}r0"
  ip link set "${P}r0" up
  ip -n "$SW" link set r0 master br0 up

  for h in $(seq 1 "$HOSTS"); do
    ns="${P}h$h"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "${P}h${h}e" netns "$ns" type veth peer name "h$h" netns "$SW"
    ip -n "$ns" link set "${P}h${h}e" name eth0
    ip -n "$ns" addr add "$NET.$h/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$SW" link set "h$h" master br0 up
    mkdir -p "$DIR/h$h"
    [ -f "$DIR/h$h/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/h$h/host_key"
    cat > "$DIR/h$h/sshd_config" <<CFG
Port 22
ListenAddress $NET.$h
HostKey $DIR/h$h/host_key
PidFile $DIR/h$h/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
UseDNS no
MaxStartups 100
Subsystem sftp internal-sftp
CFG
    ip netns exec "$ns" /usr/sbin/sshd -f "$DIR/h$h/sshd_config"
    echo "$NET.$h $(cut -d' ' -f1,2 "$DIR/h$h/host_key.pub")" >> "$DIR/known_hosts"
  done
  # h1's uplink: a token bucket at $RATE (netem is not available on every kernel; tbf is).
  ip netns exec "${P}h1" tc qdisc add dev eth0 root tbf rate "$RATE" burst 32kbit latency 50ms
  echo "hosts up: $(seq -f "$NET.%g" -s ' ' 1 "$HOSTS") (key $DIR/id_ed25519, known_hosts $DIR/known_hosts)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
