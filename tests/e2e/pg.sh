# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# A real PostgreSQL server for the central-store tests (source after lib.sh).
# Debian's postgresql package: initdb and pg_ctl in a temporary directory,
# listening on a unix socket only (no port to clash with), trust auth for the
# superuser "postgres" on that socket and password auth for every other role.
# The server refuses to run as root, so as root it runs as "nobody" (runuser);
# as anyone else, as that user.  It is stopped, and its directory removed,
# when the test exits.
#
#   pg_start             start it; exports PG_DIR, PG_SOCK (the socket's
#                        directory), PG_ADMIN (superuser URL, database "central")
#   pg_stop / pg_resume  stop the server (fast shutdown) / start it again
#   pg_sql "SQL"         psql as the superuser on database central: one value a
#                        line, fields separated by |
#   pg_url USER PASS     a URL for role USER; its password goes to
#                        $PG_DIR/USER.pass (a libpq passfile, mode 0600), not
#                        into the URL
#
# PG_TLS=1 before pg_start: the server also listens on 127.0.0.1, port
# $PG_PORT (a free one), with ssl=on and a server certificate for localhost
# (and 127.0.0.1) made by tools/mkpki (its cms-server.crt, signed by
# $PG_PKI/cms-ca.crt; $PG_PKI/rogue-ca.crt is a CA that did not sign it),
# and accepts TCP connections over TLS only (hostssl, scram).

_pg_bin() {
	local d
	for d in "$(pg_config --bindir 2>/dev/null)" /usr/lib/postgresql/*/bin; do
		[ -x "$d/pg_ctl" ] && { echo "$d"; return; }
	done
	fail "PostgreSQL's server is not installed (Debian: apt-get install postgresql; make deps)"
}

_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	PG_BIN=$(_pg_bin)
	# not under $ST_REG: that is 0700 root, and the server runs as nobody
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/st-pg.XXXXXX")
	chmod 755 "$PG_DIR"
	PG_SOCK=$PG_DIR/sock
	mkdir -p "$PG_DIR/data" "$PG_SOCK"
	[ "$(id -u)" = 0 ] && chown nobody "$PG_DIR/data" "$PG_SOCK"
	[ -f "$ST_REG/pgdirs" ] || st_atexit _pg_cleanup
	echo "$PG_DIR" >>"$ST_REG/pgdirs"
	_pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust --no-sync \
		>"$PG_SOCK/initdb.log" 2>&1 || fail "initdb: $(cat "$PG_SOCK/initdb.log")"
	# the superuser on trust; other roles with a password (scram)
	cat >"$PG_DIR/hba.conf" <<EOF
local all postgres trust
local all all scram-sha-256
EOF
	PG_PORT=5432
	PG_OPTS=""
	[ -n "${PG_TLS:-}" ] && _pg_tls
	chmod 644 "$PG_DIR/hba.conf"
	pg_resume
	PG_ADMIN="postgresql:///central?host=$PG_SOCK&port=$PG_PORT&user=postgres"
	psql -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE central" \
		>/dev/null || fail "cannot create the database"
	export PG_DIR PG_SOCK PG_ADMIN PG_PORT
}

_pg_tls() {
	PG_PKI=$PG_DIR/pki
	"$BINDIR/mkpki" --out "$PG_PKI" --boards 0 --seed pg >/dev/null || fail "mkpki"
	mkdir -p "$PG_DIR/tls"
	cp "$PG_PKI/cms-server.crt" "$PG_PKI/cms-server.key" "$PG_DIR/tls/"
	# the server reads its key only when it owns it and nobody else may
	chmod 600 "$PG_DIR/tls/cms-server.key"
	[ "$(id -u)" = 0 ] && chown -R nobody "$PG_DIR/tls"
	PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	PG_OPTS="-c listen_addresses=127.0.0.1 -c ssl=on -c ssl_cert_file=$PG_DIR/tls/cms-server.crt"
	PG_OPTS="$PG_OPTS -c ssl_key_file=$PG_DIR/tls/cms-server.key"
	echo "hostssl all all 127.0.0.1/32 scram-sha-256" >>"$PG_DIR/hba.conf"
	export PG_PKI
}

pg_resume() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_SOCK/server.log" -w -t 60 \
		-o "-k $PG_SOCK -c listen_addresses= -c port=$PG_PORT -c hba_file=$PG_DIR/hba.conf -c fsync=off $PG_OPTS" \
		start >/dev/null || fail "PostgreSQL did not start: $(tail -n 20 "$PG_SOCK/server.log")"
}

pg_stop() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
}

pg_sql() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d central -c "$1"
}

pg_url() {
	printf '*:*:*:%s:%s\n' "$1" "$2" >"$PG_DIR/$1.pass"
	chmod 600 "$PG_DIR/$1.pass"
	echo "postgresql:///central?host=$PG_SOCK&port=$PG_PORT&user=$1"
}

_pg_cleanup() {
	local d
	[ -f "$ST_REG/pgdirs" ] || return 0
	while read -r d; do
		[ -f "$d/data/postmaster.pid" ] &&
			_pg_as "$(_pg_bin)/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1
		rm -rf "$d"
	done <"$ST_REG/pgdirs"
}
