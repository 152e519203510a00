#!/usr/bin/perl

# Location selection: exact, longest prefix, ^~, regexes in order (case-sensitive
# and not), nested locations, named locations, internal. Each location has its
# own root holding a file "who" naming it; try_files serves it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http/)->plan(22);
my $dir = $t->testdir();

for my $s (qw/exact_root prefix images noregex php img first second docs docs_txt
	exact2 named internal alias_pfx/)
{
	$t->write_file("$s/who", "$s\n");
}

$t->write_file('aliased/deep/file.txt', "aliased file\n");
$t->write_file('rx/one/two.txt', "regex alias\n");

sub loc {
	my ($name, $extra) = @_;
	$extra ||= '';
	return "root $dir/$name; try_files /who =404; $extra";
}

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;

        location = / { @{[loc('exact_root')]} }
        location / { @{[loc('prefix')]} }
        location /images/ { @{[loc('images')]} }
        location ^~ /static/ { @{[loc('noregex')]} }
        location ~ \\.php\$ { @{[loc('php')]} }
        location ~* \\.(gif|jpg)\$ { @{[loc('img')]} }
        location ~ ^/order/ { @{[loc('first')]} }
        location ~ ^/order/x { @{[loc('second')]} }
        location /docs/ {
            @{[loc('docs')]}
            location ~ \\.txt\$ { @{[loc('docs_txt')]} }
        }
        location = /exact { @{[loc('exact2')]} }
        location /internal/ { internal; @{[loc('internal')]} }
        location /to-named/ { root $dir/none; try_files \$uri \@named; }
        location \@named { @{[loc('named')]} }
        location /alias/ { alias $dir/aliased/; }
        location ~ ^/rxalias/(.+)/(.+)\$ { alias $dir/rx/\$1/\$2; }
    }
}
END

$t->run();

sub who {
	my ($uri) = @_;
	my $r = http_get($uri);
	my $b = http_body($r);
	return http_status($r) . ' ' . ($b // '');
}

is(who('/'), "200 exact_root\n", 'exact location for /');
is(who('/index'), "200 prefix\n", 'the / prefix');
is(who('/images/a.png'), "200 images\n", 'longest prefix');
is(who('/images/a.gif'), "200 img\n", 'a regex beats a prefix');
is(who('/static/a.gif'), "200 noregex\n", '^~ stops regex search');
is(who('/a.php'), "200 php\n", 'regex');
is(who('/a.PHP'), "200 prefix\n", '~ is case-sensitive');
is(who('/A.GIF'), "200 img\n", '~* is case-insensitive');
is(who('/order/xyz'), "200 first\n", 'the first matching regex wins');
is(who('/docs/a.txt'), "200 docs_txt\n", 'nested regex location');
is(who('/docs/a.html'), "200 docs\n", 'nested: falls back to the outer prefix');
is(who('/exact'), "200 exact2\n", 'exact match');
is(who('/exact/x'), "200 prefix\n", 'exact match does not take longer URIs');
like(who('/internal/x'), qr/^404 /, 'internal location refuses external requests');
is(who('/to-named/x'), "200 named\n", 'try_files falls back to a named location');
is(who('/alias/deep/file.txt'), "200 aliased file\n", 'alias in a prefix location');
is(who('/rxalias/one/two.txt'), "200 regex alias\n", 'alias with regex captures');

# encoded URIs are decoded before matching

is(who('/%69mages/a.png'), "200 images\n", 'the decoded URI is matched');
is(who('/docs/../images/a.png'), "200 images\n", 'dot segments are resolved first');

# configuration errors

$t->write_file('dup.conf', "pid $dir/b.pid;\nevents {}\nhttp { server {\n"
	. "location /a { }\nlocation /a { }\n} }\n");
my (undef, $err) = $t->test_config('dup.conf');
like($err, qr/duplicate location "\/a" in \Q$dir\E\/dup.conf:5/, 'duplicate location');

$t->write_file('out.conf', "pid $dir/b.pid;\nevents {}\nhttp { server {\n"
	. "location /a { location /b { } }\n} }\n");
(undef, $err) = $t->test_config('out.conf');
like($err, qr/location "\/b" is outside location "\/a" in \Q$dir\E\/out.conf:4/,
	'nested location outside its parent');

$t->write_file('named.conf', "pid $dir/b.pid;\nevents {}\nhttp { server {\n"
	. "location /a { location \@n { } }\n} }\n");
(undef, $err) = $t->test_config('named.conf');
like($err, qr/named location "\@n" can be on the server level only/,
	'nested named location');
