#!/usr/bin/perl

# The command line: -v, -V, -h, bad options, -p/-c/-e/-g handling, -q.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;

my $t = Lintel::Test->new()->plan(19);
my $dir = $t->testdir();

my ($code, $out, $err) = $t->lintel('-v');
is($code, 0, '-v exits 0');
like($err, qr{^lintel version: lintel/\d+\.\d+\.\d+\n\z}, '-v prints the version');

($code, $out, $err) = $t->lintel('-V');
is($code, 0, '-V exits 0');
my @lines = split /\n/, $err;
like($lines[0], qr{^lintel version: lintel/\d+\.\d+\.\d+$}, '-V: version line');
like($lines[1], qr{^built by (gcc|clang|cc)}, '-V: compiler line');
like($lines[2], qr{^built with OpenSSL 3\.}, '-V: OpenSSL line');
is($lines[3], 'TLS SNI support enabled', '-V: SNI line');
like($lines[4], qr{^configure arguments:}, '-V: configure arguments line');
like($lines[5], qr{^modules: core .*\bevents\b}, '-V: modules line');

($code, $out, $err) = $t->lintel('-h');
is($code, 0, '-h exits 0');
like($err, qr/Usage: lintel .*-s signal\s+: send signal to a master process: stop, quit, reopen, reload/s,
	'-h prints the usage');

($code, $out, $err) = $t->lintel('-x');
is($code, 1, 'unknown option exits 1');
like($err, qr/^lintel: invalid option: "x"$/m, 'unknown option is named');

($code, $out, $err) = $t->lintel('-s', 'restart');
is($code, 1, 'unknown signal exits 1');
like($err, qr/invalid option: "-s restart"/, 'unknown signal is named');

($code, $out, $err) = $t->lintel('-c');
like($err, qr/option "-c" requires file name/, '-c without a file');

# -p and -c relative to the prefix, -g before the file, -q quiet

$t->write_file('conf/main.conf', "worker_processes 1;\nevents {}\n");
($code, $out, $err) = $t->lintel('-p', "$dir/", '-c', 'conf/main.conf', '-e', 'logs/e.log',
	'-g', "pid $dir/x.pid;", '-t');
is($code, 0, '-c relative to -p');

($code, $out, $err) = $t->lintel('-p', "$dir/", '-c', 'conf/main.conf', '-e', 'logs/e.log',
	'-g', "pid $dir/x.pid;", '-tq');
is($err, '', '-q suppresses the success messages');

($code, $out, $err) = $t->lintel('-p', "$dir/", '-c', 'conf/main.conf', '-e', 'logs/e.log',
	'-g', 'worker_processes 2;', '-t');
like($err, qr/"worker_processes" directive is duplicate in .*conf\/main.conf:1/,
	'-g is read before the file');
