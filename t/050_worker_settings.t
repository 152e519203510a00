#!/usr/bin/perl

# What the main-context directives do to workers: worker_rlimit_nofile,
# working_directory, worker_priority, worker_cpu_affinity, user (as root),
# worker_processes auto.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;

my $t = Lintel::Test->new()->plan(8);
my $dir = $t->testdir();

mkdir "$dir/work";
chmod 0777, "$dir/work";

$ENV{LT_TEST_KEEP} = 'kept';
$ENV{LT_TEST_DROP} = 'dropped';

my $root = $> == 0;
my $group = getgrnam('nogroup') ? 'nogroup' : 'nobody';
my $user = $root ? "user nobody $group;" : '';

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
worker_processes auto;
worker_rlimit_nofile 1234;
working_directory $dir/work;
worker_priority 5;
worker_cpu_affinity auto;
env LT_TEST_KEEP;
env LT_TEST_SET=value;
$user
events {
}
END

$t->run();

my $online = `nproc 2>/dev/null`;
chomp $online;
$online ||= 1;

my @w = wait_until(sub { my @w = $t->workers(); @w == $online ? @w : () });
is(scalar @w, $online, "worker_processes auto: one worker per CPU ($online)");

my $w = $w[0];

# (the workers' environment itself is checked in t/unit/test_env.c: ps titles
# overwrite what /proc/PID/environ shows)

like($t->read_file("/proc/$w/limits"), qr/^Max open files\s+1234\s+1234/m,
	'worker_rlimit_nofile');
is(readlink("/proc/$w/cwd"), "$dir/work", 'working_directory');

my @stat = split ' ', ($t->read_file("/proc/$w/stat") =~ /\)\s+(.*)/)[0];
is($stat[16], 5, 'worker_priority sets the nice value');

my ($allowed) = $t->read_file("/proc/$w/status") =~ /^Cpus_allowed_list:\s+(\S+)/m;
like($allowed, qr/^\d+$/, "worker_cpu_affinity auto binds to one CPU ($allowed)");

SKIP: {
	skip 'not root', 2 unless $root;

	my ($uid) = $t->read_file("/proc/$w/status") =~ /^Uid:\s+(\d+)/m;
	is($uid, scalar getpwnam('nobody'), 'user: the worker runs as nobody');

	my ($muid) = $t->read_file('/proc/' . $t->master_pid() . '/status') =~ /^Uid:\s+(\d+)/m;
	is($muid, 0, 'the master keeps root');
}

$t->stop();
is($t->exit_status(), 0, 'clean exit');
