#!/usr/bin/env bash
# Load test of the Conduit example (orm-tests/examples/conduit) with wrk (Debian's `wrk`).
#
#   bash orm-tests/conduit/load.sh                  # PostgreSQL, SQLite and MariaDB, in turn
#   CONDUIT_BACKENDS=postgres bash orm-tests/conduit/load.sh
#
# For each backend: a fresh database (`${ORM_TEST_DB_PREFIX}conduit_load` on the server, a temporary SQLite file),
# the example built with --release and started on a free port, seeded THROUGH THE API with 50
# users, 500 articles carrying 20 tags, 250 follows and 1,000 favorites, then wrk for
# LOAD_SECONDS (default 15) with LOAD_CONNECTIONS (default 32) on each of
#   GET /api/articles?limit=20, GET /api/articles/{slug}, GET /api/tags,
#   GET /api/articles/feed (with a token), POST/DELETE /api/articles/{slug}/favorite alternating,
# printing requests/s, p50 and p99 per endpoint, the CPU time per request of the server and (on
# PostgreSQL) of its database backends, and the server's RSS at startup, after the seed and after
# the load (and its peak).
#
# CONDUIT_SERVER=/path/to/binary runs another implementation of the API instead (PostgreSQL
# only, e.g. a reference implementation, to compare in the same conditions): it is started with
# DATABASE_URL and PORT in its environment (and whatever else the caller exports), and
# CONDUIT_SERVER_PORT names its port if it does not take PORT. CONDUIT_URL_PARAMS is appended to
# the PostgreSQL URL (e.g. `?sslmode=disable`).
# Not part of CI (its numbers depend on the machine); nothing here asserts a threshold.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BACKENDS=${CONDUIT_BACKENDS:-postgres sqlite mysql}
SECONDS_EACH=${LOAD_SECONDS:-15}
CONNECTIONS=${LOAD_CONNECTIONS:-32}
THREADS=${LOAD_THREADS:-2}
PG_SERVER=${ORM_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}
MY_SERVER=${ORM_TEST_MYSQL:-mysql://root@127.0.0.1:3306}
DB_NAME=${ORM_TEST_DB_PREFIX:-}conduit_load

note() { printf -- '-- conduit/load: %s\n' "$*" >&2; }
command -v wrk >/dev/null || { note "wrk is not installed (apt-get install wrk)"; exit 1; }

if [[ -n "${CONDUIT_SERVER:-}" ]]; then
    BIN=$CONDUIT_SERVER
    BACKENDS=${CONDUIT_BACKENDS:-postgres}
else
    cargo build -q --release -p orm-tests --example conduit
    BIN=$TARGET/release/examples/conduit
fi
FIXED_PORT=${CONDUIT_SERVER_PORT:-}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/conduit-load.XXXXXX")
SERVER_PID=
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

my_client() {
    local rest=${MY_SERVER#*://} user host port
    user=${rest%%@*}
    rest=${rest#*@}
    host=${rest%%:*}
    port=${rest#*:}
    port=${port%%/*}
    mysql --connect-timeout=5 --batch -h"$host" -P"$port" -u"${user%%:*}" "$@"
}

fresh_db() {
    case $1 in
    sqlite) echo "sqlite://$WORK/conduit-load.db" ;;
    postgres)
        psql -w -X -q -v ON_ERROR_STOP=1 "$PG_SERVER/postgres" \
            -c "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" -c "CREATE DATABASE $DB_NAME" >&2 2>/dev/null
        echo "$PG_SERVER/$DB_NAME${CONDUIT_URL_PARAMS:-}"
        ;;
    mysql)
        my_client -e "DROP DATABASE IF EXISTS $DB_NAME; CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" >&2
        echo "$MY_SERVER/$DB_NAME"
        ;;
    esac
}

# The seed, through the API: prints "TOKEN SLUG" (a user who follows others, an article).
cat >"$WORK/seed.mjs" <<'JS'
const api = process.argv[2];
const post = async (path, body, token) => {
    const r = await fetch(api + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Token ${token}` } : {}) },
        body: body ? JSON.stringify(body) : undefined,
    });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
};
// A few requests at a time (the server hashes passwords on blocking threads).
const inBatches = async (n, size, f) => {
    for (let i = 0; i < n; i += size) await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, j) => f(i + j)));
};
const tokens = [], slugs = [];
await inBatches(50, 8, async (i) => {
    const u = await post("/users", { user: { username: `load${i}`, email: `load${i}@x.io`, password: "password" } });
    tokens[i] = u.user.token;
});
const tags = Array.from({ length: 20 }, (_, i) => `tag${i}`);
await inBatches(500, 16, async (i) => {
    const tagList = [tags[i % 20], tags[(i * 7 + 3) % 20]];
    const a = await post("/articles", { article: { title: `Load article ${i}`, description: "d", body: "b".repeat(200), tagList } }, tokens[i % 50]);
    slugs[i] = a.article.slug;
});
// 250 follows: user i follows the 5 users after it.
await inBatches(250, 16, async (k) => {
    const i = Math.floor(k / 5), j = (i + 1 + (k % 5)) % 50;
    await post(`/profiles/load${j}/follow`, null, tokens[i]);
});
// 1,000 favorites: user i favorites 20 articles.
await inBatches(1000, 16, async (k) => {
    const i = k % 50, a = (k * 37) % 500;
    await post(`/articles/${slugs[a]}/favorite`, null, tokens[i]);
});
console.log(`${tokens[0]} ${slugs[499]}`);
JS

# Prints requests/s, p50 and p99 (ms) of one wrk run; the method alternates POST/DELETE when
# the second argument is "toggle".
cat >"$WORK/report.lua" <<'LUA'
local toggle = os.getenv("WRK_TOGGLE") == "1"
local token = os.getenv("WRK_TOKEN")
local n = 0
request = function()
    local headers = {}
    if token and token ~= "" then headers["Authorization"] = "Token " .. token end
    local method = "GET"
    if toggle then
        n = n + 1
        method = (n % 2 == 1) and "POST" or "DELETE"
    end
    return wrk.format(method, nil, headers)
end
done = function(summary, latency, requests)
    local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n", summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, summary.requests))
end
LUA

TICK=$(getconf CLK_TCK)
cpu_ticks() { # PID...: user + system CPU time of the processes, in clock ticks (0 for one gone)
    local pid total=0 t
    for pid in "$@"; do
        t=$(awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null) || t=0
        total=$((total + ${t:-0}))
    done
    echo "$total"
}

db_pids() { # the server processes serving our database (PostgreSQL's backends; nothing elsewhere)
    case $backend in
    postgres) psql -w -X -tA "$PG_SERVER/postgres" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB_NAME'" 2>/dev/null ;;
    esac
}

# Prints requests/s, p50, p99, and the CPU time per request of the server process and (on
# PostgreSQL) of the database's backends: CPU time barely depends on what else the machine runs,
# so it compares two runs better than requests/s on a busy machine.
# Samples the CPU ticks of the database's backends twice a second into $WORK/db-cpu ("pid
# ticks" lines): a backend whose connection the server closes during a run (a request cut off
# when wrk stops) is counted up to its last sample.
sample_db() {
    while :; do
        for pid in $(db_pids); do echo "$pid $(cpu_ticks "$pid")"; done
        sleep 0.5
    done
}

run_wrk() { # NAME URL TOKEN TOGGLE
    local line server0 server1 sampler db_ticks
    : >"$WORK/db-cpu0"
    for pid in $(db_pids); do echo "$pid $(cpu_ticks "$pid")" >>"$WORK/db-cpu0"; done
    cp "$WORK/db-cpu0" "$WORK/db-cpu"
    sample_db >>"$WORK/db-cpu" &
    sampler=$!
    server0=$(cpu_ticks "$SERVER_PID")
    line=$(WRK_TOKEN=$3 WRK_TOGGLE=$4 wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_EACH}s" -s "$WORK/report.lua" "$2" | grep '^RESULT')
    server1=$(cpu_ticks "$SERVER_PID")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    for pid in $(db_pids); do echo "$pid $(cpu_ticks "$pid")" >>"$WORK/db-cpu"; done
    db_ticks=$(awk 'NR == FNR {first[$1] = $2; next} {if ($2 > last[$1]) last[$1] = $2}
        END {for (p in last) t += last[p] - first[p]; print t + 0}' "$WORK/db-cpu0" "$WORK/db-cpu")
    read -r _ rps p50 p99 errors requests <<<"$line"
    local server_us db_us=-
    server_us=$(((server1 - server0) * 1000000 / TICK / (requests > 0 ? requests : 1)))
    [[ $backend == postgres ]] && db_us=$((db_ticks * 1000000 / TICK / (requests > 0 ? requests : 1)))
    printf '  %-44s %9s req/s   p50 %7s ms   p99 %7s ms   errors %s   CPU/request: server %s us, database %s us\n' \
        "$1" "$rps" "$p50" "$p99" "$errors" "$server_us" "$db_us"
}

rss() { # PID: the resident set (and its peak) of the process, from /proc
    awk '/^VmRSS/ {r = $2} /^VmHWM/ {h = $2} END {printf "%.0f MB (peak %.0f MB)", r / 1024, h / 1024}' "/proc/$1/status"
}

listening() { # PORT: whether something accepts connections on it
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

for backend in $BACKENDS; do
    url=$(fresh_db "$backend")
    log=$WORK/server-$backend.log
    # Ours says its port at info level (and logs nothing per request there).
    [[ -n "${CONDUIT_SERVER:-}" ]] || export RUST_LOG=conduit=info
    DATABASE_URL=$url PORT=${FIXED_PORT:-0} "$BIN" >"$log" 2>&1 &
    SERVER_PID=$!
    port=
    for ((i = 0; i < 600; i++)); do
        if [[ -n "$FIXED_PORT" ]]; then
            listening "$FIXED_PORT" && port=$FIXED_PORT
        else
            port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n 1)
        fi
        [[ -n "$port" ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n "$port" ]] || { note "$backend: the server did not start"; cat "$log"; exit 1; }
    api=http://127.0.0.1:$port/api
    rss_start=$(rss "$SERVER_PID")
    note "$backend: seeding through $api"
    read -r token slug <<<"$(node "$WORK/seed.mjs" "$api")"
    rss_seeded=$(rss "$SERVER_PID")
    # The seeded tables as autovacuum leaves them, before the runs: fresh statistics, so that its
    # first ANALYZE (up to a minute later) does not change the plans in the middle of one
    # implementation's run, and VACUUM, so that the plans do not depend on how many empty pages
    # the seed's concurrent inserts left at the end of a small table (PostgreSQL extends a
    # contended table by many pages at once: `follows` took 1 to 44 pages from one run to the
    # next, and the feed's plan changed with it).
    [[ $backend == postgres ]] && psql -w -X -q "${url%%\?*}" -c "VACUUM ANALYZE" >&2
    echo "== $backend ($SECONDS_EACH s each, $CONNECTIONS connections, $THREADS wrk threads)"
    run_wrk "GET /api/articles?limit=20" "$api/articles?limit=20" "" 0
    run_wrk "GET /api/articles/{slug}" "$api/articles/$slug" "" 0
    run_wrk "GET /api/tags" "$api/tags" "" 0
    run_wrk "GET /api/articles/feed (token)" "$api/articles/feed" "$token" 0
    run_wrk "POST/DELETE /api/articles/{slug}/favorite" "$api/articles/$slug/favorite" "$token" 1
    printf '  RSS: at startup %s, after the seed %s, after the load %s\n' "$rss_start" "$rss_seeded" "$(rss "$SERVER_PID")"
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
done
