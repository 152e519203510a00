#!/usr/bin/perl

# The configuration parser: -t messages, every kind of error with its file and
# line, include with globs, quoting and escapes, -T dumps.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;

my $t = Lintel::Test->new()->plan(53);
my $dir = $t->testdir();

sub conf_error {
	my ($conf, $re, $name, @extra) = @_;
	$t->write_file('test.conf', "pid $dir/t.pid;\n" . $conf);
	my ($code, $err) = $t->test_config('test.conf', @extra);
	is($code, 1, "$name: exit 1");
	like($err, $re, "$name: message");
}

# a good configuration

$t->write_file('good.conf', <<"END");
# comment
pid $dir/t.pid;
worker_processes  2;   # trailing comment
error_log "$dir/logs/e1.log" warn;
error_log $dir/logs/e2.log;
worker_shutdown_timeout 10s;
worker_rlimit_nofile 4096;
env FOO;
env 'BAR=a b;c';
timer_resolution 100ms;
pcre_jit on;
events {
    worker_connections 64;
    multi_accept on;
    accept_mutex off;
    use epoll;
}
END

my ($code, $err) = $t->test_config('good.conf');
is($code, 0, 'good config: exit 0');
like($err, qr/^lintel: the configuration file \Q$dir\E\/good.conf syntax is ok$/m,
	'good config: syntax is ok');
like($err, qr/^lintel: configuration file \Q$dir\E\/good.conf test is successful$/m,
	'good config: test is successful');
ok(-e "$dir/logs/e1.log" && -e "$dir/logs/e2.log", 'error_log files are created');

# errors, each with file and line

conf_error("events {}\nfoo bar;\n",
	qr/^lintel: \[emerg\] unknown directive "foo" in \Q$dir\E\/test.conf:3$/m,
	'unknown directive');

conf_error("events { daemon off; }\n",
	qr/\[emerg\] "daemon" directive is not allowed here in \Q$dir\E\/test.conf:2/,
	'wrong context');

conf_error("events {}\nworker_processes 1 2;\n",
	qr/\[emerg\] invalid number of arguments in "worker_processes" directive in .*:3/,
	'wrong argument count');

conf_error("events {}\nworker_processes abc;\n",
	qr/\[emerg\] invalid value "abc" in "worker_processes" directive.* in .*test.conf:3/,
	'invalid value');

conf_error("events {}\ndaemon maybe;\n",
	qr/invalid value "maybe" in "daemon" directive, it must be "on" or "off" in .*:3/,
	'invalid flag');

conf_error("events {}\nworker_shutdown_timeout 10x;\n",
	qr/invalid value "10x" in "worker_shutdown_timeout" directive in .*:3/,
	'invalid time');

conf_error("events { worker_connections 1; }\n",
	qr/invalid value "1" in "worker_connections" directive, it must be between 2 and \d+ in/,
	'value out of range');

conf_error("events {}\ndaemon on;\ndaemon off;\n",
	qr/"daemon" directive is duplicate in .*test.conf:4/,
	'duplicate');

conf_error("events {\n worker_connections 10;\n",
	qr/unexpected end of file, expecting "}" in .*test.conf:4/,
	'missing }');

conf_error("events {}\nworker_processes 1",
	qr/unexpected end of file, expecting ";" or "}" in .*test.conf:3/,
	'unterminated directive at end of file');

conf_error("events {}\n}\n",
	qr/unexpected "}" in .*test.conf:3/,
	'unexpected }');

conf_error("events;\n",
	qr/directive "events" has no opening "\{" in .*test.conf:2/,
	'block directive without block');

conf_error("events {}\ndaemon off {}\n",
	qr/directive "daemon" is not terminated by ";" in .*test.conf:3/,
	'simple directive with a block');

conf_error("events {}\nevents {}\n",
	qr/"events" directive is duplicate in .*test.conf:3/,
	'duplicate block');

conf_error("worker_processes 1;\n",
	qr/no "events" section in configuration/,
	'no events section');

conf_error("events { use kqueue; }\n",
	qr/invalid event type "kqueue" in .*test.conf:2/,
	'unknown event method');

conf_error("events {}\nerror_log $dir/logs/x.log loud;\n",
	qr/invalid log level "loud" in .*test.conf:3/,
	'bad error_log level');

conf_error("events {}\ninclude $dir/missing.conf;\n",
	qr/open\(\) "\Q$dir\E\/missing.conf" failed \(2: No such file or directory\) in .*test.conf:3/,
	'include of a missing file');

conf_error("events {}\n\"daemon\"x off;\n",
	qr/unexpected "x" in .*test.conf:3/,
	'garbage after a quoted string');

conf_error("events {}\n;\n",
	qr/unexpected ";" in .*test.conf:3/,
	'empty directive');

# errors in an included file name that file and line

$t->write_file('inc/bad.conf', "\n\nworker_processes zero;\n");
conf_error("events {}\ninclude inc/*.conf;\n",
	qr/invalid value "zero" in "worker_processes" directive.* in \Q$dir\E\/inc\/bad.conf:3/,
	'error inside an included file');

# -g errors say "command line"

$t->write_file('g.conf', "pid $dir/t.pid;\nevents {}\n");
($code, $err) = $t->test_config('g.conf', '-g', 'bogus 1;');
like($err, qr/unknown directive "bogus" in command line/, '-g error: "in command line"');
like($err, qr/configuration file \Q$dir\E\/g.conf test failed/, '-t says the test failed');

# includes: globs (sorted), relative to the configuration's directory, quoting

$t->write_file('conf.d/b.conf', "worker_rlimit_nofile 2048;\n");
$t->write_file('conf.d/a.conf', "env \"A=quoted \\\"string\\\"\";\n");
$t->write_file('incl.conf', <<"END");
pid $dir/t.pid;
include conf.d/*.conf;
include nothing-matches-*.conf;
events { include $dir/ev.inc; }
END
$t->write_file('ev.inc', "worker_connections 100;\n");

($code, $err) = $t->test_config('incl.conf');
is($code, 0, 'include with glob, relative path and inside a block');

my ($c, $out);
($c, $out, $err) = $t->lintel('-p', "$dir/", '-c', "$dir/incl.conf", '-e',
	"$dir/test-error.log", '-T');
is($c, 0, '-T exits 0');
like($out, qr/^# configuration file \Q$dir\E\/incl.conf:\npid /m, '-T dumps the main file');
like($out, qr/# configuration file \Q$dir\E\/conf.d\/a.conf:.*# configuration file \Q$dir\E\/conf.d\/b.conf:/s,
	'-T dumps included files in glob order');
like($out, qr/# configuration file \Q$dir\E\/ev.inc:\nworker_connections 100;\n/,
	'-T dumps a file included in a block');
