#!/usr/bin/perl

# brotli on the fly: bodies decoded by the brotli command equal the originals (small,
# empty, 10 MiB static, proxied with a length, without one, chunked, to a slow
# reader); Accept-Encoding q-values; brotli_types, brotli_min_length,
# brotli_comp_level, brotli_window (seen in the stream header), brotli_buffers; HEAD,
# 304, no double compression, flush points with proxy_buffering off; with gzip on as
# well: br first by default, compression_order; $brotli_ratio; every directive's
# configuration errors with file:line.

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

my $t = Lintel::Test->new()->has(qw/http http_brotli http_gzip http_proxy http_log/);
my $dir = $t->testdir();

plan(skip_all => 'no brotli command') if system('command -v brotli >/dev/null 2>&1') != 0;

$t->plan(82);

Lintel::Backend->start(port(8081));

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

    log_format ratio '\$uri \$brotli_ratio';
    access_log $dir/access.log ratio;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;

        brotli on;

        location /types/ {
            brotli_types text/plain text/css;
            brotli_types text/plain;
        }
        location /anytype/ {
            alias $dir/html/types/;
            brotli_types *;
        }
        location /min/ {
            alias $dir/html/;
            brotli_min_length 1k;
        }
        location /min0/ {
            alias $dir/html/;
            brotli_min_length 0;
        }
        location /off/ {
            alias $dir/html/;
            brotli off;
        }
        location /level11/ {
            alias $dir/html/;
            brotli_comp_level 11;
            brotli_window 1k;
            brotli_buffers 2 1k;
        }
        location /level0/ {
            alias $dir/html/;
            brotli_comp_level 0;
            brotli_window 16m;
        }
        location /both/ {
            alias $dir/html/;
            gzip on;
        }
        location /gzfirst/ {
            alias $dir/html/;
            gzip on;
            compression_order gzip br;
        }
        location /iflevel/ {
            alias $dir/html/;
            brotli off;
            if (\$arg_br) {
                brotli on;
            }
        }
        location /up/ {
            brotli_types *;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /unbuf/ {
            brotli_types *;
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

sub br { return ce($_[0]) eq 'br' }

# unbrotli: the body decoded by the brotli command
sub unbrotli { return decode_with($t, 'brotli -dc', $_[0]) // 'brotli failed' }

sub decoded { return unbrotli(http_body($_[0])) }

# the window a brotli stream header declares (RFC 7932 9.1): log2 of its size
sub wbits {
	my ($body) = @_;
	my $b = ord(substr($body, 0, 1));
	return 16 unless $b & 1;
	my $n = ($b >> 1) & 7;
	return 17 + $n if $n;
	my $m = ($b >> 4) & 7;
	return $m == 1 ? 'large' : $m ? 8 + $m : 17;
}

# basic
my $r = get('/page.html', ae => 'br');
ok(br($r), 'br: Content-Encoding');
is(decoded($r), $page, 'br: brotli -d gives the original');
ok(!defined http_header($r, 'Content-Length'), 'br: no Content-Length');
like(http_header($r, 'Transfer-Encoding') // '', qr/chunked/, 'br: chunked');
like(http_header($r, 'ETag') // '', qr/^W\/"/, 'br: weak ETag');
ok(length(http_body($r)) < length($page) / 10, 'br: compressed');
is(wbits(http_body($r)), 17, 'br: 98 KiB body, window shrunk to 128 KiB');

$r = get('/page.html');
ok(!br($r) && http_body($r) eq $page, 'no Accept-Encoding: the original');

$r = get('/small.html', ae => 'br');
ok(br($r) && decoded($r) eq $small, 'small body');
is(wbits(http_body($r)), 10, 'small body: the smallest window (1 KiB)');

$r = get('/tiny.html', ae => 'br');
ok(!br($r) && http_body($r) eq 'hi', 'below brotli_min_length 20: identity');
$r = get('/empty.html', ae => 'br');
ok(!br($r) && http_body($r) eq '', 'empty body, min_length 20: identity');
$r = get('/min0/empty.html', ae => 'br');
ok(br($r) && decoded($r) eq '', 'empty body, brotli_min_length 0: an empty br stream');

$r = get('/big.html', ae => 'br', timeout => 30);
ok(br($r) && decoded($r) eq $big, '10 MiB decoded');
is(wbits(http_body($r)), 19, '10 MiB: the default window 512k');

{
	my $s = http("GET /big.html HTTP/1.1\nHost: localhost\nConnection: close\n"
		. "Accept-Encoding: br\n\n", start => 1);
	sleep(0.5);
	my $resp = http_read_response($s, 30);
	close $s;
	ok(br($resp) && decoded($resp) eq $big, 'slow reader: 10 MiB decoded');
}

# Accept-Encoding forms
for my $case (
	['br', 1], ['BR', 1], ['gzip, deflate, br', 1], ['br;q=0', 0], ['br; q=0.0', 0],
	['*', 1], ['*;q=0', 0], ['*, br;q=0', 0], ['br;q=0.001', 1],
	['identity, br;q=0.5', 0], ['identity;q=0.5, br', 1], ['identity', 0],
	['br;q=1.5', 0], ['deflate', 0], ['', 0], ['gzip', 0],
) {
	my ($ae, $want) = @$case;
	$r = get('/page.html', ae => $ae);
	is(br($r) ? 1 : 0, $want, "Accept-Encoding: '$ae'");
}

# HEAD, 304
$r = get('/page.html', ae => 'br', method => 'HEAD');
ok(br($r) && http_body($r) eq '', 'HEAD: Content-Encoding, no body');
ok(!defined http_header($r, 'Content-Length'), 'HEAD: no Content-Length');
my $lm = http_header(get('/page.html'), 'Last-Modified');
$r = get('/page.html', ae => 'br', h => ["If-Modified-Since: $lm"]);
is(http_status($r), 304, 'If-Modified-Since: 304');
ok(!br($r), '304: no Content-Encoding');

# brotli_types
ok(!br(get('/types/t.png', ae => 'br')), 'brotli_types: image/png not listed');
$r = get('/types/t.txt', ae => 'br');
ok(br($r) && decoded($r) eq $page, 'brotli_types: text/plain listed');
ok(br(get('/types/t.css', ae => 'br')), 'brotli_types repeated: the lists add up');
ok(br(get('/types/t.html', ae => 'br')), 'brotli_types: text/html always');
ok(!br(get('/t.txt', ae => 'br')), 'text/plain not in the default list');
ok(br(get('/anytype/t.png', ae => 'br')), 'brotli_types *: png');

# brotli_min_length
ok(!br(get('/min/k1023.html', ae => 'br')), 'brotli_min_length 1k: 1023 bytes');
$r = get('/min/k1024.html', ae => 'br');
ok(br($r) && decoded($r) eq 'x' x 1024, 'brotli_min_length 1k: 1024 bytes');

# brotli off, in "if"
$r = get('/off/page.html', ae => 'br');
ok(!br($r) && http_body($r) eq $page, 'brotli off');
ok(!br(get('/iflevel/page.html', ae => 'br')), 'brotli off, "if" not taken');
ok(br(get('/iflevel/page.html?br=1', ae => 'br')), 'brotli on in "if"');

# brotli_comp_level, brotli_window, brotli_buffers
$r = get('/level11/page.html', ae => 'br', timeout => 30);
ok(br($r) && decoded($r) eq $page, 'level 11, window 1k, 2 1k buffers: decoded');
is(wbits(http_body($r)), 10, 'brotli_window 1k: in the stream header');
my $l11 = length(http_body($r));
$r = get('/level0/page.html', ae => 'br');
ok(br($r) && decoded($r) eq $page, 'level 0, window 16m: decoded');
ok(length(http_body($r)) > $l11, 'level 0 is larger than level 11');
$r = get('/level0/big.html', ae => 'br', timeout => 30);
ok(br($r) && decoded($r) eq $big, 'level 0: 10 MiB decoded');
is(wbits(http_body($r)), 24, 'brotli_window 16m: in the stream header');

# proxied
$r = get('/up/huge/300000', ae => 'br');
ok(br($r) && decoded($r) eq substr('0123456789' x 30000, 0, 300000),
	'proxied, Content-Length');
$r = get('/up/hugeclose/10485760', ae => 'br', timeout => 30);
ok(br($r) && decoded($r) eq '0123456789' x 1048576, 'proxied, 10 MiB, no length');
$r = get('/up/chunked', ae => 'br');
ok(br($r) && decoded($r) eq 'hello world', 'proxied chunked');
$r = get('/up/headers?h=Content-Encoding:gzip&h=Content-Type:text/plain', ae => 'br');
is(join(',', http_header($r, 'Content-Encoding')), 'gzip',
	'already encoded upstream: one Content-Encoding, not br');
is(http_body($r), "headers\n", 'already encoded upstream: body untouched');
$r = get('/up/closebody', ae => 'br');
ok(br($r) && $r !~ /\r\n0\r\n\r\n\z/, 'backend cut short: no last chunk');

# flush points: with proxy_buffering off each piece is sent decodable at once (the
# backend sends "hello", then " world" 200 ms later, then the end 200 ms later)
{
	my $s = http("GET /unbuf/chunkedslow HTTP/1.1\nHost: localhost\nConnection: close\n"
		. "Accept-Encoding: br\n\n", start => 1);
	my $start = time();
	my $sel = IO::Select->new($s);
	my ($resp, $first) = ('', undef);
	while (time() - $start < 5 && $sel->can_read(5)) {
		my $n = sysread($s, my $buf, 65536);
		last unless $n;
		$resp .= $buf;
		if (!defined $first && $resp =~ /\r\n\r\n[0-9a-f]+\r\n/) {
			$first = time() - $start;
			# what came so far, decoded (the stream is not finished yet)
			my $part = $resp;
			$part =~ s/^.*?\r\n\r\n//s;
			my $p = '';
			while ($part =~ s/^([0-9a-f]+)\r\n//) {
				last if length($part) < hex($1);
				$p .= substr($part, 0, hex($1), '');
				$part =~ s/^\r\n//;
			}
			# it ends on a byte boundary: an empty last meta-block (ISLAST and
			# ISLASTEMPTY, bits 11) makes it a whole stream
			is(unbrotli($p . "\x03"), 'hello',
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

# with gzip on too: br first by default, compression_order changes it
is(ce(get('/both/page.html', ae => 'gzip, deflate, br')), 'br', 'gzip and br: br');
is(ce(get('/both/page.html', ae => 'gzip')), 'gzip', 'gzip and br, client gzip: gzip');
is(ce(get('/both/page.html', ae => 'br;q=0.5, gzip')), 'gzip', 'gzip and br: q decides');
is(ce(get('/gzfirst/page.html', ae => 'gzip, br')), 'gzip', 'compression_order gzip br');
is(ce(get('/gzfirst/page.html', ae => 'gzip;q=0.5, br')), 'br',
	'compression_order: q still decides');

# $brotli_ratio
$t->stop();
my $log = $t->read_file('access.log');
like($log, qr{^/page.html \d+\.\d\d$}m, '$brotli_ratio logged');
like($log, qr{^/tiny.html -$}m, '$brotli_ratio not found without brotli');

# configuration errors
sub conf_error { compress_conf_error($t, @_) }

conf_error('brotli maybe;', qr/invalid value "maybe" in "brotli" .*bad.conf:4/, 'brotli maybe');
conf_error('brotli on off;', qr/invalid number of arguments in "brotli" .*bad.conf:4/,
	'brotli two values');
conf_error('brotli_comp_level 12;',
	qr/invalid value "12" in "brotli_comp_level" .*between 0 and 11.*bad.conf:4/,
	'brotli_comp_level 12');
conf_error('brotli_comp_level -1;', qr/invalid value "-1" in "brotli_comp_level" .*bad.conf:4/,
	'brotli_comp_level -1');
conf_error("brotli_comp_level 5;\nbrotli_comp_level 6;",
	qr/"brotli_comp_level" directive is duplicate .*bad.conf:5/, 'brotli_comp_level twice');
conf_error('brotli_window 1000;',
	qr/invalid value "1000" in "brotli_window" .*power of two.*bad.conf:4/, 'brotli_window 1000');
conf_error('brotli_window 512;', qr/invalid value "512" in "brotli_window" .*bad.conf:4/,
	'brotli_window 512');
conf_error('brotli_window 32m;', qr/invalid value "32m" in "brotli_window" .*bad.conf:4/,
	'brotli_window 32m');
conf_error('brotli_min_length big;',
	qr/invalid value "big" in "brotli_min_length" .*bad.conf:4/, 'brotli_min_length big');
conf_error('brotli_buffers 4;', qr/invalid number of arguments in "brotli_buffers" .*bad.conf:4/,
	'brotli_buffers one value');
conf_error('brotli_buffers 0 4k;', qr/invalid value "0" in "brotli_buffers" .*bad.conf:4/,
	'brotli_buffers 0 4k');
conf_error('brotli_types;', qr/invalid number of arguments in "brotli_types" .*bad.conf:4/,
	'brotli_types without a type');
$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nbrotli on;\nhttp {\n}\n");
my ($code, $err) = $t->test_config('bad.conf');
ok($code == 1 && $err =~ /"brotli" directive is not allowed here .*bad.conf:3/,
	'brotli outside http') or diag($err);
