#!/usr/bin/perl

# gunzip: gzip responses decompressed for clients that do not take gzip. Proxied
# responses (buffered and not, Content-Length and chunked from the upstream, 10 MiB,
# small gunzip_buffers), files of "gzip_static always", several gzip members, an empty
# stream, bad and cut data (logged, the response cut short), HEAD, Vary, weak ETag,
# the client's Accept-Encoding and gzip_http_version, error pages, chunked output to
# HTTP/1.1 clients, and the configuration errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use POSIX ();
use Digest::MD5 qw(md5_hex);
use Time::HiRes qw(sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_gunzip http_gzip_static http_proxy/)
	->plan(40);
my $dir = $t->testdir();
my $html = "$dir/html";

$t->write_file_expand('lintel.conf', <<'END');
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;

        location / {
            gunzip on;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
            proxy_set_header Accept-Encoding gzip;
        }
        location /vary/ {
            gunzip on;
            gzip_vary on;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /off/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /bufs/ {
            gunzip on;
            gunzip_buffers 2 1k;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /unbuf/ {
            gunzip on;
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /v11/ {
            gunzip on;
            gzip_http_version 1.1;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /raw/ {
            gunzip on;
            proxy_pass http://127.0.0.1:%%PORT_8082%%/;
        }
        location /rawunbuf/ {
            gunzip on;
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_8082%%/;
        }
        location /static/ {
            alias %%TESTDIR%%/html/;
            default_type text/plain;
            gzip_static always;
            gunzip on;
        }
        location /error {
            error_page 500 /t1;
            return 500;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name localhost;

        location / {
            root %%TESTDIR%%/html;
            default_type text/plain;
            gzip_static always;
        }
    }
}
END

sub gz {
	my ($data, $level) = @_;
	$t->write_file('gz.in', $data);
	$level ||= 6;
	my $out = `gzip -$level -n -c < '$dir/gz.in'`;
	die "gzip: $?\n" if $?;
	return $out;
}

my $t1 = join('', map { sprintf "X%03dXXXXXX", $_ } 0 .. 999);
my $t1gz = gz($t1);
my $big = join('', map { "line $_ " . ($_ * 7919 % 100003) . " of the big body\n" }
	1 .. 320000);
$big .= 'x' x (10 * 1024 * 1024 - length $big) if length $big < 10 * 1024 * 1024;
$big = substr($big, 0, 10 * 1024 * 1024);

$t->write_file('html/t1.gz', $t1gz);
$t->write_file('html/t2.gz', $t1gz . gz("second member\n"));
$t->write_file('html/big.gz', gz($big, 1));
$t->write_file('html/empty.gz', gz(''));
$t->write_file('html/bad.gz', substr($t1gz, 0, 10) . ("\xff\xfe garbage " x 100));
$t->write_file('html/trunc.gz', substr($t1gz, 0, int(length($t1gz) / 2)));
$t->write_file('html/plain.txt', "not compressed\n");

# a backend that sends t2.gz chunked, in pieces of 7 bytes, some of them delayed
my $raw = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
	LocalPort => port(8082), Listen => 16, ReuseAddr => 1) or die "8082: $!\n";
my $body2 = $t->read_file('html/t2.gz');
my $rawpid = fork();
die "fork: $!\n" unless defined $rawpid;
if ($rawpid == 0) {
	alarm(60);
	while (my $c = $raw->accept()) {
		local $/ = "\r\n\r\n";
		my $req = <$c>;
		print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			. "Content-Encoding: gzip\r\nETag: \"raw\"\r\nTransfer-Encoding: chunked\r\n"
			. "Connection: close\r\n\r\n";
		$c->autoflush(1);
		my $i = 0;
		for (my $off = 0; $off < length $body2; $off += 7) {
			my $piece = substr($body2, $off, 7);
			printf $c "%x\r\n%s\r\n", length $piece, $piece;
			sleep(0.01) if ++$i % 20 == 0;
		}
		print $c "0\r\n\r\n";
		close $c;
	}
	POSIX::_exit(0);
}
close $raw;

END { kill 'TERM', $rawpid if $rawpid; }

$t->run();

sub req {
	my ($uri, %h) = @_;
	my $method = delete $h{method} || 'GET';
	my $version = delete $h{version} || '1.1';
	my $timeout = delete $h{timeout} || 5;
	my $hdrs = join('', map { "$_: $h{$_}\n" } sort keys %h);
	return http("$method $uri HTTP/$version\nHost: localhost\nConnection: close\n$hdrs\n",
		timeout => $timeout);
}

sub ended { $_[0] =~ /\r\n0\r\n\r\n\z/ }

my $r;

# proxied, for a client without gzip

$r = req('/t1', version => '1.0');
ok(http_status($r) == 200 && !defined http_header($r, 'Content-Encoding'),
	'no Content-Encoding');
ok(!defined http_header($r, 'Content-Length'), 'no Content-Length');
ok(http_body($r) eq $t1, 'decompressed');

$r = req('/t1');
ok(http_header($r, 'Transfer-Encoding') eq 'chunked' && ended($r), 'HTTP/1.1: chunked');
ok(http_body($r) eq $t1, 'HTTP/1.1: decompressed');

# two on one keepalive connection: the first one's chunked end must be right
$r = http("GET /t1 HTTP/1.1\nHost: localhost\n\nGET /t2 HTTP/1.1\nHost: localhost\n"
	. "Connection: close\n\n");
my ($first, $second) = split /(?=HTTP\/1\.1 200)/, $r, 2;
ok(http_body($first) eq $t1 && ended($first) && $second
	&& http_body($second) eq $t1 . "second member\n", 'keepalive: two in a row');

$r = req('/t1', 'Accept-Encoding' => 'gzip');
ok(http_header($r, 'Content-Encoding') eq 'gzip' && http_body($r) eq $t1gz,
	'a gzip client gets gzip');

$r = req('/t1', 'Accept-Encoding' => 'br, deflate');
ok(!defined http_header($r, 'Content-Encoding') && http_body($r) eq $t1,
	'a client without gzip in its list');

$r = req('/t1', 'Accept-Encoding' => 'gzip;q=0');
ok(http_body($r) eq $t1, 'gzip;q=0');

$r = req('/t2');
ok(http_body($r) eq $t1 . "second member\n", 'two gzip members');

$r = req('/empty');
ok(http_status($r) == 200 && ended($r) && http_body($r) eq '', 'empty stream');

$r = req('/t1', method => 'HEAD');
ok(!defined http_header($r, 'Content-Encoding') && !defined http_header($r, 'Content-Length')
	&& http_body($r) eq '', 'HEAD');

$r = req('/off/t1');
is(http_header($r, 'Content-Encoding'), 'gzip', 'gunzip off: as is');

# 10 MiB

$r = req('/big', timeout => 30);
my $b = http_body($r);
ok(ended($r) && length($b) == length($big), '10 MiB: chunked, the whole length');
ok(md5_hex($b) eq md5_hex($big), '10 MiB: the same bytes');

$r = req('/big', version => '1.0', timeout => 30);
ok(md5_hex(http_body($r)) eq md5_hex($big), '10 MiB, HTTP/1.0');

$r = req('/bufs/big', timeout => 30);
ok(ended($r) && md5_hex(http_body($r)) eq md5_hex($big), '10 MiB, gunzip_buffers 2 1k');

$r = req('/unbuf/big', timeout => 30);
ok(ended($r) && md5_hex(http_body($r)) eq md5_hex($big), '10 MiB, proxy_buffering off');

# an upstream sending gzip chunked in small pieces

$r = req('/raw/x');
ok(ended($r) && http_body($r) eq $t1 . "second member\n", 'chunked upstream');
is(http_header($r, 'ETag'), 'W/"raw"', 'weak ETag');

$r = req('/rawunbuf/x');
ok(ended($r) && http_body($r) eq $t1 . "second member\n", 'chunked upstream, unbuffered');

# Vary

$r = req('/vary/t1');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'Vary when decompressed');
$r = req('/vary/t1', 'Accept-Encoding' => 'gzip');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'Vary when passed as is');
$r = req('/vary/t1', method => 'HEAD');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'Vary on HEAD');
$r = req('/vary/plain.txt');
ok(http_body($r) eq "not compressed\n" && !defined http_header($r, 'Vary'),
	'no Vary for a response not compressed');

# gzip_http_version

$r = req('/v11/t1', version => '1.0', 'Accept-Encoding' => 'gzip');
ok(!defined http_header($r, 'Content-Encoding') && http_body($r) eq $t1,
	'gzip_http_version 1.1: decompressed for HTTP/1.0');
$r = req('/v11/t1', 'Accept-Encoding' => 'gzip');
is(http_header($r, 'Content-Encoding'), 'gzip', 'gzip_http_version 1.1: as is for 1.1');

# gzip_static always with gunzip in the same location, error pages

$r = req('/static/t1');
ok(!defined http_header($r, 'Content-Encoding') && http_body($r) eq $t1
	&& http_header($r, 'ETag') =~ m{^W/"}, 'gzip_static always: decompressed, weak ETag');
$r = req('/static/t1', 'Accept-Encoding' => 'gzip');
ok(http_body($r) eq $t1gz && http_header($r, 'ETag') =~ m{^"}
	&& http_header($r, 'Content-Length') == length($t1gz), 'gzip_static always: as is');

SKIP: {
	skip 'no range module', 1 unless $t->has_module('http_range');
	$r = req('/static/t1', Range => 'bytes=0-9');
	ok(http_status($r) == 200 && http_body($r) eq $t1, 'decompressed: no ranges');
}

$r = req('/error');
ok(http_status($r) == 500 && http_body($r) eq $t1, 'error page decompressed');

# bad data: logged, the response cut short

$r = req('/bad');
ok(($r eq '' || http_status($r) == 200) && !ended($r), 'bad data: cut short');
$r = req('/trunc');
ok(($r eq '' || http_status($r) == 200) && !ended($r), 'cut stream: cut short');

$t->stop();
my $log = $t->read_file('error.log');
like($log, qr/\[error\].*inflate\(\) failed/, 'bad data: logged');
like($log, qr/\[error\].*ended inside a gzip stream/, 'cut stream: logged');

# configuration errors

sub conf_error {
	my ($conf, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$conf\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

conf_error("gunzip yes;", qr/invalid value "yes" in "gunzip" directive.* in .*bad.conf:4/,
	'gunzip: bad value');
conf_error("server {\n gunzip on;\n gunzip off;\n}",
	qr/"gunzip" directive is duplicate in .*bad.conf:6/, 'gunzip: duplicate');
conf_error("gunzip_buffers 4;",
	qr/invalid number of arguments in "gunzip_buffers" directive in .*bad.conf:4/,
	'gunzip_buffers: one argument');
conf_error("gunzip_buffers 0 4k;",
	qr/invalid value "0" in "gunzip_buffers" directive in .*bad.conf:4/,
	'gunzip_buffers: no buffers');
conf_error("gunzip_buffers 4 4q;",
	qr/invalid value "4q" in "gunzip_buffers" directive in .*bad.conf:4/,
	'gunzip_buffers: bad size');
