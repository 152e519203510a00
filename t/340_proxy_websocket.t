#!/usr/bin/perl

# Upgrade/WebSocket through proxy_pass: the usual configuration (Upgrade
# $http_upgrade, Connection $connection_upgrade from a map), the 101 response
# passed on, frames both ways (small, large, several in one read, sent by the
# backend unprompted), the tunnel closed when either side closes, and
# proxy_read_timeout closing an idle tunnel; a request without Upgrade is
# proxied as an ordinary one with Connection: close.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_map http_log/);
my $dir = $t->testdir();

$t->plan(24);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    log_format ws '\$request_uri \$status \$upstream_status';
    access_log $dir/access.log ws;

    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_read_timeout 3s;
        }

        location /short/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_read_timeout 600ms;
        }
    }
}
END

# the backend: a forking WebSocket echo server that records what it saw
my $backend = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
	LocalPort => port(8081), Listen => 32, ReuseAddr => 1)
	or die "backend: $!\n";

my $bpid = fork();
die "fork: $!\n" unless defined $bpid;
if ($bpid == 0) {
	backend($backend);
	exit 0;
}
close $backend;

$t->run();

# 1. the handshake
my $s = ws_connect('/chat');
ok($s, 'connected');
my $head = read_head($s);
like($head, qr!^HTTP/1\.1 101 !, '101 passed to the client');
like($head, qr/^Upgrade: websocket\r$/mi, 'Upgrade header passed');
like($head, qr/^Connection: upgrade\r$/mi, 'Connection: upgrade to the client');
like($head, qr/^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r$/mi,
	'Sec-WebSocket-Accept passed');
like($head, qr/^X-Seen-Upgrade: websocket\r$/mi, 'backend got Upgrade: websocket');
like($head, qr/^X-Seen-Connection: upgrade\r$/mi, 'backend got Connection: upgrade');
unlike($head, qr/^Content-Length|^Transfer-Encoding/mi, 'no body framing on 101');

# 2. frames both ways
ws_send($s, 'hello');
is(ws_read($s), 'echo:hello', 'frame echoed');

ws_send($s, 'one');
ws_send($s, 'two');
is(ws_read($s) . '|' . ws_read($s), 'echo:one|echo:two', 'two frames in order');

my $big = join('', map { chr(65 + $_ % 26) } 0 .. 300_000);
ws_send($s, $big);
my $got = ws_read($s, 10);
is(length($got), length($big) + 5, 'large frame: length');
ok($got eq "echo:$big", 'large frame: content');

# the backend speaks first: "tick" 300 ms after the request
ws_send($s, 'tick');
is(ws_read($s), 'echo:tick', 'tick requested');
is(ws_read($s, 3), 'tick', 'backend frame sent unprompted');

# 3. the backend closes: the client sees the end
ws_send($s, 'bye');
is(ws_read($s), 'echo:bye', 'last frame before the backend closes');
ok(eof_within($s, 3), 'backend close ends the tunnel');
close $s;

# 4. the client closes: the backend sees EOF
$s = ws_connect('/close-notify');
read_head($s);
ws_send($s, 'hi');
is(ws_read($s), 'echo:hi', 'second tunnel works');
close $s;
ok(wait_file("$dir/closed-notify", 3), 'client close reaches the backend');

# 5. proxy_read_timeout closes an idle tunnel
$s = ws_connect('/short/idle');
read_head($s);
ws_send($s, 'x');
is(ws_read($s), 'echo:x', 'tunnel with short read timeout');
my $start = time();
ok(eof_within($s, 8), 'idle tunnel closed');
my $took = time() - $start;
# 600 ms from the last frame the client sent (the echo came later); the
# bounds leave room for a loaded machine
ok($took > 0.3 && $took < 6, "closed after proxy_read_timeout ($took s)");
close $s;

# 6. no Upgrade: an ordinary proxied request, Connection: close to the backend
my $r = http_get('/plain');
like($r, qr!^HTTP/1\.1 200 !, 'plain request');
like($r, qr/^X-Seen-Connection: close\r$/mi, 'Connection: close without Upgrade');

# the access log has the 101
$t->stop();
my $log = $t->read_file('access.log');
like($log, qr!^/chat 101 101$!m, 'access log: 101');

kill 'TERM', $bpid;
waitpid($bpid, 0);

$t->finish();

###############################################################################

sub ws_connect {
	my ($uri) = @_;
	my $s = http_connect(port => 8080) or return;
	http_send($s, "GET $uri HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
		. "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		. "Sec-WebSocket-Version: 13\r\n\r\n");
	return $s;
}

# the response head, byte by byte up to the empty line (frames may follow)
sub read_head {
	my ($s) = @_;
	my $head = '';
	my $sel = IO::Select->new($s);
	while ($head !~ /\r\n\r\n\z/) {
		last unless $sel->can_read(3);
		my $n = sysread($s, my $c, 1);
		last unless $n;
		$head .= $c;
	}
	return $head;
}

sub read_exact {
	my ($s, $n, $timeout, $buf) = @_;
	my $sel = IO::Select->new($s);
	my $data = '';
	my $end = time() + $timeout;
	while (length($data) < $n) {
		my $left = $end - time();
		return unless $left > 0 && $sel->can_read($left);
		my $r = sysread($s, my $chunk, $n - length($data));
		return unless $r;
		$data .= $chunk;
	}
	return $data;
}

sub frame {
	my ($payload, $mask) = @_;
	my $len = length $payload;
	my $f = chr(0x81);
	my $m = $mask ? 0x80 : 0;
	if ($len < 126) {
		$f .= chr($m | $len);
	} elsif ($len < 65536) {
		$f .= chr($m | 126) . pack('n', $len);
	} else {
		$f .= chr($m | 127) . pack('NN', 0, $len);
	}
	if ($mask) {
		my $key = pack('N', int(rand(2**32)));
		$f .= $key . ($payload ^ substr($key x (int($len / 4) + 1), 0, $len));
	} else {
		$f .= $payload;
	}
	return $f;
}

# one frame: (payload) or undef on EOF/timeout
sub read_frame {
	my ($s, $timeout) = @_;
	my $h = read_exact($s, 2, $timeout) // return;
	my ($b0, $b1) = unpack('CC', $h);
	my $len = $b1 & 0x7f;
	if ($len == 126) {
		$len = unpack('n', read_exact($s, 2, $timeout) // return);
	} elsif ($len == 127) {
		my ($hi, $lo) = unpack('NN', read_exact($s, 8, $timeout) // return);
		$len = $lo;
	}
	my $key;
	$key = read_exact($s, 4, $timeout) // return if $b1 & 0x80;
	my $p = $len ? read_exact($s, $len, $timeout) // return : '';
	$p = $p ^ substr($key x (int($len / 4) + 1), 0, $len) if defined $key;
	return $p;
}

sub ws_send { http_send($_[0], frame($_[1], 1)) }
sub ws_read { read_frame($_[0], $_[1] || 3) // '(none)' }

sub eof_within {
	my ($s, $timeout) = @_;
	my $sel = IO::Select->new($s);
	my $end = time() + $timeout;
	while ((my $left = $end - time()) > 0) {
		return 0 unless $sel->can_read($left);
		my $n = sysread($s, my $buf, 65536);
		return 1 if !defined $n || $n == 0;
	}
	return 0;
}

sub wait_file {
	my ($f, $timeout) = @_;
	my $end = time() + $timeout;
	while (time() < $end) {
		return 1 if -e $f;
		sleep 0.05;
	}
	return 0;
}

sub backend {
	my ($l) = @_;
	$SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
	$SIG{TERM} = sub { exit 0 };
	while (1) {
		my $c = $l->accept() or next;
		my $pid = fork();
		if (defined $pid && $pid == 0) {
			close $l;
			serve($c);
			exit 0;
		}
		close $c;
	}
}

sub serve {
	my ($c) = @_;
	my $req = '';
	while ($req !~ /\r\n\r\n/) {
		my $n = sysread($c, my $buf, 1) or return;
		$req .= $buf;
	}
	my ($uri) = $req =~ m!^GET (\S+) !;
	my ($up) = $req =~ /^Upgrade: *([^\r]*)\r$/mi;
	my ($conn) = $req =~ /^Connection: *([^\r]*)\r$/mi;
	$up //= '';
	$conn //= '';
	my $seen = "X-Seen-Upgrade: $up\r\nX-Seen-Connection: $conn\r\n";

	unless (lc($up) eq 'websocket') {
		print $c "HTTP/1.1 200 OK\r\n${seen}Content-Length: 5\r\n"
			. "Connection: close\r\n\r\nplain";
		return;
	}

	# RFC 6455's example key, so the accept value is the RFC's
	syswrite($c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		. "Connection: Upgrade\r\n"
		. "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n$seen\r\n");

	while (1) {
		my $p = read_frame($c, 30);
		unless (defined $p) {
			if ($uri eq '/close-notify') {
				open my $fh, '>', "$dir/closed-notify";
				close $fh;
			}
			return;
		}
		my $out = frame("echo:$p", 0);
		syswrite_all($c, $out);
		if ($p eq 'tick') {
			sleep 0.3;
			syswrite_all($c, frame('tick', 0));
		}
		return if $p eq 'bye';
	}
}

sub syswrite_all {
	my ($c, $data) = @_;
	my $off = 0;
	while ($off < length $data) {
		my $n = syswrite($c, $data, length($data) - $off, $off);
		return unless $n;
		$off += $n;
	}
}

###############################################################################
