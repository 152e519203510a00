#!/usr/bin/perl

# The charset filter: the charset parameter of Content-Type (charset_types, "*",
# off, variables, inheritance, "if", error pages, redirects), recoding with
# charset_map (single-byte both ways, to and from UTF-8 with &#N; for what the
# single-byte charset lacks, invalid and cut UTF-8, bodies larger than the copy
# buffers), source_charset, override_charset on a response that carries its charset
# (the XML autoindex), ranges, HEAD, and the configuration errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_charset/)->plan(73);
my $dir = $t->testdir();
my $html = "$dir/html";

my $has_rewrite = $t->has_module('http_rewrite');
my $has_range = $t->has_module('http_range');
my $has_autoindex = $t->has_module('http_autoindex');

my $if = $has_rewrite ? 'if ($arg_x) { charset koi8-r; }' : '';
my $ai = $has_autoindex ? 'autoindex on; autoindex_format xml;' : '';

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    types {
        text/html               html;
        text/plain              txt;
        text/xml                xml;
        text/foo                foo;
        image/png               png;
        application/json        json;
        application/javascript  js;
    }

    charset_map B A {
        58 59;  # X -> Y
    }

    charset_map koi8-r utf-8 {
        C0 D18E;    # yu
        C1 D0B0;    # a
        C2 D0B1;    # b
        C6 D184;    # f
        41 41;
    }

    charset_map koi8-r windows-1251 {
        C0 FE;
        C1 E0;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root $html;
        charset utf-8;

        location /types/    { }
        location /custom/   { alias $html/types/; charset_types text/foo TEXT/PLAIN; }
        location /any/      { alias $html/types/; charset_types *; }
        location /off/      { alias $html/types/; charset off; }
        location /var/      { alias $html/types/; charset \$arg_c; }
        location /inherit/  { location /inherit/inner/ { alias $html/types/; } }
        location /if/       { alias $html/types/; $if }

        location /recode/   { charset A; source_charset B; }
        location /reverse/  { alias $html/recode/; charset B; source_charset A; }
        location /toutf/    { alias $html/koi/; charset utf-8; source_charset koi8-r; }
        location /fromutf/  { alias $html/utf/; charset koi8-r; source_charset utf-8; }
        location /win/      { alias $html/koi/; charset windows-1251; source_charset koi8-r; }
        location /nomap/    { alias $html/koi/; charset A; source_charset koi8-r; }
        location /same/     { alias $html/koi/; charset koi8-r; source_charset KOI8-R; }
        location /srcvar/   { alias $html/koi/; charset utf-8; source_charset \$arg_s; }
        location /bigfrom/  { alias $html/big/; charset koi8-r; source_charset utf-8; }
        location /bigto/    { alias $html/big/; charset utf-8; source_charset koi8-r; }

        location /override/ { alias $html/ai/; $ai charset koi8-r; override_charset on; }
        location /keep/      { alias $html/ai/; $ai charset koi8-r; }
    }
}
END

$t->write_file("html/types/t.$_", "t.$_") for qw/html txt xml foo png json js/;
$t->write_file('html/recode/t.html', 'X' x 99);
$t->write_file('html/recode/y.html', 'XYXY');
$t->write_file('html/koi/k.html', "A\xC0\xC1\xC2 \xFF z");
$t->write_file('html/utf/u.html', "A\xd1\x8e\xd0\xb0\xd0\xb1 \xe2\x82\xac \xf0\x9f\x98\x80 \xff z \xd1");
$t->write_file('html/utf/ascii.html', 'plain ascii');
$t->write_file('html/ai/' . "\xd1\x8e\xd0\xb0", '');

# larger than the copy filter's buffers, UTF-8 sequences across their ends
$t->write_file('html/big/from.html', 'a' . ("\xd1\x84" x 100000) . 'z');
$t->write_file('html/big/to.html', 'a' . ("\xC6" x 100000) . 'z');

$t->run();

###############################################################################

sub ct { scalar http_header($_[0], 'Content-Type') }

# the charset parameter

is(ct(http_get('/types/t.html')), 'text/html; charset=utf-8', 'text/html');
is(ct(http_get('/types/t.txt')), 'text/plain; charset=utf-8', 'text/plain');
is(ct(http_get('/types/t.xml')), 'text/xml; charset=utf-8', 'text/xml');
is(ct(http_get('/types/t.js')), 'application/javascript; charset=utf-8',
	'application/javascript');
is(ct(http_get('/types/t.foo')), 'text/foo', 'a type not in charset_types');
is(ct(http_get('/types/t.png')), 'image/png', 'image/png');
is(ct(http_get('/types/t.json')), 'application/json', 'application/json');

is(ct(http_get('/custom/t.foo')), 'text/foo; charset=utf-8', 'charset_types: listed');
is(ct(http_get('/custom/t.txt')), 'text/plain; charset=utf-8', 'charset_types: lowercase');
is(ct(http_get('/custom/t.html')), 'text/html; charset=utf-8', 'charset_types keeps text/html');
is(ct(http_get('/custom/t.xml')), 'text/xml', 'charset_types replaces the other defaults');
is(ct(http_get('/any/t.png')), 'image/png; charset=utf-8', 'charset_types *');
is(ct(http_get('/off/t.html')), 'text/html', 'charset off');
is(ct(http_get('/inherit/inner/t.html')), 'text/html; charset=utf-8', 'inherited');

is(ct(http_get('/var/t.html?c=windows-1251')), 'text/html; charset=windows-1251',
	'variable: a known charset');
is(ct(http_get('/var/t.html?c=x-unknown')), 'text/html; charset=x-unknown',
	'variable: any name');
is(ct(http_get('/var/t.html')), 'text/html', 'variable: empty is off');

SKIP: {
skip 'no rewrite module', 2 unless $has_rewrite;
is(ct(http_get('/if/t.html?x=1')), 'text/html; charset=koi8-r', 'in "if"');
is(ct(http_get('/if/t.html')), 'text/html; charset=utf-8', 'outside "if"');
}

my $r = http_get('/nosuch.html');
is(http_status($r), 404, 'error page');
is(ct($r), 'text/html; charset=utf-8', 'error page: charset');

$r = http_get('/types');
is(http_status($r), 301, 'redirect');
is(ct($r), 'text/html', 'redirect: no charset');

$r = http_head('/types/t.html');
is(ct($r), 'text/html; charset=utf-8', 'HEAD: charset');
is(http_body($r), '', 'HEAD: no body');

# single-byte recoding

$r = http_get('/recode/t.html');
is(ct($r), 'text/html; charset=A', 'recode: charset');
is(http_body($r), 'Y' x 99, 'recode: body');
is(http_header($r, 'Content-Length'), 99, 'recode: length kept');

is(http_body(http_get('/reverse/y.html')), 'XXXX', 'recode: the reverse table');
is(http_body(http_get('/win/k.html')), "A\xFE\xE0? ? z", 'recode: unmapped bytes are "?"');

$r = http_head('/recode/t.html');
is(ct($r), 'text/html; charset=A', 'recode, HEAD: charset');
is(http_body($r), '', 'recode, HEAD: no body');

SKIP: {
skip 'no range module', 2 unless $has_range;
$r = http(<<EOF);
GET /recode/t.html HTTP/1.0
Host: localhost
Range: bytes=0-3

EOF
is(http_status($r), 206, 'single-byte recoding keeps ranges');
is(http_body($r), 'YYYY', 'range: recoded');
}

# to and from UTF-8

$r = http_get('/toutf/k.html');
is(ct($r), 'text/html; charset=utf-8', 'to utf-8: charset');
is(http_body($r), "A\xd1\x8e\xd0\xb0\xd0\xb1 ? z", 'to utf-8: body');
is(http_header($r, 'Content-Length'), undef, 'to utf-8: no length');
like($r, qr{^ETag: W/"}m, 'to utf-8: weak etag');

$r = http_get('/fromutf/u.html');
is(ct($r), 'text/html; charset=koi8-r', 'from utf-8: charset');
is(http_body($r), "A\xC0\xC1\xC2 &#8364; &#128512; ? z ?",
	'from utf-8: unmapped as &#N;, invalid and cut sequences as "?"');
is(http_body(http_get('/fromutf/ascii.html')), 'plain ascii', 'from utf-8: ascii');

SKIP: {
skip 'no range module', 2 unless $has_range;
$r = http(<<EOF);
GET /toutf/k.html HTTP/1.0
Host: localhost
Range: bytes=0-3

EOF
is(http_status($r), 200, 'utf-8 recoding: no ranges');
is(http_body($r), "A\xd1\x8e\xd0\xb0\xd0\xb1 ? z", 'utf-8 recoding: the whole body');
}

$r = http_get('/bigfrom/from.html');
is(length(http_body($r)), 100002, 'from utf-8, large: length');
ok(http_body($r) eq 'a' . ("\xC6" x 100000) . 'z', 'from utf-8, large: body');

$r = http_get('/bigto/to.html');
is(length(http_body($r)), 200002, 'to utf-8, large: length');
ok(http_body($r) eq 'a' . ("\xd1\x84" x 100000) . 'z', 'to utf-8, large: body');

$r = http(<<EOF, one => 1);
GET /bigfrom/from.html HTTP/1.1
Host: localhost
Connection: close

EOF
ok(http_body($r) eq 'a' . ("\xC6" x 100000) . 'z', 'large, chunked: body');

# charsets without a map, the same charset, a variable source

$r = http_get('/nomap/k.html');
is(ct($r), 'text/html', 'no charset_map: no charset');
is(http_body($r), "A\xC0\xC1\xC2 \xFF z", 'no charset_map: body as is');
like($t->read_file('error.log'),
	qr/\[error\].*no "charset_map" between the charsets "koi8-r" and "A"/,
	'no charset_map: logged');

$r = http_get('/same/k.html');
is(ct($r), 'text/html; charset=koi8-r', 'same charset: charset');
is(http_body($r), "A\xC0\xC1\xC2 \xFF z", 'same charset: as is');

is(http_body(http_get('/srcvar/k.html?s=koi8-r')), "A\xd1\x8e\xd0\xb0\xd0\xb1 ? z",
	'source_charset from a variable');
is(http_body(http_get('/srcvar/k.html')), "A\xC0\xC1\xC2 \xFF z",
	'source_charset variable empty: no recoding');

# override_charset: the XML autoindex says utf-8

SKIP: {
skip 'no autoindex module', 4 unless $has_autoindex;

$r = http_get('/override/');
is(ct($r), 'text/xml; charset=koi8-r', 'override_charset on: charset');
like(http_body($r), qr{>\xC0\xC1</file>}, 'override_charset on: recoded');

$r = http_get('/keep/');
is(ct($r), 'text/xml; charset=utf-8', 'override_charset off: the response\'s charset');
like(http_body($r), qr{>\xd1\x8e\xd0\xb0</file>}, 'override_charset off: as is');
}

# keep-alive: the header block with a charset

{
$r = http(<<EOF);
GET /types/t.html HTTP/1.1
Host: localhost

GET /types/t.html HTTP/1.1
Host: localhost
Connection: close

EOF
like($r, qr{\A(HTTP/1.1 200 OK\r\n(?:[^\r\n]+\r\n)+\r\nt\.html){2}\z}, 'keep-alive: two whole responses');
}

# configuration errors

sub conf_ok {
	my ($conf, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$conf\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 0 && $err =~ $re, $name) or diag($err);
}

sub conf_error {
	my ($conf, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$conf\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

conf_error("charset_map a b {\n 1G 20;\n}", qr/invalid value "1G" in .*bad.conf:5/,
	'charset_map: bad code');
conf_error("charset_map a b {\n 100 20;\n}", qr/invalid value "100" in .*bad.conf:5/,
	'charset_map: code too long');
conf_error("charset_map a b {\n 20;\n}", qr/invalid parameters number in .*bad.conf:5/,
	'charset_map: one column');
conf_error("charset_map a utf-8 {\n 80 D1;\n}", qr/invalid value "D1" in .*bad.conf:5/,
	'charset_map: a cut UTF-8 sequence');
conf_error("charset_map a utf-8 {\n 80 ZZ;\n}", qr/invalid value "ZZ" in .*bad.conf:5/,
	'charset_map: bad UTF-8 hex');
conf_error("charset_map UTF-8 a {\n}",
	qr/"charset_map" source charset must not be "UTF-8" in .*bad.conf:4/,
	'charset_map: UTF-8 source');
conf_error("charset_map a b {\n}\ncharset_map b a {\n}",
	qr/duplicate "charset_map" between "b" and "a" in .*bad.conf:6/, 'charset_map: duplicate');
conf_error("server {\n charset_map a b {\n }\n}",
	qr/"charset_map" directive is not allowed here in .*bad.conf:5/,
	'charset_map: only in http');
conf_error("charset a;\ncharset b;", qr/"charset" directive is duplicate in .*bad.conf:5/,
	'charset: duplicate');
conf_error("charset a b;", qr/invalid number of arguments in "charset" directive in .*bad.conf:4/,
	'charset: two values');
conf_error("charset \$;", qr/invalid variable name "\$" in .*bad.conf:4/,
	'charset: "$"');
conf_ok("charset_types text/a;\ncharset_types text/b text/a;",
	qr/duplicate MIME type "text\/a" in .*bad.conf:5/, 'charset_types: repeated, duplicate type warned');
conf_error("override_charset yes;",
	qr/invalid value "yes" in "override_charset" directive, it must be "on" or "off" in .*bad.conf:4/,
	'override_charset: bad value');
