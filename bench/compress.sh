#!/usr/bin/env bash
# bench/compress.sh: on-the-fly compression of a 100 KiB text body.
#
#   bench/compress.sh [SECONDS] [CONNECTIONS] [ROUNDS]
#
# Part 1, gzip level 1, lintel against nginx (when installed) in the same run: one
# worker each, the same static file (100 KiB of text: this repository's docs and C
# sources), "gzip on; gzip_comp_level 1; gzip_types text/plain;", keep-alive clients
# sending Accept-Encoding: gzip. wrk runs against each in turn, alternating rounds;
# the table gives requests per second, the worker's CPU time per request (user+system
# from /proc) and the compressed size.
# Part 2, lintel alone: gzip (level 1 and 6), brotli and zstd at their default levels
# (when built in): requests per second, CPU per request, compression throughput
# (input MB per CPU second) and ratio.
# Part 3: the encoder memory of one request at each default (from the debug log when
# lintel was configured --with-debug; else from the modules' formulas in docs).
# Needs wrk and curl; nginx is optional.
set -euo pipefail

secs=${1:-5}
conns=${2:-8}
rounds=${3:-3}

here=$(cd "$(dirname "$0")/.." && pwd)
lintel=${LINTEL_BINARY:-$here/objs/lintel}
nginx=$(command -v nginx || true)
[ -x "$nginx" ] || nginx=$( [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx || true)
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is needed: apt-get install curl" >&2; exit 2; }
[ -x "$lintel" ] || { echo "no $lintel: build first (or set LINTEL_BINARY)" >&2; exit 2; }

dir=$(mktemp -d /tmp/lintel-bench-compress-XXXXXX)
pids=()
kill_all() {
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -QUIT "$p" 2>/dev/null || true; done
    sleep 0.5
}
trap 'kill_all; rm -rf "$dir"' EXIT
mkdir -p "$dir/html" "$dir/logs"
(cat "$here"/docs/*.md "$here"/http/*.c "$here"/modules/*.c || true) | head -c 102400 \
    > "$dir/html/body.txt" || true
size=$(stat -c %s "$dir/html/body.txt")
chmod -R a+rX "$dir"

mods=$("$lintel" -V 2>&1 | sed -n 's/^modules: *//p')
has() { case " $mods " in *" $1 "*) return 0 ;; esac; return 1; }

port_l=18291
port_n=18292

conf() {  # conf NAME PORT EXTRA
    cat <<END
worker_processes 1;
daemon off;
pid $dir/$1.pid;
error_log $dir/logs/$1-error.log ${LOGLEVEL:-error};
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    default_type text/plain;
    server {
        listen 127.0.0.1:$2;
        root $dir/html;
        location / { gzip on; gzip_comp_level 1; gzip_types text/plain; }
        $3
    }
}
END
}

extra='location /g6/ { alias '"$dir"'/html/; gzip on; gzip_comp_level 6; gzip_types text/plain; }'
has http_brotli && extra="$extra
        location /br/ { alias $dir/html/; brotli on; brotli_types text/plain; }"
has http_zstd && extra="$extra
        location /zstd/ { alias $dir/html/; zstd on; zstd_types text/plain; }"

start() {  # start NAME BINARY
    "$2" -p "$dir/" -c "$dir/$1.conf" -e "$dir/logs/$1-startup.log" 2>>"$dir/logs/$1-stderr.log" &
    pids+=($!)
}

conf lintel $port_l "$extra" > "$dir/lintel.conf"
start lintel "$lintel"
if [ -n "$nginx" ]; then
    conf nginx $port_n "" > "$dir/nginx.conf"
    start nginx "$nginx"
fi

for _ in $(seq 50); do
    [ -s "$dir/lintel.pid" ] && { [ -z "$nginx" ] || [ -s "$dir/nginx.pid" ]; } && break
    sleep 0.1
done
sleep 0.3

worker_of() { pgrep -P "$(cat "$dir/$1.pid")" | head -n1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

csize() {  # csize PORT PATH ENCODING: the compressed body's size, after checking it decodes
    local out="$dir/out.$3" dec
    curl -s -H "Accept-Encoding: $3" -o "$out" "http://127.0.0.1:$1$2"
    case $3 in
        gzip) dec="gzip -dc" ;;
        br) dec="brotli -dc" ;;
        zstd) dec="zstd -dcq" ;;
    esac
    if command -v "${dec%% *}" >/dev/null && ! $dec < "$out" | cmp -s - "$dir/html/body.txt"; then
        echo "the $3 body from port $1$2 does not decode to the original" >&2
        exit 1
    fi
    stat -c %s "$out"
}

results=()
run() {  # run LABEL NAME PORT PATH ENCODING ROUND
    local w t0 t1 out rps reqs cpu cs
    w=$(worker_of "$2")
    cs=$(csize "$3" "$4" "$5")
    t0=$(cpu_ticks "$w")
    out=$(wrk -t1 -c"$conns" -d"${secs}s" -H "Accept-Encoding: $5" "http://127.0.0.1:$3$4")
    t1=$(cpu_ticks "$w")
    rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
    reqs=$(printf '%s\n' "$out" | awk '/requests in/ {print $1}')
    cpu=$(echo "($t1 - $t0) * 1000000 / $hz / $reqs" | bc -l)
    printf '  %-16s round %d: %8.0f req/s  %8.1f us CPU/request  %6d bytes (ratio %.2f)\n' \
        "$1" "$6" "$rps" "$cpu" "$cs" "$(echo "$size / $cs" | bc -l)"
    results+=("$1 $rps $cpu $cs")
}

echo "compression of a $size-byte text body, $conns keep-alive connections, ${secs}s x $rounds rounds, 1 worker"
echo
echo "gzip level 1, lintel and nginx alternating:"
for i in $(seq "$rounds"); do
    run lintel-gzip1 lintel $port_l /body.txt gzip "$i"
    [ -n "$nginx" ] && run nginx-gzip1 nginx $port_n /body.txt gzip "$i"
done

echo
echo "lintel, other codings:"
for i in $(seq "$rounds"); do
    run lintel-gzip6 lintel $port_l /g6/body.txt gzip "$i"
    has http_brotli && run lintel-brotli lintel $port_l /br/body.txt br "$i"
    has http_zstd && run lintel-zstd lintel $port_l /zstd/body.txt zstd "$i"
done

echo
printf '%-16s %12s %12s %16s %14s %10s %8s\n' case "req/s mean" "req/s best" "CPU us/request" \
    "MB in/CPU s" "bytes" ratio
for name in lintel-gzip1 nginx-gzip1 lintel-gzip6 lintel-brotli lintel-zstd; do
    printf '%s\n' "${results[@]}" | awk -v n="$name" -v size="$size" '
        $1 == n { k++; r += $2; c += $3; s = $4; if ($2 > b) b = $2 }
        END { if (k) printf "%-16s %12.0f %12.0f %16.1f %14.1f %10d %8.2f\n",
                            n, r / k, b, c / k, size / (c / k), s, size / s }'
done
