#!/usr/bin/env bash
# bench/tls.sh: TLS termination, lintel against nginx (when installed) in the same run.
#
#   bench/tls.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#
# One worker each, the same certificate (ECDSA P-256, made here with openssl), the
# same 100-byte response from memory ("return 200"), TLS 1.3 (the client's choice). Two cases,
# wrk against each server in turn, alternating rounds:
#   keep-alive: requests per second over long-lived TLS connections;
#   handshake:  a full handshake per request (wrk with "Connection: close": every
#               request opens a new connection, and wrk does not resume sessions).
# The table gives requests per second and the worker's CPU time per request
# (user+system from /proc). KEY=rsa uses an RSA 2048 certificate instead;
# PROTOCOLS="TLSv1.2" compares TLS 1.2 handshakes. ssl_protocols is written out for
# both servers: nginx 1.22's default has no TLSv1.3.
# Needs wrk and openssl; nginx is optional.
set -euo pipefail

secs=${1:-5}
conns=${2:-16}
rounds=${3:-3}

here=$(cd "$(dirname "$0")/.." && pwd)
lintel=${LINTEL_BINARY:-$here/objs/lintel}
nginx=$(command -v nginx || true)
[ -x "$nginx" ] || nginx=$( [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx || true)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is needed" >&2; exit 2; }
[ -x "$lintel" ] || { echo "no $lintel: build first (or set LINTEL_BINARY)" >&2; exit 2; }

dir=$(mktemp -d /tmp/lintel-bench-tls-XXXXXX)
pids=()
kill_all() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -QUIT "$p" 2>/dev/null || true; done
    sleep 0.5
}
trap 'kill_all; rm -rf "$dir"' EXIT
mkdir -p "$dir/logs"

if [ "${KEY:-ecdsa}" = rsa ]; then
    keyopt="-newkey rsa:2048"
else
    keyopt="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
fi
openssl req -x509 -nodes $keyopt -keyout "$dir/cert.key" -out "$dir/cert.crt" -days 2 \
    -subj /CN=localhost >/dev/null 2>&1
chmod -R a+rX "$dir"
body=$(head -c 100 /dev/zero | tr '\0' 'x')

port_l=18391
port_n=18392

conf() {  # conf NAME PORT
    cat <<END
worker_processes 1;
daemon off;
pid $dir/$1.pid;
error_log $dir/logs/$1-error.log error;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    default_type text/plain;
    server {
        listen 127.0.0.1:$2 ssl;
        ssl_certificate $dir/cert.crt;
        ssl_certificate_key $dir/cert.key;
        ssl_protocols ${PROTOCOLS:-TLSv1.2 TLSv1.3};
        ssl_session_cache off;
        ssl_session_tickets off;
        location / { return 200 "$body"; }
    }
}
END
}

start() {  # start NAME BINARY
    "$2" -p "$dir/" -c "$dir/$1.conf" -e "$dir/logs/$1-startup.log" 2>>"$dir/logs/$1-stderr.log" &
    pids+=($!)
}

conf lintel $port_l > "$dir/lintel.conf"
start lintel "$lintel"
if [ -n "$nginx" ]; then
    conf nginx $port_n > "$dir/nginx.conf"
    start nginx "$nginx"
fi

for _ in $(seq 50); do
    [ -s "$dir/lintel.pid" ] && { [ -z "$nginx" ] || [ -s "$dir/nginx.pid" ]; } && break
    sleep 0.1
done
sleep 0.3

if ! curl -sk "https://127.0.0.1:$port_l/" >/dev/null 2>&1 \
   && ! wrk -t1 -c1 -d1s "https://127.0.0.1:$port_l/" >/dev/null 2>&1; then
    echo "lintel does not answer over TLS; its error log:" >&2
    cat "$dir/logs/lintel-error.log" "$dir/logs/lintel-stderr.log" >&2 || true
    exit 1
fi

worker_of() { pgrep -P "$(cat "$dir/$1.pid")" | head -n1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

results=()
run() {  # run CASE NAME PORT ROUND
    local w t0 t1 out rps reqs cpu errs hdr=()
    [ "$1" = handshake ] && hdr=(-H "Connection: close")
    w=$(worker_of "$2")
    t0=$(cpu_ticks "$w")
    out=$(wrk -t1 -c"$conns" -d"${secs}s" "${hdr[@]}" "https://127.0.0.1:$3/")
    t1=$(cpu_ticks "$w")
    rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
    reqs=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
    errs=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $NF}')
    cpu=$(echo "($t1 - $t0) * 1000000 / $hz / $reqs" | bc -l)
    printf '  %-10s %-7s round %d: %9.0f req/s  %8.1f us CPU/request  non-200: %s\n' \
        "$1" "$2" "$4" "$rps" "$cpu" "${errs:-0}"
    results+=("$1-$2 $rps $cpu")
}

echo "TLS (${KEY:-ecdsa} certificate), $conns connections, ${secs}s x $rounds rounds, 1 worker each"
for i in $(seq "$rounds"); do
    for c in keepalive handshake; do
        run "$c" lintel $port_l "$i"
        [ -n "$nginx" ] && run "$c" nginx $port_n "$i"
    done
done

echo
printf '%-20s %14s %14s %18s\n' case "req/s (mean)" "req/s (best)" "CPU us/request"
for name in keepalive-lintel keepalive-nginx handshake-lintel handshake-nginx; do
    printf '%s\n' "${results[@]}" | awk -v n="$name" '
        $1 == n { k++; r += $2; c += $3; if ($2 > b) b = $2 }
        END { if (k) printf "%-20s %14.0f %14.0f %18.1f\n", n, r / k, b, c / k }'
done
