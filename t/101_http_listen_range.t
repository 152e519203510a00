#!/usr/bin/perl

# listen with a port range ("127.0.0.1:N-M"): every port of the range
# listens with the same options and serves the same server{}; the ports
# outside it do not; bad ranges are configuration errors. And the location
# order nginx uses ("/" sorts lowest): "/a" finds "/a/" of a proxying location
# (301 to "/a/") even with "/a-a" and "/a-b" beside it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_headers/);
my $dir = $t->testdir();

# three consecutive free ports
my $base;
for (1 .. 50) {
	my $p = 20000 + int(rand(30000));
	my @s = map { IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
		LocalPort => $p + $_, Listen => 1, ReuseAddr => 1) } 0 .. 2;
	next if grep { !defined } @s;
	close $_ for @s;
	$base = $p;
	last;
}
plan(skip_all => 'no three consecutive free ports') unless $base;

$t->plan(10);

my ($p1, $p2, $p3) = ($base, $base + 1, $base + 2);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;

    server {
        listen 127.0.0.1:$p1-$p2;
        location / { return 200 "range \$server_port\\n"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        add_header X-Location unset;

        location /a/  { proxy_pass http://127.0.0.1:%%PORT_8080%%/a-a; }
        location /a-a { add_header X-Location a-a; return 204; }
        location /a-b { add_header X-Location a-b; return 204; }
    }
}
END

$t->run();

is(http_body(http_get('/', port => $p1)), "range $p1\n", 'first port of the range');
is(http_body(http_get('/', port => $p2)), "range $p2\n", 'last port of the range');
ok(!IO::Socket::INET->new(Proto => 'tcp', PeerAddr => '127.0.0.1', PeerPort => $p3,
	Timeout => 2), 'the port after the range does not listen');

my $r = http_get('/a');
is(http_status($r), 301, '"/a" redirected by "/a/" beside "/a-a" and "/a-b"');
like(http_header($r, 'Location'), qr!/a/$!, 'to "/a/"');
is(http_header(http_get('/a-b'), 'X-Location'), 'a-b', '"/a-b" found');

# configuration errors

for ([ "127.0.0.1:9000-8000", 'invalid port range', 'descending range' ],
	[ "127.0.0.1:8000-", 'invalid port range', 'range without an end' ],
	[ "127.0.0.1:8000-70000", 'invalid port range', 'range end too large' ],
	[ "127.0.0.1:-8000", 'invalid port', 'range without a start' ])
{
	my ($listen, $msg, $name) = @$_;
	$t->write_file('bad.conf', "pid $dir/b.pid;\nevents {}\nhttp {\nserver {\n"
		. "listen $listen;\n} }\n");
	my (undef, $err) = $t->test_config('bad.conf');
	like($err, qr/\Q$msg\E in "\Q$listen\E" of the "listen" directive in \Q$dir\E\/bad.conf:5/,
		$name);
}

$t->finish();
