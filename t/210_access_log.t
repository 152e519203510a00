#!/usr/bin/perl

# The access log (http_log): log_format and its escaping modes, the values known
# at the end of a request ($status, $bytes_sent, $request_time, ...), several
# logs, inheritance (a level with access_log replaces the inherited list), off,
# if=, buffer= (written when full, on USR1 before the reopen, when the worker
# exits) and flush=, paths with variables and open_log_file_cache, write errors,
# gzip, the default log, and configuration errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use IO::Socket::INET;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_log/)->plan(66);
my $dir = $t->testdir();

$t->write_file('html/index.html', "index\n");
$t->write_file('html/own/file.txt', 'x' x 1000);
$t->write_file('html/vars/file.txt', 'x' x 1000);
$t->write_file('html/vars/index.html', "index\n");
$t->write_file('html/if/one', "1");
$t->write_file('html/if/yes', "1");

# paths with variables are opened by the workers (an unprivileged user under root)
for my $d ("$dir/vl", "$dir/cdir") {
	mkdir $d;
	chmod 0777, $d;
}

# the write error test needs a device that always fails with ENOSPC
my $full = -w '/dev/full' ? '/dev/full' : "$dir/no-such-dir/full.log";

$t->allow_alerts(qr/write\(\) to "\Q$full\E" failed/);
$t->allow_alerts(qr/\[crit\].*open\(\) "\Q$dir\E\/cdir\/c_b\.log" failed/);

my $conf = <<"END";
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    log_format test '\$uri:\$status';
    log_format vars '\$uri \$status \$body_bytes_sent \$bytes_sent \$request_length '
                    '\$request_time \$msec [\$time_local] \$time_iso8601 '
                    '\$connection_requests \$pipe';
    log_format split 'a' "b\${uri}c" '-\$status';
    log_format def escape=default '\$uri|\$arg_a|\$arg_b|\$http_x_v';
    log_format json escape=json '{"u":"\$uri","a":"\$arg_a","b":"\$arg_b","h":"\$http_x_v"}';
    log_format none escape=none '\$uri|\$arg_a|\$arg_b|\$http_x_v';

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;

        access_log $dir/srv.log test;

        location /inherit/ { }

        location /own/ {
            access_log $dir/own.log test;
        }

        location /off/ {
            access_log off;
        }

        location /multi/ {
            access_log $dir/m1.log test;
            access_log $dir/m2.log split;
        }

        location /nested/ {
            access_log $dir/nested.log test;

            location /nested/inner/ { }
        }

        location /vars/ {
            access_log $dir/vars.log vars;
        }

        location /esc/ {
            access_log $dir/def.log def;
            access_log $dir/json.log json;
            access_log $dir/none.log none;
        }

        location /if/ {
            access_log $dir/if.log test if=\$arg_log;
        }

        location /buf/ {
            access_log $dir/buf.log test buffer=4k;
        }

        location /flush/ {
            access_log $dir/flush.log test buffer=4k flush=1s;
        }

        location /big/ {
            access_log $dir/big.log test buffer=64;
        }

        location /var/ {
            access_log $dir/vl/var_\$arg_n.log test;
        }

        location /dotdot/ {
            access_log $dir/vl/../vl/dd_\$arg_n.log test;
        }

        location /noroot/ {
            root $dir/missing;
            access_log $dir/vl/noroot_\$arg_n.log test;
        }

        location /cache/ {
            open_log_file_cache max=2 inactive=1m;
            access_log $dir/cdir/c_\$arg_n.log test;
        }

        location /full/ {
            access_log $full test;
        }

        %%GZIP%%
        %%REWRITE%%
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        root $dir/html;
    }
}
END

# with the rewrite module: "if" in location, and logging in the final location
my $rewrite = $t->has_module('http_rewrite');
my $rewrite_conf = <<"END";
location /redir/ {
            access_log $dir/redir.log test;
            rewrite ^ /final/x last;
        }

        location /final/ {
            access_log $dir/final.log test;
            if (\$arg_i) {
                access_log $dir/iflog.log test;
            }
        }
END
$conf =~ s/%%REWRITE%%/$rewrite ? $rewrite_conf : ''/e;

(my $first = $conf) =~ s/%%GZIP%%//;
$t->write_file_expand('lintel.conf', $first);
$t->run();

sub log_of {
	my ($name) = @_;
	return $t->read_file($name);
}

# formats and the request-end values

my $r = http_get('/own/file.txt');
is(log_of('own.log'), "/own/file.txt:200\n", 'a format with variables');

http_get('/multi/none');
is(log_of('m1.log'), "/multi/none:404\n", 'several logs on one level: the first');
is(log_of('m2.log'), "ab/multi/nonec-404\n", 'the second; a format of several strings');

my $req = "GET /vars/file.txt HTTP/1.0\r\nHost: localhost\r\n\r\n";
$r = http($req);
like(log_of('vars.log'),
	qr{^/vars/file\.txt 200 1000 (\d+) (\d+) \d+\.\d{3} \d+\.\d{3} }, 'values');
my ($bytes, $reqlen) = log_of('vars.log') =~ /^\S+ 200 1000 (\d+) (\d+)/;
is($bytes, length($r), '$bytes_sent is the whole response');
is($reqlen, length($req), '$request_length is the whole request');
like(log_of('vars.log'),
	qr{ \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] }, '$time_local');
like(log_of('vars.log'), qr{ \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d 1 \.\n\z},
	'$time_iso8601, $connection_requests, $pipe');

# pipelined and keep-alive requests on one connection

my $s = http(<<END, start => 1);
GET /vars/index.html HTTP/1.1
Host: localhost

GET /vars/index.html HTTP/1.1
Host: localhost
Connection: close

END
http_read_response($s, 5);
close $s;

my @lines = split /\n/, log_of('vars.log');
like($lines[1] // '', qr/ 1 \.$/, 'first of a pipeline: "."');
like($lines[2] // '', qr/ 2 p$/, 'pipelined: "p", second request of the connection');

# escaping: default \xXX for " \ and bytes outside 0x20..0x7e; json; none

http("GET /esc/%221%20%1B%7F?a=%22x&b HTTP/1.0\nHost: localhost\nX-V: q\"\\\x01\xc3\xa9\n\n");
is(log_of('def.log'), '/esc/\x221 \x1B\x7F|%22x|-|q\x22\x5C\x01\xC3\xA9' . "\n",
	'escape=default');
is(log_of('json.log'), '{"u":"/esc/\"1 \u001B' . "\x7f" . '","a":"%22x","b":"",'
	. '"h":"q\"\\\\\u0001' . "\xc3\xa9" . '"}' . "\n", 'escape=json');
is(log_of('none.log'), "/esc/\"1 \x1B\x7F|%22x||q\"\\\x01\xc3\xa9\n", 'escape=none');

http_get('/esc/x?a=1');
like(log_of('def.log'), qr{^/esc/x\|1\|-\|-$}m, 'not found is "-" with escape=default');
like(log_of('json.log'), qr{^\{"u":"/esc/x","a":"1","b":"","h":""\}$}m,
	'not found is "" with escape=json');

# inheritance: a level with access_log replaces what it would inherit

http_get('/inherit/x');
http_get('/nested/inner/x');
http_get('/off/x');
is(log_of('srv.log'), "/inherit/x:404\n",
	'server level inherited; own, multi, off and nested levels replace it');
is(log_of('nested.log'), "/nested/inner/x:404\n", 'a nested location inherits');

# if=: empty and "0" skip the line

http_get("/if/$_") for ('none', 'empty?log=', 'zero?log=0', 'one?log=1', 'yes?log=yes');
is(log_of('if.log'), "/if/one:200\n/if/yes:200\n", 'if=') ;

# the default: logs/access.log, combined

http("GET /d?x=1 HTTP/1.0\nHost: localhost\nReferer: http://r/\nUser-Agent: ua \"1\"\n\n",
	port => 8081);
http("GET /index.html HTTP/1.0\n\n", port => 8081);
my $combined = log_of('logs/access.log');
my $stamp = qr{\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]};
my $ua = qr{"ua \\x221\\x22"};
like($combined, qr{^127\.0\.0\.1 - - $stamp "GET /d\?x=1 HTTP/1\.0" 404 \d+ "http://r/" $ua\n},
	'combined');
like($combined, qr{\n127\.0\.0\.1 - - \[[^]]+\] "GET /index\.html HTTP/1\.0" 200 6 "-" "-"\n\z},
	'combined: missing headers are "-"');

SKIP: {
	skip 'no rewrite module', 3 unless $rewrite;

	http_get('/redir/a');
	http_get('/final/y?i=1');
	is(log_of('redir.log'), '', 'not logged in the first location of a redirect');
	is(log_of('final.log'), "/final/x:404\n", 'logged in the final location');
	is(log_of('iflog.log'), "/final/y:404\n", 'access_log in "if" replaces the list');
}

# paths with variables: opened per request, only when the root exists

http_get('/var/x?n=one');
http_get('/var/y?n=one');
http_get('/var/x?n=two');
is(log_of('vl/var_one.log'), "/var/x:404\n/var/y:404\n", 'a path with variables');
is(log_of('vl/var_two.log'), "/var/x:404\n", 'a path with variables: another file');
http_get('/var/x?n=/../escaped');
ok(!-e "$dir/escaped.log" && !-e "$dir/vl/escaped.log", 'a name leaving its directory is refused');
like($t->read_file('error.log'), qr/access log name ".*\/\.\.\/escaped\.log" is refused/,
	'the refusal is logged');
http_get('/dotdot/x?n=a');
is(log_of('vl/dd_a.log'), "/dotdot/x:404\n", 'a configured ".." is allowed');
http_get('/noroot/x?n=a');
ok(!-e "$dir/vl/noroot_a.log", 'not written when the root does not exist');
like($t->read_file('error.log'), qr/testing "\Q$dir\E\/missing" existence failed/,
	'missing root logged');

# open_log_file_cache: a cached descriptor outlives its name

http_get('/cache/x?n=a');
rename "$dir/cdir", "$dir/cdir2" or die "rename: $!";
http_get('/cache/y?n=a');
http_get('/cache/x?n=b');
rename "$dir/cdir2", "$dir/cdir" or die "rename: $!";
is(log_of('cdir/c_a.log'), "/cache/x:404\n/cache/y:404\n", 'cached descriptor');
ok(!-e "$dir/cdir/c_b.log", 'not cached: the open failed');
like($t->read_file('error.log'), qr/\[crit\].*open\(\) "\Q$dir\E\/cdir\/c_b\.log" failed/,
	'open failure logged');

# write errors: an alert at most once a second, the requests go on

my $t0 = time();
my @st = map { http_status(http_get('/full/x')) } 1 .. 5;
my $t1 = time();
is("@st", '404 404 404 404 404', 'requests succeed when the log cannot be written');
my $alerts = () = $t->read_file('error.log') =~ /\[alert\].*write\(\) to "\Q$full\E" failed/g;
ok($alerts >= 1 && $alerts <= $t1 - $t0 + 1, "write failures: $alerts alert(s)");

# buffer=: nothing until the buffer is written

http_get('/buf/a');
is(log_of('buf.log'), '', 'buffered');

# USR1: the buffer is written to the old file, then the file is reopened

rename "$dir/buf.log", "$dir/buf.log.1" or die "rename: $!";
$t->signal('USR1');
ok(wait_until(sub { -e "$dir/buf.log" }), 'USR1 reopens the log');
ok(wait_until(sub { log_of('buf.log.1') eq "/buf/a:404\n" }, 5),
	'buffer written before the reopen');

# a line longer than the buffer is written at once, after what is buffered

http_get('/big/a');
is(log_of('big.log'), '', 'short line buffered');
my $long = '/big/' . ('y' x 80);
http_get($long);
is(log_of('big.log'), "/big/a:404\n$long:404\n", 'long line: buffer, then the line');

# flush=: the buffer is written when its oldest line is that old

http_get('/flush/a');
is(log_of('flush.log'), '', 'flush: buffered');
ok(wait_until(sub { log_of('flush.log') eq "/flush/a:404\n" }, 5), 'flush: written');

# exit: a worker that goes away (here: reload) writes its buffers

http_get('/buf/b');
is(log_of('buf.log'), '', 'buffered again');

my ($code, $gzerr) = (undef, '');
$t->write_file_expand('gzip.conf', $conf =~ s/%%GZIP%%/location \/gz\/ {
            access_log $dir\/gz.log test gzip=9 flush=100ms;
        }/r);
($code, $gzerr) = $t->test_config('gzip.conf');
my $gzip = $code == 0;

# the new configuration has the gzip log when this build can compress
(my $second = $conf) =~ s/%%GZIP%%/$gzip ? "location \/gz\/ {
            access_log $dir\/gz.log test gzip=9 flush=100ms;
        }" : ''/e;
$t->write_file_expand('lintel.conf', $second);
$t->reload();
ok(wait_until(sub { log_of('buf.log') eq "/buf/b:404\n" }, 5), 'exit writes the buffer');

SKIP: {
	skip 'built without zlib', 2 unless $gzip;

	http_get('/gz/a');
	http_get('/gz/b');
	ok(wait_until(sub { -s "$dir/gz.log" }, 5), 'gzip: written after flush');

	require IO::Uncompress::Gunzip;
	my $z = $t->read_file('gz.log');
	my $plain;
	IO::Uncompress::Gunzip::gunzip(\$z => \$plain, MultiStream => 1);
	is($plain, "/gz/a:404\n/gz/b:404\n", 'gzip: the lines');
}

SKIP: {
	skip 'built with zlib', 1 if $gzip;
	like($gzerr, qr/"gzip" in "access_log" is not supported.* in \Q$dir\E\/gzip\.conf:\d+/,
		'gzip refused without zlib');
}

# configuration errors

sub conf_error {
	my ($http, $loc) = @_;
	$loc //= '';
	$t->write_file('bad.conf', "pid $dir/b.pid;\nevents {}\nhttp {\n$http\n"
		. "server {\nlisten 127.0.0.1:" . port(8082) . ";\nlocation / {\n$loc\n}\n}\n}\n");
	my ($c, $err) = $t->test_config('bad.conf');
	return $c == 0 ? 'ok' : $err;
}

like(conf_error('server { log_format a x; }'),
	qr/"log_format" directive is not allowed here in \Q$dir\E\/bad\.conf:4/, 'log_format: http only');
like(conf_error('', 'access_log x.log nope;'),
	qr/unknown log format "nope" in \Q$dir\E\/bad\.conf:8/, 'unknown format');
like(conf_error('log_format combined x;'),
	qr/duplicate "log_format" name "combined" in \Q$dir\E\/bad\.conf:4/, 'combined is predefined');
like(conf_error("log_format a x;\nlog_format a y;"),
	qr/duplicate "log_format" name "a" in \Q$dir\E\/bad\.conf:5/, 'duplicate format');
like(conf_error('log_format a escape=xml x;'),
	qr/unknown log format escaping "xml" in \Q$dir\E\/bad\.conf:4/, 'unknown escaping');
like(conf_error('log_format a "x${uri";'),
	qr/the closing bracket in "uri" variable is missing in \Q$dir\E\/bad\.conf:4/,
	'missing bracket');
like(conf_error('log_format a "x$";'), qr/invalid parameter "x\$" in \Q$dir\E\/bad\.conf:4/,
	'a lone $');
like(conf_error('log_format a $no_such_var;', 'access_log x.log a;'),
	qr/unknown "no_such_var" variable/, 'unknown variable');
like(conf_error('', 'access_log x.log combined foo=1;'),
	qr/invalid parameter "foo=1" in \Q$dir\E\/bad\.conf:8/, 'unknown parameter');
like(conf_error('', 'access_log x.log combined buffer=0;'),
	qr/invalid buffer size "0"/, 'bad buffer size');
like(conf_error('', 'access_log x.log combined buffer=1k flush=x;'),
	qr/invalid flush time "x"/, 'bad flush time');
like(conf_error('', 'access_log x.log combined flush=1s;'),
	qr/no buffer is defined for access_log "x\.log"/, 'flush without buffer');
like(conf_error('', 'access_log x_$uri.log combined buffer=1k;'),
	qr/buffered logs cannot have variables in name/, 'buffer with variables');
like(conf_error('', "access_log x.log combined buffer=1k;\naccess_log x.log combined buffer=2k;"),
	qr/access_log "x\.log" already defined with conflicting parameters in \Q$dir\E\/bad\.conf:9/,
	'conflicting buffers');
like(conf_error('', 'access_log off x;'), qr/invalid parameter "x"/, 'off takes nothing');
like(conf_error('', 'open_log_file_cache inactive=1s;'),
	qr/"open_log_file_cache" must have "max" parameter/, 'cache without max');
like(conf_error('', 'open_log_file_cache max=x;'),
	qr/invalid "open_log_file_cache" parameter "max=x"/, 'bad cache parameter');
like(conf_error('', 'access_log syslog:server=x;'),
	qr/syslog logging is not supported yet/, 'syslog');
is(conf_error('open_log_file_cache off;',
		"limit_except GET { access_log x.log; }\nopen_log_file_cache max=10 min_uses=2 valid=1m;"),
	'ok', 'valid: limit_except, cache parameters');
