#!/usr/bin/perl

# gzip on the fly: bodies decoded by real decoders (zlib through IO::Uncompress::Gunzip,
# and the gzip command) equal the originals: small, empty, 10 MiB static, proxied with
# and without Content-Length, chunked, to a slow reader; Accept-Encoding q-values;
# headers (Content-Encoding, no Content-Length, weak ETag, no Accept-Ranges, Vary);
# gzip_types, gzip_min_length, gzip_http_version, gzip_proxied, gzip_disable,
# gzip_buffers, gzip_comp_level, gzip_window, gzip_hash; HEAD, 304, ranges,
# no-transform, no double compression, flush points with proxy_buffering off,
# $gzip_ratio; configuration errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Compress::Raw::Zlib;
use IO::Select;
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::Compress;
use Lintel::Backend;

my $t = Lintel::Test->new()->has(qw/http http_gzip http_proxy http_log/);
my $dir = $t->testdir();

$t->plan(83);

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

    log_format ratio '\$uri \$gzip_ratio';
    access_log $dir/access.log ratio;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;

        gzip on;
        gzip_vary on;
        gzip_min_length 20;

        location /types/ {
            gzip_types text/plain text/plain;
        }
        location /anytype/ {
            alias $dir/html/types/;
            gzip_types *;
        }
        location /min/ {
            alias $dir/html/;
            gzip_min_length 1k;
        }
        location /off/ {
            alias $dir/html/;
            gzip off;
        }
        location /novary/ {
            alias $dir/html/;
            gzip_vary off;
        }
        location /v10/ {
            alias $dir/html/;
            gzip_http_version 1.0;
        }
        location /proxied/ {
            alias $dir/html/;
            gzip_proxied any;
        }
        location /expired/ {
            alias $dir/html/;
            gzip_proxied expired;
            expires \$arg_e;
        }
        location /nocache/ {
            alias $dir/html/;
            gzip_proxied no-cache;
            add_header Cache-Control \$arg_cc;
        }
        location /disable/ {
            alias $dir/html/;
            gzip_disable "^Bad(Bot)?" msie6;
        }
        location /level9/ {
            alias $dir/html/;
            gzip_comp_level 9;
            gzip_window 1k;
            gzip_hash 1k;
            gzip_buffers 2 1k;
        }
        location /legacy/ {
            alias $dir/html/;
            postpone_gzipping 1k;
            gzip_no_buffer on;
        }
        location /notransform/ {
            alias $dir/html/;
            add_header Cache-Control no-transform;
        }
        location /up/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /unbuf/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_buffering off;
            gzip_types *;
        }
        location /upgz/ {
            gzip_types *;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
    }
}
END

my ($page, $big) = compress_files($t);

$t->run();

sub get { return compress_get(@_) }

sub gz {
	my ($r) = @_;
	return (http_header($r, 'Content-Encoding') // '') eq 'gzip';
}

sub decoded {
	my ($r) = @_;
	my $body = http_body($r);
	my $out;
	gunzip(\$body => \$out) or return "gunzip failed: $GunzipError";
	return $out;
}

# basic
my $r = get('/page.html', ae => 'gzip');
ok(gz($r), 'gzip: Content-Encoding');
ok(decoded($r) eq $page, 'gzip: decoded equals the original');
ok(!defined http_header($r, 'Content-Length'), 'gzip: no Content-Length');
like(http_header($r, 'Transfer-Encoding') // '', qr/chunked/, 'gzip: chunked');
like(http_header($r, 'ETag') // '', qr/^W\/"/, 'gzip: weak ETag');
ok(!defined http_header($r, 'Accept-Ranges'), 'gzip: no Accept-Ranges');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'gzip_vary');
ok(length(http_body($r)) < length($page) / 5, 'gzip: compressed');

# the gzip command decodes it too
$t->write_file('page.gz', http_body($r));
is(`gzip -dc $dir/page.gz`, $page, 'gzip -d decodes it');

$r = get('/page.html');
ok(!gz($r), 'no Accept-Encoding: identity');
is(http_body($r), $page, 'no Accept-Encoding: the original');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'Vary also without gzip');
is(http_header($r, 'Content-Length'), length($page), 'identity keeps Content-Length');

$r = get('/small.html', ae => 'gzip');
ok(gz($r) && decoded($r) eq 'hello, hello, hello, hello, world', 'small body');
$r = get('/tiny.html', ae => 'gzip');
ok(!gz($r) && http_body($r) eq 'hi', 'below gzip_min_length 20: identity');
$r = get('/empty.html', ae => 'gzip');
ok(!gz($r) && http_body($r) eq '', 'empty body: identity');

$r = get('/big.html', ae => 'gzip', timeout => 30);
ok(gz($r) && decoded($r) eq $big, '10 MiB decoded');

# a reader slower than the server: every output buffer in use, then more
{
	my $s = http("GET /big.html HTTP/1.1\nHost: localhost\nConnection: close\n"
		. "Accept-Encoding: gzip\n\n", start => 1);
	sleep(0.5);
	my $resp = http_read_response($s, 30);
	close $s;
	ok(gz($resp) && decoded($resp) eq $big, 'slow reader: 10 MiB decoded');
}

# Accept-Encoding forms
for my $case (
	['gzip, deflate, br', 1], ['GZIP', 1], ['x-gzip', 1], ['deflate', 0],
	['gzip;q=0', 0], ['gzip;q=0.5, identity;q=1', 0], ['*', 1], ['*;q=0', 0],
	['gzip;q=0.001', 1], ['identity, gzip;q=0.5', 0], ['gzip;q=2', 0], ['', 0],
	['br;q=1, gzip;q=0.1', 1], ['*, gzip;q=0', 0],
) {
	my ($ae, $want) = @$case;
	$r = get('/page.html', ae => $ae);
	is(gz($r) ? 1 : 0, $want, "Accept-Encoding: '$ae'");
}

# HEAD, 304, ranges
$r = get('/page.html', ae => 'gzip', method => 'HEAD');
ok(gz($r) && http_body($r) eq '', 'HEAD: Content-Encoding, no body');
my $lm = http_header(get('/page.html'), 'Last-Modified');
$r = get('/page.html', ae => 'gzip', h => ["If-Modified-Since: $lm"]);
is(http_status($r), 304, 'If-Modified-Since: not modified');
ok(!gz($r), '304: no Content-Encoding');
$r = get('/page.html', ae => 'gzip', h => ['Range: bytes=0-9']);
ok(http_status($r) == 200 && gz($r) && decoded($r) eq $page, 'range: whole body compressed');

# gzip_types
ok(!gz(get('/types/t.css', ae => 'gzip')), 'gzip_types: text/css not listed');
$r = get('/types/t.txt', ae => 'gzip');
ok(gz($r) && decoded($r) eq $page, 'gzip_types: text/plain listed');
ok(gz(get('/types/t.html', ae => 'gzip')), 'gzip_types: text/html always');
ok(gz(get('/page.html', ae => 'gzip')), 'text/html by default');
ok(gz(get('/anytype/t.css', ae => 'gzip')), 'gzip_types *: css');
ok(gz(get('/anytype/t.png', ae => 'gzip')), 'gzip_types *: png');

# other directives
ok(gz(get('/min/page.html', ae => 'gzip')), 'gzip_min_length 1k: large page');
ok(!gz(get('/min/small.html', ae => 'gzip')), 'gzip_min_length 1k: small page');
$r = get('/off/page.html', ae => 'gzip');
ok(!gz($r) && !defined http_header($r, 'Vary'), 'gzip off: no Vary either');
$r = get('/novary/page.html', ae => 'gzip');
ok(gz($r) && !defined http_header($r, 'Vary'), 'gzip_vary off');

ok(!gz(get('/page.html', ae => 'gzip', v => '1.0')), 'HTTP/1.0: identity by default');
ok(gz(get('/v10/page.html', ae => 'gzip', v => '1.0')), 'gzip_http_version 1.0');

ok(!gz(get('/page.html', ae => 'gzip', h => ['Via: 1.1 proxy'])), 'Via: gzip_proxied off');
ok(gz(get('/proxied/page.html', ae => 'gzip', h => ['Via: 1.1 proxy'])), 'gzip_proxied any');
ok(gz(get('/expired/page.html?e=-1', ae => 'gzip', h => ['Via: 1.1 p'])),
	'gzip_proxied expired: expired');
ok(!gz(get('/expired/page.html?e=1h', ae => 'gzip', h => ['Via: 1.1 p'])),
	'gzip_proxied expired: not expired');
ok(gz(get('/nocache/page.html?cc=no-cache', ae => 'gzip', h => ['Via: 1.1 p'])),
	'gzip_proxied no-cache: no-cache');
ok(!gz(get('/nocache/page.html?cc=public', ae => 'gzip', h => ['Via: 1.1 p'])),
	'gzip_proxied no-cache: public');

ok(!gz(get('/disable/page.html', ae => 'gzip', h => ['User-Agent: badbot/1'])),
	'gzip_disable: regex, caseless');
ok(gz(get('/disable/page.html', ae => 'gzip', h => ['User-Agent: goodbot/1'])),
	'gzip_disable: no match');
ok(!gz(get('/disable/page.html', ae => 'gzip',
	h => ['User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.0)'])),
	'gzip_disable msie6');

$r = get('/level9/big.html', ae => 'gzip', timeout => 30);
ok(gz($r) && decoded($r) eq $big, 'level 9, 1k window and hash, 2 1k buffers: decoded');

ok(!gz(get('/notransform/page.html', ae => 'gzip')), 'Cache-Control: no-transform');
$r = get('/legacy/page.html', ae => 'gzip');
ok(gz($r) && decoded($r) eq $page, 'postpone_gzipping and gzip_no_buffer accepted');

# proxied
$r = get('/up/huge/300000', ae => 'gzip');
ok(!gz($r), 'proxied without Content-Type: not in gzip_types');
$r = get('/upgz/huge/300000', ae => 'gzip');
ok(gz($r) && decoded($r) eq substr('0123456789' x 30000, 0, 300000), 'proxied, Content-Length');
$r = get('/upgz/hugeclose/10485760', ae => 'gzip', timeout => 30);
ok(gz($r) && decoded($r) eq '0123456789' x 1048576, 'proxied, 10 MiB, no length');
$r = get('/upgz/chunked', ae => 'gzip');
ok(gz($r) && decoded($r) eq 'hello world', 'proxied chunked');
$r = get('/upgz/headers?h=Content-Encoding:gzip&h=Content-Type:text/plain', ae => 'gzip');
is(http_header($r, 'Content-Encoding'), 'gzip', 'already encoded: one Content-Encoding');
is(http_body($r), "headers\n", 'already encoded: body untouched');

# a backend that stops short: the client must see a cut body, not a complete gzip
$r = get('/upgz/closebody', ae => 'gzip');
ok(gz($r) && $r !~ /\r\n0\r\n\r\n\z/, 'backend cut short: no last chunk');

# a client that goes away in the middle of a compressed 10 MiB, then a good client
{
	my $s = http("GET /big.html HTTP/1.1\nHost: localhost\nAccept-Encoding: gzip\n\n",
		start => 1);
	sysread($s, my $buf, 1000);
	close $s;
	sleep(0.2);
	$r = get('/page.html', ae => 'gzip');
	ok(gz($r) && decoded($r) eq $page, 'after a client left mid-stream');
}

# flush points: with proxy_buffering off each piece is decodable as it comes
# (the backend sends "hello", then " world" 200 ms later, then the end 200 ms later)
{
	my $s = http("GET /unbuf/chunkedslow HTTP/1.1\nHost: localhost\nConnection: close\n"
		. "Accept-Encoding: gzip\n\n", start => 1);
	my $start = time();
	my $sel = IO::Select->new($s);
	my ($resp, $plain, $when) = ('', '', undef);
	my ($inf) = Compress::Raw::Zlib::Inflate->new(-WindowBits => WANT_GZIP);
	my $pos;
	while (time() - $start < 5 && $sel->can_read(5)) {
		my $n = sysread($s, my $buf, 65536);
		last unless $n;
		$resp .= $buf;
		unless (defined $pos) {
			my $i = index($resp, "\r\n\r\n");
			next if $i < 0;
			$pos = $i + 4;
		}
		# inflate every whole chunk that arrived
		while (substr($resp, $pos) =~ /\A([0-9a-f]+)\r\n/) {
			my ($len, $hl) = (hex($1), length($1) + 2);
			last if length($resp) < $pos + $hl + $len + 2;
			my $data = substr($resp, $pos + $hl, $len);
			$pos += $hl + $len + 2;
			my $out = '';
			$inf->inflate($data, $out) if $len;
			$plain .= $out;
			$when = time() - $start if !defined $when && $plain =~ /hello/;
		}
	}
	my $end = time() - $start;
	close $s;
	# the backend sends the rest 200 and 400 ms after "hello": a buffered response
	# would bring "hello" with the end
	ok(defined $when && $when + 0.15 < $end, 'flush: "hello" decoded before the rest was sent'
		. (defined $when ? sprintf(' (%.2f s, the end at %.2f s)', $when, $end) : ''));
	is($plain, 'hello world', 'flush: whole body decoded piece by piece');
}
# $gzip_ratio
$t->stop();
my $log = $t->read_file('access.log');
like($log, qr{^/page.html \d+\.\d\d$}m, '$gzip_ratio logged');
like($log, qr{^/tiny.html -$}m, '$gzip_ratio not found without gzip');

# configuration errors
sub conf_error { compress_conf_error($t, @_) }

conf_error("gzip_comp_level 10;", qr/invalid value "10" in "gzip_comp_level" .*bad.conf:4/,
	'gzip_comp_level 10');
conf_error("gzip_window 1000;", qr/invalid value "1000" in "gzip_window" .*power of two.*bad.conf:4/,
	'gzip_window 1000');
conf_error("gzip_hash 256k;", qr/invalid value "256k" in "gzip_hash" .*bad.conf:4/,
	'gzip_hash 256k');
conf_error("gzip_http_version 2.0;", qr/invalid value "2.0" in "gzip_http_version" .*bad.conf:4/,
	'gzip_http_version 2.0');
conf_error("gzip_proxied sometimes;", qr/invalid value "sometimes" in "gzip_proxied" .*bad.conf:4/,
	'gzip_proxied bad value');
conf_error("gzip_disable \"(\";", qr/pcre2_compile\(\) failed.*bad.conf:4/, 'gzip_disable bad regex');
conf_error("gzip_buffers 4;", qr/invalid number of arguments in "gzip_buffers" .*bad.conf:4/,
	'gzip_buffers one value');
conf_error("postpone_gzipping lots;", qr/invalid value "lots" in "postpone_gzipping" .*bad.conf:4/,
	'postpone_gzipping bad size');
conf_error("gzip maybe;", qr/invalid value "maybe" in "gzip" .*bad.conf:4/, 'gzip maybe');
conf_error("compression_order gzip deflate;",
	qr/invalid value "deflate" in "compression_order" .*bad.conf:4/, 'compression_order unknown');
conf_error("compression_order gzip br gzip;",
	qr/duplicate "gzip" in "compression_order" .*bad.conf:4/, 'compression_order repeated coding');
