#!/usr/bin/perl

# Master and workers: N workers start, a killed worker is respawned and logged,
# HUP changes the worker count, a broken config on HUP keeps the old workers,
# QUIT stops everything and removes the pid file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep time);
use Lintel::Test;

my $t = Lintel::Test->new()->plan(23);
my $dir = $t->testdir();

$t->allow_alerts(qr/worker process \d+ exited on signal 9/);

my $conf = <<'END';
%%TEST_GLOBALS%%
daemon off;
worker_processes %%WORKERS%%;
events {
    worker_connections 64;
}
END

sub write_conf {
	my ($n) = @_;
	(my $c = $conf) =~ s/%%WORKERS%%/$n/;
	$t->write_file_expand('lintel.conf', $c);
}

write_conf(3);
$t->run();

my $master = $t->master_pid();
like($master, qr/^\d+$/, 'pid file holds the master pid');
is($master, $t->{pid}, 'the pid file names the process we started (foreground)');
like($t->cmdline($master), qr/^lintel: master process .*lintel/, 'master process title');

my @workers = wait_until(sub { my @w = $t->workers(); @w == 3 ? @w : () });
is(scalar @workers, 3, 'three workers');
like($t->cmdline($workers[0]), qr/^lintel: worker process$/, 'worker process title');

# kill -9 of a worker: replaced within a second, and logged

my $victim = $workers[1];
my $t0 = time();
kill 'KILL', $victim;

my @after = wait_until(sub {
	my @w = $t->workers();
	(@w == 3 && !grep { $_ == $victim } @w) ? @w : ()
}, 3);
my $took = time() - $t0;

is(scalar @after, 3, 'killed worker replaced');
ok(!grep({ $_ == $victim } @after), 'the killed pid is gone');
cmp_ok($took, '<', 1, "replaced within a second ($took s)");
like($t->read_file('error.log'), qr/\[alert\] \d+#\d+: worker process $victim exited on signal 9/,
	'"exited on signal 9" logged');
like($t->read_file('error.log'), qr/\[notice\] \d+#\d+: start worker process \d+/,
	'respawn logged');

# HUP with 2 workers: exactly two remain

write_conf(2);
$t->reload();

my @two = wait_until(sub { my @w = $t->workers(); @w == 2 ? @w : () }, 10);
is(scalar @two, 2, 'two workers after HUP');
sleep 0.3;
my @kids = $t->children($master);
is(scalar @kids, 2, 'no other children of the master');
is($t->master_pid(), $master, 'same master after HUP');

# HUP with a syntax error: the two workers keep running

$t->write_file_expand('lintel.conf', $conf =~ s/%%WORKERS%%/2/r . "\nbroken directive\n");
$t->reload(failing => 1);
sleep 0.5;

my @still = $t->workers();
is_deeply([sort @still], [sort @two], 'same two workers after a failed HUP');
like($t->read_file('error.log'),
	qr/\[emerg\] .*unexpected end of file, expecting ";" or "\}" in \Q$dir\E\/lintel.conf:\d+/,
	'the error is logged with file and line');
like($t->read_file('error.log'), qr/reload failed: the previous configuration keeps running/,
	'failed reload is logged');

# an unknown directive on HUP, then a good HUP still works

$t->write_file_expand('lintel.conf', $conf =~ s/%%WORKERS%%/2/r . "\nno_such_thing on;\n");
$t->reload(failing => 1);
like($t->read_file('error.log'), qr/unknown directive "no_such_thing" in \Q$dir\E\/lintel.conf:\d+/,
	'unknown directive on HUP logged');

write_conf(1);
$t->reload();
my @one = wait_until(sub { my @w = $t->workers(); @w == 1 ? @w : () }, 10);
is(scalar @one, 1, 'a good HUP after failed ones applies');

# -s quit: everything exits, pid file removed

my @all = ($master, $t->workers());
my ($code) = $t->lintel('-p', "$dir/", '-c', "$dir/lintel.conf", '-e', "$dir/error.log",
	'-s', 'quit');
is($code, 0, '-s quit exits 0');
$t->stop();     # reaps the master (and would TERM it if it had not quit)

ok(!-e "$dir/lintel.pid", 'pid file removed on QUIT');
is($t->exit_status(), 0, 'master exit code 0');
ok(!grep({ kill 0, $_ } @all), 'all processes gone');
like($t->read_file('error.log'), qr/\[notice\] \d+#\d+: exit$/m, '"exit" logged');
