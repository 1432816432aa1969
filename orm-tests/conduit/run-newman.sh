#!/usr/bin/env bash
# Acceptance test of the Conduit example (orm-tests/examples/conduit): the official RealWorld
# Postman collection, run by newman, against the example on SQLite, PostgreSQL and MariaDB, each
# on a fresh database. Every backend must end with 0 failed assertions.
#
#   bash orm-tests/conduit/run-newman.sh            # all three backends
#   CONDUIT_BACKENDS="sqlite" bash orm-tests/conduit/run-newman.sh
#
# The collection is read from ORM_REALWORLD_DIR, or from the first shared/realworld/ above the
# checkout or the current directory (it is never copied into the repository). Without it, and
# with a server that cannot be reached, the script skips loudly, unless CI (or
# ORM_REQUIRE_ALL_BACKENDS) is set: then it fails.
#
# newman comes from the npm registry, installed once into NEWMAN_DIR (default target/newman,
# ignored by git) and reused by later runs. Servers: ORM_TEST_POSTGRES (default
# postgres://postgres@127.0.0.1:5432) and ORM_TEST_MYSQL (default mysql://root@127.0.0.1:3306);
# the database `conduit_newman` (`${ORM_TEST_DB_PREFIX}conduit_newman` when that is set, so two
# checkouts can share the servers) is dropped and created on each.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
NEWMAN_DIR=${NEWMAN_DIR:-$TARGET/newman}
BACKENDS=${CONDUIT_BACKENDS:-sqlite postgres mysql}
PG_SERVER=${ORM_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
MY_SERVER=${ORM_TEST_MYSQL:-mysql://root@127.0.0.1:3306}
DB_NAME=${ORM_TEST_DB_PREFIX:-}conduit_newman
[[ "$DB_NAME" =~ ^[A-Za-z0-9_]+$ ]] || { echo "ORM_TEST_DB_PREFIX may hold only letters, digits and _" >&2; exit 1; }

note() { printf -- '-- conduit/newman: %s\n' "$*"; }
required() { [[ -n "${CI:-}" && "${CI:-}" != false && "${CI:-}" != 0 ]] || [[ -n "${ORM_REQUIRE_ALL_BACKENDS:-}" ]]; }
# skip_or_fail MESSAGE: a missing prerequisite fails under CI and is skipped (loudly) elsewhere.
skip_or_fail() {
    if required; then
        note "FAILED: $1 (required because CI / ORM_REQUIRE_ALL_BACKENDS is set)"
        return 1
    fi
    note "SKIPPING: $1"
}

find_collection() {
    local d
    if [[ -n "${ORM_REALWORLD_DIR:-}" ]]; then
        [[ -f "$ORM_REALWORLD_DIR/Conduit.postman_collection.json" ]] && echo "$ORM_REALWORLD_DIR/Conduit.postman_collection.json"
        return 0
    fi
    for start in "$ROOT" "$PWD"; do
        d=$start
        while :; do
            if [[ -f "$d/shared/realworld/Conduit.postman_collection.json" ]]; then
                echo "$d/shared/realworld/Conduit.postman_collection.json"
                return 0
            fi
            [[ "$d" == / ]] && break
            d=$(dirname "$d")
        done
    done
}

COLLECTION=$(find_collection)
if [[ -z "$COLLECTION" ]]; then
    skip_or_fail "the RealWorld collection was not found in any shared/realworld/ above $ROOT; set ORM_REALWORLD_DIR=/path/to/shared/realworld"
    exit $?
fi
note "collection: $COLLECTION"

NEWMAN=$NEWMAN_DIR/node_modules/.bin/newman
if [[ ! -x "$NEWMAN" ]]; then
    note "installing newman into $NEWMAN_DIR"
    mkdir -p "$NEWMAN_DIR"
    npm install --prefix "$NEWMAN_DIR" --no-audit --no-fund --loglevel=error newman@6 >/dev/null
fi
note "newman $("$NEWMAN" --version)"

cargo build -q -p orm-tests --example conduit
BIN=$TARGET/debug/examples/conduit

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# The parts of a mysql:// URL, for the command-line client.
my_client() {
    local rest=${MY_SERVER#*://} user host port
    user=${rest%%@*}
    rest=${rest#*@}
    host=${rest%%:*}
    port=${rest#*:}
    port=${port%%/*}
    mysql --connect-timeout=5 --batch -h"$host" -P"$port" -u"${user%%:*}" "$@"
}

# fresh_db BACKEND: prints the DATABASE_URL of a fresh database, or fails.
fresh_db() {
    case $1 in
    sqlite) echo "sqlite://$WORK/conduit.db" ;;
    postgres)
        psql -w -X -q -v ON_ERROR_STOP=1 "$PG_SERVER/postgres" \
            -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >&2 || return 1
        echo "$PG_SERVER/$DB_NAME"
        ;;
    mysql)
        my_client -e "DROP DATABASE IF EXISTS $DB_NAME; CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" >&2 ||
            return 1
        echo "$MY_SERVER/$DB_NAME"
        ;;
    *)
        note "unknown backend $1"
        return 1
        ;;
    esac
}

# run_backend BACKEND: 0 when newman passed with no failed assertion (or the backend was skipped).
run_backend() {
    local backend=$1 url log port i user summary
    if ! url=$(fresh_db "$backend"); then
        skip_or_fail "$backend: could not create a fresh database $DB_NAME"
        return $?
    fi
    log=$WORK/server-$backend.log
    # PORT=0: the server takes a free port and says which.
    DATABASE_URL=$url PORT=0 RUST_LOG=${RUST_LOG:-conduit=info} "$BIN" >"$log" 2>&1 &
    SERVER_PID=$!
    port=
    for ((i = 0; i < 600; i++)); do
        port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)
        [[ -n "$port" ]] && break
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
        sleep 0.1
    done
    if [[ -z "$port" ]]; then
        note "$backend: the server did not start; its log:"
        cat "$log"
        kill "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
        return 1
    fi
    user=u$(date +%s)$RANDOM
    note "$backend: server on port $port ($url), user $user"
    local rc=0
    "$NEWMAN" run "$COLLECTION" --bail false --color off --reporters cli,json \
        --reporter-json-export "$WORK/newman-$backend.json" \
        --global-var "APIURL=http://127.0.0.1:$port/api" \
        --global-var "USERNAME=$user" \
        --global-var "EMAIL=$user@mail.com" \
        --global-var "PASSWORD=password-$RANDOM" >"$WORK/newman-$backend.txt" 2>&1 || rc=$?
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
    summary=$(node -e '
        const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).run.stats;
        console.log(`${r.assertions.total} assertions, ${r.assertions.failed} failed; ${r.requests.total} requests, ${r.testScripts.failed} script errors`);
    ' "$WORK/newman-$backend.json" 2>/dev/null || echo "no report")
    note "$backend: $summary"
    if [[ $rc -ne 0 ]]; then
        note "$backend: newman FAILED (exit $rc); its output and the server's log:"
        cat "$WORK/newman-$backend.txt"
        tail -n 50 "$log"
        return 1
    fi
}

FAILED=()
for b in $BACKENDS; do
    run_backend "$b" || FAILED+=("$b")
done
if [[ ${#FAILED[@]} -gt 0 ]]; then
    note "FAILED on: ${FAILED[*]}"
    exit 1
fi
note "every backend passed"
