#!/usr/bin/env bash
# Installs everything medallion needs on Debian 12 (run as root), then builds
# and installs the extension.  Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
    echo "test/setup.sh: run as root (it installs packages)" >&2
    exit 1
fi

# Install every package at once, before any cluster starts: installing
# postgresql-server-dev-15 may also upgrade the server's minor version.
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
    make gcc pkg-config ca-certificates \
    postgresql-15 postgresql-client-15 postgresql-server-dev-15 \
    postgresql-15-cron postgresql-15-pgaudit \
    libcsv-dev libjson-c-dev \
    libipc-run-perl perl python3 \
    clang libclang-rt-14-dev >/dev/null

make -s clean >/dev/null
make -s
make -s install >/dev/null
echo "medallion built and installed into $(pg_config --pkglibdir)"
