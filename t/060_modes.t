#!/usr/bin/perl

# Ways to run: master_process off (one process), daemon on (detached, pid file
# names the daemon), error_log stderr, and a binary upgrade with USR2.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep);
use Lintel::Test;

my $t = Lintel::Test->new()->plan(29);
my $dir = $t->testdir();

# master_process off

$t->write_file_expand('lintel.conf', <<'END');
%%TEST_GLOBALS%%
daemon off;
master_process off;
worker_processes 4;
events {
}
END

$t->run();

is($t->master_pid(), $t->{pid}, 'master_process off: the pid file names our process');
my @kids = $t->children($t->{pid});
is(scalar @kids, 0, 'master_process off: no children');

$t->stop();
is($t->exit_status(), 0, 'master_process off: QUIT exits 0');
ok(!-e "$dir/lintel.pid", 'master_process off: pid file removed');

# daemon on: the started process exits at once, the daemon runs on

$t->write_file_expand('daemon.conf', <<'END');
%%TEST_GLOBALS%%
worker_processes 1;
events {
}
END

my ($code, undef, $err) = $t->lintel('-p', "$dir/", '-c', "$dir/daemon.conf", '-e',
	"$dir/error.log");
is($code, 0, 'daemon on: the command returns 0');

ok(wait_until(sub { -s "$dir/lintel.pid" }), 'daemon on: pid file written');
my $daemon = $t->master_pid();
ok($daemon && kill(0, $daemon), 'daemon on: the daemon runs');
my ($ppid) = $t->read_file("/proc/$daemon/stat") =~ /\)\s+\S+\s+(\d+)/;
isnt($ppid, $$, 'daemon on: detached from the starting process');
ok(wait_until(sub { $t->workers() == 1 }), 'daemon on: its worker runs');

# WINCH: a daemon's workers stop gracefully, the master stays; HUP brings them back

kill 'WINCH', $daemon;
ok(wait_until(sub { $t->workers() == 0 }, 10), 'daemon on: WINCH stops the workers');
ok(kill(0, $daemon), 'daemon on: the master stays after WINCH');
kill 'HUP', $daemon;
ok(wait_until(sub { $t->workers() == 1 }, 10), 'daemon on: HUP after WINCH starts workers');

kill 'QUIT', $daemon;
ok(wait_until(sub { !kill(0, $daemon) }, 10), 'daemon on: QUIT stops it');

# -e names the error log used when the configuration has no error_log

$t->write_file_expand('noerrlog.conf', <<"END");
pid $dir/lintel.pid;
daemon off;
worker_processes 1;
events {
}
END

$t->run('-c', "$dir/noerrlog.conf", '-e', "$dir/logs/custom.log");
$t->allow_alerts(qr/exited on signal 9/);
my ($w) = wait_until(sub { $t->workers() });
kill 'KILL', $w;
ok(wait_until(sub { $t->read_file('logs/custom.log') =~ /worker process $w exited on signal 9/ }),
	'-e sets the default error log');
$t->stop();

# error_log stderr in the configuration: messages go to the starting stderr

$t->write_file_expand('stderr.conf', <<"END");
pid $dir/lintel.pid;
error_log stderr notice;
daemon off;
worker_processes 1;
events {
}
END

unlink "$dir/stderr.log";
$t->run('-c', "$dir/stderr.conf");
ok(wait_until(sub { $t->read_file('stderr.log') =~ /\[notice\] \d+#\d+: start worker process/ }),
	'error_log stderr writes to stderr');
$t->stop();

# USR2: a new binary takes over; the old pid file becomes .oldbin

$t->write_file_expand('lintel.conf', <<'END');
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
events {
}
END

$t->run();
my $old = $t->master_pid();

$t->signal('USR2');

ok(wait_until(sub { -s "$dir/lintel.pid.oldbin" }), 'USR2: lintel.pid.oldbin written');
ok(wait_until(sub { my $p = $t->master_pid(); $p && $p ne $old }), 'USR2: new pid file');
my $new = $t->master_pid();
is($t->read_file('lintel.pid.oldbin') =~ s/\s+//gr, $old, 'USR2: .oldbin holds the old master');
ok(wait_until(sub { grep { $t->cmdline($_) =~ /worker process/ } $t->children($new) }),
	'USR2: the new master starts workers');

# USR2 to the new master while the old one runs is refused

kill 'USR2', $new;
ok(wait_until(sub { $t->read_file('error.log') =~ /the changing binary signal is ignored/ }),
	'USR2 to the new master is refused while the old one runs');
$t->allow_alerts(qr/the changing binary signal is ignored/);

# the old master leaves; the new one serves on

kill 'QUIT', $old;
ok(wait_until(sub { waitpid($old, WNOHANG) == $old }, 10), 'old master exits on QUIT');
$t->{started} = 0;
ok(kill(0, $new), 'the new master keeps running');
is($t->master_pid(), $new, 'and its pid file stays');

kill 'QUIT', $new;
ok(wait_until(sub { !kill(0, $new) }, 10), 'the new master stops on QUIT');

# rollback: USR2, WINCH the old master's workers... here in the foreground WINCH is
# ignored, so the new binary is stopped directly; the old master takes its pid file back

$t->write_file_expand('lintel.conf', <<'END');
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
events {
}
END

$t->run();
$old = $t->master_pid();
$t->signal('USR2');
ok(wait_until(sub { my $p = $t->master_pid(); $p && $p ne $old }), 'second upgrade started');
$new = $t->master_pid();
ok(wait_until(sub { grep { $t->cmdline($_) =~ /worker process/ } $t->children($new) }),
	'second upgrade: new workers run');

kill 'TERM', $new;
ok(wait_until(sub { $t->master_pid() eq $old && !-e "$dir/lintel.pid.oldbin" }, 10),
	'the new binary gone: lintel.pid names the old master again');
like($t->read_file('error.log'), qr/new binary process $new exited/, 'its exit is logged');

$t->signal('USR2');
ok(wait_until(sub { my $p = $t->master_pid(); $p && $p ne $old }),
	'a later USR2 is accepted again');
kill 'QUIT', $t->master_pid();
wait_until(sub { $t->master_pid() eq $old }, 10);
