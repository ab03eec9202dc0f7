#!/usr/bin/env bash
# Make sure the database services the tests use are up (PostgreSQL on 127.0.0.1:5432,
# MariaDB on 127.0.0.1:3306). On the project's machines they are started before a session;
# this starts them again if they are down, and fails loudly if that is impossible.
set -uo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
my_up() { mariadb-admin --no-defaults -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; }

if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! my_up && command -v mariadbd >/dev/null 2>&1; then
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
fi
for _ in $(seq 1 50); do
    pg_up && my_up && break
    sleep 0.2
done
pg_up || echo "warning: PostgreSQL is not reachable on 127.0.0.1:5432" >&2
my_up || echo "warning: MariaDB is not reachable on 127.0.0.1:3306" >&2
exit 0
