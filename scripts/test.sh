#!/usr/bin/env bash
# The whole suite. On SQLite by default; on PostgreSQL when DATABASE_URL points there; under
# CI=true on both, starting PostgreSQL if it is down. A run that collects no test fails.
set -uo pipefail
cd "$(dirname "$0")/.."
export SPRECHZEIT_MODE=test
PG_URL_DEFAULT="postgres://postgres@127.0.0.1:5432/sprechzeit"

run_pytest() {  # $1: label; rest: pytest args
  local label=$1; shift
  echo "== tests on $label =="
  .venv/bin/python -m pytest "$@"
  local rc=$?
  if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests on $label: that is a failure" >&2
    return 1
  fi
  return "$rc"
}

ensure_postgres() {
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then return 0; fi
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  if [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return 0
    sleep 1
  done
  echo "PostgreSQL could not be reached; the PostgreSQL tests will fail (not skip)." >&2
  return 0
}

ensure_chromium() {
  # The browser suite drives Debian's Chromium; install it where it is missing.
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing Chromium for the browser tests (apt-get install chromium)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "Chromium is missing: install it with 'sudo apt-get install chromium' (browser tests will fail)." >&2
  fi
}

ensure_nginx() {
  # The deploy/ configuration is checked and run by Debian's nginx (tests/ops); install it
  # where it is missing, without leaving Debian's default site running on port 80.
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing nginx for the deployment tests (apt-get install nginx)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq nginx >/dev/null
    if [ -f /run/nginx.pid ]; then /usr/sbin/nginx -s quit 2>/dev/null || true; fi
  else
    echo "nginx is missing: install it with 'sudo apt-get install nginx' (deployment tests will fail under CI)." >&2
  fi
}

ensure_redis_server() {
  # The failover tests (tests/ops) start and restart a Redis server of their own.
  command -v redis-server >/dev/null && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "Installing redis-server for the failover tests (apt-get install redis-server)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq redis-server >/dev/null
  else
    echo "redis-server is missing: install it with 'sudo apt-get install redis-server' (failover tests will fail under CI)." >&2
  fi
}

status=0
ensure_chromium
ensure_nginx
ensure_redis_server
case "${DATABASE_URL:-}" in
  postgres*|postgresql*)
    ensure_postgres
    run_pytest "PostgreSQL" "$@" || status=1
    ;;
  *)
    DATABASE_URL= run_pytest "SQLite" "$@" || status=1
    if [ "${CI:-}" = "true" ]; then
      ensure_postgres
      # The browser suite drives its own demo server and runs once, in the SQLite pass.
      DATABASE_URL="$PG_URL_DEFAULT" run_pytest "PostgreSQL" -m "not browser" "$@" || status=1
    fi
    ;;
esac
exit "$status"
