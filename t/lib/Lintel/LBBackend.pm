package Lintel::LBBackend;

# Small HTTP backends for the load balancing tests (t/32*.t): one process per
# port (its own process group, so that a test can kill a backend with every
# request it is serving), a child per connection, so that requests can be held
# open at the same time.
#
#   my $b = Lintel::LBBackend->start($dir, port(8091), port(8092));
#   $b->arrivals()          lines "PORT URI X-PID" of the requests received
#   $b->release('id')       lets /hold/id (and /hold/id/...) answer
#   $b->kill(port(8092))    the backend of that port stops (with its children)
#   $b->stop()              all of them (also at exit)
#
# What a request's URI asks for:
#   /hold/ID...      wait (at most 10 s) until release('ID') or release('all')
#   /sleep/MS...     answer after MS milliseconds
#   /close...        close the connection without an answer
#   anything else    answer at once
# The answer: 200, "X-Port: PORT", Connection: close, body "PORT\n".

use strict;
use warnings;

use IO::Socket::INET;
use POSIX qw(WNOHANG setpgid);
use Time::HiRes qw(sleep time);

my @all;

sub start {
	my ($class, $dir, @ports) = @_;
	my $self = bless { dir => $dir, pids => {}, owner => $$ }, $class;

	for my $port (@ports) {
		my $server = IO::Socket::INET->new(
			Proto => 'tcp',
			LocalAddr => '127.0.0.1',
			LocalPort => $port,
			Listen => 128,
			ReuseAddr => 1,
		) or die "backend on $port: $!\n";

		my $pid = fork();
		die "fork: $!\n" unless defined $pid;

		if ($pid == 0) {
			setpgid(0, 0);
			_serve($dir, $port, $server);
			POSIX::_exit(0);
		}

		setpgid($pid, $pid);
		close $server;
		$self->{pids}{$port} = $pid;
	}

	push @all, $self;
	return $self;
}

sub _serve {
	my ($dir, $port, $server) = @_;

	$SIG{CHLD} = 'IGNORE';
	$SIG{PIPE} = 'IGNORE';
	$SIG{TERM} = sub { POSIX::_exit(0) };

	while (1) {
		my $c = $server->accept() or next;
		my $pid = fork();

		if (!defined $pid) {
			close $c;
			next;
		}

		if ($pid == 0) {
			close $server;
			_request($dir, $port, $c);
			POSIX::_exit(0);
		}

		close $c;
	}
}

sub _request {
	my ($dir, $port, $c) = @_;
	my $head = '';

	local $SIG{ALRM} = sub { POSIX::_exit(0) };
	alarm 15;

	while (defined(my $line = <$c>)) {
		$head .= $line;
		last if $line =~ /^\x0d?\x0a$/;
	}

	my ($uri) = $head =~ /^\S+\s+(\S+)/;
	return unless defined $uri;
	my ($xpid) = $head =~ /^X-Pid:\s*(\S+)/mi;
	$xpid = '-' unless defined $xpid;

	if (open my $fh, '>>', "$dir/arrivals") {
		syswrite($fh, "$port $uri $xpid\n");
		close $fh;
	}

	if ($uri =~ m{^/hold/([^/?]+)}) {
		my $id = $1;
		my $end = time() + 10;
		sleep 0.01 until -e "$dir/release-$id" || -e "$dir/release-all"
			|| time() > $end;

	} elsif ($uri =~ m{^/sleep/(\d+)}) {
		sleep $1 / 1000;

	} elsif ($uri =~ m{^/close}) {
		close $c;
		return;
	}

	my $body = "$port\n";
	print $c "HTTP/1.1 200 OK\r\nX-Port: $port\r\nContent-Length: " . length($body)
		. "\r\nConnection: close\r\n\r\n$body";
	close $c;
}

sub arrivals {
	my ($self) = @_;
	open my $fh, '<', "$self->{dir}/arrivals" or return ();
	my @l = <$fh>;
	close $fh;
	chomp @l;
	return @l;
}

sub release {
	my ($self, $id) = @_;
	open my $fh, '>', "$self->{dir}/release-$id" or die "release: $!\n";
	close $fh;
}

sub kill {
	my ($self, $port) = @_;
	my $pid = delete $self->{pids}{$port} or return;
	local $?;
	CORE::kill('KILL', -$pid);
	waitpid($pid, 0);
}

sub stop {
	my ($self) = @_;
	return if $self->{owner} != $$;     # not from a forked child of the test
	$self->kill($_) for keys %{$self->{pids}};
}

END {
	local $?;
	$_->stop() for @all;
}

1;
