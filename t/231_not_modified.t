#!/usr/bin/perl

# Conditional requests: If-Modified-Since under "if_modified_since exact |
# before | off", If-None-Match (weak comparison, lists, "*"), If-Unmodified-Since
# and If-Match (412), both kinds together, what a 304 keeps and drops, the 412
# with and without error_page (the connection stays usable), and what the
# filter leaves alone (404, no validators).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(strftime);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_not_modified/)->plan(51);
my $dir = $t->testdir();

$t->write_file('html/t', 'SEE-THIS');
$t->write_file('html/error412.html', 'custom 412');
$t->write_file("html/$_/t", 'SEE-THIS') for qw/before off noetag ep/;

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;

        location / { }
        location /before/ { if_modified_since before; }
        location /off/ { if_modified_since off; }
        location /noetag/ { etag off; }
        location /ep/ { error_page 412 /error412.html; }
    }
}
END

# a fixed mtime: the dates of the tests are exact
my $mtime = 1700000000;
utime $mtime, $mtime, "$dir/html/t", map { "$dir/html/$_/t" } qw/before off noetag ep/;

$t->run();

sub date { strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime($_[0])) }

sub get {
	my ($uri, @headers) = @_;
	my $h = join '', map { "$_\n" } @headers;
	return http("GET $uri HTTP/1.0\nHost: localhost\n$h\n");
}

sub st { http_status(get(@_)) }

my $r = get('/t');
my ($etag) = $r =~ /^ETag: (".*")\r$/m;
ok($etag, 'an ETag to test with');
is(http_header($r, 'Last-Modified'), date($mtime), 'Last-Modified is the mtime');

# If-Modified-Since

$r = get('/t', 'If-Modified-Since: ' . date($mtime));
is(http_status($r), 304, 'ims: the same date');
is(http_body($r), '', '304: no body');
unlike($r, qr/Content-Length|Content-Type|Accept-Ranges/, '304: no length, type, ranges');
like($r, qr/^ETag: \Q$etag\E\r$/m, '304: the ETag stays');
like($r, qr/^Last-Modified: \Q${\ date($mtime)}\E\r$/m, '304: Last-Modified stays');

is(st('/t', 'If-Modified-Since: ' . date($mtime - 1)), 200, 'ims: older');
is(st('/t', 'If-Modified-Since: ' . date($mtime + 1)), 200, 'ims: newer, exact');
is(st('/t', 'If-Modified-Since: yesterday'), 200, 'ims: not a date');
is(st('/before/t', 'If-Modified-Since: ' . date($mtime + 1)), 304, 'ims: newer, before');
is(st('/before/t', 'If-Modified-Since: Tue, 19 Jan 2038 03:14:07 GMT'), 304,
	'ims: 2038, before');
is(st('/before/t', 'If-Modified-Since: ' . date($mtime - 1)), 200, 'ims: older, before');
is(st('/off/t', 'If-Modified-Since: ' . date($mtime)), 200, 'ims: off');
is(st('/t', 'If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT'), 304, 'ims: RFC 1123');
is(st('/t', 'If-Modified-Since: Tuesday, 14-Nov-23 22:13:20 GMT'), 304, 'ims: RFC 850');
is(st('/t', 'If-Modified-Since: Tue Nov 14 22:13:20 2023'), 304, 'ims: asctime');

$r = http("HEAD /t HTTP/1.1\nHost: localhost\nConnection: close\nIf-Modified-Since: "
	. date($mtime) . "\n\n");
is(http_status($r), 304, 'ims: HEAD');

# If-None-Match

is(st('/t', "If-None-Match: $etag"), 304, 'inm');
is(st('/t', 'If-None-Match: "foo"'), 200, 'inm: no match');
is(st('/t', "If-None-Match: \"foo\", \"bar\", $etag , \"baz\""), 304, 'inm: in a list');
is(st('/t', "If-None-Match: \"a,b\",$etag"), 304, 'inm: a comma inside a tag');
is(st('/t', 'If-None-Match: *'), 304, 'inm: *');
is(st('/t', "If-None-Match: W/$etag"), 304, 'inm: weak comparison');
is(st('/t', "If-None-Match: " . substr($etag, 0, -2) . '"'), 200, 'inm: a prefix of the tag');
is(st('/noetag/t', 'If-None-Match: "foo"'), 200, 'inm: no ETag');
is(st('/noetag/t', 'If-None-Match: *'), 304, 'inm: *, no ETag');

# both: every one present must say "not modified"

is(st('/t', "If-None-Match: $etag", 'If-Modified-Since: ' . date($mtime)), 304,
	'inm and ims both match');
is(st('/t', "If-None-Match: $etag", 'If-Modified-Since: ' . date($mtime - 10)), 200,
	'inm matches, ims does not');
is(st('/t', 'If-None-Match: "x"', 'If-Modified-Since: ' . date($mtime)), 200,
	'ims matches, inm does not');

# If-Match, If-Unmodified-Since

is(st('/t', "If-Match: $etag"), 200, 'if-match');
is(st('/t', 'If-Match: "foo"'), 412, 'if-match: no match');
is(st('/t', "If-Match: \"foo\", \"bar\", \t$etag , \"baz\""), 200, 'if-match: in a list');
is(st('/t', 'If-Match: *'), 200, 'if-match: *');
is(st('/t', "If-Match: W/$etag"), 412, 'if-match: a weak tag does not match');
is(st('/noetag/t', "If-Match: \"x\""), 412, 'if-match: no ETag');
is(st('/noetag/t', 'If-Match: *'), 200, 'if-match: *, no ETag');
is(st('/nx', 'If-Match: "foo"'), 404, 'if-match: not on a 404');

is(st('/t', 'If-Unmodified-Since: ' . date($mtime)), 200, 'ius: the same date');
is(st('/t', 'If-Unmodified-Since: ' . date($mtime + 10)), 200, 'ius: later');
is(st('/t', 'If-Unmodified-Since: ' . date($mtime - 10)), 412, 'ius: earlier');
is(st('/t', 'If-Unmodified-Since: garbage'), 412, 'ius: not a date (as nginx)');
is(st('/t', "If-Match: $etag", 'If-None-Match: *'), 304, 'if-match passes, then inm');
is(st('/t', 'If-Match: "x"', 'If-None-Match: *'), 412, 'if-match fails first');

$r = get('/t', 'If-Match: "x"');
like($r, qr/<title>412 Precondition Failed<\/title>/, '412: the error page');
unlike($r, qr/^(ETag|Last-Modified|Accept-Ranges)/m, '412: not the file\'s headers');
unlike($r, qr/SEE-THIS/, '412: not the file');

# a 412 keeps the connection: the next request is answered

$r = http("GET /t HTTP/1.1\nHost: localhost\nIf-Match: \"x\"\n\n"
	. "GET /t HTTP/1.1\nHost: localhost\nConnection: close\n\n");
like($r, qr/ 412 .* 200 OK.*SEE-THIS\z/s, '412, then the next request on the connection');
unlike($r, qr/SEE-THIS.*SEE-THIS/s, 'the file only once');

$r = http("GET /ep/t HTTP/1.1\nHost: localhost\nIf-Match: \"x\"\n\n"
	. "GET /t HTTP/1.1\nHost: localhost\nConnection: close\n\n");
like($r, qr/ 412 .*\r\n\r\ncustom 412HTTP\/1.1 200 OK/s, 'error_page 412, then the next request');

$r = http("GET /t HTTP/1.1\nHost: localhost\nIf-None-Match: *\n\n"
	. "GET /t HTTP/1.1\nHost: localhost\nConnection: close\n\n");
like($r, qr/ 304 .*\r\n\r\nHTTP\/1.1 200 OK.*SEE-THIS\z/s, '304, then the next request');
