#!/usr/bin/perl

# Byte ranges: single ranges of every form, multipart/byteranges (sendfile on
# and off, a large file read slowly), 416 and what makes the header ignored,
# max_ranges, If-Range with an ETag or a date, Accept-Ranges, HEAD and
# HTTP/1.0, empty files, and ranges together with conditional requests and
# trailers.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Select;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(sleep);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_range/)->plan(83);
my $dir = $t->testdir();

my $body = join('', map { sprintf "X%03dXXXXXX", $_ } (0 .. 99));
my $big = join('', map { sprintf "%07d\n", $_ } (0 .. 49999));

$t->write_file("html/$_", $body) for qw(t1.html sf/t1.html m2/t1.html m0/t1.html
	m1/t1.html tr/t1.html ct/t1.txt);
$t->write_file('html/big.txt', $big);
$t->write_file('html/sf/big.txt', $big);
$t->write_file('html/empty.html', '');

my $rewrite = $t->has_module('http_rewrite');
my $ret = $rewrite ? 'location /ret { return 200 "SEE-THIS"; }' : '';

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;
        sendfile off;

        location /sf/ { sendfile on; }
        location /m2/ { max_ranges 2; }
        location /m1/ { max_ranges 1; }
        location /m0/ { max_ranges 0; }
        location /tr/ { add_trailer X-T "done"; }
        location /ct/ { default_type "text/plain; charset=utf-8"; }
        $ret
    }
}
END

$t->run();

sub get_range {
	my ($uri, $range, @extra) = @_;
	my $h = join '', map { "$_\n" } @extra;
	return http("GET $uri HTTP/1.1\nHost: localhost\nConnection: close\n"
		. "Range: $range\n$h\n");
}

# parts(R): the multipart body as [headers, data] pairs, undef if malformed
sub parts {
	my ($r) = @_;
	my ($b) = $r =~ /^Content-Type: multipart\/byteranges; boundary=(\w+)\r$/m or return;
	my $data = http_body($r);
	return unless $data =~ s/\r\n--\Q$b\E--\r\n\z//;
	my @p = split /\r\n--\Q$b\E\r\n/, $data, -1;
	return if shift(@p) ne '';
	return [ map { [ split /\r\n\r\n/, $_, 2 ] } @p ];
}

my ($r, $p);

###############################################################################
# single ranges

$r = get_range('/t1.html', 'bytes=0-8');
is(http_status($r), 206, 'first bytes: 206');
is(http_header($r, 'Content-Length'), 9, 'first bytes: length');
like($r, qr{^Content-Range: \Qbytes 0-8/1000\E\r$}m, 'first bytes: Content-Range');
is(http_body($r), 'X000XXXXX', 'first bytes: body');
unlike($r, qr/Accept-Ranges/, 'no Accept-Ranges on 206');

$r = get_range('/t1.html', 'bytes=-10');
like($r, qr{^Content-Range: \Qbytes 990-999/1000\E\r$}m, 'suffix: Content-Range');
is(http_body($r), 'X099XXXXXX', 'suffix: body');

$r = get_range('/t1.html', 'bytes=990-');
like($r, qr{^Content-Range: \Qbytes 990-999/1000\E\r$}m, 'open: Content-Range');
is(http_body($r), 'X099XXXXXX', 'open: body');

$r = get_range('/t1.html', 'bytes=995-1990');
like($r, qr{^Content-Range: \Qbytes 995-999/1000\E\r$}m, 'past the end: clamped');
is(http_body($r), 'XXXXX', 'past the end: body');

$r = get_range('/t1.html', 'bytes=-5000');
like($r, qr{^Content-Range: \Qbytes 0-999/1000\E\r$}m, 'suffix longer than the body');
is(length(http_body($r)), 1000, 'suffix longer than the body: all of it');

is(http_body(get_range('/t1.html', 'bytes=10-10')), 'X', 'one byte');
is(http_body(get_range('/t1.html', 'bytes= 10 - 13 ')), 'X001', 'spaces around numbers');
is(http_body(get_range('/t1.html', 'BYTES=10-13')), 'X001', 'the unit in any case');
is(http_body(get_range('/sf/t1.html', 'bytes=20-23')), 'X002', 'sendfile on');
is(http_body(get_range('/t1.html', 'bytes=20-23, 100000-')), 'X002',
	'an unsatisfiable range beside a good one');

$r = http("GET /t1.html HTTP/1.0\nRange: bytes=0-3\n\n");
is(http_status($r), 206, 'HTTP/1.0: 206');
is(http_body($r), 'X000', 'HTTP/1.0: body');

$r = http("HEAD /t1.html HTTP/1.1\nHost: localhost\nConnection: close\nRange: bytes=0-3\n\n");
is(http_status($r), 206, 'HEAD: 206');
is(http_header($r, 'Content-Length'), 4, 'HEAD: the length of the range');
is(http_body($r), '', 'HEAD: no body');

# a large file, read slowly: the copy filter's buffers fill up

$r = get_range('/big.txt', 'bytes=100000-300006');
is(http_header($r, 'Content-Length'), 200007, 'big: length');
ok(http_body($r) eq substr($big, 100000, 200007), 'big: body (sendfile off)');
$r = slow('/big.txt', 'bytes=100000-300006');
ok(http_body($r) eq substr($big, 100000, 200007), 'big: body, slow reader');

###############################################################################
# multipart

$r = get_range('/t1.html', 'bytes=0-9, -10, 10-19');
is(http_status($r), 206, 'multipart: 206');
like($r, qr/^Content-Type: multipart\/byteranges; boundary=\w+\r$/m, 'multipart: type');
is(http_header($r, 'Content-Length'), length(http_body($r)), 'multipart: length');
unlike(http_headers($r), qr/Content-Range/, 'multipart: no Content-Range in the header');
$p = parts($r);
is(scalar @{$p || []}, 3, 'multipart: three parts');
is($p->[0][0], "Content-Type: text/html\r\nContent-Range: bytes 0-9/1000",
	'multipart: part headers');
is($p->[0][1], 'X000XXXXXX', 'multipart: part 1');
is($p->[1][1], 'X099XXXXXX', 'multipart: part 2 (-10)');
is($p->[2][1], 'X001XXXXXX', 'multipart: part 3');
like($p->[2][0], qr/Content-Range: bytes 10-19\/1000/, 'multipart: part 3 range');

$p = parts(get_range('/sf/t1.html', 'bytes=0-9, -10, 10-19'));
is(join(',', map { $_->[1] } @{$p || []}), 'X000XXXXXX,X099XXXXXX,X001XXXXXX',
	'multipart, sendfile on');

$p = parts(get_range('/t1.html', 'bytes=0-9, -10, 100000-, 10-19'));
is(scalar @{$p || []}, 3, 'multipart: the unsatisfiable range is left out');

my $b1 = (get_range('/t1.html', 'bytes=0-0,2-2') =~ /boundary=(\w+)/)[0];
my $b2 = (get_range('/t1.html', 'bytes=0-0,2-2') =~ /boundary=(\w+)/)[0];
isnt($b1, $b2, 'multipart: a new boundary each time');

$p = parts(get_range('/ct/t1.txt', 'bytes=0-0,2-2'));
is($p->[0][0], "Content-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-0/1000",
	'multipart: the type with its charset in each part');

$r = get_range('/big.txt', 'bytes=0-99999,200000-299999,100000-100009,5-5');
$p = parts($r);
is(join(',', map { length $_->[1] } @{$p || []}), '100000,100000,10,1', 'big multipart: sizes');
ok($p && $p->[1][1] eq substr($big, 200000, 100000) && $p->[3][1] eq '0',
	'big multipart: data (sendfile off)');
$p = parts(slow('/big.txt', 'bytes=0-99999,200000-299999,100000-100009,5-5'));
ok($p && @$p == 4 && $p->[0][1] eq substr($big, 0, 100000)
	&& $p->[1][1] eq substr($big, 200000, 100000) && $p->[2][1] eq substr($big, 100000, 10),
	'big multipart: slow reader');
$p = parts(slow('/sf/big.txt', 'bytes=0-99999,200000-299999,100000-100009,5-5'));
ok($p && @$p == 4 && $p->[1][1] eq substr($big, 200000, 100000),
	'big multipart: slow reader, sendfile on');

###############################################################################
# 416, and what is ignored

for my $bad ('bytes=100000-', 'bytes=alpha', 'bytes=10-alpha', 'bytes=10', 'bytes=10-11 12-',
	'bytes=0-1,', 'bytes=-0', 'bytes=99999999999999999999-')
{
	is(http_status(get_range('/t1.html', $bad)), 416, "416: $bad");
}

$r = get_range('/t1.html', 'bytes=1000-');
like($r, qr{^Content-Range: \Qbytes */1000\E\r$}m, '416: Content-Range');
like($r, qr/<title>416 Requested Range Not Satisfiable<\/title>/, '416: error page');
unlike($r, qr/^(Accept-Ranges|Last-Modified|ETag)/m, '416: not the file\'s headers');

$r = get_range('/t1.html', 'items=0-1');
is(http_status($r), 200, 'another unit: ignored');
like($r, qr/^Accept-Ranges: bytes\r$/m, 'Accept-Ranges: bytes on 200');
is(http_status(get_range('/t1.html', 'bytes=')), 200, 'no ranges: ignored');
is(http_status(get_range('/t1.html', 'bytes=0-10001, 0-0')), 200,
	'ranges longer than the body together: 200');
is(http_status(get_range('/empty.html', 'bytes=0-')), 200, 'empty file: 200');
is(http_status(get_range('/nx', 'bytes=0-1')), 404, 'no ranges on 404');
unlike(http_get('/nx'), qr/Accept-Ranges/, 'no Accept-Ranges on 404');

SKIP: {
	skip 'no rewrite module', 2 unless $rewrite;
	$r = get_range('/ret', 'bytes=0-1');
	is(http_status($r), 200, 'no ranges on responses that do not allow them');
	unlike($r, qr/Accept-Ranges/, 'no Accept-Ranges there either');
}

###############################################################################
# max_ranges

is(http_status(get_range('/m2/t1.html', 'bytes=0-9, -10')), 206, 'max_ranges 2: two');
is(http_status(get_range('/m2/t1.html', 'bytes=0-9, -10, 10000-')), 206,
	'max_ranges 2: two good, one unsatisfiable');
is(http_status(get_range('/m2/t1.html', 'bytes=0-9, -10, 10-19')), 200,
	'max_ranges 2: three');
is(http_status(get_range('/m1/t1.html', 'bytes=0-9, 20-29')), 200, 'max_ranges 1: two');
is(http_body(get_range('/m1/t1.html', 'bytes=0-3')), 'X000', 'max_ranges 1: one');
$r = get_range('/m0/t1.html', 'bytes=0-9');
is(http_status($r), 200, 'max_ranges 0');
unlike($r, qr/Accept-Ranges/, 'max_ranges 0: no Accept-Ranges');

###############################################################################
# If-Range

$r = http_get('/t1.html');
my ($etag) = $r =~ /^ETag: (".*")\r$/m;
my $lm = http_header($r, 'Last-Modified');

is(http_status(get_range('/t1.html', 'bytes=0-9', "If-Range: $etag")), 206, 'if-range: etag');
is(http_status(get_range('/t1.html', 'bytes=0-9', 'If-Range: "other"')), 200,
	'if-range: another etag');
is(http_status(get_range('/t1.html', 'bytes=0-9', "If-Range: W/$etag")), 200,
	'if-range: a weak etag');
is(http_status(get_range('/t1.html', 'bytes=0-9', "If-Range: $lm")), 206, 'if-range: date');
$r = get_range('/t1.html', 'bytes=0-9', 'If-Range: Mon, 28 Sep 1970 06:00:00 GMT');
is(http_status($r), 200, 'if-range: another date');
is(length(http_body($r)), 1000, 'if-range: another date: all of it');
is(http_status(get_range('/t1.html', 'bytes=0-9', 'If-Range: wrong')), 200,
	'if-range: garbage');

###############################################################################
# with conditional requests and trailers

is(http_status(get_range('/t1.html', 'bytes=0-9', 'If-None-Match: *')), 304,
	'if-none-match before range: 304');
is(http_status(get_range('/t1.html', 'bytes=0-9', "If-Match: $etag")), 206,
	'if-match, then range');

$r = get_range('/tr/t1.html', 'bytes=0-3');
is(http_status($r), 206, 'trailers: 206');
like($r, qr/\r\n\r\n4\r\nX000\r\n0\r\nX-T: done\r\n\r\n\z/, 'trailers: chunked range');
$p = parts(get_range('/tr/t1.html', 'bytes=0-0,2-2'));
is(join(',', map { $_->[1] } @{$p || []}), 'X,0', 'trailers: chunked multipart');

###############################################################################

# slow(URI, RANGE): the response read by a client with a small receive buffer
# that takes its time
sub slow {
	my ($uri, $range) = @_;
	my $s = http_connect() or return '';
	setsockopt($s, SOL_SOCKET, SO_RCVBUF, 4096);
	http_send($s, "GET $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
		. "Range: $range\r\n\r\n");
	my $sel = IO::Select->new($s);
	my $r = '';
	while ($sel->can_read(5)) {
		sleep(0.001);
		my $n = sysread($s, my $buf, 4096);
		last unless $n;
		$r .= $buf;
	}
	return $r;
}
