#!/usr/bin/perl

# Precompressed files: gzip_static, brotli_static, zstd_static (on, off, always).
# FILE.gz / .br / .zst for a client that accepts the coding, with the original's type
# and the precompressed file's length, Last-Modified and ETag; the bodies decoded with
# gzip -d, brotli -d and zstd -d against the originals; the choice among several files
# by q-values and compression_order; Vary; HEAD; 304 and ranges against the .gz;
# missing files; a .gz without its original; index, alias and try_files; the shared
# request checks (gzip_http_version, gzip_disable, gzip_proxied); the open file cache;
# the configuration errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(strftime);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_gzip_static/)->plan(61);
my $dir = $t->testdir();
my $html = "$dir/html";

my %have = map { $_ => (system("$_ -h >/dev/null 2>&1") == 0
	|| system("$_ --version >/dev/null 2>&1") == 0) } qw/gzip brotli zstd/;

$t->write_file_expand('lintel.conf', <<'END');
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    types {
        text/html   html;
        text/plain  txt;
        text/css    css;
    }
    default_type application/octet-stream;
    gzip_http_version 1.0;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root %%TESTDIR%%/html;

        location / {
            gzip_static on;
        }
        location /vary/ {
            gzip_static on;
            gzip_vary on;
        }
        location /v11/ {
            gzip_static on;
            gzip_http_version 1.1;
        }
        location /always/ {
            gzip_static always;
        }
        location /off/ {
            gzip_static off;
        }
        location /al/ {
            alias %%TESTDIR%%/html/;
            gzip_static on;
        }
        location /tf/ {
            gzip_static on;
            try_files /t.html =404;
        }
        location /multi/ {
            gzip_static on;
            brotli_static on;
            zstd_static on;
            gzip_vary on;
        }
        location /order/ {
            alias %%TESTDIR%%/html/multi/;
            gzip_static on;
            brotli_static on;
            zstd_static on;
            compression_order gzip zstd br;
        }
        location /bralways/ {
            alias %%TESTDIR%%/html/multi/;
            gzip_static on;
            brotli_static always;
        }
        location /disable/ {
            alias %%TESTDIR%%/html/;
            gzip_static on;
            gzip_disable "Foo";
        }
        location /proxied/ {
            alias %%TESTDIR%%/html/;
            gzip_static on;
            gzip_proxied any;
        }
        location /cache/ {
            gzip_static on;
            open_file_cache max=16 inactive=60s;
            open_file_cache_valid 60s;
        }
    }
}
END

# compressible text, different for each file
sub text {
	my ($tag, $n) = @_;
	return join('', map { "$tag line $_: the quick brown fox jumps over the lazy dog\n" }
		1 .. $n);
}

sub compress {
	my ($file, $cmd, $ext) = @_;
	system("$cmd < '$file' > '$file$ext'") == 0 or die "$cmd $file: $?\n";
}

my %orig;
for my $f (qw{t.html only.txt nogz.html dir/index.html style.css cache/c.html
	multi/m.html multi/gz-zst.html})
{
	$orig{$f} = text($f, 200);
	$t->write_file("html/$f", $orig{$f});
}

for my $f (qw{t.html only.txt dir/index.html style.css cache/c.html multi/m.html
	multi/gz-zst.html})
{
	compress("$html/$f", 'gzip -9 -n -c', '.gz');
}

compress("$html/multi/m.html", 'brotli -c', '.br') if $have{brotli};
compress("$html/multi/m.html", 'zstd -q -c', '.zst');
compress("$html/multi/gz-zst.html", 'zstd -q -c', '.zst');

# a .gz whose original does not exist
$orig{'gzonly.txt'} = text('gzonly', 50);
$t->write_file('gzonly.src', $orig{'gzonly.txt'});
system("gzip -n -c < '$dir/gzonly.src' > '$html/gzonly.txt.gz'") == 0 or die;

# the same files in the directories of other locations
for my $d (qw/vary v11 off/) {
	$t->write_file("html/$d/t.html", $orig{'t.html'});
	$t->write_file("html/$d/t.html.gz", $t->read_file('html/t.html.gz'));
}
$t->write_file('html/vary/nogz.html', $orig{'nogz.html'});
$t->write_file('html/always/a.txt', 'x');
$t->write_file('html/always/a.txt.gz', $t->read_file('html/t.html.gz'));

# the .gz is newer than the original: its dates are the ones sent
my $t0 = time() - 86400;
utime($t0, $t0, "$html/t.html");
utime($t0 + 3600, $t0 + 3600, "$html/t.html.gz");

$t->run();

sub req {
	my ($uri, %h) = @_;
	my $method = delete $h{method} || 'GET';
	my $version = delete $h{version} || '1.1';
	my $hdrs = join('', map { "$_: $h{$_}\n" } sort keys %h);
	return http("$method $uri HTTP/$version\nHost: localhost\nConnection: close\n$hdrs\n");
}

sub decode {
	my ($body, $enc) = @_;
	my $cmd = { gzip => 'gzip -dc', br => 'brotli -dc', zstd => 'zstd -q -dc' }->{$enc};
	$t->write_file('decode.in', $body);
	my $out = `$cmd < '$dir/decode.in' 2>/dev/null`;
	return $? == 0 ? $out : "(bad $enc data)";
}

sub size { -s "$html/$_[0]" }

sub http_date { strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime($_[0])) }

my $r;

# gzip for a client that takes it

$r = req('/t.html', 'Accept-Encoding' => 'gzip, deflate');
is(http_status($r), 200, 'gzip: 200');
is(http_header($r, 'Content-Encoding'), 'gzip', 'gzip: Content-Encoding');
is(http_header($r, 'Content-Type'), 'text/html', 'gzip: the original\'s type');
is(http_header($r, 'Content-Length'), size('t.html.gz'), 'gzip: the .gz\'s length');
is(http_header($r, 'Last-Modified'), http_date($t0 + 3600), 'gzip: the .gz\'s date');
is(http_header($r, 'ETag'), sprintf('"%x-%x"', $t0 + 3600, size('t.html.gz')),
	'gzip: the .gz\'s ETag');
ok(decode(http_body($r), 'gzip') eq $orig{'t.html'}, 'gzip: decodes to the original');
ok(!defined http_header($r, 'Vary'), 'gzip: no Vary without gzip_vary');

# the original otherwise

$r = req('/t.html');
ok(!defined http_header($r, 'Content-Encoding') && http_body($r) eq $orig{'t.html'},
	'no Accept-Encoding: the original');
is(http_header($r, 'Last-Modified'), http_date($t0), 'no Accept-Encoding: its date');

$r = req('/t.html', 'Accept-Encoding' => 'gzip;q=0, deflate');
ok(!defined http_header($r, 'Content-Encoding') && http_body($r) eq $orig{'t.html'},
	'gzip;q=0: the original');

$r = req('/t.html', 'Accept-Encoding' => 'deflate, br');
ok(!defined http_header($r, 'Content-Encoding'), 'gzip not listed: the original');

$r = req('/t.html', 'Accept-Encoding' => '*');
is(http_header($r, 'Content-Encoding'), 'gzip', '"*": gzip');

$r = req('/off/t.html', 'Accept-Encoding' => 'gzip');
ok(!defined http_header($r, 'Content-Encoding'), 'gzip_static off');

# HEAD, 304, ranges

$r = req('/t.html', method => 'HEAD', 'Accept-Encoding' => 'gzip');
ok(http_status($r) == 200 && http_header($r, 'Content-Encoding') eq 'gzip'
	&& http_header($r, 'Content-Length') == size('t.html.gz') && http_body($r) eq '',
	'HEAD: the .gz\'s headers, no body');

$r = req('/t.html', 'Accept-Encoding' => 'gzip',
	'If-Modified-Since' => http_date($t0 + 3600));
is(http_status($r), 304, 'If-Modified-Since the .gz\'s date: 304');

$r = req('/t.html', 'Accept-Encoding' => 'gzip', 'If-Modified-Since' => http_date($t0));
is(http_status($r), 200, 'If-Modified-Since the original\'s date: 200 for the .gz');

$r = req('/t.html', 'Accept-Encoding' => 'gzip',
	'If-None-Match' => sprintf('"%x-%x"', $t0 + 3600, size('t.html.gz')));
is(http_status($r), 304, 'If-None-Match the .gz\'s ETag: 304');

SKIP: {
	skip 'no range module', 2 unless $t->has_module('http_range');
	$r = req('/t.html', 'Accept-Encoding' => 'gzip', Range => 'bytes=0-9');
	is(http_status($r), 206, 'range of the .gz: 206');
	my $gz = $t->read_file('html/t.html.gz');
	ok(http_body($r) eq substr($gz, 0, 10), 'range of the .gz: its first bytes');
}

# missing .gz, .gz without original, Vary

$r = req('/nogz.html', 'Accept-Encoding' => 'gzip');
ok(!defined http_header($r, 'Content-Encoding') && http_body($r) eq $orig{'nogz.html'},
	'no .gz: the original');

$r = req('/gzonly.txt', 'Accept-Encoding' => 'gzip');
ok(http_status($r) == 200 && decode(http_body($r), 'gzip') eq $orig{'gzonly.txt'},
	'.gz without original: sent');
is(http_header($r, 'Content-Type'), 'text/plain', '.gz without original: type');
is(http_status(req('/gzonly.txt')), 404, '.gz without original: 404 without gzip');

$r = req('/vary/t.html', 'Accept-Encoding' => 'gzip');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'gzip_vary: Vary with gzip');
$r = req('/vary/t.html');
ok(http_body($r) eq $orig{'t.html'}, 'gzip_vary: the original');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'gzip_vary: Vary without gzip too');
$r = req('/vary/t.html', method => 'HEAD');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'gzip_vary: Vary on HEAD');
$r = req('/vary/nogz.html', 'Accept-Encoding' => 'gzip');
ok(http_status($r) == 200 && !defined http_header($r, 'Vary'), 'gzip_vary: no .gz, no Vary');

# the request checks shared with the gzip filter

$r = req('/v11/t.html', version => '1.0', 'Accept-Encoding' => 'gzip');
ok(!defined http_header($r, 'Content-Encoding'), 'gzip_http_version 1.1: not for 1.0');
$r = req('/v11/t.html', 'Accept-Encoding' => 'gzip');
is(http_header($r, 'Content-Encoding'), 'gzip', 'gzip_http_version 1.1: for 1.1');

$r = req('/disable/t.html', 'Accept-Encoding' => 'gzip', 'User-Agent' => 'Foo/1');
ok(!defined http_header($r, 'Content-Encoding'), 'gzip_disable: the original');
$r = req('/disable/t.html', 'Accept-Encoding' => 'gzip', 'User-Agent' => 'Bar/1');
is(http_header($r, 'Content-Encoding'), 'gzip', 'gzip_disable: others get gzip');

$r = req('/t.html', 'Accept-Encoding' => 'gzip', Via => '1.1 proxy');
ok(!defined http_header($r, 'Content-Encoding'), 'gzip_proxied off: not through a proxy');
$r = req('/proxied/t.html', 'Accept-Encoding' => 'gzip', Via => '1.1 proxy');
is(http_header($r, 'Content-Encoding'), 'gzip', 'gzip_proxied any: through a proxy');

# always

$r = req('/always/a.txt');
ok(http_header($r, 'Content-Encoding') eq 'gzip'
	&& decode(http_body($r), 'gzip') eq $orig{'t.html'}, 'always: gzip without asking');
$r = req('/always/a.txt', version => '1.0', 'Accept-Encoding' => 'gzip;q=0');
is(http_header($r, 'Content-Encoding'), 'gzip', 'always: even for gzip;q=0, HTTP/1.0');
ok(!defined http_header($r, 'Vary'), 'always: no Vary');

# index, alias, try_files

$r = req('/dir/', 'Accept-Encoding' => 'gzip');
ok(http_header($r, 'Content-Encoding') eq 'gzip'
	&& decode(http_body($r), 'gzip') eq $orig{'dir/index.html'}, 'index: its .gz');
is(http_header($r, 'Content-Type'), 'text/html', 'index: type');
is(http_status(req('/dir', 'Accept-Encoding' => 'gzip')), 301, 'directory: redirect');

$r = req('/al/style.css', 'Accept-Encoding' => 'gzip');
ok(http_header($r, 'Content-Encoding') eq 'gzip'
	&& http_header($r, 'Content-Type') eq 'text/css'
	&& decode(http_body($r), 'gzip') eq $orig{'style.css'}, 'alias: the .gz');

$r = req('/tf/anything', 'Accept-Encoding' => 'gzip');
ok(http_header($r, 'Content-Encoding') eq 'gzip'
	&& decode(http_body($r), 'gzip') eq $orig{'t.html'}, 'try_files: the found file\'s .gz');

# several codings

SKIP: {
	skip 'no brotli command', 4 unless $have{brotli};

	$r = req('/multi/m.html', 'Accept-Encoding' => 'gzip, br, zstd');
	ok(http_header($r, 'Content-Encoding') eq 'br'
		&& http_header($r, 'Content-Length') == size('multi/m.html.br')
		&& decode(http_body($r), 'br') eq $orig{'multi/m.html'}, 'br first by default');

	$r = req('/multi/m.html', 'Accept-Encoding' => 'br;q=0.5, gzip;q=0.9, zstd;q=0.8');
	ok(http_header($r, 'Content-Encoding') eq 'gzip'
		&& decode(http_body($r), 'gzip') eq $orig{'multi/m.html'}, 'q-values: gzip');

	$r = req('/bralways/m.html');
	ok(http_header($r, 'Content-Encoding') eq 'br'
		&& decode(http_body($r), 'br') eq $orig{'multi/m.html'}, 'brotli_static always');

	$r = req('/bralways/m.html', 'Accept-Encoding' => 'gzip');
	is(http_header($r, 'Content-Encoding'), 'gzip', 'brotli_static always: gzip if asked');
}

$r = req('/multi/m.html', 'Accept-Encoding' => 'zstd');
ok(http_header($r, 'Content-Encoding') eq 'zstd'
	&& http_header($r, 'Content-Length') == size('multi/m.html.zst')
	&& decode(http_body($r), 'zstd') eq $orig{'multi/m.html'}, 'zstd');
is(http_header($r, 'Vary'), 'Accept-Encoding', 'several: one Vary');
is(scalar(() = http_headers($r) =~ /^Vary:/mgi), 1, 'several: only one Vary line');

$r = req('/multi/m.html', 'Accept-Encoding' => 'gzip;q=0.5, zstd;q=0.5');
is(http_header($r, 'Content-Encoding'), 'zstd', 'equal q: zstd before gzip');

$r = req('/order/m.html', 'Accept-Encoding' => 'br, zstd, gzip');
is(http_header($r, 'Content-Encoding'), 'gzip', 'compression_order gzip zstd br');

$r = req('/order/m.html', 'Accept-Encoding' => 'br, zstd');
is(http_header($r, 'Content-Encoding'), 'zstd', 'compression_order: the next one');

$r = req('/multi/gz-zst.html', 'Accept-Encoding' => 'br, gzip');
ok(http_header($r, 'Content-Encoding') eq 'gzip'
	&& decode(http_body($r), 'gzip') eq $orig{'multi/gz-zst.html'}, 'no .br: gzip');

$r = req('/multi/m.html', 'Accept-Encoding' => 'identity');
ok(!defined http_header($r, 'Content-Encoding') && http_body($r) eq $orig{'multi/m.html'},
	'identity only: the original');

# the open file cache keeps the .gz it opened

$r = req('/cache/c.html', 'Accept-Encoding' => 'gzip');
is(http_header($r, 'Content-Encoding'), 'gzip', 'open_file_cache: gzip');
unlink("$html/cache/c.html.gz");
$r = req('/cache/c.html', 'Accept-Encoding' => 'gzip');
ok(http_header($r, 'Content-Encoding') eq 'gzip'
	&& decode(http_body($r), 'gzip') eq $orig{'cache/c.html'},
	'open_file_cache: the cached .gz after unlink');

# configuration errors

sub conf_error {
	my ($conf, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$conf\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

conf_error("gzip_static yes;",
	qr/invalid value "yes" in "gzip_static" directive in .*bad.conf:4/,
	'gzip_static: bad value');
conf_error("server {\n brotli_static on;\n brotli_static off;\n}",
	qr/"brotli_static" directive is duplicate in .*bad.conf:6/,
	'brotli_static: duplicate');
conf_error("zstd_static on off;",
	qr/invalid number of arguments in "zstd_static" directive in .*bad.conf:4/,
	'zstd_static: two arguments');
$t->write_file('bad.conf', "pid $dir/bad.pid;\ngzip_static on;\nevents {}\n");
my ($code, $err) = $t->test_config('bad.conf');
ok($code == 1 && $err =~ /"gzip_static" directive is not allowed here in .*bad.conf:2/,
	'gzip_static: not in main') or diag($err);
