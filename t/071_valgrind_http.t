#!/usr/bin/perl

# HTTP requests under valgrind (memcheck): static files with the open file cache,
# ranges, conditional requests, directory listings, rewrite/return/set/if, map,
# geo, split_clients, add_header, access logs, error pages, bad requests,
# pipelining, a discarded body, a reload in the middle; no invalid reads or
# writes, no use of uninitialised memory, nothing definitely lost. Skipped
# without valgrind and for sanitizer builds.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use Lintel::Test;
use Lintel::HTTP;

my $vg = `command -v valgrind 2>/dev/null`;
chomp $vg;
plan(skip_all => 'no valgrind') unless $vg;

my $bin = Lintel::Test->binary();
plan(skip_all => 'sanitizer build') if `grep -c __asan_init $bin 2>/dev/null` > 0;

my $t = Lintel::Test->new()->has(qw/http http_static http_index http_autoindex http_rewrite
	http_map http_geo http_split_clients http_headers http_log http_range
	http_not_modified/)->plan(5);
my $dir = $t->testdir();

$t->write_file('html/index.html', "index\n");
$t->write_file('html/file.txt', join('', map { "line $_\n" } 1 .. 2000));
$t->write_file('html/dir/a.txt', "a\n");

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
events {
    worker_connections 64;
}
http {
    log_format main '\$remote_addr "\$request" \$status \$body_bytes_sent "\$http_user_agent" '
                    '\$request_time \$m \$g \$s';
    access_log $dir/logs/access.log main buffer=4k;
    open_file_cache max=10;

    map \$http_user_agent \$m { default none; ~(?<agent>[a-z]+) \$agent; }
    geo \$g { default world; 127.0.0.0/8 local; }
    split_clients "\$remote_addr" \$s { 50% one; * two; }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;
        error_page 404 /404;

        location = /404 { return 404 "not here: \$uri\\n"; }
        location /dir/ { autoindex on; autoindex_format json; }
        location /r/ { rewrite ^/r/(.*)\$ /\$1 last; }
        location /ret { set \$x "[\$arg_a]"; if (\$x = "[b]") { return 302 /file.txt; }
                        return 200 "x=\$x\\n"; }
        location /h/ { alias $dir/html/; add_header X-Test "\$g" always; expires 1h; }
    }
}
END

my $pid = fork();
die "fork: $!" unless defined $pid;

if ($pid == 0) {
	open STDERR, '>', "$dir/stderr.log";
	exec($vg, '--quiet', '--vgdb=no', '--trace-children=yes', '--error-exitcode=9',
		'--leak-check=full', '--show-leak-kinds=definite',
		"--log-file=$dir/vg.%p", $bin, '-p', "$dir/", '-c', "$dir/lintel.conf",
		'-e', "$dir/error.log") or exit 127;
}

$t->{pid} = $pid;
$t->{started} = 1;

ok($t->waitforfile("$dir/lintel.pid", $pid) || 0, 'started under valgrind');

my $up = wait_until(sub { http_get('/') =~ /^HTTP\/1.1 200/ }, 60);
ok($up, 'serving under valgrind');

my @requests = (
	"GET / HTTP/1.0\n\n",
	"GET /file.txt HTTP/1.1\nHost: a\nRange: bytes=0-10,100-200,-5\nConnection: close\n\n",
	"GET /file.txt HTTP/1.1\nHost: a\nIf-None-Match: *\nConnection: close\n\n",
	"GET /dir/ HTTP/1.0\nUser-Agent: curl\n\n",
	"GET /r/file.txt HTTP/1.0\n\n",
	"GET /ret?a=b HTTP/1.0\n\n",
	"GET /ret?a=c HTTP/1.0\n\n",
	"GET /h/index.html HTTP/1.0\n\n",
	"GET /nothing HTTP/1.0\n\n",
	"GET /%00 HTTP/1.0\n\n",
	"GET /../x HTTP/1.0\n\n",
	"BAD\n\n",
	"GET / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nContent-Length: 3\n\n",
	"POST / HTTP/1.1\nHost: a\nContent-Length: 5\n\nhelloGET /file.txt HTTP/1.1\nHost: a\n\n"
		. "GET /dir/ HTTP/1.1\nHost: a\nConnection: close\n\n",
	"POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\nConnection: close\n\n"
		. "5\r\nhello\r\n0\r\n\r\n",
);

my $answered = 0;
for my $round (1 .. 2) {
	for my $req (@requests) {
		$answered++ if http($req, timeout => 20) =~ /^HTTP\/1\.[01] \d{3}/;
	}
	if ($round == 1) {
		$t->signal('HUP');
		wait_until(sub { $t->read_file('error.log') =~ /worker process \d+ exited/ }, 60);
	}
}
is($answered, 2 * @requests, 'every request answered');

$t->stop();
sleep 1;

opendir(my $d, $dir) or die "opendir: $!";
my @logs = grep { /^vg\./ } readdir $d;
closedir $d;

cmp_ok(scalar @logs, '>=', 3, 'master and workers ran under valgrind');

my $report = join '', map { $t->read_file($_) } @logs;
is($report, '', 'valgrind reports nothing');
