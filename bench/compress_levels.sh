#!/usr/bin/env bash
# bench/compress_levels.sh: brotli, zstd and gzip at every level on one ~100 KiB
# HTML/JS-like body: compression speed (MB/s of input per CPU second), ratio and the
# encoder's memory for one stream, as lintel's modules run the libraries. The table
# chose brotli_comp_level's default (docs/brotli.md).
#
#   bench/compress_levels.sh [FILE] [MIN_SECONDS_PER_LEVEL]
#
# Without FILE the body is made from this repository: docs/*.md as HTML paragraphs
# and headings, then C sources inside <script> (C is close enough to JavaScript for a
# compressor: identifiers, braces, operators, comments), cut to 102400 bytes.
# Needs cc and the brotli, zstd and zlib development files.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/lintel-bench-levels-XXXXXX)
trap 'rm -rf "$dir"' EXIT

cc -O2 -o "$dir/compress_levels" "$here/bench/compress_levels.c" -lbrotlienc -lzstd -lz

file=${1:-}
if [ -z "$file" ]; then
    file=$dir/body.html
    set +o pipefail     # head closes the pipes early
    {
        printf '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        printf '<title>lintel documentation</title>\n'
        printf '<link rel="stylesheet" href="/static/style.css">\n</head>\n<body>\n'
        printf '<nav class="menu"><ul><li><a href="/docs/">docs</a></li></ul></nav>\n'
        printf '<main class="content">\n'
        (cd "$here" && cat docs/*.md) | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' \
            -e 's|^## \(.*\)|<h2 class="section">\1</h2>|' \
            -e 's|^# \(.*\)|<h1 class="title">\1</h1>|' \
            -e 's|`\([^`]*\)`|<code>\1</code>|g' \
            -e '/^<h/!s|^\(..*\)$|<p class="doc">\1</p>|' | head -c 61440
        printf '\n</main>\n<script>\n'
        (cd "$here" && cat http/lt_http_parse.c modules/static.c) | head -c 40000
        printf '\n</script>\n</body>\n</html>\n'
    } | head -c 102400 > "$file"
    set -o pipefail
fi

"$dir/compress_levels" "$file" "${2:-0.5}"
