#!/usr/bin/perl

# Request bodies through the proxy: buffered (proxy_request_buffering on: in
# memory or in a temp file, then sent with Content-Length, again on a retry),
# streamed (off: sent as it arrives, with Content-Length or re-chunked for a
# chunked body with proxy_http_version 1.1; buffered anyway with 1.0), chunked
# request bodies, proxy_set_body, proxy_pass_request_body off, and
# $proxy_internal_body_length.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::Backend;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_headers/);
my $dir = $t->testdir();

$t->plan(23);

Lintel::Backend->start(port(8081));
my $dead = port(8083);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    upstream retry {
        server 127.0.0.1:$dead;
        server 127.0.0.1:%%PORT_8081%%;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        client_body_buffer_size 1k;

        location /on/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
        }
        location /off/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_request_buffering off;
        }
        location /off11/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_request_buffering off;
            proxy_http_version 1.1;
        }
        location /retry/ {
            proxy_pass http://retry/echo/;
            proxy_next_upstream error non_idempotent;
        }
        location /setbody/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_set_body "len=\$proxy_internal_body_length";
        }
        location /nobody/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header Transfer-Encoding "";
        }
        location /len/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_set_header X-Len \$proxy_internal_body_length;
        }
    }
}
END

$t->run();

###############################################################################

sub post {
	my ($uri, $body, %opts) = @_;
	return http("POST $uri HTTP/1.1\nHost: localhost\nConnection: close\n"
		. "Content-Length: " . length($body) . "\n\n$body", raw => 0, %opts);
}

sub post_chunked {
	my ($uri, @pieces) = @_;
	my $req = "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
		. "Transfer-Encoding: chunked\r\n\r\n";
	$req .= sprintf("%x\r\n%s\r\n", length $_, $_) for @pieces;
	$req .= "0\r\n\r\n";
	return http($req, raw => 1);
}

my $big = 'x' x 50000;

my $r = post('/on/a', 'hello');
like($r, qr/^Content-Length: 5\r$/m, 'buffered: Content-Length');
like($r, qr/\r\n\r\nhello\z/, 'buffered: body');

$r = post('/on/a', $big);
like($r, qr/\r\n\r\n$big\z/, 'buffered in a temp file: body');
like($t->read_file('error.log'),
	qr/\[warn\] .*a client request body is buffered to a temporary file \S+/,
	'the temp file is announced as nginx does');

$r = post('/off/a', $big);
like($r, qr/^Content-Length: 50000\r$/m, 'unbuffered: Content-Length');
like($r, qr/\r\n\r\n$big\z/, 'unbuffered: body');

$r = post_chunked('/on/c', 'abc', 'defgh');
like($r, qr/^Content-Length: 8\r$/m, 'chunked, buffered: sent with a length');
like($r, qr/\r\n\r\nabcdefgh\z/, 'chunked, buffered: body');
unlike($r, qr/X-Body-Chunked/, 'chunked, buffered: not chunked upstream');

$r = post_chunked('/off11/c', 'abc', 'defgh');
like($r, qr/\r\n\r\nabcdefgh\z/, 'chunked, unbuffered, whole at once: body');

# a body that trickles in: the backend gets it chunked, as it comes
my $s = http("POST /off11/t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	. "Transfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n", raw => 1, start => 1);
sleep(0.3);
http_send($s, "6\r\nsecond\r\n0\r\n\r\n");
$r = http_read_response($s, 5);
like($r, qr/^Transfer-Encoding: chunked\r$/m, 'streamed chunked body: chunked upstream');
like($r, qr/^X-Body-Chunked: yes\r$/m, 'streamed chunked body: the backend saw chunks');
like($r, qr/\r\n\r\nfirstsecond\z/, 'streamed chunked body: body');

$s = http("POST /off11/t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	. "Content-Length: 11\r\n\r\nfirst", raw => 1, start => 1);
sleep(0.3);
http_send($s, "second");
$r = http_read_response($s, 5);
like($r, qr/^Content-Length: 11\r$/m, 'streamed body with a length');
like($r, qr/\r\n\r\nfirstsecond\z/, 'streamed body with a length: body');

# HTTP/1.0 to the backend: a chunked body is buffered anyway
$s = http("POST /off/t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	. "Transfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n", raw => 1, start => 1);
sleep(0.3);
http_send($s, "6\r\nsecond\r\n0\r\n\r\n");
$r = http_read_response($s, 5);
like($r, qr/^Content-Length: 11\r$/m, 'chunked body, HTTP/1.0 upstream: buffered');

$r = post('/retry/r', 'retried-body');
like($r, qr/\r\n\r\nretried-body\z/, 'the body sent again on the next upstream');

$r = post('/setbody/s', 'original');
like($r, qr/\r\n\r\nlen=8\z/, 'proxy_set_body with $proxy_internal_body_length');
unlike($r, qr/original/, 'proxy_set_body replaces the body');

$r = post('/nobody/n', 'original');
unlike($r, qr/original/, 'proxy_pass_request_body off');
unlike($r, qr/Content-Length: 8/, 'proxy_pass_request_body off: no length');

$r = post('/len/l', 'abcd');
like($r, qr/^X-Len: 4\r$/m, '$proxy_internal_body_length');

###############################################################################

$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n    server {\n"
	. "        proxy_request_buffering maybe;\n    }\n}\n");
my ($code, $err) = $t->test_config('bad.conf');
like($err, qr/invalid value "maybe" in "proxy_request_buffering" directive.* in \S+bad.conf:5/,
	'proxy_request_buffering maybe');
