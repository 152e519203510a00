#!/usr/bin/perl

# The autoindex module: the HTML page byte for byte (order, padding, dates, exact and
# rounded sizes, local time), the escaping of odd names in links and text, long names
# cut at 50 characters (bytes, or UTF-8 characters with "charset utf-8"), hidden
# files, symlinks, FIFOs, XML, JSON and JSONP (with the callback checks), HEAD,
# index files first, an unreadable directory, and every configuration error with its
# file and line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::Local qw(timegm);
use POSIX qw(mkfifo);
use Lintel::Test;
use Lintel::HTTP;

# local time for autoindex_localtime: three hours east of UTC
$ENV{TZ} = 'XYZ-3';

my $t = Lintel::Test->new()->has(qw/http http_autoindex http_index/)->plan(105);
my $dir = $t->testdir();
my $html = "$dir/html";
my $charset = $t->has_module('http_charset') ? 'charset utf-8;' : '';

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root $html;
        autoindex on;

        location /local/      { alias $html/plain/; autoindex_localtime on; }
        location /human/      { alias $html/sizes/; autoindex_exact_size off; }
        location /xml/        { alias $html/; autoindex_format xml; }
        location /json/       { alias $html/; autoindex_format json; }
        location /jsonp/      { alias $html/; autoindex_format jsonp; }
        location /html/       { alias $html/; autoindex_format html; }
        location /off/        { alias $html/plain/; autoindex off; }
        location /utf8/       { $charset }
    }
}
END

# a fixed time for every entry: Sat, 03 Feb 2001 04:05:06 GMT
my $mtime = timegm(6, 5, 4, 3, 1, 2001);

sub file {
	my ($name, $content) = @_;
	$t->write_file("html/$name", defined $content ? $content : '');
	utime $mtime, $mtime, "$html/$name";
}

sub sized {
	my ($name, $size) = @_;
	open my $fh, '>', "$html/$name" or die "$name: $!";
	truncate $fh, $size or die "truncate $name: $!";
	close $fh;
	utime $mtime, $mtime, "$html/$name";
}

sub dir {
	my ($name) = @_;
	mkdir "$html/$name";
}

dir('');

# a small directory for the exact page
dir('plain');
dir('plain/sub');
file('plain/a.txt', 'abc');
file('plain/B', '');
file('plain/.hidden', 'x');
dir('plain/.hiddendir');

# odd names
dir('odd');
file('odd/sp ace', '');
file("odd/q'uote", '');
file('odd/dq"uote', '');
file('odd/<>&', '');
file('odd/colon:x', '');
file('odd/pct%25', '');
file('odd/ques?tion', '');
file('odd/hash#', '');
file('odd/' . ('n' x 50), '');
file('odd/' . ('m' x 51), '');
file('odd/' . ('<' x 60), '');
dir('odd/' . ('d' x 49));
dir('odd/' . ('e' x 50));
file("odd/back\\slash", '');
file("odd/ctl\x01x", '');
file("odd/new\nline", '');
file("odd/\xd1\x84\xd1\x84", '');
symlink("$html/plain", "$html/odd/link-dir");
symlink("$html/plain/a.txt", "$html/odd/link-file");
symlink("$html/nowhere", "$html/odd/link-dangling");
mkfifo("$html/odd/fifo", 0644);

# sizes
dir('sizes');
sized('sizes/s0', 0);
sized('sizes/s9999', 9999);
sized('sizes/s10000', 10000);
sized('sizes/s10751', 10751);
sized('sizes/s10752', 10752);
sized('sizes/s1048575', 1048575);
sized('sizes/m1', 1048576);
sized('sizes/m1.4', 1468006);
sized('sizes/m1.5', 1572864);
sized('sizes/g1', 1073741824);
sized('sizes/g1.5', 1610612736);

# UTF-8 names
dir('utf8');
file('utf8/test-' . ("\xd1\x84" x 3), '');
file('utf8/test-' . ("\xd1\x84" x 46), '');
file('utf8/test-<>-' . ("\xd1\x84" x 45), '');
file('utf8/bad-' . "\xd1" . ('x' x 46), '');

# titles, index files, errors, empty
dir('esc <>&"');
dir('withindex');
file('withindex/index.html', 'the index');
dir('empty');
dir('locked');
chmod 0311, "$html/locked";

# many entries
dir('many');
file(sprintf('many/file-%04d', $_), '') for 1 .. 600;

# directory times last: adding entries changed them
utime $mtime, $mtime, "$html/$_"
	for 'plain', 'plain/sub', 'odd/' . ('d' x 49), 'odd/' . ('e' x 50), 'empty';

$t->run();

###############################################################################

my $date = '03-Feb-2001 04:05';

# one line of the HTML listing
sub line {
	my ($href, $text, $chars, $size, %o) = @_;
	my $pad = $chars >= 50 ? '' : ' ' x (50 - $chars);
	my $d = $o{date} || $date;
	return qq{<a href="$href">$text</a>$pad $d $size\r\n};
}

sub exact { sprintf '%19s', $_[0] }

my $r = http_get('/plain/');

is(http_status($r), 200, 'listing status');
is(http_header($r, 'Content-Type'), 'text/html', 'listing type');
is(http_header($r, 'Content-Length'), undef, 'no length');
is(http_header($r, 'Last-Modified'), undef, 'no last-modified');
is(http_body($r),
	"<html>\r\n<head><title>Index of /plain/</title></head>\r\n<body>\r\n"
	. "<h1>Index of /plain/</h1><hr><pre><a href=\"../\">../</a>\r\n"
	. line('sub/', 'sub/', 4, exact('-'))
	. line('B', 'B', 1, exact(0))
	. line('a.txt', 'a.txt', 5, exact(3))
	. "</pre><hr></body>\r\n</html>\r\n",
	'the whole page: directories first, by name, hidden names left out');

like(http_body(http_get('/local/')),
	qr{^<a href="a.txt">a.txt</a> {45} 03-Feb-2001 07:05 }m, 'autoindex_localtime on');

$r = http_head('/plain/');
is(http_status($r), 200, 'HEAD status');
is(http_header($r, 'Content-Type'), 'text/html', 'HEAD type');
is(http_body($r), '', 'HEAD has no body');

$r = http(<<EOF);
POST /plain/ HTTP/1.0
Host: localhost
Content-Length: 3

abc
EOF
isnt(http_status($r), 200, 'POST is not listed');
unlike($r, qr/Index of/, 'POST: no listing');

is(http_status(http_get('/off/')), 403, 'autoindex off: forbidden');
like(http_body(http_get('/withindex/')), qr/^the index\z/, 'an index file comes first');
is(http_status(http_get('/nosuch/')), 404, 'missing directory');
is(http_status(http_get('/locked/')), 403, 'unreadable directory: 403');
like($t->read_file('error.log'),
	qr{\[error\].*opendir\(\) "\Q$html\E/locked" failed \(13: Permission denied\)},
	'unreadable directory: logged');

like(http_get('/esc%20%3C%3E%26%22/'),
	qr{<title>Index of /esc &lt;&gt;&amp;&quot;/</title>.*<h1>Index of /esc &lt;&gt;&amp;&quot;/</h1>}s,
	'the title and heading are escaped');

is(http_body(http_get('/empty/')),
	"<html>\r\n<head><title>Index of /empty/</title></head>\r\n<body>\r\n"
	. "<h1>Index of /empty/</h1><hr><pre><a href=\"../\">../</a>\r\n"
	. "</pre><hr></body>\r\n</html>\r\n", 'an empty directory');

$r = http_body(http_get('/many/'));
is(scalar(() = $r =~ /<a href="file-\d{4}">/g), 600, 'many entries');
like($r, qr{file-0001.*file-0600.*</html>\r\n\z}s, 'many entries, in order, whole page');

# escaping and long names

$r = http_body(http_get('/odd/'));

like($r, qr{^\Q<a href="sp%20ace">sp ace</a>\E {44} $date }m, 'space');
like($r, qr{^\Q<a href="q%27uote">q'uote</a>\E }m, 'quote');
like($r, qr{^\Q<a href="dq%22uote">dq&quot;uote</a>\E {42} }m, 'double quote');
like($r, qr{^\Q<a href="%3C%3E%26">&lt;&gt;&amp;</a>\E {47} }m, '<>&');
like($r, qr{^\Q<a href="colon%3Ax">colon:x</a>\E }m, 'colon: not a scheme');
unlike($r, qr{href="colon:x"}, 'colon: escaped');
like($r, qr{^\Q<a href="pct%2525">pct%25</a>\E }m, 'percent');
like($r, qr{^\Q<a href="ques%3Ftion">ques?tion</a>\E }m, 'question mark');
like($r, qr{^\Q<a href="hash%23">hash#</a>\E }m, 'hash');
like($r, qr{^\Q<a href="back%5Cslash">back\slash</a>\E }m, 'backslash');
like($r, qr{^\Q<a href="ctl%01x">ctl\E\x01\Qx</a>\E }m, 'control character');
like($r, qr{^\Q<a href="new%0Aline">new\E\n\Qline</a>\E }m, 'newline');
like($r, qr{^\Q<a href="%D1%84%D1%84">\E\xd1\x84\xd1\x84</a> {46} }m,
	'UTF-8 without a charset: bytes');

like($r, qr{^<a href="n{50}">n{50}</a> $date }m, '50 characters: whole, no padding');
like($r, qr{^<a href="m{51}">m{47}\.\.&gt;</a> $date }m, '51 characters: cut');
like($r, qr{^<a href="(%3C){60}">(&lt;){47}\.\.&gt;</a> $date }m, 'cut, escaped');
like($r, qr{^<a href="d{49}/">d{49}/</a> $date }m, '49 characters and "/"');
like($r, qr{^<a href="e{50}/">e{50}</a> $date }m, '50 characters: no "/"');

like($r, qr{^\Q<a href="link-dir/">link-dir/</a>\E }m, 'symlink to a directory');
like($r, qr{^\Q<a href="link-file">link-file</a>\E {41} $date {19}3\r$}m,
	'symlink to a file: the file');
like($r, qr{^\Q<a href="link-dangling">link-dangling</a>\E }m, 'dangling symlink');
like($r, qr{^\Q<a href="fifo">fifo</a>\E }m, 'fifo');

my @names = $r =~ /^<a href="([^"]*)"/mg;
is(join(' ', @names[0 .. 4]),
	join(' ', 'd' x 49 . '/', 'e' x 50 . '/', 'link-dir/', '%3C' x 60, '%3C%3E%26'),
	'sorted: directories first, then by bytes');
is($names[-1], '%D1%84%D1%84', 'sorted: bytes, not characters');

# UTF-8 names

SKIP: {
skip 'no charset module', 5 unless $charset;

$r = http_get('/utf8/');
like($r, qr{^\Q<a href="test-%D1%84%D1%84%D1%84">test-\E(\xd1\x84){3}</a> {42} $date }m,
	'UTF-8: characters counted');
like($r, qr{>test-(\xd1\x84){42}\.\.&gt;</a> $date }m, 'UTF-8: cut at 47 characters');
like($r, qr{>test-&lt;&gt;-(\xd1\x84){39}\.\.&gt;</a> $date }m, 'UTF-8: cut and escaped');
like($r, qr{>bad-\xd1x{42}\.\.&gt;</a> $date }m, 'invalid UTF-8: bytes');
like($r, qr{^Content-Type: text/html; charset=utf-8\r$}m, 'UTF-8: charset');
}

# sizes

sub size_like {
	my ($r, $name, $size, $desc) = @_;
	like($r, qr{>\Q$name\E</a> +\Q$date $size\E\r$}m, $desc);
}

$r = http_body(http_get('/sizes/'));
size_like($r, 's0', exact(0), 'exact: 0');
size_like($r, 's9999', exact(9999), 'exact: 9999');
size_like($r, 'g1.5', exact(1610612736), 'exact: 1.5G');

sub human { sprintf '%7s', $_[0] }

$r = http_body(http_get('/human/'));
size_like($r, 's0', human(0), 'rounded: 0');
size_like($r, 's9999', human(9999), 'rounded: 9999 bytes as is');
size_like($r, 's10000', human('10K'), 'rounded: 10000 is 10K');
size_like($r, 's10751', human('10K'), 'rounded: down');
size_like($r, 's10752', human('11K'), 'rounded: half up');
size_like($r, 's1048575', human('1024K'), 'rounded: 1M - 1 is 1024K');
size_like($r, 'm1', human('1M'), 'rounded: 1M');
size_like($r, 'm1.4', human('1M'), 'rounded: 1.4M');
size_like($r, 'm1.5', human('2M'), 'rounded: 1.5M');
size_like($r, 'g1', human('1G'), 'rounded: 1G');
size_like($r, 'g1.5', human('2G'), 'rounded: 1.5G');
like($r, qr{<pre><a href="\.\./">\.\./</a>\r\n<a href="g1">}, 'rounded: the parent link');

# XML

$r = http_get('/xml/plain/');
is(http_header($r, 'Content-Type'), 'text/xml; charset=utf-8', 'xml: type');
is(http_body($r),
	qq{<?xml version="1.0"?>\r\n<list>\r\n}
	. qq{<directory mtime="2001-02-03T04:05:06Z">sub</directory>\r\n}
	. qq{<file mtime="2001-02-03T04:05:06Z" size="0">B</file>\r\n}
	. qq{<file mtime="2001-02-03T04:05:06Z" size="3">a.txt</file>\r\n}
	. qq{</list>\r\n}, 'xml: the whole listing');

$r = http_body(http_get('/xml/odd/'));
like($r, qr{>&lt;&gt;&amp;</file>}, 'xml: <>& escaped');
like($r, qr{>dq&quot;uote</file>}, 'xml: double quote');
like($r, qr{>q'uote</file>}, 'xml: quote');
like($r, qr{<other mtime="[^"]+">fifo</other>}, 'xml: fifo is other');
like($r, qr{<file mtime="[^"]+" size="3">link-file</file>}, 'xml: symlink to a file');
like($r, qr{<directory mtime="[^"]+">link-dir</directory>}, 'xml: symlink to a directory');
like($r, qr{>m{51}</file>}, 'xml: long names whole');
like($r, qr{>\xd1\x84\xd1\x84</file>}, 'xml: UTF-8');
is(http_body(http_get('/xml/empty/')), qq{<?xml version="1.0"?>\r\n<list>\r\n</list>\r\n},
	'xml: empty');

# JSON

$r = http_get('/json/plain/');
is(http_header($r, 'Content-Type'), 'application/json', 'json: type');
is(http_body($r),
	qq{[\r\n}
	. qq{{ "name":"sub", "type":"directory", "mtime":"Sat, 03 Feb 2001 04:05:06 GMT" },\r\n}
	. qq{{ "name":"B", "type":"file", "mtime":"Sat, 03 Feb 2001 04:05:06 GMT", "size":0 },\r\n}
	. qq{{ "name":"a.txt", "type":"file", "mtime":"Sat, 03 Feb 2001 04:05:06 GMT", "size":3 }\r\n}
	. qq{]\r\n}, 'json: the whole listing');

$r = http_body(http_get('/json/odd/'));
like($r, qr{"name":"dq\\"uote"}, 'json: double quote');
like($r, qr{"name":"back\\\\slash"}, 'json: backslash');
like($r, qr{"name":"ctl\\u0001x"}, 'json: control character');
like($r, qr{"name":"new\\nline"}, 'json: newline');
like($r, qr{"name":"<>&"}, 'json: <>& as is');
like($r, qr!"name":"fifo", "type":"other", "mtime":"[^"]+" }!, 'json: fifo, no size');
like($r, qr{"name":"link-dangling", "type":"other"}, 'json: dangling symlink');
is(http_body(http_get('/json/empty/')), "[]\r\n", 'json: empty');

# JSONP

$r = http_get('/jsonp/plain/?callback=my_cb.x1');
is(http_header($r, 'Content-Type'), 'application/javascript', 'jsonp: type');
like(http_body($r), qr{\Amy_cb\.x1\(\[\r\n\{ "name":"sub".*\}\r\n\]\);\r\n\z}s, 'jsonp: wrapped');
is(http_body(http_get('/jsonp/empty/?a=b&callback=f')), "f([]);\r\n", 'jsonp: empty');

$r = http_get('/jsonp/empty/?callback=');
is(http_header($r, 'Content-Type'), 'application/json', 'jsonp: empty callback is json');
is(http_body(http_get('/jsonp/empty/')), "[]\r\n", 'jsonp: no callback is json');

is(http_status(http_get('/jsonp/empty/?callback=alert(1)')), 400, 'jsonp: invalid callback');
is(http_status(http_get('/jsonp/empty/?callback=a%3Cb')), 400, 'jsonp: escaped character');
is(http_status(http_get('/jsonp/empty/?callback=' . ('c' x 129))), 400, 'jsonp: too long');
is(http_status(http_get('/jsonp/empty/?callback=' . ('c' x 128))), 200, 'jsonp: 128 is fine');
like($t->read_file('error.log'), qr/\[info\].*client sent invalid callback name: "alert\(1\)"/,
	'jsonp: invalid callback logged');
like($t->read_file('error.log'), qr/client sent too long callback name: "c{129}"/,
	'jsonp: too long logged');

# a keep-alive HTTP/1.1 listing: chunked, and the header block intact

{
$r = http(<<EOF);
GET /xml/empty/ HTTP/1.1
Host: localhost

GET /xml/empty/ HTTP/1.1
Host: localhost
Connection: close

EOF
like($r, qr{charset=utf-8\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n[0-9a-f]+\r\n<\?xml},
	'keep-alive: header block ends in CRLF CRLF');
}

# configuration errors

sub conf_error {
	my ($conf, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$conf\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

conf_error("autoindex maybe;",
	qr/invalid value "maybe" in "autoindex" directive, it must be "on" or "off" in .*bad.conf:4/,
	'autoindex: bad value');
conf_error("server {\n autoindex on;\n autoindex off;\n}",
	qr/"autoindex" directive is duplicate in .*bad.conf:6/, 'autoindex: duplicate');
conf_error("autoindex_format yaml;",
	qr/invalid value "yaml" in "autoindex_format" directive in .*bad.conf:4/,
	'autoindex_format: bad value');
conf_error("autoindex_format xml json;",
	qr/invalid number of arguments in "autoindex_format" directive in .*bad.conf:4/,
	'autoindex_format: two values');
conf_error("autoindex_exact_size;",
	qr/invalid number of arguments in "autoindex_exact_size" directive in .*bad.conf:4/,
	'autoindex_exact_size: no value');
conf_error("autoindex_localtime 1;",
	qr/invalid value "1" in "autoindex_localtime" directive.* in .*bad.conf:4/,
	'autoindex_localtime: bad value');
conf_error("server {\n location / {\n if (\$arg_x) {\n autoindex on;\n }\n }\n}",
	qr/"(autoindex|if)" directive is not allowed here|unknown directive "if"/,
	'autoindex: not in "if"');

$t->write_file('bad.conf', "pid $dir/bad.pid;\nautoindex on;\nevents {}\n");
my ($code, $err) = $t->test_config('bad.conf');
ok($code == 1 && $err =~ /"autoindex" directive is not allowed here in .*bad.conf:2/,
	'autoindex: not in main') or diag($err);
