#!/usr/bin/perl

# open_file_cache: a cached descriptor keeps serving the file it opened (a file
# replaced or removed is seen only once open_file_cache_valid has passed), errors
# are cached only with open_file_cache_errors, min_uses, max (the least recently
# used entry goes), inactive; try_files and index go through the cache too; many
# requests over entries that are evicted while in use get whole bodies; the
# configuration errors.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_static http_index/)->plan(26);
my $dir = $t->testdir();

for my $d (qw/c nc err noerr min max inact tf idx/) {
	$t->write_file("html/$d/a.txt", "$d a old\n");
	$t->write_file("html/$d/b.txt", "$d b\n");
}
$t->write_file('html/big/one.bin', 'A' x 300000);
$t->write_file('html/big/two.bin', 'B' x 200000);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
events {}
http {
    access_log off;
    root $dir/html;
    open_file_cache max=100 inactive=60s;
    open_file_cache_valid 2s;

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        location /c/ { }
        location /nc/ { open_file_cache off; }
        location /err/ { open_file_cache_errors on; }
        location /noerr/ { }
        location /min/ { open_file_cache max=10; open_file_cache_min_uses 3;
                         open_file_cache_valid 60s; }
        location /max/ { open_file_cache max=1; open_file_cache_valid 60s; }
        location /inact/ { open_file_cache max=10 inactive=1s; open_file_cache_valid 60s; }
        location /tf/ { open_file_cache_errors on; try_files \$uri =404; }
        location /idx/ { open_file_cache_errors on; }
        location /big/ { open_file_cache max=1; open_file_cache_valid 60s;
                         sendfile off; output_buffers 1 4k; }
    }
}
END

$t->run();

sub body {
	my ($uri) = @_;
	my $r = http_get($uri);
	my $s = http_status($r) // 'none';
	return $s == 200 ? http_body($r) : $s;
}

# a replaced file: the new one has another inode
sub replace {
	my ($name, $content) = @_;
	$t->write_file("$name.new", $content);
	rename("$dir/$name.new", "$dir/$name") or die "rename: $!";
}

# a cached descriptor serves the file it opened until open_file_cache_valid passes

is(body('/c/a.txt'), "c a old\n", 'cached: first');
replace('html/c/a.txt', "c a new!\n");
is(body('/c/a.txt'), "c a old\n", 'cached: a replaced file is not seen while valid');
is(body('/nc/a.txt'), "nc a old\n", 'not cached: first');
replace('html/nc/a.txt', "nc a new!\n");
is(body('/nc/a.txt'), "nc a new!\n", 'open_file_cache off: a replaced file is seen at once');

unlink "$dir/html/c/b.txt" if body('/c/b.txt') eq "c b\n";
is(body('/c/b.txt'), "c b\n", 'cached: a removed file is still served while valid');

# errors are cached only with open_file_cache_errors

is(body('/err/new.txt'), 404, 'errors cached: missing');
is(body('/noerr/new.txt'), 404, 'errors not cached: missing');
$t->write_file('html/err/new.txt', "err new\n");
$t->write_file('html/noerr/new.txt', "noerr new\n");
is(body('/err/new.txt'), 404, 'open_file_cache_errors on: still missing while valid');
is(body('/noerr/new.txt'), "noerr new\n", 'open_file_cache_errors off: found at once');

# try_files and index use the cache too

is(body('/tf/new.txt'), 404, 'try_files: missing');
$t->write_file('html/tf/new.txt', "tf new\n");
is(body('/tf/new.txt'), 404, 'try_files: the cached error holds while valid');
is(body('/idx/'), 403, 'index: no index.html, no autoindex');
$t->write_file('html/idx/index.html', "idx index\n");
is(body('/idx/'), 403, 'index: the cached error holds while valid');

sleep 2.2;

is(body('/c/a.txt'), "c a new!\n", 'after open_file_cache_valid: the new file');
is(body('/c/b.txt'), 404, 'after open_file_cache_valid: the removed file is gone');
is(body('/err/new.txt'), "err new\n", 'after open_file_cache_valid: the created file');
is(body('/tf/new.txt'), "tf new\n", 'try_files: after open_file_cache_valid');
is(body('/idx/'), "idx index\n", 'index: after open_file_cache_valid');

# min_uses 3: the descriptor is kept from the third use within "inactive"

body('/min/a.txt');
replace('html/min/a.txt', "min a 2\n");
is(body('/min/a.txt'), "min a 2\n", 'min_uses: the second use opens the file again');
replace('html/min/a.txt', "min a 3\n");
is(body('/min/a.txt'), "min a 3\n", 'min_uses: the third use opens it and keeps it');
replace('html/min/a.txt', "min a 4\n");
is(body('/min/a.txt'), "min a 3\n", 'min_uses: the fourth use gets the kept descriptor');

# max=1: a second file pushes the first out

body('/max/a.txt');
replace('html/max/a.txt', "max a new\n");
is(body('/max/a.txt'), "max a old\n", 'max: cached');
body('/max/b.txt');
is(body('/max/a.txt'), "max a new\n", 'max=1: the least recently used entry went');

# inactive=1s: an entry unused that long goes

body('/inact/a.txt');
replace('html/inact/a.txt', "inact a new\n");
sleep 2.2;
is(body('/inact/a.txt'), "inact a new\n", 'inactive: an unused entry went');

# entries evicted while responses still read from them (one 4k buffer at a time,
# two clients at once): every body whole

my $bad = 0;
for (1 .. 10) {
	my $s1 = http("GET /big/one.bin HTTP/1.0\n\n", start => 1);
	my $s2 = http("GET /big/two.bin HTTP/1.0\n\n", start => 1);
	my $r1 = http_read_response($s1, 10);
	my $r2 = http_read_response($s2, 10);
	$bad++ unless (http_body($r1) // '') eq 'A' x 300000
		&& (http_body($r2) // '') eq 'B' x 200000;
}
is($bad, 0, 'descriptors evicted while in use: every body whole');

# configuration errors

my %bad = (
	'open_file_cache max=0;' => qr/invalid value "max=0" in "open_file_cache" directive/,
	'open_file_cache inactive=10s;' => qr/"open_file_cache" must have the "max" parameter/,
	'open_file_cache max=10 foo;' => qr/invalid value "foo" in "open_file_cache" directive/,
	'open_file_cache max=10; open_file_cache off;' => qr/"open_file_cache" directive is duplicate/,
	'open_file_cache_min_uses 0;' => qr/invalid value "0" in "open_file_cache_min_uses"/,
);

my $errors = 0;
for my $line (sort keys %bad) {
	$t->write_file('bad.conf', "events {}\nhttp {\n    $line\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	$errors++ unless $code != 0 && $err =~ $bad{$line} && $err =~ /bad\.conf:3/;
	diag("$line: $err") unless $code != 0 && $err =~ $bad{$line};
}
is($errors, 0, 'configuration errors name the directive, file and line');
