#!/usr/bin/env bash
# A PostgreSQL server for the service tests (issue 15). If nothing listens on 127.0.0.1:5432, installs
# Debian's postgresql when missing and starts its cluster; then makes sure the test role and database
# exist. Run as root (CI runs it before the tests). The tests read RACKFORGE_TEST_PG_URL, which .ci/run
# sets to postgresql+psycopg://rackforge:rackforge@127.0.0.1:5432/rackforge_test.
set -euo pipefail
listening() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! listening; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "no PostgreSQL on 127.0.0.1:5432 and not root: start one, or run this as root" >&2
        exit 1
    fi
    if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update
        apt-get install -y --no-install-recommends postgresql
    fi
    version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
    if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$version main$"; then
        pg_createcluster "$version" main
    fi
    pg_ctlcluster "$version" main start
    for _ in $(seq 1 30); do listening && break; sleep 1; done
fi
if [ "$(id -u)" -eq 0 ]; then
    su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='rackforge'\"" | grep -q 1 \
        || su postgres -c "psql -c \"CREATE ROLE rackforge LOGIN CREATEDB PASSWORD 'rackforge'\""
    su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='rackforge_test'\"" | grep -q 1 \
        || su postgres -c "createdb -O rackforge rackforge_test"
fi
echo "PostgreSQL listening on 127.0.0.1:5432"
