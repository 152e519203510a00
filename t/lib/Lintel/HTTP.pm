package Lintel::HTTP;

# Raw HTTP over loopback for the tests: send exactly the bytes a test writes,
# read the whole response (until the server closes, or a timeout), and take it
# apart.
#
#   http_get('/x')                  GET /x HTTP/1.0 with Host: localhost, port 8080
#   http_get('/x', port => 8081)
#   http(<<EOF, port => 8080)       any request text (lines end in \n: sent as CRLF
#   GET / HTTP/1.1                  unless raw => 1)
#   Host: localhost
#   Connection: close
#
#   EOF
#   http_status($r), http_header($r, 'Content-Type'), http_body($r)

use strict;
use warnings;

use Exporter qw(import);
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(time);
use Lintel::Test qw(port);

our @EXPORT = qw(http http_get http_head http_status http_header http_body http_headers
	http_connect http_send http_read_response);

sub http_connect {
	my (%opts) = @_;
	my $port = $opts{port} || 8080;
	$port = port($port) if $port >= 8000 && $port < 9000;

	return IO::Socket::INET->new(
		Proto => 'tcp',
		PeerAddr => $opts{addr} || '127.0.0.1',
		PeerPort => $port,
		Timeout => 5,
	);
}

# http_send(SOCKET, TEXT): writes all of it
sub http_send {
	my ($s, $text) = @_;
	local $SIG{PIPE} = 'IGNORE';
	my $off = 0;
	while ($off < length $text) {
		my $n = syswrite($s, $text, length($text) - $off, $off);
		return unless defined $n;
		$off += $n;
	}
	return 1;
}

# http_read_response(SOCKET, TIMEOUT): what arrives until close or quiet time
sub http_read_response {
	my ($s, $timeout, %opts) = @_;
	$timeout ||= 5;
	my $sel = IO::Select->new($s);
	my $r = '';
	my $end = time() + $timeout;

	while (time() < $end) {
		my @ready = $sel->can_read($end - time());
		last unless @ready;
		my $n = sysread($s, my $buf, 65536);
		last unless $n;
		$r .= $buf;
		last if $opts{one} && _complete($r);
	}

	return $r;
}

# _complete: a whole response (by Content-Length or chunked end) has arrived
sub _complete {
	my ($r) = @_;
	my $i = index($r, "\r\n\r\n");
	return 0 if $i < 0;
	my $head = substr($r, 0, $i);
	my $body = substr($r, $i + 4);
	return 1 if $head =~ m{^HTTP/\S+ (1\d\d|204|304)};
	if ($head =~ /^Content-Length:\s*(\d+)/mi) {
		return length($body) >= $1;
	}
	if ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
		return $body =~ /(^|\r\n)0\r\n(.*\r\n)?\r\n\z/s;
	}
	return 0;
}

sub http {
	my ($request, %opts) = @_;
	$request =~ s/(?<!\r)\n/\r\n/g unless $opts{raw};
	my $s = $opts{socket} || http_connect(%opts) or return '';
	http_send($s, $request) or return '';
	return $s if $opts{start};
	my $r = http_read_response($s, $opts{timeout}, one => $opts{one});
	close $s unless $opts{socket};
	return $r;
}

sub http_get {
	my ($uri, %opts) = @_;
	my $host = $opts{host} || 'localhost';
	return http("GET $uri HTTP/1.0\nHost: $host\n\n", %opts);
}

sub http_head {
	my ($uri, %opts) = @_;
	my $host = $opts{host} || 'localhost';
	return http("HEAD $uri HTTP/1.0\nHost: $host\n\n", %opts);
}

sub http_status {
	my ($r) = @_;
	return $r =~ m{^HTTP/\d\.\d (\d{3})} ? $1 : undef;
}

sub http_headers {
	my ($r) = @_;
	my $i = index($r, "\r\n\r\n");
	return $i < 0 ? $r : substr($r, 0, $i + 2);     # each line with its CRLF
}

sub http_header {
	my ($r, $name) = @_;
	my @v = http_headers($r) =~ /^\Q$name\E:[ \t]*(.*?)\r$/mgi;
	return wantarray ? @v : $v[0];
}

sub http_body {
	my ($r) = @_;
	my $i = index($r, "\r\n\r\n");
	return undef if $i < 0;
	my $body = substr($r, $i + 4);
	if (http_headers($r) =~ /^Transfer-Encoding:\s*chunked/mi) {
		my $out = '';
		while ($body =~ s/^([0-9a-fA-F]+)[^\r]*\r\n//) {
			my $n = hex $1;
			last if $n == 0;
			$out .= substr($body, 0, $n, '');
			$body =~ s/^\r\n//;
		}
		return $out;
	}
	return $body;
}

1;
