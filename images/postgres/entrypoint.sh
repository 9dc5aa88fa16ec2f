#!/bin/sh
# Starts PostgreSQL as the chart's in-cluster database expects (the environment of the official
# postgres image that the chart names by default):
#   PGDATA             the data folder; initialised on first start (no PG_VERSION in it yet)
#   POSTGRES_USER      the superuser made by initdb (default postgres)
#   POSTGRES_PASSWORD  its password (required on first start; clients over TCP use scram-sha-256)
#   POSTGRES_DB        a database made on first start (default: POSTGRES_USER)
# then runs the server listening on every address. Arguments are passed on to `postgres`.
set -eu
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"

# Names go into SQL and onto command lines: letters, digits and _ only, not starting with a digit.
for name in "$user" "$database"; do
  case "$name" in
    '' | [0-9]* | *[!A-Za-z0-9_]*)
      echo "knitfab-postgres: '$name' is not a plain name (letters, digits, _); set POSTGRES_USER and POSTGRES_DB to such names" >&2
      exit 2
      ;;
  esac
done

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "knitfab-postgres: $PGDATA holds no database and POSTGRES_PASSWORD is empty; set it to initialise one" >&2
    exit 2
  fi
  echo "knitfab-postgres: initialising $PGDATA (user $user, database $database)" >&2
  # The password reaches initdb on a pipe, never on a command line or in a file.
  printf '%s\n' "$POSTGRES_PASSWORD" | initdb --pgdata="$PGDATA" --username="$user" --pwfile=/dev/stdin \
    --encoding=UTF8 --locale=C --auth-local=trust --auth-host=scram-sha-256 >&2
  # Clients come from other pods: every address, with the password.
  printf '%s\n' "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    printf 'CREATE DATABASE "%s"\n' "$database" | postgres --single -D "$PGDATA" -c listen_addresses= postgres >/dev/null
  fi
  echo "knitfab-postgres: initialised" >&2
fi

exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
