#!/usr/bin/perl

# The headers module: add_header (variables, always, the status codes it
# applies to, empty values, the special names Cache-Control, Link, ETag and
# Last-Modified), add_trailer (chunked responses only), expires (every form,
# with variables, "modified"), the inheritance of the lists with
# add_header_inherit / add_trailer_inherit, "if" blocks, and the errors -t
# reports with file and line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(strftime);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_headers/)->plan(110);
my $dir = $t->testdir();

$t->write_file('html/inner_outer/in', '');
$t->write_file("html/$_", '') for qw/epoch max off access negative daily
	modified var var_inner var_modified zero m1 plus/;
$t->write_file('html/t1', 'SEE-THIS');
$t->write_file('html/dir/index.html', 'index');
$t->write_file("html/$_/t", 'x') for qw/repl inh noinh merge merge2 tr trm trall
	single lm etag link cc iff/;

my $rewrite = $t->has_module('http_rewrite');
my $if_block = $rewrite ? 'if ($arg_if) { add_header X-If yes; }' : '';

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;

        add_header   X-URI \$uri;
        add_header   X-Always \$uri always;
        add_header   X-Empty "";
        add_header   ETag foo always;
        add_header   ETag '' always;
        add_trailer  X-Trailer \$uri;
        add_trailer  X-Trailer-Always "t \$uri" always;
        add_trailer  X-Trailer-Empty '';
        expires      epoch;

        location /t1 { }
        location /nx { }
        location /dir { }

        location /epoch { expires epoch; }
        location /max { expires max; }
        location /off { expires off; }
        location /access {
            expires 2048;
        }
        location /inner_outer {
            expires 1h;
            location /inner_outer/in { }
        }
        location /negative { expires -2048; }
        location /m1 { expires -1; }
        location /zero { expires 0; }
        location /plus { expires +1h30m; }
        location /daily { expires \@15h30m33s; }
        location /modified { expires modified 2048; }
        location /var {
            expires \$arg_e;
            location /var_inner { }
            location /var_modified { expires modified \$arg_e; }
        }

        location /repl/ { add_header X-Repl yes; }
        location /inh/ { }
        location /noinh/ { add_header_inherit off; }
        location /merge/ {
            add_header_inherit merge;
            add_header X-Merge yes;
        }
        location /merge2/ {
            add_header_inherit merge;
            location /merge2/t { add_header X-Merge2 inner; }
        }
        location /tr/ { add_trailer X-Own own; }
        location /trm/ {
            add_trailer_inherit merge;
            add_trailer X-Own own;
        }
        location /trall/ { chunked_transfer_encoding off; }
        location /single/ { add_header_inherit off; add_trailer_inherit off; expires off; }

        location /lm/ {
            add_header Last-Modified "Mon, 28 Sep 1970 06:00:00 GMT";
        }
        location /etag/ {
            add_header ETag '"new"';
            location /etag/t { add_header ETag '"new"'; add_header X-E \$sent_http_etag; }
        }
        location /link/ {
            add_header Link "</a>; rel=preload";
            add_header Link "</b>; rel=preload";
            add_header Link "";
        }
        location /cc/ {
            expires 10;
            add_header Cache-Control private;
            add_header Cache-Control "";
        }
        location /iff/ {
            add_header X-Loc loc;
            $if_block
        }
    }
}
END

$t->run();

my $r;

###############################################################################
# add_header: status codes, always, empty values

$r = http_get('/t1');
like($r, qr/^X-URI: \/t1\r$/m, 'add_header with a variable');
like($r, qr/^X-Always: \/t1\r$/m, 'add_header always on 200');
unlike($r, qr/X-Empty/, 'an empty value adds nothing');
unlike($r, qr/^ETag/m, 'add_header ETag "" removes the ETag');

$r = http_get('/nx');
is(http_status($r), 404, 'status 404');
unlike($r, qr/X-URI/, 'no add_header on 404');
like($r, qr/^X-Always: \/nx\r$/m, 'add_header always on 404');
unlike($r, qr/^ETag/m, 'no ETag on 404');
unlike($r, qr/Expires|Cache-Control/, 'no expires on 404');

$r = http_get('/dir');
is(http_status($r), 301, 'status 301');
like($r, qr/^X-URI: \/dir\r$/m, 'add_header on 301');
like($r, qr/^Expires: Thu, 01 Jan 1970 00:00:01 GMT\r$/m, 'expires on 301');

$r = http("GET /t1 HTTP/1.0\nHost: localhost\nIf-None-Match: *\n\n");
is(http_status($r), 304, 'status 304');
like($r, qr/^X-URI: /m, 'add_header on 304');
like($r, qr/^Cache-Control: no-cache\r$/m, 'expires on 304');

$r = http("GET /t1 HTTP/1.0\nHost: localhost\nRange: bytes=0-1\n\n");
is(http_status($r), 206, 'status 206');
like($r, qr/^X-URI: /m, 'add_header on 206');

$r = http("GET /t1 HTTP/1.0\nHost: localhost\nIf-Match: \"nope\"\n\n");
is(http_status($r), 412, 'status 412');
unlike($r, qr/X-URI/, 'no add_header on 412');
like($r, qr/^X-Always: /m, 'add_header always on 412');

$r = http("GET /t1 HTTP/1.0\nHost: localhost\nRange: bytes=100-\n\n");
is(http_status($r), 416, 'status 416');
unlike($r, qr/X-URI|Expires|Cache-Control/, '416: what applied to the 200 is taken back');
is(scalar(() = $r =~ /^X-Always:/mg), 1, '416: the always header once');

###############################################################################
# expires

like(http_get('/epoch'), qr/^Expires: Thu, 01 Jan 1970 00:00:01 GMT\r$/m, 'expires epoch');
like(http_get('/epoch'), qr/^Cache-Control: no-cache\r$/m, 'expires epoch: no-cache');
$r = http_get('/max');
like($r, qr/^Expires: Thu, 31 Dec 2037 23:55:55 GMT\r$/m, 'expires max');
like($r, qr/^Cache-Control: max-age=315360000\r$/m, 'expires max: ten years');
unlike(http_get('/off'), qr/Expires|Cache-Control/, 'expires off');

$r = http_get('/access');
like($r, qr/^Cache-Control: max-age=2048\r$/m, 'expires 2048');
ok(near(http_header($r, 'Expires'), time() + 2048), 'expires 2048: the date');
like(http_get('/inner_outer/in'), qr/max-age=3600/, 'expires inherited by a nested location');
like(http_get('/plus'), qr/max-age=5400/, 'expires +1h30m');

$r = http_get('/negative');
like($r, qr/^Cache-Control: no-cache\r$/m, 'expires -2048: no-cache');
ok(near(http_header($r, 'Expires'), time() - 2048), 'expires -2048: the date');
like(http_get('/m1'), qr/^Cache-Control: no-cache\r$/m, 'expires -1');

$r = http_get('/zero');
like($r, qr/^Cache-Control: max-age=0\r$/m, 'expires 0');
ok(near(http_header($r, 'Expires'), time()), 'expires 0: now');

$r = http_get('/daily');
like($r, qr/^Expires: \w+, \d\d \w+ \d{4} \d\d:\d\d:33 GMT\r$/m, 'expires @time');
my ($age) = $r =~ /max-age=(\d+)/;
ok(defined $age && $age > 0 && $age <= 86400, 'expires @time: max-age within a day');

my $mtime = (stat("$dir/html/modified"))[9];
$r = http_get('/modified');
like($r, qr/^Cache-Control: max-age=204\d\r$/m, 'expires modified');
is(http_header($r, 'Expires'), http_date($mtime + 2048), 'expires modified: the date');

like(http_get('/var?e=epoch'), qr/^Expires:.*1970/m, 'expires $var: epoch');
like(http_get('/var?e=max'), qr/^Expires:.*2037/m, 'expires $var: max');
unlike(http_get('/var?e=off'), qr/Expires/, 'expires $var: off');
like(http_get('/var?e=2048'), qr/max-age=2048/, 'expires $var: 2048');
like(http_get('/var?e=1h'), qr/max-age=3600/, 'expires $var: 1h');
like(http_get('/var_inner?e=2048'), qr/max-age=2048/, 'expires $var inherited');
like(http_get('/var?e=-2048'), qr/no-cache/, 'expires $var: negative');
like(http_get('/var?e=@33s'), qr/^Expires:.*:33 GMT\r$/m, 'expires $var: daily');
like(http_get('/var_modified?e=2048'), qr/max-age=204\d/, 'expires modified $var');
unlike(http_get('/var'), qr/Expires/, 'expires $var: empty');
unlike(http_get('/var?e=bad'), qr/Expires/, 'expires $var: invalid');
unlike(http_get('/var?e=@25h'), qr/Expires/, 'expires $var: daily over 24h');
unlike(http_get('/var_modified?e=epoch'), qr/Expires/, 'expires modified $var: epoch');
unlike(http_get('/var_modified?e=@1h'), qr/Expires/, 'expires modified $var: daily');

###############################################################################
# inheritance of the lists

$r = http_get('/repl/t');
like($r, qr/X-Repl: yes/, 'own add_header');
unlike($r, qr/X-URI|X-Always/, 'own add_header replaces the inherited ones');
like(http_get('/inh/t'), qr/X-URI.*X-Always/s, 'no add_header: inherited');
unlike(http_get("/noinh/t"), qr/X-URI|X-Always/, 'add_header_inherit off');
like(http_get('/merge/t'), qr/X-Merge: yes\r\nX-URI: \/merge\/t\r\nX-Always/,
	'add_header_inherit merge: own first, then inherited');
like(http_get('/merge2/t'), qr/X-Merge2: inner\r\nX-URI/,
	'add_header_inherit merge is inherited itself');

###############################################################################
# special names

$r = http_get('/lm/t');
like($r, qr/^Last-Modified: Mon, 28 Sep 1970 06:00:00 GMT\r$/m, 'add_header Last-Modified');
is(scalar(() = $r =~ /^Last-Modified:/mg), 1, 'Last-Modified replaced, not added');
$r = http("GET /lm/t HTTP/1.0\nHost: localhost\nRange: bytes=0-0\n"
	. "If-Range: Mon, 28 Sep 1970 06:00:00 GMT\n\n");
is(http_status($r), 206, 'add_header Last-Modified: the time If-Range compares');

$r = http_get('/etag/t');
is(scalar(() = $r =~ /^ETag:/mg), 1, 'add_header ETag: one ETag');
like($r, qr/^ETag: "new"\r$/m, 'add_header ETag replaces the ETag');
like($r, qr/^X-E: "new"\r$/m, '$sent_http_etag sees it');
is(http_status(http("GET /etag/t HTTP/1.0\nHost: localhost\nRange: bytes=0-0\n"
	. "If-Range: \"new\"\n\n")), 206, 'add_header ETag: the tag If-Range compares');

$r = http_get('/link/t');
like($r, qr/^Link: <\/a>; rel=preload\r\nLink: <\/b>; rel=preload\r$/m, 'add_header Link twice');
is(scalar(() = $r =~ /^Link:/mg), 2, 'empty Link adds nothing');

$r = http_get('/cc/t');
like($r, qr/^Cache-Control: max-age=10\r\nCache-Control: private\r$/m,
	'expires, then add_header Cache-Control');

SKIP: {
	skip 'no rewrite module', 2 unless $rewrite;
	like(http_get('/iff/t?if=1'), qr/X-If: yes/, 'add_header in "if"');
	like(http_get('/iff/t'), qr/X-Loc: loc/, 'add_header outside the "if"');
}

###############################################################################
# add_trailer

sub get11 {
	my ($uri, $method) = @_;
	$method ||= 'GET';
	return http("$method $uri HTTP/1.1\nHost: localhost\nConnection: close\n\n");
}

$r = get11('/t1');
like($r, qr/\r\n\r\n8\r\nSEE-THIS\r\n0\r\nX-Trailer: \/t1\r\n/, 'trailer after the body');
like($r, qr/^Transfer-Encoding: chunked\r$/m, 'trailers make the response chunked');
unlike(http_headers($r), qr/X-Trailer/, 'trailers are not headers');
like($r, qr/^X-Trailer-Always: t \/t1\r\n\r\n\z/m, 'trailer with a complex value');
unlike($r, qr/X-Trailer-Empty/, 'empty trailer value adds nothing');

$r = get11('/nx');
unlike($r, qr/^X-Trailer:/m, 'no trailer on 404');
like($r, qr/^X-Trailer-Always: t \/nx\r$/m, 'trailer always on 404');

$r = http_get('/t1');
like($r, qr/\r\n\r\nSEE-THIS\z/, 'HTTP/1.0: no chunks, no trailers');
like($r, qr/^Content-Length: 8\r$/m, 'HTTP/1.0: the length stays');
unlike(get11('/t1', 'HEAD'), qr/X-Trailer/, 'HEAD: no trailers');
$r = get11('/trall/t');
unlike($r, qr/X-Trailer/, 'chunked_transfer_encoding off: no trailers');
like($r, qr/^Content-Length: 1\r$/m, 'chunked_transfer_encoding off: the length stays');

$r = get11('/tr/t');
like($r, qr/^X-Own: own\r$/m, 'own add_trailer');
unlike($r, qr/X-Trailer/, 'own add_trailer replaces the inherited ones');
like(get11('/trm/t'), qr/0\r\nX-Own: own\r\nX-Trailer: \/trm\/t\r\n/,
	'add_trailer_inherit merge');
$r = get11('/single/t');
unlike($r, qr/X-Trailer|chunked/, 'add_trailer_inherit off');
like(get11('/t1?x'), qr/0\r\n(.+\r\n){2}\r\n\z/, 'two trailers, then the end');

###############################################################################
# errors in the configuration

sub conf_error {
	my ($body, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n    server {\n"
		. "        $body\n    }\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	is($code, 1, "$name: exit 1");
	like($err, $re, "$name: message");
}

conf_error('add_header X;', qr/invalid number of arguments in "add_header" directive in \S+bad.conf:5/,
	'add_header with one argument');
conf_error('add_header X y z;', qr/invalid parameter "z" in "add_header" directive in \S+bad.conf:5/,
	'add_header with a bad parameter');
conf_error('add_trailer X y never;',
	qr/invalid parameter "never" in "add_trailer" directive in \S+bad.conf:5/,
	'add_trailer with a bad parameter');
conf_error('expires abc;', qr/invalid value "abc" in "expires" directive in \S+bad.conf:5/,
	'expires abc');
conf_error('expires 1h; expires 2h;', qr/"expires" directive is duplicate in \S+bad.conf:5/,
	'expires twice');
conf_error('expires later 1h;', qr/invalid value "later" in "expires" directive in \S+bad.conf:5/,
	'expires with a bad first argument');
conf_error('expires @25h;', qr/daily time value must be less than 24 hours .*in \S+bad.conf:5/,
	'expires @25h');
conf_error('expires modified @1h;',
	qr/daily time cannot be used with "modified" parameter .*in \S+bad.conf:5/,
	'expires modified @time');
conf_error('expires modified epoch;', qr/invalid value "epoch" in "expires" directive/,
	'expires modified epoch');
conf_error('add_header_inherit sometimes;',
	qr/invalid value "sometimes" in "add_header_inherit" directive.* in \S+bad.conf:5/,
	'add_header_inherit with a bad value');

###############################################################################

# near(DATE, T): an HTTP date within 3 seconds of T
sub near {
	my ($date, $when) = @_;
	return 0 unless defined $date;
	for my $d (-3 .. 3) {
		return 1 if $date eq http_date($when + $d);
	}
	return 0;
}

sub http_date {
	return strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime($_[0]));
}
