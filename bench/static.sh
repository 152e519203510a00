#!/usr/bin/env bash
# bench/static.sh: a small static file over keep-alive, lintel against nginx
# (when installed) in the same run, one worker each, same configuration.
#
#   bench/static.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#   OPEN_FILE_CACHE=1 bench/static.sh ...   (both servers with "open_file_cache max=1000")
#
# Prints requests per second (wrk) and the CPU time per request of the worker
# (user+system from /proc, so the figure does not depend on the load generator)
# for each server, alternating rounds so both see the same machine conditions.
# Needs wrk (apt-get install wrk); nginx is optional.
set -euo pipefail

secs=${1:-10}
conns=${2:-50}
rounds=${3:-3}

here=$(cd "$(dirname "$0")/.." && pwd)
lintel=${LINTEL_BINARY:-$here/objs/lintel}
nginx=$(command -v nginx || true)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

dir=$(mktemp -d /tmp/lintel-bench-XXXXXX)
trap 'kill_all; rm -rf "$dir"' EXIT
mkdir -p "$dir/html" "$dir/logs"
head -c 100 /dev/zero | tr '\0' 'x' > "$dir/html/small.txt"
chmod -R a+rX "$dir"

port_l=18181
port_n=18182

conf() {   # conf NAME PORT
    local log="access_log off;" ofc=""
    if [ "${OPEN_FILE_CACHE:-0}" = 1 ]; then ofc="open_file_cache max=1000;"; fi
    if [ "$1" = lintel ] && ! "$lintel" -V 2>&1 | grep -q ' http_log'; then
        log=""      # a build without access logs has none to turn off
    fi
    cat <<END
worker_processes 1;
daemon off;
pid $dir/$1.pid;
error_log $dir/logs/$1-error.log error;
events { worker_connections 4096; }
http {
    $log
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    default_type text/plain;
    $ofc
    server {
        listen 127.0.0.1:$2 reuseport;
        location / { root $dir/html; }
    }
}
END
}

pids=()
kill_all() { for p in "${pids[@]:-}"; do kill -QUIT "$p" 2>/dev/null || true; done; sleep 0.3; }

conf lintel $port_l > "$dir/lintel.conf"
"$lintel" -p "$dir/" -c "$dir/lintel.conf" -e "$dir/logs/lintel-startup.log" &
pids+=($!)

if [ -n "$nginx" ]; then
    conf nginx $port_n > "$dir/nginx.conf"
    "$nginx" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/logs/nginx-startup.log" 2>/dev/null &
    pids+=($!)
fi

sleep 1

worker_of() {  # the worker of a master pid file
    local m; m=$(cat "$dir/$1.pid")
    pgrep -P "$m" | head -n1
}

cpu_ticks() {  # utime + stime of a pid, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}

run() {  # run NAME PORT
    local w t0 t1 out rps reqs
    w=$(worker_of "$1")
    t0=$(cpu_ticks "$w")
    out=$(wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$2/small.txt")
    t1=$(cpu_ticks "$w")
    rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
    reqs=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
    local hz; hz=$(getconf CLK_TCK)
    printf '%-7s %10s req/s  %6.2f us CPU/request\n' "$1" "$rps" \
        "$(echo "($t1 - $t0) * 1000000 / $hz / $reqs" | bc -l)"
}

# warm up
wrk -t1 -c10 -d1s "http://127.0.0.1:$port_l/small.txt" >/dev/null
[ -n "$nginx" ] && wrk -t1 -c10 -d1s "http://127.0.0.1:$port_n/small.txt" >/dev/null

echo "100-byte static file, keep-alive, $conns connections, ${secs}s x $rounds rounds, 1 worker${OPEN_FILE_CACHE:+, open_file_cache}"
for i in $(seq "$rounds"); do
    run lintel $port_l
    [ -n "$nginx" ] && run nginx $port_n
done
