#!/usr/bin/perl

# A start - reload - reopen - stop cycle under valgrind (memcheck): no invalid
# reads or writes, no use of uninitialised memory, nothing definitely lost, in
# the master and in every worker. Skipped without valgrind and for sanitizer
# builds (they cannot run under valgrind).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use Lintel::Test;

my $vg = `command -v valgrind 2>/dev/null`;
chomp $vg;
plan(skip_all => 'no valgrind') unless $vg;

my $bin = Lintel::Test->binary();
plan(skip_all => 'sanitizer build') if `grep -c __asan_init $bin 2>/dev/null` > 0;

my $t = Lintel::Test->new()->plan(3);
my $dir = $t->testdir();

$t->write_file_expand('lintel.conf', <<'END');
%%TEST_GLOBALS%%
daemon off;
worker_processes 2;
events {
    worker_connections 32;
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
# under valgrind ps titles do not show: count the master's children instead
wait_until(sub { $t->children() == 2 }, 30);

$t->signal('HUP');
wait_until(sub { (() = $t->read_file('error.log') =~ /worker process \d+ exited with code 0/g) >= 2 },
	30);
$t->signal('USR1');
wait_until(sub { (() = $t->read_file('error.log') =~ /reopening logs/g) >= 3 }, 10);

$t->stop();
sleep 1;

opendir(my $d, $dir) or die "opendir: $!";
my @logs = grep { /^vg\./ } readdir $d;
closedir $d;

cmp_ok(scalar @logs, '>=', 5, 'master and workers of both generations ran under valgrind');

my $report = join '', map { $t->read_file($_) } @logs;
is($report, '', 'valgrind reports nothing');
