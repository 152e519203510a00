#!/usr/bin/perl

# gzip, brotli and zstd together: which coding a client gets (q-values, equal
# q-values broken by compression_order, default br zstd gzip), one Vary header, the
# ratio variables, and a proxied 100 KiB text body fetched with curl for each coding
# and none, decoded by the gzip, brotli and zstd commands into the original bytes.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test qw(port);
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_gzip http_brotli http_zstd http_proxy http_log/);
my $dir = $t->testdir();

for my $prog (qw/curl gzip brotli zstd/) {
	plan(skip_all => "no $prog command") if system("command -v $prog >/dev/null 2>&1") != 0;
}

$t->plan(35);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    default_type text/plain;
    log_format ratios '\$uri \$gzip_ratio \$brotli_ratio \$zstd_ratio';
    access_log $dir/access.log ratios;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;

        gzip on;
        brotli on;
        zstd on;
        gzip_types text/plain;
        brotli_types text/plain;
        zstd_types text/plain;
        gzip_vary on;

        location /up/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /gzfirst/ {
            alias $dir/html/;
            compression_order gzip zstd br;
        }
        location /zstdfirst/ {
            alias $dir/html/;
            compression_order zstd;
        }
        location /bronly/ {
            alias $dir/html/;
            gzip off;
            zstd off;
        }
        location /inherit/ {
            compression_order gzip;
            location /inherit/inner/ {
                alias $dir/html/;
            }
        }
    }

    # the backend: the same file, never compressed
    server {
        listen 127.0.0.1:%%PORT_8081%%;
        root $dir/html;
        gzip off;
        brotli off;
        zstd off;
    }
}
END

my $text = '';
for my $i (1 .. 4000) {
	$text .= "line $i: the quick brown fox jumps over the lazy dog " . ($i * 7919 % 1000) . "\n";
	last if length $text >= 100 * 1024;
}
$text = substr($text, 0, 100 * 1024);
$t->write_file('html/t.txt', $text);

$t->run();

sub enc {
	my ($uri, $ae) = @_;
	my $r = http("GET $uri HTTP/1.1\nHost: localhost\nConnection: close\n"
		. (defined $ae ? "Accept-Encoding: $ae\n" : '') . "\n");
	return http_header($r, 'Content-Encoding') // 'identity';
}

# negotiation
is(enc('/t.txt', 'gzip, deflate, br, zstd'), 'br', 'browser list: br by default');
is(enc('/t.txt', 'gzip, zstd'), 'zstd', 'gzip, zstd: zstd');
is(enc('/t.txt', 'gzip'), 'gzip', 'gzip only');
is(enc('/t.txt', 'br;q=0.5, gzip'), 'gzip', 'higher q wins over the order');
is(enc('/t.txt', 'zstd;q=0.9, br;q=0.8, gzip;q=0.7'), 'zstd', 'q-values decide');
is(enc('/t.txt', '*'), 'br', '*: the first in the order');
is(enc('/t.txt', '*, br;q=0'), 'zstd', '*, br refused');
is(enc('/t.txt', 'identity;q=1, *;q=0.5'), 'identity', 'identity preferred');
is(enc('/t.txt', 'deflate'), 'identity', 'nothing acceptable');
is(enc('/t.txt'), 'identity', 'no Accept-Encoding');
is(enc('/gzfirst/t.txt', 'gzip, deflate, br, zstd'), 'gzip', 'compression_order gzip first');
is(enc('/gzfirst/t.txt', 'br, zstd'), 'zstd', 'compression_order: then zstd');
is(enc('/zstdfirst/t.txt', 'gzip, br, zstd'), 'zstd', 'compression_order zstd');
is(enc('/zstdfirst/t.txt', 'gzip, br'), 'br', 'compression_order zstd: the rest in the default order');
is(enc('/inherit/inner/t.txt', 'gzip, br, zstd'), 'gzip', 'compression_order inherited');
is(enc('/bronly/t.txt', 'gzip, zstd'), 'identity', 'only brotli on: gzip client gets identity');
is(enc('/bronly/t.txt', 'gzip, br'), 'br', 'only brotli on: br');

my $r = http("GET /t.txt HTTP/1.1\nHost: localhost\nConnection: close\n"
	. "Accept-Encoding: br, gzip\n\n");
my @vary = http_header($r, 'Vary');
is(scalar(@vary), 1, 'one Vary header with three codings on');

# curl, a proxied 100 KiB body, each coding decoded by its own command
my $port = port(8080);
for my $case (['gzip', 'gzip -dc'], ['br', 'brotli -dc'], ['zstd', 'zstd -dcq'], ['', 'cat']) {
	my ($ae, $dec) = @$case;
	my $name = $ae || 'none';
	my $out = "$dir/curl.$name";
	my $hdr = "$dir/curl.$name.h";
	my @h = $ae ? ('-H', "Accept-Encoding: $ae") : ('-H', 'Accept-Encoding:');
	system('curl', '-s', '--max-time', '10', @h, '-D', $hdr, '-o', $out,
		"http://127.0.0.1:$port/up/t.txt") == 0 or diag("curl failed");
	my $headers = -e $hdr ? $t->read_file("curl.$name.h") : '';
	my ($ce) = $headers =~ /^Content-Encoding:\s*(\S+)/mi;
	is($ce // '', $ae, "curl, Accept-Encoding '$name': Content-Encoding");
	my $decoded = `$dec < $out`;
	ok($decoded eq $text, "curl, '$name': decoded equals the original 100 KiB");
	ok($ae eq '' || -s $out < length($text) / 2, "curl, '$name': compressed");
}

# curl --compressed asks for what curl can decode and decodes it
my $got = `curl -s --max-time 10 --compressed http://127.0.0.1:$port/up/t.txt`;
ok($got eq $text, 'curl --compressed');

# ratios
$t->stop();
my $log = $t->read_file('access.log');
like($log, qr{^/t.txt - (\d+\.\d\d) -$}m, '$brotli_ratio');
like($log, qr{^/t.txt - - (\d+\.\d\d)$}m, '$zstd_ratio');
like($log, qr{^/t.txt (\d+\.\d\d) - -$}m, '$gzip_ratio');
like($log, qr{^/t.txt - - -$}m, 'identity: no ratio');
