package Lintel::Backend;

# Small HTTP backends for the proxy tests (t/30*.t): a process per listening
# socket (TCP on 127.0.0.1 or a unix socket), a child per connection. What a
# request gets depends on its path (the query string is ignored):
#
#   /echo...            200, the body is the request as received (header lines
#                       and body, the body de-chunked; X-Body-Chunked: yes when
#                       it came chunked), Content-Length
#   /status/NNN...      status NNN, body "status NNN\n"
#   /slow/MS...         the header after MS milliseconds, then the body
#   /slowbody/MS...     the header at once, the body after MS milliseconds
#   /close...           close without answering
#   /closebody...       a header promising 100 bytes, 10 of them, then close
#   /malformed...       "HTTP/1.1 OK" with no status: an invalid status line
#   /badheader...       a header line without a colon
#   /http09...          no header at all: "just a body\n"
#   /huge/N...          N bytes ("0123456789" repeated), Content-Length
#   /hugeclose/N...     N bytes, no Content-Length: the end is the close
#   /chunked...         a chunked body "hello world" in pieces, trailer
#                       "X-Trailer: t1"
#   /chunkedslow...     the same, each piece 200 ms apart
#   /chunkedbad...      chunked with an invalid chunk size
#   /chunkedcut...      one chunk, then close (no last chunk)
#   /headers...         200 with the response headers the query string lists:
#                       ?h=Name:value&h=Name2:value2 (":" may be "%3A")
#   /xaccel/URI...      X-Accel-Redirect: /URI
#   anything else       200, "X-Backend: PORT", body "backend PORT\n"
#
# Every answer has Connection: close and the connection is closed after it.
#
#   my $b = Lintel::Backend->start(port(8081));
#   my $u = Lintel::Backend->start("unix:$dir/b.sock");
#   $b->stop();          (also at exit)

use strict;
use warnings;

use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(WNOHANG setpgid);
use Time::HiRes qw(sleep);

my @all;

sub start {
	my ($class, $where) = @_;
	my $self = bless { owner => $$, where => $where }, $class;
	my ($server, $name);

	if ($where =~ /^unix:(.*)/) {
		unlink $1;
		$server = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $1, Listen => 128)
			or die "backend on $where: $!\n";
		chmod 0777, $1;
		$name = 'unix';

	} else {
		$server = IO::Socket::INET->new(
			Proto => 'tcp',
			LocalAddr => '127.0.0.1',
			LocalPort => $where,
			Listen => 128,
			ReuseAddr => 1,
		) or die "backend on $where: $!\n";
		$name = $where;
	}

	my $pid = fork();
	die "fork: $!\n" unless defined $pid;

	if ($pid == 0) {
		setpgid(0, 0);
		$SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
		$SIG{PIPE} = 'IGNORE';
		alarm 60;
		for (;;) {
			my $c = $server->accept() or next;
			my $child = fork();
			if (defined $child && $child == 0) {
				alarm 20;
				_serve($c, $name);
				POSIX::_exit(0);
			}
			close $c;
		}
	}

	setpgid($pid, $pid);
	close $server;
	$self->{pid} = $pid;

	push @all, $self;
	return $self;
}

sub stop {
	my ($self) = @_;
	return unless $self->{pid} && $self->{owner} == $$;
	kill 'TERM', -$self->{pid};
	local $?;
	waitpid($self->{pid}, 0);
	delete $self->{pid};
}

END {
	$_->stop() for @all;
}

# _read_request: the header and the body (by Content-Length or chunked)
sub _read_request {
	my ($c) = @_;
	my $buf = '';

	while ($buf !~ /\r?\n\r?\n/) {
		my $n = sysread($c, $buf, 65536, length $buf);
		return unless $n;
	}

	my ($head, $rest) = split /\r?\n\r?\n/, $buf, 2;
	my $body = '';
	my $chunked = 0;

	if ($head =~ /^Content-Length:\s*(\d+)/mi) {
		my $len = $1;
		while (length $rest < $len) {
			my $n = sysread($c, $rest, 65536, length $rest);
			last unless $n;
		}
		$body = substr($rest, 0, $len);

	} elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
		$chunked = 1;
		for (;;) {
			if ($rest =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
				my $size = hex $1;
				if ($size == 0) {
					while ($rest !~ /^(.*\r\n)*?\r\n/s) {
						my $n = sysread($c, $rest, 65536, length $rest);
						last unless $n;
					}
					last;
				}
				while (length $rest < $size + 2) {
					my $n = sysread($c, $rest, 65536, length $rest);
					return unless $n;
				}
				$body .= substr($rest, 0, $size);
				substr($rest, 0, $size + 2) = '';
				next;
			}
			my $n = sysread($c, $rest, 65536, length $rest);
			last unless $n;
		}
	}

	return ($head, $body, $chunked);
}

sub _send {
	my ($c, $data) = @_;
	my $off = 0;
	while ($off < length $data) {
		my $n = syswrite($c, $data, length($data) - $off, $off);
		return unless $n;
		$off += $n;
	}
}

sub _answer {
	my ($c, $status, $body, @headers) = @_;
	my $h = "HTTP/1.1 $status\r\n" . join('', map { "$_\r\n" } @headers)
		. 'Content-Length: ' . length($body) . "\r\nConnection: close\r\n\r\n";
	_send($c, $h . $body);
}

sub _serve {
	my ($c, $name) = @_;
	my ($head, $body, $chunked) = _read_request($c);
	return unless defined $head;

	my ($uri) = $head =~ m{^\S+ (\S+)};
	$uri = '/' unless defined $uri;
	my ($path, $query) = split /\?/, $uri, 2;
	$query = '' unless defined $query;

	if ($path =~ m{/echo}) {
		_answer($c, '200 OK', "$head\r\n\r\n$body",
			$chunked ? 'X-Body-Chunked: yes' : ());

	} elsif ($path =~ m{^/status/(\d{3})}) {
		_answer($c, "$1 X", "status $1\n");

	} elsif ($path =~ m{^/slow/(\d+)}) {
		sleep($1 / 1000);
		_answer($c, '200 OK', "slow\n");

	} elsif ($path =~ m{^/slowbody/(\d+)}) {
		my $ms = $1;
		_send($c, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\n");
		sleep($ms / 1000);
		_send($c, "slowbody\n");

	} elsif ($path =~ m{^/closebody}) {
		_send($c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");

	} elsif ($path =~ m{^/close}) {
		# nothing

	} elsif ($path =~ m{^/malformed}) {
		_send($c, "HTTP/1.1 OK\r\nContent-Length: 2\r\n\r\nok");

	} elsif ($path =~ m{^/badheader}) {
		_send($c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nthis is no header\r\n\r\nok");

	} elsif ($path =~ m{^/http09}) {
		_send($c, "just a body\n");

	} elsif ($path =~ m{^/huge/(\d+)}) {
		_answer($c, '200 OK', substr('0123456789' x ($1 / 10 + 1), 0, $1));

	} elsif ($path =~ m{^/hugeclose/(\d+)}) {
		_send($c, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
			. substr('0123456789' x ($1 / 10 + 1), 0, $1));

	} elsif ($path =~ m{^/chunkedcut}) {
		_send($c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");

	} elsif ($path =~ m{^/chunkedbad}) {
		_send($c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			. "5\r\nhello\r\nzz\r\nxx\r\n0\r\n\r\n");

	} elsif ($path =~ m{^/chunked(slow)?}) {
		my $slow = $1;
		_send($c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			. "Connection: close\r\n\r\n");
		for my $piece ("5\r\nhello\r\n", "6\r\n world\r\n",
			"0\r\nX-Trailer: t1\r\n\r\n")
		{
			sleep(0.2) if $slow;
			_send($c, $piece);
		}

	} elsif ($path =~ m{^/headers}) {
		my @h;
		for my $kv (split /&/, $query) {
			next unless $kv =~ s/^h=//;
			$kv =~ s/%([0-9a-fA-F]{2})/chr(hex $1)/ge;
			$kv =~ s/\+/ /g;
			push @h, $kv;
		}
		_answer($c, '200 OK', "headers\n", @h);

	} elsif ($path =~ m{^/xaccel(/.*)}) {
		_answer($c, '200 OK', "xaccel\n", "X-Accel-Redirect: $1");

	} else {
		_answer($c, '200 OK', "backend $name\n", "X-Backend: $name");
	}

	shutdown($c, 1);
	my $junk;
	sysread($c, $junk, 1);
	close $c;
}

1;
