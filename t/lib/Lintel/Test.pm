package Lintel::Test;

# The integration test harness. A test embeds its configuration with port
# placeholders (%%PORT_8080%% or 127.0.0.1:8080 style), the harness writes it
# into a fresh temporary prefix, starts lintel in the foreground with -p and -c,
# waits for the pid file, and lets the test talk to it over loopback. At the
# end it stops lintel and adds a test that fails when the error log (or a
# sanitizer log) holds an [alert], [crit] or sanitizer report.
#
# Environment: LINTEL_BINARY (default objs/lintel), TEST_LINTEL_LEAVE=1 keeps
# the temporary directory, TEST_LINTEL_VERBOSE=1 prints the error log at the end.

use strict;
use warnings;

use Exporter qw(import);
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Test::More ();
use File::Spec;

our @EXPORT = qw(port wait_until);

my %ports;
my @live;   # test objects to finish before Test::More checks the plan
our $BINARY = $ENV{LINTEL_BINARY} || 'objs/lintel';
$BINARY = File::Spec->rel2abs($BINARY) if $BINARY !~ m{^/};

sub new {
	my ($class, %opts) = @_;

	my $dir = tempdir('lintel-test-XXXXXXXX', TMPDIR => 1,
		CLEANUP => !$ENV{TEST_LINTEL_LEAVE});

	# workers run as an unprivileged user when the tests run as root
	chmod 0755, $dir;
	make_path("$dir/logs");
	chmod 0777, "$dir/logs";

	my $self = bless {
		owner => $$,
		testdir => $dir,
		allowed_alerts => [],
		started => 0,
	}, $class;

	$self->{modules} = $self->_modules();

	push @live, $self;

	return $self;
}

sub testdir { $_[0]->{testdir} }
sub binary { $BINARY }

sub _modules {
	my ($self) = @_;
	my $out = `$BINARY -V 2>&1`;
	my ($mods) = $out =~ /^modules: (.*)$/m;
	return { map { $_ => 1 } split ' ', ($mods || '') };
}

# has(MODULE, ...): skips the whole test file unless lintel has these modules
sub has {
	my ($self, @mods) = @_;
	for my $m (@mods) {
		next if $self->{modules}{$m};
		Test::More::plan(skip_all => "no $m in lintel");
	}
	return $self;
}

sub has_module {
	my ($self, $m) = @_;
	return $self->{modules}{$m};
}

sub plan {
	my ($self, $n) = @_;
	# the harness adds one test: no alerts in the logs
	Test::More::plan(tests => $n + 1);
	$self->{planned} = 1;
	return $self;
}

# port(N): the real port for placeholder N, the same for the whole test file
sub port {
	my ($n) = @_;

	return $ports{$n} if defined $ports{$n};

	for (1 .. 100) {
		my $s = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
			LocalPort => 0, Listen => 1, ReuseAddr => 1) or next;
		my $p = $s->sockport();
		close $s;
		next if grep { $_ == $p } values %ports;
		return $ports{$n} = $p;
	}

	die "cannot find a free port\n";
}

sub expand {
	my ($self, $content) = @_;
	my $dir = $self->{testdir};

	$content =~ s/%%TEST_GLOBALS%%/$self->test_globals()/ge;
	$content =~ s/%%TESTDIR%%/$dir/g;
	$content =~ s/%%PORT_(\d+)%%/port($1)/ge;
	$content =~ s/127\.0\.0\.1:(8\d\d\d)\b/'127.0.0.1:' . port($1)/ge;

	return $content;
}

sub test_globals {
	my ($self) = @_;
	my $dir = $self->{testdir};
	return "pid $dir/lintel.pid;\nerror_log $dir/error.log info;\n";
}

sub write_file {
	my ($self, $name, $content) = @_;
	my $path = "$self->{testdir}/$name";
	my ($d) = $path =~ m{^(.*)/};
	make_path($d) unless -d $d;
	open my $fh, '>', $path or die "cannot write $path: $!\n";
	binmode $fh;
	print $fh $content;
	close $fh;
	return $self;
}

sub write_file_expand {
	my ($self, $name, $content) = @_;
	return $self->write_file($name, $self->expand($content));
}

sub read_file {
	my ($self, $name) = @_;
	my $path = $name =~ m{^/} ? $name : "$self->{testdir}/$name";
	open my $fh, '<', $path or return '';
	local $/;
	my $c = <$fh>;
	close $fh;
	return defined $c ? $c : '';
}

sub _sanitizer_env {
	my ($self) = @_;
	# in logs/ (mode 0777): workers that run as "nobody" must be able to write
	my $dir = "$self->{testdir}/logs";
	$ENV{ASAN_OPTIONS} = "log_path=$dir/sanitizer:detect_leaks=0"
		unless defined $ENV{ASAN_OPTIONS};
	$ENV{UBSAN_OPTIONS} = "log_path=$dir/sanitizer:print_stacktrace=1"
		unless defined $ENV{UBSAN_OPTIONS};
}

# run(): starts lintel in the foreground (the test's config must say
# "daemon off;") and waits for its pid file
sub run {
	my ($self, @extra) = @_;
	my $dir = $self->{testdir};

	unlink "$dir/lintel.pid";
	$self->_sanitizer_env();

	my $pid = fork();
	die "fork: $!\n" unless defined $pid;

	if ($pid == 0) {
		open STDOUT, '>>', "$dir/stdout.log";
		open STDERR, '>>', "$dir/stderr.log";
		exec($BINARY, '-p', "$dir/", '-c', "$dir/lintel.conf", '-e', "$dir/error.log",
			@extra) or die "exec: $!\n";
	}

	$self->{pid} = $pid;

	unless ($self->waitforfile("$dir/lintel.pid", $pid)) {
		my $err = $self->read_file('stderr.log') . $self->read_file('error.log');
		die "lintel did not start:\n$err";
	}

	$self->{started} = 1;
	return $self;
}

sub waitforfile {
	my ($self, $file, $pid) = @_;

	for (1 .. 100) {
		return 1 if -e $file && -s $file;
		if (defined $pid && waitpid($pid, WNOHANG) == $pid) {
			$self->{exit_status} = $?;
			return 0;
		}
		sleep 0.05;
	}

	return 0;
}

sub master_pid {
	my ($self) = @_;
	my $p = $self->read_file('lintel.pid');
	chomp $p;
	return $p;
}

# children(PID): the pids of a process's children (from /proc)
sub children {
	my ($self, $pid) = @_;
	$pid = $self->master_pid() unless defined $pid;

	my @kids;
	opendir my $d, '/proc' or return ();
	for my $p (grep { /^\d+$/ } readdir $d) {
		open my $fh, '<', "/proc/$p/stat" or next;
		my $stat = <$fh>;
		close $fh;
		next unless defined $stat;
		# pid (comm) state ppid ...
		my ($ppid) = $stat =~ /\)\s+\S+\s+(\d+)/;
		push @kids, $p if defined $ppid && $ppid == $pid;
	}
	closedir $d;

	@kids = sort { $a <=> $b } @kids;
	return @kids;
}

# workers(): the master's children that are worker processes
sub workers {
	my ($self) = @_;
	my @w = grep { $self->cmdline($_) =~ /worker process/ } $self->children();
	return @w;
}

sub cmdline {
	my ($self, $pid) = @_;
	open my $fh, '<', "/proc/$pid/cmdline" or return '';
	local $/;
	my $c = <$fh>;
	close $fh;
	$c = '' unless defined $c;
	$c =~ s/\0+$//;
	$c =~ s/\0/ /g;
	return $c;
}

# wait_until(CODE, SECONDS): polls until CODE returns a true value (or a
# non-empty list); returns what it returned last
sub wait_until {
	my ($code, $timeout) = @_;
	$timeout ||= 5;
	my $end = time() + $timeout;
	while (time() < $end) {
		my @r = $code->();
		return wantarray ? @r : $r[-1] if @r > 1 || (@r == 1 && $r[0]);
		sleep 0.05;
	}
	my @r = $code->();
	return wantarray ? @r : $r[-1];
}

sub signal {
	my ($self, $sig) = @_;
	kill $sig, $self->master_pid();
	return $self;
}

# reload(): HUP, then waits until the old workers are gone and the new ones run
sub reload {
	my ($self, %opts) = @_;
	my %old = map { $_ => 1 } $self->workers();
	my $log = length $self->read_file('error.log');

	$self->signal('HUP');

	wait_until(sub {
		substr($self->read_file('error.log'), $log) =~ /reconfiguring/
	}, 5);

	return $self if $opts{failing};

	wait_until(sub {
		my @w = $self->workers();
		!grep({ $old{$_} } @w) && @w
	}, 10);

	return $self;
}

# stop(): QUIT and wait for the master to exit (TERM after a while)
sub stop {
	my ($self) = @_;

	return $self unless $self->{started};

	my $pid = $self->{pid};
	kill 'QUIT', $pid;

	my $exited;
	for (1 .. 300) {
		$exited = waitpid($pid, WNOHANG) != 0;
		last if $exited;
		sleep 0.05;
	}

	unless ($exited) {
		kill 'TERM', $pid;
		waitpid($pid, 0);
	}

	$self->{exit_status} = $?;
	$self->{started} = 0;

	return $self;
}

sub exit_status { $_[0]->{exit_status} }

# allow_alerts(REGEX): an alert the test provokes on purpose
sub allow_alerts {
	my ($self, $re) = @_;
	push @{$self->{allowed_alerts}}, $re;
	return $self;
}

# lintel(ARGS): runs the binary to completion; returns (exit code, stdout, stderr)
sub lintel {
	my ($self, @args) = @_;
	my $dir = $self->{testdir};

	$self->_sanitizer_env();

	my $pid = open(my $out, '-|');
	die "fork: $!\n" unless defined $pid;

	if ($pid == 0) {
		open STDERR, '>', "$dir/cmd.err";
		exec($BINARY, @args) or exit 127;
	}

	local $/;
	my $stdout = <$out>;
	close $out;
	my $code = $? >> 8;

	return ($code, defined $stdout ? $stdout : '', $self->read_file('cmd.err'));
}

# test_config(NAME): lintel -t on a file of the test dir; (exit code, stderr)
sub test_config {
	my ($self, $name, @extra) = @_;
	my $dir = $self->{testdir};
	my ($code, undef, $err) = $self->lintel('-p', "$dir/", '-c', "$dir/$name",
		'-e', "$dir/test-error.log", '-t', @extra);
	return ($code, $err);
}

sub _check_logs {
	my ($self) = @_;
	my $dir = $self->{testdir};
	my @bad;

	for my $line (split /\n/, $self->read_file('error.log')) {
		next unless $line =~ /\[(alert|crit)\]/;
		next if grep { $line =~ $_ } @{$self->{allowed_alerts}};
		push @bad, $line;
	}

	for my $sub ('', 'logs/') {
		opendir(my $d, "$dir/$sub") or next;
		for my $f (grep { /^sanitizer/ } readdir $d) {
			push @bad, "$sub$f: " . $self->read_file("$sub$f");
		}
		closedir $d;
	}

	for my $line (split /\n/, $self->read_file('stderr.log')) {
		push @bad, $line if $line =~ /(AddressSanitizer|runtime error|LeakSanitizer)/;
	}

	return @bad;
}

# finish(): stops lintel and adds the test on the logs (once)
sub finish {
	my ($self) = @_;
	local $?;

	# a forked child of the test must not stop lintel or add tests
	return if $self->{owner} != $$;
	return if $self->{destroyed}++;

	$self->stop() if $self->{started};

	if ($self->{planned}) {
		my @bad = $self->_check_logs();
		Test::More::ok(!@bad, 'no alerts, crit or sanitizer reports in the logs')
			or Test::More::diag(join "\n", @bad);
	}

	if ($ENV{TEST_LINTEL_VERBOSE}) {
		Test::More::diag($self->read_file('error.log'));
	}
}

sub DESTROY {
	my ($self) = @_;
	local $?;
	return if $self->{owner} != $$;
	$self->stop() if $self->{started};
}

# runs before Test::More's own END block (this module is loaded after it)
END {
	$_->finish() for splice @live;
}

1;
