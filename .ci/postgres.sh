#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks, in a folder of
# its own, reachable only through a unix socket in that folder.
#
#   eval "$(.ci/postgres.sh start [DIR])"   create and start it; prints the
#                                           export of SIMGATE_TEST_POSTGRES
#   .ci/postgres.sh stop [DIR]              stop it and delete DIR
#
# DIR defaults to $SIMGATE_PG_DIR or /tmp/simgate-pg. PostgreSQL's server
# binaries are looked for in $PG_BIN, then pg_config, then
# /usr/lib/postgresql/*/bin; as root, `apt-get install postgresql` runs when
# none is found. initdb refuses to run as root, so as root the cluster runs
# as the unprivileged user nobody. PG_FSYNC=off trades crash safety for
# speed (never for benchmarks that claim durability).
set -euo pipefail

cmd=${1:-}
dir=${2:-${SIMGATE_PG_DIR:-/tmp/simgate-pg}}
port=${PG_PORT:-5432}

find_bin() {
	if [[ -n ${PG_BIN:-} && -x $PG_BIN/initdb ]]; then echo "$PG_BIN"; return; fi
	if command -v pg_config >/dev/null && [[ -x $(pg_config --bindir)/initdb ]]; then pg_config --bindir; return; fi
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [[ -n $d && -x $d/initdb ]]; then echo "$d"; return; fi
	return 1
}

# as runs a command as the cluster's owner.
as() {
	if [[ $(id -u) -eq 0 ]]; then
		if command -v runuser >/dev/null; then runuser -u nobody -- "$@"; else setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; fi
	else
		"$@"
	fi
}

case $cmd in
start)
	if ! bin=$(find_bin); then
		if [[ $(id -u) -ne 0 ]]; then
			echo "postgres.sh: no PostgreSQL server binaries found: install postgresql or set PG_BIN" >&2
			exit 1
		fi
		echo "postgres.sh: installing postgresql" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >&2
		apt-get install -y -qq postgresql >&2
		bin=$(find_bin)
	fi
	if [[ -e $dir/data/postmaster.pid ]]; then
		echo "postgres.sh: a cluster is already running in $dir: stop it first" >&2
		exit 1
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	if [[ $(id -u) -eq 0 ]]; then chown nobody "$dir"; fi
	chmod 700 "$dir"
	as "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	# Several simgate instances of 16 connections each, plus the tests'
	# own; serializable transactions keep predicate locks per row read.
	as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
		"-c listen_addresses='' -k $dir -p $port -c max_connections=300 -c shared_buffers=128MB \
		 -c max_pred_locks_per_transaction=256 -c fsync=${PG_FSYNC:-on}" >&2 ||
		{ cat "$dir/server.log" >&2; exit 1; }
	echo "export SIMGATE_TEST_POSTGRES='postgres://postgres@/postgres?host=$dir&port=$port&sslmode=disable'"
	;;
stop)
	if bin=$(find_bin) && [[ -e $dir/data/postmaster.pid ]]; then
		as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|stop [DIR]" >&2
	exit 2
	;;
esac
