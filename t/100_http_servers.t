#!/usr/bin/perl

# listen and server_name: which server{} answers. Each server serves a file
# named after itself, so the body tells which one answered.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http/)->plan(27);
my $dir = $t->testdir();

for my $s (qw/default exact wildhead wildtail regex dotted other6 unix second bindaddr/) {
	$t->write_file("$s/who", "$s\n");
}

my $has_v6 = IO::Socket::INET6->can('new') || eval { require IO::Socket::IP; 1 };

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name _;
        root $dir/default;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name www.example.com EXAMPLE.org;
        root $dir/exact;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name *.example.com;
        root $dir/wildhead;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name www.example.*;
        root $dir/wildtail;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name ~^(?<sub>[a-z]+)\\.regex\\.test\$;
        root $dir/regex;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name .dotted.test;
        root $dir/dotted;
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name first ~^re first-or-second;
        root $dir/default;
    }
    server {
        listen 127.0.0.1:%%PORT_8081%% default_server;
        server_name second ~^reg first-or-second;
        root $dir/second;
    }

    server {
        listen %%PORT_8082%%;
        server_name wildcard;
        root $dir/default;
    }
    server {
        listen 127.0.0.1:%%PORT_8082%%;
        server_name specific;
        root $dir/bindaddr;
    }

    server {
        listen unix:$dir/unix.sock;
        root $dir/unix;
    }
}
END

$t->run();

sub who {
	my ($host, %opts) = @_;
	my $r = http_get('/who', host => $host, %opts);
	my $b = http_body($r);
	chomp $b if defined $b;
	return $b;
}

is(who('unknown.host'), 'default', 'unknown host: the first server is the default');
is(who('www.example.com'), 'exact', 'exact name');
is(who('WWW.Example.COM'), 'exact', 'names are case-insensitive');
is(who('example.org'), 'exact', 'a second exact name (written in capitals)');
is(who('www.example.com:8080'), 'exact', 'port in Host is ignored');
is(who('www.example.com.'), 'exact', 'a trailing dot is ignored');
is(who('a.example.com'), 'wildhead', 'leading wildcard');
is(who('a.b.example.com'), 'wildhead', 'leading wildcard, two labels');
is(who('example.com'), 'default', 'leading wildcard does not match the bare domain');
is(who('www.example.net'), 'wildtail', 'trailing wildcard');
is(who('abc.regex.test'), 'regex', 'regex name');
is(who('1bc.regex.test'), 'default', 'regex not matching');
is(who('dotted.test'), 'dotted', '.name matches the name itself');
is(who('x.dotted.test'), 'dotted', '.name matches subdomains');

# absolute request line: its host wins over Host

my $r = http("GET http://www.example.com/who HTTP/1.1\nHost: other\nConnection: close\n\n");
is(http_body($r), "exact\n", 'absolute URI selects the server');

# a request without Host (HTTP/1.0) goes to the default server

$r = http("GET /who HTTP/1.0\n\n");
is(http_body($r), "default\n", 'HTTP/1.0 without Host: default server');

# default_server on a port

is(who('nomatch', port => 8081), 'second', 'default_server flag');
is(who('first', port => 8081), 'default', 'name match before default_server');
is(who('regex', port => 8081), 'default',
	'regex names in configuration order, whichever server is the default');
is(who('first-or-second', port => 8081), 'default',
	'a name of two servers: the first one written, not the default_server');
like($t->read_file('error.log'), qr/\[warn\].*conflicting server name "first-or-second"/,
	'the conflicting name is logged');

# a wildcard listen and a specific address on the same port

is(who('any', port => 8082, addr => '127.0.0.2'), 'default',
	'wildcard listen serves other local addresses');
is(who('any', port => 8082), 'bindaddr',
	'a specific address on a wildcard port keeps its servers');

# unix socket

my $s = IO::Socket::UNIX->new(Peer => "$dir/unix.sock");
ok($s, 'unix socket accepts');
$r = $s ? http("GET /who HTTP/1.0\nHost: x\n\n", socket => $s) : '';
is(http_body($r), "unix\n", 'unix socket serves');

# $server_name and the log line say which server

like($t->read_file('error.log'), qr/^(?!.*\[alert\])/s, 'no alert so far');

# invalid names are refused at -t

$t->write_file('bad.conf', "pid $dir/b.pid;\nevents {}\nhttp { server { server_name *bad; } }\n");
my ($code, $err) = $t->test_config('bad.conf');
like($err, qr/server name "\*bad" is invalid in \Q$dir\E\/bad.conf:3/, 'invalid wildcard refused');
