#!/usr/bin/env bash
# Prints the path of a SQLCipher 4 shell, for the test of docs/install.md's 13章 (opening the data
# without the app: tests/test_raw_key_recovery.py finds it through SHAKYO_SQLCIPHER).
#
# Debian's `sqlcipher` is used when it is SQLCipher 4 (Debian 13 and later). Debian 12's is 3.4.1,
# which cannot read SQLCipher 4 files; then a shell is built once (about 20 s) from two registry
# packages, and kept in a cache folder: the SQLCipher amalgamation that @journeyapps/sqlcipher
# carries and SQLite's shell.c from the autoconf tarball inside sqlite3 5.1.7 (SQLite 3.44.2, older
# than the amalgamation, so the shell uses no API the library lacks). Needs gcc, libssl-dev, npm.
set -euo pipefail

is_sqlcipher4() { [[ "$(printf 'PRAGMA cipher_version;\n' | "$1" :memory: 2>/dev/null)" == 4.* ]]; }

if command -v sqlcipher >/dev/null 2>&1 && is_sqlcipher4 "$(command -v sqlcipher)"; then
  command -v sqlcipher
  exit 0
fi

AMALGAMATION="@journeyapps/sqlcipher@6.0.0"
SHELL_SOURCE="sqlite3@5.1.7"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/shakyo-desk-ci/sqlcipher4-journeyapps-6.0.0"
if [ -x "$cache/sqlcipher" ] && is_sqlcipher4 "$cache/sqlcipher"; then
  echo "$cache/sqlcipher"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(
  cd "$work"
  npm pack --silent "$AMALGAMATION" "$SHELL_SOURCE" >/dev/null
  mkdir amalgamation shell
  tar -xzf journeyapps-sqlcipher-*.tgz -C amalgamation
  tar -xzf sqlite3-*.tgz -C shell
  tar -xzf shell/package/deps/sqlite-autoconf-*.tar.gz -C shell
  src=amalgamation/package/deps/sqlcipher-amalgamation
  cp shell/sqlite-autoconf-*/shell.c "$src/shell.c"  # beside the SQLCipher sqlite3.h it includes
  gcc -O1 -D_GNU_SOURCE -include stdint.h -DSQLITE_HAS_CODEC -DSQLCIPHER_CRYPTO_OPENSSL \
    -DSQLITE_EXTRA_INIT=sqlcipher_extra_init -DSQLITE_EXTRA_SHUTDOWN=sqlcipher_extra_shutdown \
    -DSQLITE_TEMP_STORE=2 -DSQLITE_THREADSAFE=1 -o sqlcipher "$src/shell.c" "$src/sqlite3.c" \
    -lcrypto -lpthread -ldl -lm 2>gcc.log || { tail -n 30 gcc.log; exit 1; }
) >&2
mkdir -p "$cache"
install -m 0755 "$work/sqlcipher" "$cache/sqlcipher"
is_sqlcipher4 "$cache/sqlcipher"
echo "$cache/sqlcipher"
