#!/usr/bin/perl

# Mapping URIs to files: root and alias (prefix and regex locations, captures,
# a trailing slash on one side only), types{} and default_type,
# $document_root, $request_filename and $realpath_root, try_files (files,
# directories, =code, a named location, $uri in the fallback), index (several
# files, an absolute last one, the 403 without one), log_not_found, the
# directory redirect under absolute_redirect, port_in_redirect and
# server_name_in_redirect, etag, server_tokens, internal locations,
# limit_except (by the access log its block selects), symlinks, names with
# spaces and percent signs, unreadable files, HEAD, and the configuration
# errors with their file and line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd qw(realpath);
use POSIX qw(mkfifo);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_static http_index http_rewrite http_headers http_log/)
	->plan(139);
my $dir = $t->testdir();

# "lintel/0.1.0": the Server header and the error page footer
my ($ver) = `$Lintel::Test::BINARY -v 2>&1` =~ m{version: (\S+)};
my ($name) = $ver =~ m{^([^/]+)};

$t->write_file('html/index.html', "root index\n");
$t->write_file('html/file.txt', "file\n");
$t->write_file('html/abs.html', "abs index\n");
$t->write_file('html/fallback.txt', "fallback\n");
$t->write_file('html/dir/index.html', "dir index\n");
$t->write_file('html/multi/a/second.html', "a second\n");
$t->write_file('html/multi/b/first.html', "b first\n");
$t->write_file('html/multi/b/second.html', "b second\n");
$t->write_file('html/absidx/keep', '');
$t->write_file('html/noindex/x.txt', "x\n");
$t->write_file('html/nabs/d/index.html', "d\n");
$t->write_file('html/nport/d/index.html', "d\n");
$t->write_file('html/types/a.foo', "foo\n");
$t->write_file('html/types/b.BAR', "bar\n");
$t->write_file('html/types/c.b', "b\n");
$t->write_file('html/types/d.unknown', "unknown\n");
$t->write_file('html/types/noext', "noext\n");
$t->write_file('html/types/e.txt', "txt\n");
$t->write_file('html/types/f.html', "html\n");
$t->write_file('html/types/g.gif', "gif\n");
$t->write_file('html/types/h.jpg', "jpg\n");
$t->write_file('html/tf/file.txt', "tf file\n");
$t->write_file('html/tf/sub/index.html', "tf sub index\n");
$t->write_file('html/tf5/file.txt', "tf5 file\n");
$t->write_file('html/int/page.html', "internal page\n");
$t->write_file('html/sp ace.txt', "space\n");
$t->write_file('html/pct%41.txt', "pct percent\n");
$t->write_file('html/pctA.txt', "pct A\n");
$t->write_file('html/a+b.txt', "plus\n");
$t->write_file('html/sp dir/index.html', "sp dir\n");
$t->write_file('html/q"dir/index.html', "q dir\n");
$t->write_file("html/\xc3\xa9t\xc3\xa9.txt", "utf8\n");
$t->write_file('html/secret.txt', "secret\n");
$t->write_file('html/locked/inside.txt', "inside\n");
$t->write_file('other/file.txt', "other file\n");
$t->write_file('other/one/two.txt', "other one two\n");
$t->write_file('other/sub/index.html', "other sub index\n");
$t->write_file('otherfile.txt', "otherfile\n");

symlink("$dir/html/file.txt", "$dir/html/link.txt");
symlink("$dir/html/nothing", "$dir/html/dangling.txt");
symlink("$dir/html/dir", "$dir/html/linkdir");
symlink("$dir/html", "$dir/rootlink");
symlink("$dir/html/loop1", "$dir/html/loop2");
symlink("$dir/html/loop2", "$dir/html/loop1");
mkfifo("$dir/html/fifo", 0644);
chmod 0000, "$dir/html/secret.txt";
chmod 0700, "$dir/html/locked";

my $mtime = 1700000000;     # Tue, 14 Nov 2023 22:13:20 GMT
utime $mtime, $mtime, "$dir/html/file.txt";

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    log_format files '\$status \$request_method \$request_uri';

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root $dir/html;
        access_log $dir/logs/access.log files;

        types {
            text/plain txt;
            text/html html;
        }
        default_type application/x-server-default;

        location /alias/ { alias $dir/other/; }
        location /mis/ { alias $dir/other; }
        location /noslash { alias $dir/other/; }
        location ~ ^/rx/(\\w+)/(.+)\$ {
            alias $dir/other/\$1/\$2;
            add_header X-File \$request_filename;
        }
        location ~ \\.whole\$ { alias $dir/other/file.txt; }

        location /types/ {
            types {
                text/x-foo foo;
                application/x-bar bar;
                application/x-two b c;
            }
            default_type text/x-default;
        }
        location /notypes/ {
            alias $dir/html/types/;
            types { }
            default_type application/octet-stream;
        }

        location /vars/ { return 200 "\$document_root|\$request_filename|\$realpath_root\\n"; }
        location /varsalias/ {
            alias $dir/other/;
            return 200 "\$document_root|\$request_filename\\n";
        }
        location /varslink/ {
            root $dir/rootlink;
            return 200 "\$document_root|\$realpath_root\\n";
        }

        location /tf/ { try_files \$uri \$uri/ =404; }
        location /tf2/ { try_files \$uri /fallback.txt; }
        location /tf3/ { try_files \$uri \@named; }
        location \@named { return 200 "named \$uri\\n"; }
        location /tf4/ { try_files /nonexistent /show?from=\$uri; }
        location = /show { return 200 "show \$arg_from \$uri\\n"; }
        location /tf5/ { try_files \$uri/ =410; }
        location /tfa/ { alias $dir/other/; try_files \$uri =404; }
        location /tf-int/ { try_files \$uri /int/page.html; }

        location /multi/ { index first.html second.html; }
        location /absidx/ { index none.html /abs.html; }

        location /lnf-off/ { log_not_found off; }

        location /nabs/ { absolute_redirect off; }
        location /nport/ { port_in_redirect off; }

        location /noetag/ { alias $dir/html/; etag off; }
        location /ims-exact/ { alias $dir/html/; }
        location /ims-before/ { alias $dir/html/; if_modified_since before; }
        location /ims-off/ { alias $dir/html/; if_modified_since off; }
        location /notokens/ { server_tokens off; }

        location /int/ { internal; }
        location /to-int/ { error_page 404 /int/page.html; }

        location /le/ {
            alias $dir/html/;
            limit_except GET {
                access_log $dir/logs/le.log files;
            }
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name main.test alias.test;
        root $dir/html;
        server_name_in_redirect on;
        server_tokens off;
    }
}
END

$t->run();

sub get {
	my ($uri, %opts) = @_;
	my $r = http_get($uri, %opts);
	return (http_status($r) // 'none') . ' ' . (http_body($r) // '');
}

sub redir {
	my ($text, %opts) = @_;
	my $r = http($text, %opts);
	return (http_status($r) // 'none') . ' ' . (http_header($r, 'Location') // 'none');
}

my $p0 = port(8080);
my $p1 = port(8081);
my $r;

# root and alias

is(get('/file.txt'), "200 file\n", 'root');
is(get('/alias/file.txt'), "200 other file\n", 'alias replaces the location prefix');
is(get('/alias/one/two.txt'), "200 other one two\n", 'alias, deeper');
is(get('/mis/file.txt'), "200 otherfile\n",
	'alias without the trailing slash of the location: the rest is appended as is');
is(get('/noslash/file.txt'), "200 other file\n",
	'a location without the trailing slash of its alias: a double slash is harmless');
$r = http_get('/rx/one/two.txt');
is(http_status($r) . ' ' . http_body($r), "200 other one two\n", 'alias with regex captures');
is(http_header($r, 'X-File'), "$dir/other/one/two.txt", '$request_filename of a regex alias');
is(get('/rx/one/missing'), '404 ' . page(404), 'regex alias to a missing file');
is(get('/any/thing.whole'), "200 other file\n",
	'alias in a regex location without captures names the whole file');

# types and default_type

sub ctype {
	my ($uri, %opts) = @_;
	my $r = http_get($uri, %opts);
	return (http_status($r) // 'none') . ' ' . (http_header($r, 'Content-Type') // 'none');
}

is(ctype('/types/a.foo'), '200 text/x-foo', 'types{} in a location');
is(ctype('/types/b.BAR'), '200 application/x-bar', 'the extension is matched ignoring case');
is(ctype('/types/c.b'), '200 application/x-two', 'a type with two extensions');
is(ctype('/types/d.unknown'), '200 text/x-default', 'unknown extension: default_type');
is(ctype('/types/noext'), '200 text/x-default', 'no extension: default_type');
is(ctype('/types/e.txt'), '200 text/x-default',
	'a location types{} replaces the inherited types');
is(ctype('/file.txt'), '200 text/plain', 'types{} of the server');
is(ctype('/types/../types/d.unknown'), '200 text/x-default', 'after dot segments');
is(ctype('/notypes/f.html'), '200 application/octet-stream',
	'an empty types{} sends everything as default_type');
is(ctype('/dir/'), '200 text/html', 'the type of the index file');
is(ctype('/types/noext', port => 8081), '200 text/plain', 'built-in default_type text/plain');
is(ctype('/types/f.html', port => 8081), '200 text/html', 'built-in type html');
is(ctype('/types/g.gif', port => 8081), '200 image/gif', 'built-in type gif');
is(ctype('/types/h.jpg', port => 8081), '200 image/jpeg', 'built-in type jpg');
is(ctype('/types/e.txt', port => 8081), '200 text/plain', 'txt is not built in: default_type');

# $document_root, $request_filename, $realpath_root

is(get('/vars/x/y.txt'), "200 $dir/html|$dir/html/vars/x/y.txt|" . realpath("$dir/html") . "\n",
	'$document_root, $request_filename, $realpath_root');
is(get('/varsalias/a/b'), "200 $dir/other/|$dir/other/a/b\n", 'the variables with alias');
is(get('/varslink/x'), "200 $dir/rootlink|" . realpath("$dir/html") . "\n",
	'$realpath_root resolves a symlinked root');

# try_files

is(get('/tf/file.txt'), "200 tf file\n", 'try_files: the file');
is(redir("GET /tf/sub HTTP/1.0\nHost: localhost\n\n"), "301 http://localhost:$p0/tf/sub/",
	'try_files: $uri/ matches a directory, the URI without the slash redirects');
is(get('/tf/sub/'), "200 tf sub index\n", 'try_files: a directory with the slash, index serves it');
is(get('/tf/missing'), '404 ' . page(404), 'try_files: =404');
is(get('/tf2/missing'), "200 fallback\n", 'try_files: fallback URI');
is(get('/tf3/missing'), "200 named /tf3/missing\n", 'try_files: named location keeps $uri');
is(get('/tf4/x.txt'), "200 show /tf4/x.txt /show\n", 'try_files: $uri in the fallback arguments');
is(get('/tf5/file.txt'), '410 ' . page(410), 'try_files: $uri/ is not a file; =410');
is(get('/tfa/file.txt'), "200 other file\n", 'try_files with alias');
is(get('/tfa/nope'), '404 ' . page(404), 'try_files with alias: =404');
is(get('/tf-int/x'), "200 internal page\n", 'try_files reaches an internal location');

# index

is(get('/'), "200 root index\n", 'index.html by default');
is(get('/multi/a/'), "200 a second\n", 'index: the second name when the first is missing');
is(get('/multi/b/'), "200 b first\n", 'index: the first name wins');
is(get('/absidx/'), "200 abs index\n", 'index: an absolute last name is an internal redirect');
is(get('/noindex/'), '403 ' . page(403), 'a directory without an index: 403');
like($t->read_file('error.log'), qr/directory index of "\Q$dir\E\/html\/noindex\/" is forbidden/,
	'the 403 is logged');

# log_not_found

is(get('/lnf-on-missing.txt'), '404 ' . page(404), 'missing file: 404');
ok(wait_until(sub { $t->read_file('error.log') =~ /open\(\) "\Q$dir\E\/html\/lnf-on-missing.txt" failed \(2: No such file or directory\)/ }, 3),
	'log_not_found on: the failed open() is logged');
is(get('/lnf-off/missing.txt'), '404 ' . page(404), 'log_not_found off: 404 just the same');
get('/file.txt');
unlike($t->read_file('error.log'), qr/lnf-off/, 'log_not_found off: nothing logged');

# directory redirect

is(redir("GET /dir HTTP/1.0\nHost: localhost\n\n"), "301 http://localhost:$p0/dir/",
	'a directory without the slash: 301 with an absolute URL');
is(http_body(http("GET /dir HTTP/1.0\nHost: localhost\n\n")), page(301), 'the 301 page');
is(redir("GET /dir?a=1&b=2 HTTP/1.0\nHost: localhost\n\n"), "301 http://localhost:$p0/dir/?a=1&b=2",
	'the redirect keeps the arguments');
is(redir("GET /dir HTTP/1.1\nHost: Example.ORG:1234\nConnection: close\n\n"),
	"301 http://example.org:$p0/dir/", 'host from Host, port from the connection');
is(redir("GET /dir HTTP/1.0\n\n"), "301 http://127.0.0.1:$p0/dir/",
	'no Host: the local address');
is(redir("GET /linkdir HTTP/1.0\nHost: localhost\n\n"), "301 http://localhost:$p0/linkdir/",
	'a symlink to a directory redirects too');
is(redir("GET /alias/sub HTTP/1.0\nHost: localhost\n\n"), "301 http://localhost:$p0/alias/sub/",
	'a directory under alias: the redirect names the URI');
is(redir("GET /sp%20dir HTTP/1.0\nHost: localhost\n\n"), "301 http://localhost:$p0/sp%20dir/",
	'the redirect escapes a space');
is(redir("GET /q%22dir?a=%20 HTTP/1.0\nHost: localhost\n\n"),
	"301 http://localhost:$p0/q%22dir/?a=%20", 'the redirect escapes a quote, not the arguments');
is(get('/sp%20dir/'), "200 sp dir\n", 'a directory with a space');
is(redir("GET /nabs/d HTTP/1.0\nHost: localhost\n\n"), '301 /nabs/d/', 'absolute_redirect off');
is(redir("GET /nport/d HTTP/1.0\nHost: localhost\n\n"), '301 http://localhost/nport/d/',
	'port_in_redirect off');
is(redir("GET /dir HTTP/1.0\nHost: alias.test\n\n", port => 8081), "301 http://main.test:$p1/dir/",
	'server_name_in_redirect on: the first server_name');
$r = http("HEAD /dir HTTP/1.0\nHost: localhost\n\n");
is(http_status($r) . ' ' . http_body($r), '301 ', 'HEAD of a directory: 301 without a body');

# ETag and Last-Modified

$r = http_get('/file.txt');
is(http_header($r, 'ETag'), sprintf('"%x-%x"', $mtime, 5), 'ETag is "mtime-size" in hex');
is(http_header($r, 'Last-Modified'), 'Tue, 14 Nov 2023 22:13:20 GMT', 'Last-Modified');
is(http_header($r, 'Content-Length'), 5, 'Content-Length');
$r = http_get('/noetag/file.txt');
is(http_header($r, 'ETag'), undef, 'etag off: no ETag');
is(http_header($r, 'Last-Modified'), 'Tue, 14 Nov 2023 22:13:20 GMT', 'etag off keeps Last-Modified');

# if_modified_since exact (the default), before, off

SKIP: {
	skip 'no http_not_modified', 6 unless $t->has_module('http_not_modified');

	my $lm = 'Tue, 14 Nov 2023 22:13:20 GMT';
	my $later = 'Tue, 14 Nov 2023 22:13:21 GMT';
	my $earlier = 'Tue, 14 Nov 2023 22:13:19 GMT';
	sub ims {
		my ($loc, $date) = @_;
		my $r = http("GET /$loc/file.txt HTTP/1.0\nHost: localhost\nIf-Modified-Since: $date\n\n");
		return (http_status($r) // 'none') . ' ' . (http_body($r) // '');
	}
	is(ims('ims-exact', $lm), '304 ', 'if_modified_since exact: the same date: 304');
	is(ims('ims-exact', $later), "200 file\n", 'if_modified_since exact: a later date: 200');
	is(ims('ims-before', $later), '304 ', 'if_modified_since before: a later date: 304');
	is(ims('ims-before', $earlier), "200 file\n", 'if_modified_since before: an earlier date: 200');
	is(ims('ims-off', $lm), "200 file\n", 'if_modified_since off: 200');
	my $r = http("HEAD /ims-exact/file.txt HTTP/1.0\nHost: localhost\nIf-Modified-Since: $lm\n\n");
	is(http_status($r) . ' ' . (http_header($r, 'Content-Length') // 'none'), '304 none',
		'a 304 to HEAD has no Content-Length');
}

# server_tokens

$r = http_get('/file.txt');
is(http_header($r, 'Server'), $ver, 'server_tokens on: name and version');
is(http_body(http_get('/missing')), page(404), 'server_tokens on: the version in the footer');
$r = http_get('/notokens/missing');
is(http_header($r, 'Server'), $name, 'server_tokens off in a location: the name only');
is(http_body($r), page(404, 'off'), 'server_tokens off: the name only in the footer');
$r = http_get('/file.txt', port => 8081);
is(http_header($r, 'Server'), $name, 'server_tokens off in a server');

# internal

is(get('/int/page.html'), '404 ' . page(404), 'an internal location: 404 from outside');
is(get('/to-int/missing'), "404 internal page\n", 'an internal location through error_page');

# limit_except: the block's access_log takes the other methods

is(get('/le/file.txt'), "200 file\n", 'limit_except GET: GET');
$r = http("HEAD /le/file.txt HTTP/1.0\nHost: localhost\n\n");
is(http_status($r), 200, 'limit_except GET: HEAD');
$r = http("POST /le/file.txt HTTP/1.0\nHost: localhost\nContent-Length: 0\n\n");
is(http_status($r), 405, 'limit_except GET: POST to a file is still 405');
$r = http("DELETE /le/file.txt HTTP/1.0\nHost: localhost\n\n");
is(http_status($r), 405, 'limit_except GET: DELETE');

ok(wait_until(sub { $t->read_file('logs/le.log') =~ /DELETE/ }, 3), 'the block log is written');
is($t->read_file('logs/le.log'), "405 POST /le/file.txt\n405 DELETE /le/file.txt\n",
	'limit_except: other methods use the block configuration');
my @main = grep { m{/le/} } split /\n/, $t->read_file('logs/access.log');
is_deeply(\@main, ['200 GET /le/file.txt', '200 HEAD /le/file.txt'],
	'limit_except GET: GET and HEAD use the location configuration');

# symlinks

is(get('/link.txt'), "200 file\n", 'a symlink to a file');
is(get('/dangling.txt'), '404 ' . page(404), 'a dangling symlink: 404');
is(get('/linkdir/'), "200 dir index\n", 'a symlink to a directory');

# names with spaces and percent signs

is(get('/sp%20ace.txt'), "200 space\n", 'an encoded space');
is(get('/pct%2541.txt'), "200 pct percent\n", 'an encoded percent sign');
is(get('/pct%41.txt'), "200 pct A\n", 'an encoded letter');
is(get('/a+b.txt'), "200 plus\n", 'a plus is not a space');
is(get('/%C3%A9t%C3%A9.txt'), "200 utf8\n", 'encoded UTF-8');
is(get('/%66ile.txt'), "200 file\n", 'an encoded plain name');
is(get('/file.txt%00'), '400 ' . page(400), 'an encoded NUL: 400');
is(get('/dir%2Findex.html'), "200 dir index\n", 'an encoded slash is a slash');
is(get('/dir/%2e%2e/file.txt'), "200 file\n", 'encoded dot segments are resolved');
is(get('/.%2e/file.txt'), '400 ' . page(400), 'encoded dot segments above the root: 400');

# odd files

is(get('/file.txt/x'), '404 ' . page(404), 'a file used as a directory: 404');
is(get('/' . ('n' x 300)), '404 ' . page(404), 'a name over NAME_MAX: 404');
is(get('/loop1'), '403 ' . page(403), 'a symlink loop: 403');
$t->allow_alerts(qr/\[crit\] .*"\Q$dir\E\/html\/fifo" is not a regular file/);
is(get('/fifo'), '404 ' . page(404), 'a FIFO: 404');
ok(wait_until(sub { $t->read_file('error.log') =~ /\[crit\] .*"\Q$dir\E\/html\/fifo" is not a regular file/ }, 3),
	'a FIFO is logged at crit');

# unreadable files (the worker must not run as root)

SKIP: {
	my ($w) = $t->workers();
	my $uid = -1;
	if ($w && open my $fh, '<', "/proc/$w/status") {
		local $/;
		($uid) = <$fh> =~ /^Uid:\s+(\d+)/m;
	}
	skip 'the worker runs as root', 4 if $uid == 0;

	is(get('/secret.txt'), '403 ' . page(403), 'an unreadable file: 403');
	ok(wait_until(sub { $t->read_file('error.log') =~ /open\(\) "\Q$dir\E\/html\/secret.txt" failed \(13: Permission denied\)/ }, 3),
		'the 403 is logged with EACCES');
	is(get('/locked/inside.txt'), '403 ' . page(403), 'a file in an unsearchable directory: 403');
	is(get('/locked'), '403 ' . page(403), 'an unsearchable directory itself');
}

# HEAD: the headers of GET, no body

my $s = http_connect();
http_send($s, "HEAD /file.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
	. "GET /dir/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
$r = http_read_response($s, 5);
my $i = index($r, 'HTTP/1.1 ', 1);
my ($head, $rest) = $i > 0 ? (substr($r, 0, $i), substr($r, $i)) : ($r, '');
is(http_status($head), 200, 'HEAD: 200');
is(http_header($head, 'Content-Length'), 5, 'HEAD: Content-Length of the file');
is(http_header($head, 'Content-Type'), 'text/plain', 'HEAD: Content-Type');
is(http_header($head, 'ETag'), sprintf('"%x-%x"', $mtime, 5), 'HEAD: ETag');
like($head, qr/\r\n\r\n\z/, 'HEAD: no body before the next response');
is(http_body($rest // ''), "dir index\n", 'the next response on the connection follows');

# configuration errors: each with its file and line

sub conf_error {
	my ($name, $body, $re, $line) = @_;
	$t->write_file("$name.conf", "pid $dir/b.pid;\nevents {}\nhttp {\nserver {\n$body\n}\n}\n");
	my ($code, $err) = $t->test_config("$name.conf");
	ok($code != 0 && $err =~ /\[emerg\] $re in \Q$dir\/$name.conf:$line\E$/m, "error: $name")
		or diag("exit $code: $err");
}

my ($code, $err);
conf_error('root-alias', "location /a/ {\nroot /x;\nalias /y/;\n}",
	qr/"alias" directive is duplicate, "root" directive was specified earlier/, 7);
conf_error('alias-root', "location /a/ {\nalias /y/;\nroot /x;\n}",
	qr/"root" directive is duplicate, "alias" directive was specified earlier/, 7);
conf_error('root-dup', "root /x;\nroot /y;", qr/"root" directive is duplicate/, 6);
conf_error('alias-server', "alias /x/;", qr/"alias" directive is not allowed here/, 5);
conf_error('alias-named', "location \@n {\nalias /x/;\n}",
	qr/the "alias" directive cannot be used inside the named location/, 6);
conf_error('root-args', "root /a /b;", qr/invalid number of arguments in "root" directive/, 5);
conf_error('default-type-args', "default_type a b;",
	qr/invalid number of arguments in "default_type" directive/, 5);
conf_error('try-files-args', "location / {\ntry_files \$uri;\n}",
	qr/invalid number of arguments in "try_files" directive/, 6);
conf_error('try-files-dup', "location / {\ntry_files \$uri =404;\ntry_files \$uri =404;\n}",
	qr/"try_files" directive is duplicate/, 7);
conf_error('index-empty', "index \"\";", qr/index "" in "index" directive is invalid/, 5);
conf_error('etag-value', "etag maybe;",
	qr/invalid value "maybe" in "etag" directive, it must be "on" or "off"/, 5);
conf_error('absolute-redirect-value', "absolute_redirect yes;",
	qr/invalid value "yes" in "absolute_redirect" directive, it must be "on" or "off"/, 5);
conf_error("server-tokens-value", "server_tokens maybe;",
	qr/invalid value "maybe"(?: in "server_tokens" directive)?/, 5);
conf_error('internal-server', "internal;", qr/"internal" directive is not allowed here/, 5);
conf_error('internal-args', "location /a/ {\ninternal yes;\n}",
	qr/invalid number of arguments in "internal" directive/, 6);
conf_error('limit-except-method', "location /a/ {\nlimit_except FOO { }\n}",
	qr/invalid method "FOO"/, 6);
conf_error('limit-except-dup', "location /a/ {\nlimit_except GET { }\nlimit_except POST { }\n}",
	qr/"limit_except" directive is duplicate/, 7);
conf_error('limit-except-root', "location /a/ {\nlimit_except GET {\nroot /x;\n}\n}",
	qr/"root" directive is not allowed here/, 7);
conf_error('line-after-types', "types {\ntext/plain txt;\ntext/html txt;\n}\nlocation / { }\nroot;",
	qr/invalid number of arguments in "root" directive/, 10);
conf_error('limit-except-server', "limit_except GET { }",
	qr/"limit_except" directive is not allowed here/, 5);

$t->write_file('types-empty.conf', "pid $dir/b.pid;\nevents {}\nhttp {\nserver {\n"
	. "types {\ntext/plain;\ntext/html html;\n}\n}\n}\n");
($code, $err) = $t->test_config('types-empty.conf');
is($code, 0, 'a type without extensions is accepted, as nginx does') or diag($err);

$t->write_file('types-dup.conf', "pid $dir/b.pid;\nevents {}\nhttp {\nserver {\n"
	. "types {\ntext/plain txt;\ntext/html txt;\n}\n}\n}\n");
($code, $err) = $t->test_config('types-dup.conf');
ok($code == 0 && $err =~ /\[warn\] duplicate extension "txt", content type: "text\/html", previous content type: "text\/plain" in \Q$dir\E\/types-dup.conf:7$/m,
	'warning: a duplicate extension') or diag("exit $code: $err");

$t->write_file('index-abs.conf', "pid $dir/b.pid;\nevents {}\nhttp {\nserver {\n"
	. "index a.html /b.html c.html;\n}\n}\n");
($code, $err) = $t->test_config('index-abs.conf');
ok($code == 0 && $err =~ /\[warn\] only the last index in "index" directive should be absolute in \Q$dir\E\/index-abs.conf:5$/m,
	'warning: an absolute index that is not the last') or diag("exit $code: $err");

$t->write_file('lnf-main.conf', "pid $dir/b.pid;\nlog_not_found on;\nevents {}\nhttp {\n}\n");
($code, $err) = $t->test_config('lnf-main.conf');
like($err, qr/"log_not_found" directive is not allowed here in \Q$dir\E\/lnf-main.conf:2$/m,
	'error: log_not_found in the main context');

###############################################################################

# page(CODE, TOKENS): the built-in error page
sub page {
	my ($code, $tokens) = @_;
	my %text = (301 => 'Moved Permanently', 400 => 'Bad Request', 403 => 'Forbidden',
		404 => 'Not Found', 410 => 'Gone');
	my $footer = ($tokens // 'on') eq 'off' ? $name : $ver;
	return "<html>\r\n<head><title>$code $text{$code}</title></head>\r\n<body>\r\n"
		. "<center><h1>$code $text{$code}</h1></center>\r\n"
		. "<hr><center>$footer</center>\r\n</body>\r\n</html>\r\n";
}
