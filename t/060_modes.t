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

my $t = Lintel::Test->new()->plan(18);
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

kill 'QUIT', $daemon;
ok(wait_until(sub { !kill(0, $daemon) }, 10), 'daemon on: QUIT stops it');

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

# the old master leaves; the new one serves on

kill 'QUIT', $old;
ok(wait_until(sub { waitpid($old, WNOHANG) == $old }, 10), 'old master exits on QUIT');
$t->{started} = 0;
ok(kill(0, $new), 'the new master keeps running');
is($t->master_pid(), $new, 'and its pid file stays');

kill 'QUIT', $new;
wait_until(sub { !kill(0, $new) }, 10);
