#!/usr/bin/perl

# The response relay: proxy_buffering on and off, X-Accel-Buffering (and
# proxy_ignore_headers), a huge response through small buffers and a temp file
# (proxy_buffers, proxy_buffer_size, proxy_busy_buffers_size,
# proxy_temp_file_write_size, proxy_temp_path), proxy_max_temp_file_size 0,
# proxy_limit_rate, chunked responses in pieces and their trailers
# ($upstream_trailer_NAME, passed to a client that sent "TE: trailers"),
# proxy_hide_header / proxy_pass_header, and the directives' errors.

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

$t->plan(42);

Lintel::Backend->start(port(8081));

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    proxy_temp_path $dir/ptemp 1 2;

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        location /on/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /off/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_buffering off;
            proxy_buffer_size 1k;
        }
        location /small/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_buffer_size 1k;
            proxy_buffers 4 1k;
            proxy_busy_buffers_size 2k;
            proxy_temp_file_write_size 2k;
        }
        location /notemp/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_buffer_size 1k;
            proxy_buffers 4 1k;
            proxy_max_temp_file_size 0;
        }
        location /rate/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_limit_rate 20k;
            proxy_buffer_size 1k;
        }
        location /t11/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_http_version 1.1;
            add_header X-Trailer-Var \$upstream_trailer_x_trailer always;
        }
        location /t11off/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_http_version 1.1;
            proxy_buffering off;
        }
        location /hide/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_hide_header X-Secret;
            proxy_pass_header Server;
        }
        location /xab/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /xabign/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_ignore_headers X-Accel-Buffering X-Accel-Limit-Rate;
        }
    }
}
END

$t->run();

###############################################################################

my $huge = 300000;
my $data = substr('0123456789' x ($huge / 10 + 1), 0, $huge);

for my $loc (qw/on off small/) {
	my $r = http_get("/$loc/huge/$huge", timeout => 10);
	is(http_status($r), 200, "$loc: huge response status");
	ok(http_body($r) eq $data, "$loc: huge response intact");
	$r = http_get("/$loc/hugeclose/100000", timeout => 10);
	is(length(http_body($r)), 100000, "$loc: response ended by the close");
}

# a slow client makes the small buffers spill to the temp file
my $s = http_get("/small/huge/$huge", start => 1);
sleep(0.5);
my @tmp = glob("$dir/ptemp/*/*/*");
my $r = http_read_response($s, 10);
ok(http_body($r) eq $data, 'spilled to a temp file: intact');
ok(-d "$dir/ptemp", 'proxy_temp_path created');

$s = http_get("/notemp/huge/$huge", start => 1);
sleep(0.3);
$r = http_read_response($s, 10);
ok(http_body($r) eq $data, 'proxy_max_temp_file_size 0: intact');

# unbuffered: the first piece comes before the backend is done
$s = http("GET /off/chunkedslow HTTP/1.1\nHost: localhost\nConnection: close\n\n",
	start => 1);
my $sel = IO::Select->new($s);
my $start = time();
$sel->can_read(3);
my $first = time() - $start;
cmp_ok($first, '<', 0.5, 'proxy_buffering off: the first part at once');
$r = http_read_response($s, 5);
like($r, qr/hello/, 'proxy_buffering off: the rest');

# limit rate: 100k at 20k/s takes some seconds
$start = time();
$r = http_get('/rate/huge/60000', timeout => 10);
my $took = time() - $start;
is(length(http_body($r)), 60000, 'proxy_limit_rate: whole');
cmp_ok($took, '>=', 1.5, 'proxy_limit_rate: slowed down');

# chunked responses

$r = http("GET /t11/chunked HTTP/1.1\nHost: localhost\nConnection: close\n\n");
is(http_body($r), 'hello world', 'chunked, buffered: de-chunked and chunked again');
unlike($r, qr/X-Trailer: t1/, 'trailers not passed without TE: trailers');

$r = http("GET /t11/chunked HTTP/1.1\nHost: localhost\nTE: trailers\n"
	. "Connection: close\n\n");
like($r, qr/0\r\nX-Trailer: t1\r\n\r\n\z/, 'trailers passed with TE: trailers');

$r = http("GET /t11off/chunkedslow HTTP/1.1\nHost: localhost\nTE: trailers\n"
	. "Connection: close\n\n");
is(http_body($r), 'hello world', 'chunked, unbuffered, in pieces');
like($r, qr/0\r\nX-Trailer: t1\r\n\r\n\z/, 'chunked, unbuffered: trailers passed');

$r = http_get('/t11/chunked');
is(http_body($r), 'hello world', 'chunked to an HTTP/1.0 client: the close ends it');
unlike($r, qr/Transfer-Encoding/, 'no chunked coding for HTTP/1.0');

$r = http("GET /t11/chunkedslow HTTP/1.1\nHost: localhost\nConnection: close\n\n");
is(http_body($r), 'hello world', 'chunked, buffered, in pieces');

# hide and pass headers

$r = http_get('/hide/headers?h=X-Secret:s&h=X-Public:p&h=Server:back&h=X-Pad:x');
unlike($r, qr/X-Secret/, 'proxy_hide_header');
like($r, qr/^X-Public: p\r$/m, 'other headers pass');
like($r, qr/^Server: back\r$/m, 'proxy_pass_header Server');
unlike($r, qr/X-Pad/, 'X-Pad hidden by default');

# X-Accel-Buffering and X-Accel-Limit-Rate

$r = http_get('/xab/headers?h=X-Accel-Buffering:no');
is(http_status($r), 200, 'X-Accel-Buffering: no');
unlike($r, qr/X-Accel-Buffering/, 'X-Accel-Buffering not passed');
$r = http_get('/xabign/headers?h=X-Accel-Limit-Rate:1&h=X-Accel-Buffering:no');
is(http_body($r), "headers\n", 'proxy_ignore_headers X-Accel-Limit-Rate: not slowed');

###############################################################################
# configuration errors

sub conf_error {
	my ($body, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n    server {\n"
		. "        $body\n    }\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	like($err, $re, $name);
}

conf_error('proxy_buffering maybe;',
	qr/invalid value "maybe" in "proxy_buffering" directive.* in \S+bad.conf:5/,
	'proxy_buffering maybe');
conf_error('proxy_buffers 1 4k;',
	qr/there must be at least 2 "proxy_buffers" in \S+bad.conf:/, 'proxy_buffers 1');
conf_error('proxy_buffers 4;',
	qr/invalid number of arguments in "proxy_buffers" directive in \S+bad.conf:5/,
	'proxy_buffers without a size');
conf_error('proxy_buffer_size x;',
	qr/invalid value "x" in "proxy_buffer_size" directive.* in \S+bad.conf:5/,
	'proxy_buffer_size x');
conf_error('proxy_buffers 4 4k; proxy_busy_buffers_size 1k;',
	qr/"proxy_busy_buffers_size" must be equal to or greater than/,
	'proxy_busy_buffers_size too small');
conf_error('proxy_buffers 4 4k; proxy_busy_buffers_size 16k;',
	qr/"proxy_busy_buffers_size" must be less than the size of all "proxy_buffers" minus one/,
	'proxy_busy_buffers_size too large');
conf_error('proxy_temp_file_write_size 1k;',
	qr/"proxy_temp_file_write_size" must be equal to or greater than/,
	'proxy_temp_file_write_size too small');
conf_error('proxy_max_temp_file_size 1k;',
	qr/"proxy_max_temp_file_size" must be equal to zero to disable/,
	'proxy_max_temp_file_size too small');
conf_error('proxy_temp_path /tmp/x 3;',
	qr/invalid value "3" in "proxy_temp_path" directive, it must be 1 or 2 in \S+bad.conf:5/,
	'proxy_temp_path level 3');
conf_error('proxy_limit_rate x;',
	qr/invalid value "x" in "proxy_limit_rate" directive.* in \S+bad.conf:5/,
	'proxy_limit_rate x');
conf_error('proxy_pass_trailers x;',
	qr/invalid value "x" in "proxy_pass_trailers" directive.* in \S+bad.conf:5/,
	'proxy_pass_trailers x');
