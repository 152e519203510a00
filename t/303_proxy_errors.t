#!/usr/bin/perl

# Failures: 502 on a refused connection, a malformed status line, an invalid
# header line, an invalid chunked body and a response cut short; 504 when
# proxy_read_timeout expires (and no hang); proxy_send_timeout and
# proxy_connect_timeout accepted; an HTTP/0.9 answer passed as it is;
# proxy_intercept_errors with error_page; proxy_next_upstream (error, http_503,
# off), proxy_next_upstream_tries, non_idempotent; proxy_ignore_client_abort;
# proxy_bind; proxy_socket_keepalive; configuration errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::Backend;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_log/);
my $dir = $t->testdir();

$t->plan(54);

Lintel::Backend->start(port(8081));
Lintel::Backend->start(port(8082));

# port 8083: nobody listens there
my $dead = port(8083);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    log_format up '\$uri \$status \$upstream_status \$upstream_addr|\$upstream_connect_time|'
                  '\$upstream_header_time|\$upstream_response_time|'
                  '\$upstream_response_length|\$upstream_bytes_received|'
                  '\$upstream_bytes_sent|';
    access_log $dir/access.log up;

    upstream two {
        server 127.0.0.1:$dead;
        server 127.0.0.1:%%PORT_8081%%;
    }

    upstream slowfirst {
        server 127.0.0.1:%%PORT_8081%%;
        server 127.0.0.1:%%PORT_8082%%;
    }

    upstream slowfirst2 {
        server 127.0.0.1:%%PORT_8081%%;
        server 127.0.0.1:%%PORT_8082%%;
    }

    upstream twooff {
        server 127.0.0.1:$dead;
        server 127.0.0.1:%%PORT_8081%%;
    }

    upstream two503 {
        server 127.0.0.1:%%PORT_8081%%;
        server 127.0.0.1:%%PORT_8082%%;
    }

    upstream three {
        server 127.0.0.1:$dead;
        server 127.0.0.1:$dead;
        server 127.0.0.1:%%PORT_8081%%;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        proxy_connect_timeout 2s;
        proxy_send_timeout 2s;
        proxy_read_timeout 2s;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }
        location /dead/ {
            proxy_pass http://127.0.0.1:$dead;
        }
        location /timeout/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_read_timeout 500ms;
        }
        location /nbtimeout/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_read_timeout 500ms;
            proxy_buffering off;
        }
        location /intercept/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_intercept_errors on;
            error_page 404 /caught;
        }
        location /nointercept/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            error_page 404 /caught;
        }
        location = /caught {
            return 200 "caught\\n";
        }
        location /two/ {
            proxy_pass http://two/;
        }
        location /next503/ {
            proxy_pass http://two503/;
            proxy_next_upstream error http_503;
        }
        location /nonext503/ {
            proxy_pass http://two503/;
        }
        location /nextoff/ {
            proxy_pass http://twooff/;
            proxy_next_upstream off;
        }
        location /tries/ {
            proxy_pass http://three/;
            proxy_next_upstream_tries 2;
        }
        location /nonidem/ {
            proxy_pass http://two503/;
            proxy_next_upstream error timeout http_503 non_idempotent;
        }
        location /idem/ {
            proxy_pass http://two503/;
            proxy_next_upstream error timeout http_503;
        }
        location /nut/ {
            proxy_pass http://slowfirst/;
            proxy_read_timeout 500ms;
            proxy_next_upstream timeout;
            proxy_next_upstream_timeout 300ms;
        }
        location /nutlong/ {
            proxy_pass http://slowfirst2/;
            proxy_read_timeout 500ms;
            proxy_next_upstream timeout;
        }
        location /t11/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_http_version 1.1;
        }
        location /smallhdr/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_buffer_size 1k;
        }
        location /bind/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_bind 127.0.0.1;
            proxy_socket_keepalive on;
        }
        location /abort/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_ignore_client_abort on;
        }
    }
}
END

$t->run();

###############################################################################

is(http_status(http_get('/')), 200, 'backend up');

my $start = time();
is(http_status(http_get('/dead/x')), 502, 'refused connection: 502');
cmp_ok(time() - $start, '<', 1.5, 'refused connection: at once');

is(http_status(http_get('/malformed')), 502, 'malformed status line: 502');
is(http_status(http_get('/badheader')), 502, 'invalid header line: 502');

my $r = http_get('/http09');
is($r, "just a body\n", 'HTTP/0.9 answer: passed as it is, no header');

$start = time();
$r = http_get('/chunkedbad', timeout => 3);
unlike($r, qr/zz/, 'invalid chunked body: not passed on');
cmp_ok(time() - $start, '<', 1.5, 'invalid chunked body: the connection is closed');

$r = http_get('/closebody', timeout => 3);
like($r, qr/0123456789\z/, 'response cut short: what came is passed');
like($r, qr/^Content-Length: 100\r$/m, 'response cut short: the client sees the length');

# a keep-alive client: the cut response closes its connection
$r = http("GET /closebody HTTP/1.1\nHost: localhost\n\nGET / HTTP/1.1\nHost: localhost\n"
	. "Connection: close\n\n", timeout => 3);
is(() = $r =~ /^HTTP\/1.1 /mg, 1, 'response cut short: the connection is closed');
$r = http("GET /t11/chunkedcut HTTP/1.1\nHost: localhost\nConnection: close\n\n", timeout => 3);
like($r, qr/hello/, 'chunked response cut short: what came is passed');
unlike($r, qr/0\r\n\r\n\z/, 'chunked response cut short: no last chunk');

$start = time();
is(http_status(http_get('/timeout/slow/2000', timeout => 5)), 504, 'read timeout: 504');
my $took = time() - $start;
cmp_ok($took, '>=', 0.4, 'read timeout: not before proxy_read_timeout');
cmp_ok($took, '<', 1.8, 'read timeout: soon after it');

$start = time();
$r = http_get('/timeout/slowbody/2000', timeout => 5);
unlike($r, qr/slowbody/, 'read timeout in the body: no body');
cmp_ok(time() - $start, '<', 1.8, 'read timeout in the body: the connection is closed');

$r = http_get('/nbtimeout/slowbody/2000', timeout => 5);
unlike($r, qr/slowbody/, 'unbuffered read timeout in the body');

my $long = 'x' x 2000;
is(http_status(http_get("/smallhdr/headers?h=X-Long:$long")), 502,
	'a header larger than proxy_buffer_size: 502');
is(http_status(http_get("/smallhdr/headers?h=X-Short:s")), 200, 'a header that fits');

# intercept_errors

is(http_body(http_get('/intercept/status/404')), "caught\n", 'proxy_intercept_errors on');
is(http_body(http_get('/intercept/status/403')), "status 403\n",
	'proxy_intercept_errors: a status without error_page passes');
is(http_body(http_get('/nointercept/status/404')), "status 404\n",
	'proxy_intercept_errors off (default)');

# next upstream

$r = http_get('/two/x');
is(http_status($r), 200, 'next upstream after a refused connection');
$r = http_get('/two/x');
is(http_status($r), 200, 'next upstream again');

$r = http_get('/nextoff/x');
$r .= http_get('/nextoff/x');
like($r, qr/502 Bad Gateway/, 'proxy_next_upstream off: the error is final');

$r = http_get('/next503/status/503');
is(http_status($r), 503, 'http_503 on both: the last answer');

# tries: three servers, the first two dead, 2 tries allowed: 502 for some
my %st;
$st{http_status(http_get('/tries/x'))}++ for 1 .. 3;
ok($st{502}, 'proxy_next_upstream_tries 2: gives up after two');

# POST is not retried after the request was sent, unless non_idempotent
$r = http(<<EOF);
POST /idem/status/503 HTTP/1.0
Host: localhost
Content-Length: 3

abc
EOF
is(http_status($r), 503, 'POST: http_503 not retried');
$t->write_file('marker', '');

# next_upstream_timeout: both servers are slow; round robin starts with either
my %nut;
for (1 .. 2) {
	my $start = time();
	my $st = http_status(http_get('/nut/slow/1500', timeout => 5));
	$nut{$st}++;
	$nut{long}++ if time() - $start > 0.9;
}
is($nut{504}, 2, 'proxy_next_upstream_timeout: 504 after the first timeout');
ok(!$nut{long}, 'proxy_next_upstream_timeout: no second try');

$start = time();
is(http_status(http_get('/nutlong/slow/1500', timeout => 5)), 504,
	'two timeouts: 504');
cmp_ok(time() - $start, '>=', 0.9, 'without proxy_next_upstream_timeout: two tries');

# bind and socket keepalive

is(http_status(http_get('/bind/x')), 200, 'proxy_bind 127.0.0.1, proxy_socket_keepalive on');

# client abort

my $s = http_get('/abort/slow/500', start => 1);
close $s;
select undef, undef, undef, 0.8;
is(http_status(http_get('/')), 200, 'proxy_ignore_client_abort on: still serving');

# the log says what was tried
my $log = '';
for (1 .. 20) {
	$log = $t->read_file('access.log');
	last if $log =~ m{/idem/};
	select undef, undef, undef, 0.1;
}
like($log, qr{^/two/x 200 502, 200 127.0.0.1:$dead, 127.0.0.1:\d+\|}m,
	'$upstream_status and $upstream_addr of two tries');
my ($times) = $log =~ m{^/two/x 200 [^|]*\|(.*)\|$}m;
like($times // '', qr{^-, \d+\.\d{3}\|-, \d+\.\d{3}\|\d+\.\d{3}, \d+\.\d{3}\|0, [1-9]\d*\|0, [1-9]\d*\|0, [1-9]\d*$},
	'$upstream_*_time, _response_length, _bytes_received, _bytes_sent of two tries');

###############################################################################
# configuration errors

sub conf_error {
	my ($body, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n    server {\n"
		. "        $body\n    }\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	like($err, $re, $name);
}

conf_error('proxy_connect_timeout x;',
	qr/invalid value "x" in "proxy_connect_timeout" directive.* in \S+bad.conf:5/,
	'proxy_connect_timeout x');
conf_error('proxy_send_timeout x;',
	qr/invalid value "x" in "proxy_send_timeout" directive.* in \S+bad.conf:5/,
	'proxy_send_timeout x');
conf_error('proxy_read_timeout x;',
	qr/invalid value "x" in "proxy_read_timeout" directive.* in \S+bad.conf:5/,
	'proxy_read_timeout x');
conf_error('proxy_intercept_errors x;',
	qr/invalid value "x" in "proxy_intercept_errors" directive.* in \S+bad.conf:5/,
	'proxy_intercept_errors x');
conf_error('proxy_next_upstream error bogus;',
	qr/invalid value "bogus" in "proxy_next_upstream" directive.* in \S+bad.conf:5/,
	'proxy_next_upstream bogus');
conf_error('proxy_next_upstream_tries x;',
	qr/invalid value "x" in "proxy_next_upstream_tries" directive.* in \S+bad.conf:5/,
	'proxy_next_upstream_tries x');
conf_error('proxy_next_upstream_timeout x;',
	qr/invalid value "x" in "proxy_next_upstream_timeout" directive.* in \S+bad.conf:5/,
	'proxy_next_upstream_timeout x');
conf_error('proxy_bind 999.1.1.1;',
	qr/invalid address "999.1.1.1" in \S+bad.conf:5/, 'proxy_bind bad address');
conf_error('proxy_bind 127.0.0.1 opaque;',
	qr/invalid parameter "opaque" in \S+bad.conf:5/, 'proxy_bind bad parameter');
conf_error('proxy_bind off; proxy_bind 127.0.0.1;',
	qr/"proxy_bind" directive is duplicate in \S+bad.conf:5/, 'proxy_bind twice');
conf_error('proxy_send_lowat x;',
	qr/invalid value "x" in "proxy_send_lowat" directive.* in \S+bad.conf:5/,
	'proxy_send_lowat x');
conf_error('proxy_socket_keepalive x;',
	qr/invalid value "x" in "proxy_socket_keepalive" directive.* in \S+bad.conf:5/,
	'proxy_socket_keepalive x');
conf_error('proxy_ignore_client_abort x;',
	qr/invalid value "x" in "proxy_ignore_client_abort" directive.* in \S+bad.conf:5/,
	'proxy_ignore_client_abort x');
conf_error('proxy_ignore_headers X-Bogus;',
	qr/invalid value "X-Bogus" in "proxy_ignore_headers" directive.* in \S+bad.conf:5/,
	'proxy_ignore_headers bogus');
conf_error('proxy_hide_header;',
	qr/invalid number of arguments in "proxy_hide_header" directive in \S+bad.conf:5/,
	'proxy_hide_header without a name');
conf_error('proxy_pass_header a b;',
	qr/invalid number of arguments in "proxy_pass_header" directive in \S+bad.conf:5/,
	'proxy_pass_header with two names');
