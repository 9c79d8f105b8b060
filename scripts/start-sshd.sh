#!/usr/bin/env bash
# Starts the project's own sshd for the ssh-launcher tests: listening on two loopback
# addresses (127.0.0.1 and 127.0.0.2, port 2223), key login only, for the user who runs the
# tests. The client side is $DIR/ssh_config, which names both addresses (and 127.0.0.3,
# where nothing listens: the tests' dead pool entry). Nothing under /etc/ssh or ~/.ssh is
# touched. Idempotent: exits at once while our sshd answers. Run as root (scripts/setup.sh
# calls it through sudo when needed).
set -euo pipefail
DIR=/tmp/megatest-sshd
PORT=2223
# The user the tests run as: the one who asked for sudo, or root.
LOGIN_USER=${SUDO_USER:-$(id -un)}
# Root may log in only when the tests run as root.
ROOT_LOGIN=no
[ "$LOGIN_USER" = root ] && ROOT_LOGIN=prohibit-password
say() { echo "scripts/start-sshd.sh: $*" >&2; }

ours_alive() {
  [ -s "$DIR/sshd.pid" ] && [ "$(cat "/proc/$(cat "$DIR/sshd.pid")/comm" 2>/dev/null)" = sshd ]
}
logs_in() {
  local host
  for host in 127.0.0.1 127.0.0.2; do
    timeout 10 ssh -F "$DIR/ssh_config" "$host" true >/dev/null 2>&1 || return 1
  done
}

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root"
  exit 1
fi
if ours_alive && logs_in; then
  exit 0
fi

if [ ! -x /usr/sbin/sshd ] || ! command -v ssh >/dev/null 2>&1; then
  say "installing openssh-server"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package from starting the system's own sshd.
  added_policy=no
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=yes
  fi
  apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null
  }
  [ "$added_policy" = yes ] && rm -f /usr/sbin/policy-rc.d
fi

if ours_alive; then
  kill "$(cat "$DIR/sshd.pid")" 2>/dev/null || true
  sleep 0.3
fi
rm -f "$DIR/sshd.pid"

# A directory under /tmp that someone else made first is not ours to write keys into.
if [ -e "$DIR" ] && { [ -L "$DIR" ] || [ "$(stat -c %u "$DIR")" != 0 ]; }; then
  say "$DIR exists and is not root's own directory; remove it first"
  exit 1
fi
install -d -m 0755 "$DIR"
# sshd's privilege separation directory (on tmpfs: gone after a reboot).
install -d -m 0755 /run/sshd
[ -s "$DIR/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$DIR/host_key"
[ -s "$DIR/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C megatest-tests -f "$DIR/id_ed25519"
cp "$DIR/id_ed25519.pub" "$DIR/authorized_keys"
chmod 0644 "$DIR/authorized_keys"
# The client key belongs to the user who logs in with it.
chown "$LOGIN_USER" "$DIR/id_ed25519" "$DIR/id_ed25519.pub"

cat >"$DIR/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
ListenAddress 127.0.0.2
HostKey $DIR/host_key
PidFile $DIR/sshd.daemon.pid
AuthorizedKeysFile $DIR/authorized_keys
PermitRootLogin $ROOT_LOGIN
AllowUsers $LOGIN_USER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The keys live under /tmp, which StrictModes refuses.
StrictModes no
UseDNS no
# Tests open many logins at once.
MaxStartups 100:30:200
MaxSessions 100
PrintMotd no
EOF

cat >"$DIR/ssh_config" <<EOF
Host 127.0.0.1 127.0.0.2 127.0.0.3
  Port $PORT
  User $LOGIN_USER
  IdentityFile $DIR/id_ed25519
  IdentitiesOnly yes
  BatchMode yes
  ConnectTimeout 5
  StrictHostKeyChecking no
  UserKnownHostsFile $DIR/known_hosts
  LogLevel ERROR
EOF
chmod 0644 "$DIR/ssh_config"

/usr/sbin/sshd -t -f "$DIR/sshd_config"
# -D keeps sshd in the foreground so that $! is its pid; it must be started by full path.
nohup /usr/sbin/sshd -D -f "$DIR/sshd_config" -E "$DIR/sshd.log" </dev/null >/dev/null 2>&1 &
echo $! >"$DIR/sshd.pid"
# Alive while not reaped nor a zombie; its comm reads nohup or bash until the exec, so it
# is not checked here.
started_alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}
sshd_pid=$(cat "$DIR/sshd.pid")
for _ in $(seq 100); do
  logs_in && break
  started_alive "$sshd_pid" || { cat "$DIR/sshd.log" >&2; say "sshd died"; exit 1; }
  sleep 0.1
done
if ! logs_in; then
  cat "$DIR/sshd.log" >&2
  say "key login to 127.0.0.1 and 127.0.0.2 port $PORT failed"
  exit 1
fi
