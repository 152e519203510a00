#!/usr/bin/env bash
# bench/proxy.sh: a 100-byte response proxied through an upstream keepalive pool,
# lintel against nginx (when installed) in the same run, one worker each, the same
# configuration and the same backend.
#
#   bench/proxy.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#   BACKEND=nginx bench/proxy.sh ...    (the backend is nginx instead of lintel)
#
# The backend (one worker, a 100-byte response from memory) is shared by both proxies. Each
# proxy has "upstream { server backend; keepalive 32; }", proxy_http_version 1.1 and
# proxy_set_header Connection "". wrk runs against each proxy in turn, alternating
# rounds so both see the same machine conditions; the table gives requests per
# second, the proxy worker's CPU time per request (user+system from /proc, so the
# figure does not depend on the load generator), the responses that were not 200,
# and how many distinct backend connections served the round (from the backend's
# access log: about the pool size when the pool holds, far more when connections
# are closed and opened again).
# Needs wrk (apt-get install wrk); nginx is optional.
set -euo pipefail

secs=${1:-10}
conns=${2:-50}
rounds=${3:-3}

here=$(cd "$(dirname "$0")/.." && pwd)
lintel=${LINTEL_BINARY:-$here/objs/lintel}
nginx=$(command -v nginx || true)
[ -x "$nginx" ] || nginx=$( [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx || true)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
[ -x "$lintel" ] || { echo "no $lintel: build first (or set LINTEL_BINARY)" >&2; exit 2; }
backend_kind=${BACKEND:-lintel}
if [ "$backend_kind" = nginx ] && [ -z "$nginx" ]; then
    echo "BACKEND=nginx but nginx is not installed" >&2; exit 2
fi

dir=$(mktemp -d /tmp/lintel-bench-proxy-XXXXXX)
pids=()
kill_all() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -QUIT "$p" 2>/dev/null || true; done
    sleep 0.5
}
trap 'kill_all; rm -rf "$dir"' EXIT
mkdir -p "$dir/html" "$dir/logs"
head -c 100 /dev/zero | tr '\0' 'x' > "$dir/html/small.txt"
body=$(cat "$dir/html/small.txt")
chmod -R a+rX "$dir"

port_b=18190    # backend
port_l=18191    # lintel, proxy
port_n=18192    # nginx, proxy

has_log() {  # whether a binary has the access log module (a build may leave it out)
    [ "$1" != "$lintel" ] || "$lintel" -V 2>&1 | grep -q ' http_log'
}

common() {  # common NAME
    cat <<END
worker_processes 1;
daemon off;
pid $dir/$1.pid;
error_log $dir/logs/$1-error.log error;
events { worker_connections 4096; }
END
}

backend_conf() {
    # the backend logs the number of the connection of each request: how many
    # connections a proxy used in a round shows whether its pool held
    local bin=$1 log="log_format c '\$connection'; access_log $dir/logs/backend-access.log c buffer=64k flush=100ms;"
    has_log "$bin" || log=""
    common backend
    cat <<END
http {
    $log
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    default_type text/plain;
    server {
        listen 127.0.0.1:$port_b;
        # the 100 bytes from memory: the backend must not be what limits the
        # proxies (a static file costs it an open/fstat/close per request)
        location / { return 200 "$body"; }
    }
}
END
}

proxy_conf() {  # proxy_conf NAME PORT BINARY
    local log="access_log off;"
    has_log "$3" || log=""
    common "$1"
    cat <<END
http {
    $log
    keepalive_requests 1000000;
    upstream backend {
        server 127.0.0.1:$port_b;
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$2 reuseport;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
END
}

start() {  # start NAME BINARY
    "$2" -p "$dir/" -c "$dir/$1.conf" -e "$dir/logs/$1-startup.log" 2>>"$dir/logs/$1-stderr.log" &
    pids+=($!)
}

if [ "$backend_kind" = nginx ]; then backend_bin=$nginx; else backend_bin=$lintel; fi
backend_conf "$backend_bin" > "$dir/backend.conf"
start backend "$backend_bin"

proxy_conf lintel $port_l "$lintel" > "$dir/lintel.conf"
start lintel "$lintel"

if [ -n "$nginx" ]; then
    proxy_conf nginx $port_n "$nginx" > "$dir/nginx.conf"
    start nginx "$nginx"
fi

for _ in $(seq 50); do
    [ -s "$dir/backend.pid" ] && [ -s "$dir/lintel.pid" ] \
        && { [ -z "$nginx" ] || [ -s "$dir/nginx.pid" ]; } && break
    sleep 0.1
done
sleep 0.3

worker_of() {  # the worker of a master pid file
    local m; m=$(cat "$dir/$1.pid")
    pgrep -P "$m" | head -n1
}

cpu_ticks() {  # utime + stime of a pid, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}

log_offset() {  # the size of the backend's access log now
    stat -c %s "$dir/logs/backend-access.log" 2>/dev/null || echo 0
}

conns_since() {  # distinct backend connections in the log after an offset
    sleep 0.3    # the log's flush interval
    tail -c +"$(( $1 + 1 ))" "$dir/logs/backend-access.log" 2>/dev/null | sort -u | wc -l
}

hz=$(getconf CLK_TCK)
check=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_l/small.txt" 2>/dev/null \
        || true)
if [ "$check" != 200 ]; then
    echo "lintel does not proxy (status '$check'); its error log:" >&2
    cat "$dir/logs/lintel-error.log" "$dir/logs/lintel-stderr.log" >&2 || true
    exit 1
fi

results=()
run() {  # run NAME PORT
    local w t0 t1 out rps reqs non2xx errs cpu off used
    w=$(worker_of "$1")
    off=$(log_offset)
    t0=$(cpu_ticks "$w")
    out=$(wrk -t1 -c"$conns" -d"${secs}s" "http://127.0.0.1:$2/small.txt")
    t1=$(cpu_ticks "$w")
    rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
    reqs=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
    non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $NF}')
    errs=$(printf '%s\n' "$out" | awk '/Socket errors/ {s=0; for (i=3;i<=NF;i+=2) s+=$(i+1); print s}')
    cpu=$(echo "($t1 - $t0) * 1000000 / $hz / $reqs" | bc -l)
    used=$(conns_since "$off")
    printf '  %-7s round %d: %8.0f req/s  %6.2f us CPU/request  backend connections: %5d  non-200: %s  socket errors: %s\n' \
        "$1" "$3" "$rps" "$cpu" "$used" "${non2xx:-0}" "${errs:-0}"
    results+=("$1 $rps $cpu ${non2xx:-0} $used")
}

# warm up (fills the pools)
wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$port_l/small.txt" >/dev/null
[ -n "$nginx" ] && wrk -t1 -c"$conns" -d1s "http://127.0.0.1:$port_n/small.txt" >/dev/null

echo "proxy of a 100-byte response, upstream keepalive 32, $conns client connections,"
echo "${secs}s x $rounds rounds, 1 worker each, backend: $backend_kind (1 worker)"
for i in $(seq "$rounds"); do
    run lintel $port_l "$i"
    [ -n "$nginx" ] && run nginx $port_n "$i"
done

echo
printf '%-8s %14s %14s %22s %22s %8s\n' proxy "req/s (mean)" "req/s (best)" \
    "CPU us/request (mean)" "backend conns/round" non-200
for name in lintel nginx; do
    printf '%s\n' "${results[@]}" | awk -v n="$name" '
        $1 == n { k++; r += $2; c += $3; e += $4; bc += $5; if ($2 > b) b = $2 }
        END { if (k) printf "%-8s %14.0f %14.0f %22.2f %22.0f %8d\n", n, r / k, b, c / k, bc / k, e }'
done
