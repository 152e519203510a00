#!/usr/bin/perl

# Requests, good and bad: methods, versions, malformed lines and headers,
# size limits (414, 494, 400, 413), framing (Transfer-Encoding with
# Content-Length, bad chunks), Expect: 100-continue, and that the worker keeps
# serving after each of them.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http/)->plan(35);
my $dir = $t->testdir();

$t->write_file('html/index.html', "index page\n");
$t->write_file('html/file.txt', "x" x 1000);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;
        client_header_buffer_size 1k;
        large_client_header_buffers 2 2k;
        client_max_body_size 100;
        client_header_timeout 1s;
        client_body_timeout 1s;

        location /merge/ { }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        root $dir/html;
        merge_slashes off;
        underscores_in_headers on;
    }
}
END

$t->run();

sub st {
	my ($req, %o) = @_;
	return http_status(http($req, %o)) // 'none';
}

# methods and versions

is(st("GET /file.txt HTTP/1.0\n\n"), 200, 'GET');
my $r = http("HEAD /file.txt HTTP/1.0\n\n");
is(http_status($r), 200, 'HEAD');
is(http_body($r), '', 'HEAD has no body');
is(http_header($r, 'Content-Length'), 1000, 'HEAD has the length');
is(st("POST /file.txt HTTP/1.0\n\n"), 405, 'POST to a file: 405');
is(st("DELETE /file.txt HTTP/1.0\n\n"), 405, 'DELETE: 405');
is(st("TRACE / HTTP/1.1\nHost: x\n\n"), 405, 'TRACE: 405');
is(st("PATCH /file.txt HTTP/1.0\n\n"), 405, 'a method without a handler: 405');
is(st("get / HTTP/1.0\n\n"), 400, 'lowercase method: 400');
is(st("GET / HTTP/2.0\n\n"), 505, 'HTTP/2.0 on HTTP/1 port: 505');
is(st("GET / HTTP/1.x\n\n"), 400, 'broken version: 400');
is(http("GET /file.txt\n"), "x" x 1000, 'HTTP/0.9: the body alone');
is(st("GET / HTTP/1.1\n\n"), 400, 'HTTP/1.1 without Host: 400');
is(st("GET / HTTP/1.1\nHost: a\nHost: b\n\n"), 400, 'two Host headers: 400');
is(st("GET / HTTP/1.0\nHost: a/b\n\n"), 400, 'invalid Host: 400');

# malformed lines

is(st("GET /a b HTTP/1.0\n\n"), 400, 'space in the URI: 400');
is(st("GET /\x01 HTTP/1.0\n\n"), 400, 'control character in the URI: 400');
is(st("GET /%zz HTTP/1.0\n\n"), 400, 'bad percent escape: 400');
is(st("GET /../../etc/passwd HTTP/1.0\n\n"), 400, 'above the root: 400');
is(st("GET / HTTP/1.0\nBad Header: x\n\n"), 400, 'space in a header name: 400');
is(st("GET / HTTP/1.0\nX-Folded: a\n continued\n\n"), 400, 'obsolete line folding: 400');

# limits

is(st("GET /" . ("a" x 3000) . " HTTP/1.0\n\n"), 414, 'URI over the large buffer: 414');
is(st("GET /file.txt?" . ("a" x 1500) . " HTTP/1.0\n\n"), 200,
	'a request line in a large buffer');
$r = http("GET / HTTP/1.0\nX-Long: " . ("b" x 3000) . "\n\n");
is(http_status($r), 400, 'header line over the large buffer: 400');
like($r, qr/Request Header Or Cookie Too Large/, 'with the 494 page');
is(st("GET / HTTP/1.0\n" . join('', map { "X-$_: " . ("c" x 1500) . "\n" } 1 .. 4) . "\n"),
	400, 'more headers than the large buffers hold: 400');

# bodies

is(st("POST / HTTP/1.1\nHost: a\nContent-Length: 1000\n\n"), 413, 'Content-Length over the limit: 413');
is(st("GET / HTTP/1.1\nHost: a\nContent-Length: 5\nTransfer-Encoding: chunked\n\n"), 400,
	'Content-Length with Transfer-Encoding: 400');
is(st("GET / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\n\n"), 501,
	'unknown Transfer-Encoding: 501');
is(st("GET / HTTP/1.1\nHost: a\nContent-Length: -5\n\n"), 400, 'negative Content-Length: 400');
is(st("GET / HTTP/1.1\nHost: a\nContent-Length: 5\nContent-Length: 6\n\n"), 400,
	'two Content-Length headers: 400');

$r = http("GET / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n"
	. "4\r\nbody\r\n0\r\n\r\n"
	. "GET /file.txt HTTP/1.1\nHost: a\nConnection: close\n\n");
is(() = $r =~ /HTTP\/1.1 200/g, 2, 'a discarded chunked body keeps the connection');

# Expect: 100-continue before the body is read

$r = http("GET / HTTP/1.1\nHost: a\nContent-Length: 4\nExpect: 100-continue\n"
	. "Connection: close\n\n", start => 1);
my $first = http_read_response($r, 2, one => 0);
like($first, qr/^HTTP\/1.1 (100 Continue|200)/, 'a body with Expect: 100-continue is answered');
close $r;

# timeouts: a request that never ends is closed after client_header_timeout

my $s = http("GET / HTTP/1.0\n", start => 1);
my $t0 = time();
my $rest = http_read_response($s, 5);
ok(time() - $t0 < 3, 'an incomplete request is closed after client_header_timeout');

# the worker serves on after all of this

is(st("GET /file.txt HTTP/1.0\n\n"), 200, 'still serving');
