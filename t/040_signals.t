#!/usr/bin/perl

# Signals and -s: USR1 reopens the error log, -s reload/reopen/quit/stop talk to
# the master named in the pid file, WINCH stops the workers gracefully, TERM
# stops everything at once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use Lintel::Test;

my $t = Lintel::Test->new()->plan(16);
my $dir = $t->testdir();

$t->write_file_expand('lintel.conf', <<'END');
%%TEST_GLOBALS%%
daemon off;
worker_processes 2;
events {
}
END

$t->run();
my $master = $t->master_pid();
my @workers = wait_until(sub { my @w = $t->workers(); @w == 2 ? @w : () });
is(scalar @workers, 2, 'started');

# USR1: the error log is reopened under its name

rename "$dir/error.log", "$dir/error.log.1" or die "rename: $!";
$t->signal('USR1');

ok(wait_until(sub { -e "$dir/error.log" }), 'USR1 creates a new error log');
ok(wait_until(sub { $t->read_file('error.log.1') =~
	/signal 10 \(SIGUSR1\) received from \d+, reopening logs/ }),
	'the reopen is logged before the switch');
ok(wait_until(sub { (() = $t->read_file('error.log.1') =~ /reopening logs/g) >= 3 }),
	'the two workers reopen too');

# -s reopen, -s reload through the pid file

my @args = ('-p', "$dir/", '-c', "$dir/lintel.conf", '-e', "$dir/error.log");

rename "$dir/error.log", "$dir/error.log.2" or die "rename: $!";
my ($code, undef, $err) = $t->lintel(@args, '-s', 'reopen');
is($code, 0, '-s reopen exits 0');
ok(wait_until(sub { -e "$dir/error.log" }), '-s reopen reopened the log');

($code, undef, $err) = $t->lintel(@args, '-s', 'reload');
is($code, 0, '-s reload exits 0');
my @new = wait_until(sub {
	my @w = $t->workers();
	(@w == 2 && !grep { my $w = $_; grep { $_ == $w } @workers } @w) ? @w : ()
}, 10);
is(scalar @new, 2, '-s reload replaced the workers');

# WINCH in the foreground is a terminal resize: ignored (t/060 tests it as a daemon)

$t->signal('WINCH');
ok(wait_until(sub { $t->read_file('error.log') =~ /SIGWINCH.*ignored: not running as a daemon/ }),
	'WINCH in the foreground is logged as ignored');
is(scalar $t->workers(), 2, 'and the workers keep running');

# -s with a wrong pid file

$t->write_file('bad.pid', "garbage\n");
$t->write_file('badpid.conf', "pid $dir/bad.pid;\nevents {}\n");
$t->write_file('nopid.conf', "pid $dir/none.pid;\nevents {}\n");
($code, undef, $err) = $t->lintel(@args[0, 1], '-c', "$dir/badpid.conf", '-s', 'reload');
is($code, 1, '-s with a garbage pid file exits 1');
like($err, qr/invalid PID number "garbage" in "\Q$dir\E\/bad.pid"/, 'and says why');

($code, undef, $err) = $t->lintel(@args[0, 1], '-c', "$dir/nopid.conf", '-s', 'stop');
like($err, qr/open\(\) "\Q$dir\E\/none.pid" failed \(2: No such file or directory\)/,
	'-s without a pid file says which file');

# -s stop: the master exits at once and removes the pid file

($code, undef, $err) = $t->lintel(@args, '-s', 'stop');
is($code, 0, '-s stop exits 0');
ok(wait_until(sub { waitpid($t->{pid}, 1) == $t->{pid} }, 5), 'master exited on stop');
$t->{started} = 0;
ok(!-e "$dir/lintel.pid", 'pid file removed on stop');
