#!/usr/bin/env bash
# Run the suite on SQLite, then on PostgreSQL (a fresh database per run, dropped after).
# REQUIRE_POSTGRES=1 / REQUIRE_BROWSER=1 turn a missing server or browser into a failure.
set -u
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
      >/tmp/tracker-chromium-install.log 2>&1 || echo "!! chromium install failed (see /tmp/tracker-chromium-install.log)"
  fi
fi

# The print test (tests/test_export_print.py) renders the workbook with LibreOffice and
# poppler; like the browser tests it skips without them unless REQUIRE_BROWSER=1.
if ! command -v libreoffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing LibreOffice Calc (no GUI) and poppler-utils for the print test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends libreoffice-calc-nogui poppler-utils) \
      >/tmp/tracker-libreoffice-install.log 2>&1 \
      || echo "!! LibreOffice install failed (see /tmp/tracker-libreoffice-install.log)"
  fi
fi

postgres_up() {
  python - <<'PY' 2>/dev/null
import os, sys
import psycopg
url = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
url = url.replace("postgresql+psycopg://", "postgresql://")
try:
    psycopg.connect(url, connect_timeout=3).close()
except Exception:
    sys.exit(1)
PY
}

if ! postgres_up && command -v pg_lsclusters >/dev/null 2>&1; then
  echo "== starting PostgreSQL"
  for version in $(ls /etc/postgresql 2>/dev/null); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
  for _ in $(seq 1 20); do postgres_up && break; sleep 0.5; done
fi

WORKERS="${TEST_WORKERS:-2}"
status=0
echo "== test suite on SQLite"
TEST_DB=sqlite pytest -q -n "$WORKERS" -p no:cacheprovider "$@" tests || status=1

if postgres_up; then
  echo "== test suite on PostgreSQL"
  TEST_DB=postgres pytest -q -n "$WORKERS" -p no:cacheprovider "$@" tests || status=1
elif [ "${REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "!! REQUIRE_POSTGRES=1 but PostgreSQL is not reachable: failing"
  status=1
else
  echo "!!!!!!!!!! PostgreSQL is not reachable: THE POSTGRESQL HALF WAS SKIPPED !!!!!!!!!!"
fi
exit $status
