#!/usr/bin/perl

# Connections: keep-alive (timeout, requests, header, HTTP/1.0), pipelining,
# large files with sendfile on and off, a reload while connections are open,
# worker_shutdown_timeout.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(time sleep);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http/)->plan(21);
my $dir = $t->testdir();

my $big = join('', map { chr(65 + $_ % 26) x 1000 } 1 .. 3000);     # 3 MB
$t->write_file('html/big.bin', $big);
$t->write_file('html/small.txt', "small\n");

my $conf = <<"END";
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
worker_shutdown_timeout 1s;
events {}
http {
    keepalive_timeout 2s 10;
    keepalive_requests 3;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;
        location /nosendfile/ { alias $dir/html/; sendfile off; }
        location /nokeepalive/ { alias $dir/html/; keepalive_timeout 0; }
        location /onebuf/ { alias $dir/html/; sendfile off; output_buffers 1 1k; }
    }
}
END

$t->write_file_expand('lintel.conf', $conf);
$t->run();

# keep-alive with HTTP/1.1, header Keep-Alive: timeout=10, closes after 3 requests

my $s = http_connect();
my @st;
for (1 .. 4) {
	http_send($s, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	my $r = http_read_response($s, 3, one => 1);
	push @st, (http_status($r) // 'none') . ' ' . (http_header($r, 'Connection') // '');
	if ($_ == 1) {
		is(http_header($r, 'Keep-Alive'), 'timeout=10', 'Keep-Alive header from the second argument');
	}
}
is_deeply(\@st, ['200 keep-alive', '200 keep-alive', '200 close', 'none '],
	'keepalive_requests 3: the third response closes');

# HTTP/1.0 asks for keep-alive explicitly

my $r = http("GET /small.txt HTTP/1.0\nConnection: keep-alive\n\n", one => 1);
is(http_header($r, 'Connection'), 'keep-alive', 'HTTP/1.0 with Connection: keep-alive');
$r = http("GET /small.txt HTTP/1.0\n\n");
is(http_header($r, 'Connection'), 'close', 'HTTP/1.0 without: close');
$r = http("GET /nokeepalive/small.txt HTTP/1.1\nHost: x\n\n");
is(http_header($r, 'Connection'), 'close', 'keepalive_timeout 0 closes');

# keepalive_timeout: an idle connection is closed after 2s

$s = http_connect();
http_send($s, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
http_read_response($s, 3, one => 1);
my $t0 = time();
my $rest = http_read_response($s, 5);
my $idle = time() - $t0;
ok($idle > 1.5 && $idle < 3.5, sprintf('idle connection closed after keepalive_timeout (%.1fs)', $idle));

# pipelining: three requests in one write, three responses in order

$r = http("GET /small.txt HTTP/1.1\nHost: x\n\nGET /missing HTTP/1.1\nHost: x\n\n"
	. "GET /small.txt HTTP/1.1\nHost: x\nConnection: close\n\n");
my @codes = $r =~ /^HTTP\/1.1 (\d+)/mg;
is("@codes", '200 404 200', 'pipelined requests answered in order');

# large files, both ways, byte for byte

$r = http("GET /big.bin HTTP/1.0\n\n", timeout => 10);
is(length(http_body($r) // ''), length($big), 'sendfile off by default: full length');
is(md5_hex(http_body($r) // ''), md5_hex($big), 'and the same bytes');

$r = http("GET /nosendfile/big.bin HTTP/1.0\n\n", timeout => 10);
is(md5_hex(http_body($r) // ''), md5_hex($big), 'sendfile off (copied in buffers): same bytes');

$r = http("GET /onebuf/big.bin HTTP/1.0\n\n", timeout => 20);
is(md5_hex(http_body($r) // ''), md5_hex($big), 'output_buffers 1 1k: same bytes');

$t->write_file('bad.conf', "events {} http { output_buffers 0 1k; }");
my ($code, $err) = $t->test_config('bad.conf');
like($err, qr/invalid value "0" in "output_buffers" directive.*bad\.conf:1/, 'output_buffers 0: refused');

$t->write_file_expand('lintel.conf', $conf =~ s/keepalive_timeout 2s 10;/keepalive_timeout 2s 10; sendfile on;/r);
$t->reload();

$r = http("GET /big.bin HTTP/1.0\n\n", timeout => 10);
is(md5_hex(http_body($r) // ''), md5_hex($big), 'sendfile on: same bytes');

# a slow reader gets the whole file (backpressure)

$s = http("GET /big.bin HTTP/1.0\n\n", start => 1);
sleep 0.5;
my $got = '';
while (1) {
	my $n = sysread($s, my $buf, 4096);
	last unless $n;
	$got .= $buf;
	sleep 0.001 if length($got) < 200000;
}
is(md5_hex(http_body($got) // ''), md5_hex($big), 'a slow reader gets every byte');

# a reload does not drop an accepted connection: a request sent right after
# HUP is answered

$s = http_connect();
http_send($s, "GET /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
http_read_response($s, 3, one => 1);
my $c2 = http_connect();
$t->signal('HUP');
http_send($c2, "GET /small.txt HTTP/1.0\r\n\r\n");
$r = http_read_response($c2, 5);
is(http_status($r), 200, 'a connection accepted before HUP is served');

# the idle keep-alive connection of the old worker is closed, not reset mid-response
$rest = http_read_response($s, 5);
is($rest, '', 'the old worker closes its idle keep-alive connection cleanly');

# many requests during reloads: none fails

my $fail = 0;
for my $i (1 .. 30) {
	$t->signal('HUP') if $i % 10 == 0;
	$r = http_get('/small.txt');
	$fail++ unless (http_status($r) // 0) == 200;
}
is($fail, 0, 'no request fails across reloads');
sleep 1;

# worker_shutdown_timeout: QUIT with a connection stuck mid-request

my $stuck = http("GET /small.txt HTTP/1.1\r\nHost: x\r\n", start => 1, raw => 1);
sleep 0.2;
my @w = $t->workers();
$t0 = time();
$t->signal('QUIT');
ok(wait_until(sub { !grep { kill 0, $_ } @w }, 5), 'workers exit');
my $took = time() - $t0;
ok($took < 3, sprintf('a stuck client is dropped after worker_shutdown_timeout (%.1fs)', $took));
$t->stop();
like($t->read_file('error.log'), qr/gracefully shutting down/, 'graceful shutdown logged');
is($t->exit_status(), 0, 'master exits 0');
