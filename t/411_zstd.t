#!/usr/bin/perl

# zstd on the fly: bodies decoded by the zstd command equal the originals (small,
# empty, 10 MiB static, proxied with a length, without one, chunked, to a slow
# reader); Accept-Encoding q-values; zstd_types, zstd_min_length, zstd_comp_level
# (also negative), zstd_window, zstd_buffers; the frame header (`zstd -lv`): the known
# length pledged, the window never above 8 MiB (RFC 9659) even at level 22; HEAD, 304,
# no double compression, flush points with proxy_buffering off; with gzip (and
# brotli) on as well: br, zstd, gzip by default, compression_order; $zstd_ratio;
# every directive's configuration errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::Compress;
use Lintel::Backend;

my $t = Lintel::Test->new()->has(qw/http http_zstd http_gzip http_proxy http_log/);
my $dir = $t->testdir();

plan(skip_all => 'no zstd command') if system('command -v zstd >/dev/null 2>&1') != 0;

my $has_br = $t->has_module('http_brotli');

$t->plan(90);

Lintel::Backend->start(port(8081));

my $brotli_on = $has_br ? 'brotli on;' : '';

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    types {
        text/html   html;
        text/plain  txt;
        text/css    css;
        image/png   png;
    }

    log_format ratio '\$uri \$zstd_ratio';
    access_log $dir/access.log ratio;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;

        zstd on;

        location /types/ {
            zstd_types text/plain text/css;
            zstd_types text/plain;
        }
        location /anytype/ {
            alias $dir/html/types/;
            zstd_types *;
        }
        location /min/ {
            alias $dir/html/;
            zstd_min_length 1k;
        }
        location /min0/ {
            alias $dir/html/;
            zstd_min_length 0;
        }
        location /off/ {
            alias $dir/html/;
            zstd off;
        }
        location /level19/ {
            alias $dir/html/;
            zstd_comp_level 19;
            zstd_window 1k;
            zstd_buffers 2 1k;
        }
        location /fast/ {
            alias $dir/html/;
            zstd_comp_level -5;
        }
        location /both/ {
            alias $dir/html/;
            gzip on;
        }
        location /all/ {
            alias $dir/html/;
            gzip on;
            $brotli_on
        }
        location /gzfirst/ {
            alias $dir/html/;
            gzip on;
            compression_order gzip zstd;
        }
        location /iflevel/ {
            alias $dir/html/;
            zstd off;
            if (\$arg_z) {
                zstd on;
            }
        }
        location /up/ {
            zstd_types *;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /up22/ {
            zstd_types *;
            zstd_comp_level 22;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /upwin/ {
            zstd_types *;
            zstd_window 64k;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /unbuf/ {
            zstd_types *;
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
    }
}
END

my ($page, $big) = compress_files($t);
my $small = $Lintel::Compress::SMALL;

$t->run();

sub get { return compress_get(@_) }
sub ce { return coding($_[0]) }

sub zs { return ce($_[0]) eq 'zstd' }

my $nfile = 0;
# unzstd: the body decoded by the zstd command
sub unzstd { return decode_with($t, 'zstd -dcq', $_[0]) // 'zstd failed' }

sub decoded { return unzstd(http_body($_[0])) }

# frame: what `zstd -lv` says of the frame: window size, decompressed size (bytes)
sub frame {
	my ($body) = @_;
	my $f = 'frame' . $nfile++ . '.zst';
	$t->write_file($f, $body);
	my $l = `zstd -lv $dir/$f 2>&1`;
	my ($w) = $l =~ /Window Size:.*\((\d+) B\)/;
	my ($d) = $l =~ /Decompressed Size:.*\((\d+) B\)/;
	return ($w // 'none', $d // 'unknown');
}

# basic
my $r = get('/page.html', ae => 'zstd');
ok(zs($r), 'zstd: Content-Encoding');
is(decoded($r), $page, 'zstd: zstd -d gives the original');
ok(!defined http_header($r, 'Content-Length'), 'zstd: no Content-Length');
like(http_header($r, 'Transfer-Encoding') // '', qr/chunked/, 'zstd: chunked');
like(http_header($r, 'ETag') // '', qr/^W\/"/, 'zstd: weak ETag');
ok(length(http_body($r)) < length($page) / 10, 'zstd: compressed');
my ($w, $d) = frame(http_body($r));
is($d, length($page), 'zstd: the known length is in the frame header');
ok($w ne 'none' && $w <= 131072, "zstd: window sized to the body ($w)");

$r = get('/page.html');
ok(!zs($r) && http_body($r) eq $page, 'no Accept-Encoding: the original');

$r = get('/small.html', ae => 'zstd');
ok(zs($r) && decoded($r) eq $small, 'small body');
($w, $d) = frame(http_body($r));
is($d, length($small), 'small body: length in the frame header');

$r = get('/tiny.html', ae => 'zstd');
ok(!zs($r) && http_body($r) eq 'hi', 'below zstd_min_length 20: identity');
$r = get('/empty.html', ae => 'zstd');
ok(!zs($r) && http_body($r) eq '', 'empty body, min_length 20: identity');
$r = get('/min0/empty.html', ae => 'zstd');
ok(zs($r) && decoded($r) eq '', 'empty body, zstd_min_length 0: an empty frame');

$r = get('/big.html', ae => 'zstd', timeout => 30);
ok(zs($r) && decoded($r) eq $big, '10 MiB decoded');

{
	my $s = http("GET /big.html HTTP/1.1\nHost: localhost\nConnection: close\n"
		. "Accept-Encoding: zstd\n\n", start => 1);
	sleep(0.5);
	my $resp = http_read_response($s, 30);
	close $s;
	ok(zs($resp) && decoded($resp) eq $big, 'slow reader: 10 MiB decoded');
}

# Accept-Encoding forms
for my $case (
	['zstd', 1], ['ZSTD', 1], ['gzip, deflate, br, zstd', 1], ['zstd;q=0', 0],
	['zstd; q=0.0', 0], ['*', 1], ['*;q=0', 0], ['*, zstd;q=0', 0], ['zstd;q=0.001', 1],
	['identity, zstd;q=0.5', 0], ['identity;q=0.5, zstd', 1], ['identity', 0],
	['zstd;q=1.5', 0], ['deflate', 0], ['', 0], ['gzip', 0], ['br', 0],
) {
	my ($ae, $want) = @$case;
	$r = get('/page.html', ae => $ae);
	is(zs($r) ? 1 : 0, $want, "Accept-Encoding: '$ae'");
}

# HEAD, 304
$r = get('/page.html', ae => 'zstd', method => 'HEAD');
ok(zs($r) && http_body($r) eq '', 'HEAD: Content-Encoding, no body');
ok(!defined http_header($r, 'Content-Length'), 'HEAD: no Content-Length');
my $lm = http_header(get('/page.html'), 'Last-Modified');
$r = get('/page.html', ae => 'zstd', h => ["If-Modified-Since: $lm"]);
is(http_status($r), 304, 'If-Modified-Since: 304');
ok(!zs($r), '304: no Content-Encoding');

# zstd_types
ok(!zs(get('/types/t.png', ae => 'zstd')), 'zstd_types: image/png not listed');
$r = get('/types/t.txt', ae => 'zstd');
ok(zs($r) && decoded($r) eq $page, 'zstd_types: text/plain listed');
ok(zs(get('/types/t.css', ae => 'zstd')), 'zstd_types repeated: the lists add up');
ok(zs(get('/types/t.html', ae => 'zstd')), 'zstd_types: text/html always');
ok(!zs(get('/t.txt', ae => 'zstd')), 'text/plain not in the default list');
ok(zs(get('/anytype/t.png', ae => 'zstd')), 'zstd_types *: png');

# zstd_min_length
ok(!zs(get('/min/k1023.html', ae => 'zstd')), 'zstd_min_length 1k: 1023 bytes');
$r = get('/min/k1024.html', ae => 'zstd');
ok(zs($r) && decoded($r) eq 'x' x 1024, 'zstd_min_length 1k: 1024 bytes');

# zstd off, in "if"
$r = get('/off/page.html', ae => 'zstd');
ok(!zs($r) && http_body($r) eq $page, 'zstd off');
ok(!zs(get('/iflevel/page.html', ae => 'zstd')), 'zstd off, "if" not taken');
ok(zs(get('/iflevel/page.html?z=1', ae => 'zstd')), 'zstd on in "if"');

# zstd_comp_level, zstd_window, zstd_buffers
$r = get('/level19/page.html', ae => 'zstd', timeout => 30);
ok(zs($r) && decoded($r) eq $page, 'level 19, window 1k, 2 1k buffers: decoded');
($w, $d) = frame(http_body($r));
is($w, 1024, 'zstd_window 1k: in the frame header');
$r = get('/fast/page.html', ae => 'zstd');
ok(zs($r) && decoded($r) eq $page, 'level -5: decoded');
my $fast = length(http_body($r));
ok($fast > length(http_body(get('/page.html', ae => 'zstd'))), 'level -5 is larger than 1');
$r = get('/fast/big.html', ae => 'zstd', timeout => 30);
ok(zs($r) && decoded($r) eq $big, 'level -5: 10 MiB decoded');

# proxied
$r = get('/up/huge/300000', ae => 'zstd');
ok(zs($r) && decoded($r) eq substr('0123456789' x 30000, 0, 300000),
	'proxied, Content-Length');
$r = get('/up/hugeclose/10485760', ae => 'zstd', timeout => 30);
ok(zs($r) && decoded($r) eq '0123456789' x 1048576, 'proxied, 10 MiB, no length');
($w, $d) = frame(http_body($r));
is($d, 'unknown', 'no length: none in the frame header');
$r = get('/up22/hugeclose/300000', ae => 'zstd', timeout => 30);
ok(zs($r) && decoded($r) eq substr('0123456789' x 30000, 0, 300000),
	'level 22, no length: decoded');
($w, $d) = frame(http_body($r));
is($w, 8388608, 'level 22, no length: window 8 MiB (the level has 128 MiB)');
$r = get('/upwin/hugeclose/300000', ae => 'zstd');
($w, $d) = frame(http_body($r));
ok(zs($r) && $w == 65536, 'zstd_window 64k, no length: window 64 KiB');
$r = get('/up/chunked', ae => 'zstd');
ok(zs($r) && decoded($r) eq 'hello world', 'proxied chunked');
$r = get('/up/headers?h=Content-Encoding:gzip&h=Content-Type:text/plain', ae => 'zstd');
is(join(',', http_header($r, 'Content-Encoding')), 'gzip',
	'already encoded upstream: one Content-Encoding, not zstd');
is(http_body($r), "headers\n", 'already encoded upstream: body untouched');
$r = get('/up/closebody', ae => 'zstd');
ok(zs($r) && $r !~ /\r\n0\r\n\r\n\z/, 'backend cut short: no last chunk');

# flush points: with proxy_buffering off each piece is sent decodable at once (the
# backend sends "hello", then " world" 200 ms later, then the end 200 ms later)
{
	my $s = http("GET /unbuf/chunkedslow HTTP/1.1\nHost: localhost\nConnection: close\n"
		. "Accept-Encoding: zstd\n\n", start => 1);
	my $start = time();
	my $sel = IO::Select->new($s);
	my ($resp, $first) = ('', undef);
	while (time() - $start < 5 && $sel->can_read(5)) {
		my $n = sysread($s, my $buf, 65536);
		last unless $n;
		$resp .= $buf;
		if (!defined $first && $resp =~ /\r\n\r\n[0-9a-f]+\r\n/) {
			$first = time() - $start;
			my $part = $resp;
			$part =~ s/^.*?\r\n\r\n//s;
			my $p = '';
			while ($part =~ s/^([0-9a-f]+)\r\n//) {
				last if length($part) < hex($1);
				$p .= substr($part, 0, hex($1), '');
				$part =~ s/^\r\n//;
			}
			# it ends after a whole block: an empty last raw block (header 01 00 00)
			# makes it a whole frame (no length, no checksum in the header)
			is(unzstd($p . "\x01\x00\x00"), 'hello',
				'flush: the first piece decodes to "hello" on its own');
		}
	}
	my $end = time() - $start;
	close $s;
	# the backend sends the rest 200 and 400 ms after "hello": a buffered response
	# would bring the first piece with the end
	ok(defined $first && $first + 0.15 < $end, 'flush: the first piece came before the rest'
		. (defined $first ? sprintf(' (%.2f s, the end at %.2f s)', $first, $end) : ''));
	is(decoded($resp), 'hello world', 'flush: the whole body');
}

# with gzip (and brotli) on too: br, zstd, gzip by default; compression_order
is(ce(get('/both/page.html', ae => 'gzip, deflate, zstd')), 'zstd', 'gzip and zstd: zstd');
is(ce(get('/both/page.html', ae => 'gzip')), 'gzip', 'gzip and zstd, client gzip: gzip');
is(ce(get('/both/page.html', ae => 'zstd;q=0.5, gzip')), 'gzip', 'gzip and zstd: q decides');
SKIP: {
	skip 'no http_brotli', 2 unless $has_br;
	is(ce(get('/all/page.html', ae => 'gzip, deflate, br, zstd')), 'br', 'all three: br');
	is(ce(get('/all/page.html', ae => 'gzip, zstd')), 'zstd', 'all three, no br: zstd');
}
is(ce(get('/gzfirst/page.html', ae => 'zstd, gzip')), 'gzip', 'compression_order gzip zstd');
is(ce(get('/gzfirst/page.html', ae => 'gzip;q=0.5, zstd')), 'zstd',
	'compression_order: q still decides');

# $zstd_ratio
$t->stop();
my $log = $t->read_file('access.log');
like($log, qr{^/page.html \d+\.\d\d$}m, '$zstd_ratio logged');
like($log, qr{^/tiny.html -$}m, '$zstd_ratio not found without zstd');

# configuration errors
sub conf_error { compress_conf_error($t, @_) }

conf_error('zstd maybe;', qr/invalid value "maybe" in "zstd" .*bad.conf:4/, 'zstd maybe');
conf_error('zstd on off;', qr/invalid number of arguments in "zstd" .*bad.conf:4/,
	'zstd two values');
conf_error('zstd_comp_level 23;',
	qr/invalid value "23" in "zstd_comp_level" .*between 1 and 22.*bad.conf:4/,
	'zstd_comp_level 23');
conf_error('zstd_comp_level 0;', qr/invalid value "0" in "zstd_comp_level" .*bad.conf:4/,
	'zstd_comp_level 0');
conf_error('zstd_comp_level -200000;',
	qr/invalid value "-200000" in "zstd_comp_level" .*bad.conf:4/, 'zstd_comp_level -200000');
conf_error('zstd_comp_level fast;',
	qr/invalid value "fast" in "zstd_comp_level" .*bad.conf:4/, 'zstd_comp_level fast');
conf_error("zstd_comp_level -1;\nzstd_comp_level 3;",
	qr/"zstd_comp_level" directive is duplicate .*bad.conf:5/,
	'zstd_comp_level twice (the first negative)');
conf_error('zstd_window 1000;',
	qr/invalid value "1000" in "zstd_window" .*power of two.*bad.conf:4/, 'zstd_window 1000');
conf_error('zstd_window 16m;', qr/invalid value "16m" in "zstd_window" .*bad.conf:4/,
	'zstd_window 16m (above 8 MiB)');
conf_error('zstd_window 512;', qr/invalid value "512" in "zstd_window" .*bad.conf:4/,
	'zstd_window 512');
conf_error('zstd_min_length big;',
	qr/invalid value "big" in "zstd_min_length" .*bad.conf:4/, 'zstd_min_length big');
conf_error('zstd_buffers 4;', qr/invalid number of arguments in "zstd_buffers" .*bad.conf:4/,
	'zstd_buffers one value');
conf_error('zstd_buffers 4 0;', qr/invalid value "0" in "zstd_buffers" .*bad.conf:4/,
	'zstd_buffers 4 0');
conf_error('zstd_types;', qr/invalid number of arguments in "zstd_types" .*bad.conf:4/,
	'zstd_types without a type');
$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nzstd on;\nhttp {\n}\n");
my ($code, $err) = $t->test_config('bad.conf');
ok($code == 1 && $err =~ /"zstd" directive is not allowed here .*bad.conf:3/,
	'zstd outside http') or diag($err);
