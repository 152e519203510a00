#!/usr/bin/perl

# Hostile TLS clients: random bytes, truncated and mutated ClientHellos, record
# headers that announce huge lengths, many half-finished handshakes held open,
# and clients that vanish mid-handshake. The worker must stay up (same pid, no
# alert or sanitizer report) and keep serving a good client.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Net::SSLeay;
use Lintel::Test;
use Lintel::HTTP;
use Lintel::SSL;

my $t = Lintel::Test->new()->has(qw/http http_ssl http_rewrite/)->plan(8);
my $dir = $t->testdir();

ssl_cert($t, 'localhost');

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    client_header_timeout 2s;
    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        ssl_certificate $dir/localhost.crt;
        ssl_certificate_key $dir/localhost.key;
        ssl_session_cache shared:S:1m;
        location / { return 200 "pid=\$pid"; }
    }
}
END

$t->run();

my ($pid) = https_get('/') =~ /pid=(\d+)/;
ok($pid, 'served before');

# a real ClientHello, from memory BIOs
sub client_hello {
	my $ctx = Net::SSLeay::CTX_new() or die;
	my $ssl = Net::SSLeay::new($ctx) or die;
	my $rb = Net::SSLeay::BIO_new(Net::SSLeay::BIO_s_mem());
	my $wb = Net::SSLeay::BIO_new(Net::SSLeay::BIO_s_mem());
	Net::SSLeay::set_bio($ssl, $rb, $wb);
	Net::SSLeay::set_tlsext_host_name($ssl, 'localhost');
	Net::SSLeay::set_connect_state($ssl);
	Net::SSLeay::do_handshake($ssl);
	my $hello = Net::SSLeay::BIO_read($wb);
	Net::SSLeay::free($ssl);
	Net::SSLeay::CTX_free($ctx);
	return $hello;
}

my $hello = client_hello();
ok(length($hello) > 100 && substr($hello, 0, 1) eq "\x16", 'a ClientHello made');

# send(BYTES, WAIT): one connection that sends BYTES, reads briefly, closes
sub send_bytes {
	my ($bytes, $wait) = @_;
	my $c = http_connect(port => 8443) or return;
	http_send($c, $bytes);
	http_read_response($c, $wait || 0.2);
	close $c;
}

srand(5);

# random bytes, with and without a handshake record header in front
for my $i (1 .. 40) {
	my $junk = join '', map { chr(int(rand(256))) } 1 .. 1 + int(rand(600));
	send_bytes($i % 2 ? $junk : "\x16\x03\x01" . pack('n', length $junk) . $junk, 0.05);
}

# truncated ClientHellos: every 13th length, the peer then goes away
for (my $len = 1; $len < length $hello; $len += 13) {
	send_bytes(substr($hello, 0, $len), 0.02);
}

# mutated ClientHellos: a few bytes changed each time
for my $i (1 .. 150) {
	my $m = $hello;
	for (1 .. 1 + int(rand(4))) {
		my $pos = 5 + int(rand(length($m) - 5));
		substr($m, $pos, 1) = chr(int(rand(256)));
	}
	send_bytes($m, 0.05);
}

# records that announce more than the limit, and a length that never comes
send_bytes("\x16\x03\x01\xff\xff" . ('A' x 1000), 0.1);
send_bytes("\x17\x03\x03\x40\x01" . ('B' x 100), 0.1);
send_bytes("\x15\x03\x03\x00\x02\x02\x28", 0.1);       # an alert before anything

like(https_get('/'), qr/pid=$pid/, 'served after garbage and broken hellos');

# half-finished handshakes held open while a good client comes
my @held;
for (1 .. 60) {
	my $c = http_connect(port => 8443) or last;
	http_send($c, substr($hello, 0, 20 + int(rand(100))));
	push @held, $c;
}
like(https_get('/'), qr/pid=$pid/, 'served while 60 half handshakes are held');

# full ClientHellos whose clients never answer the server's flight
for (1 .. 30) {
	my $c = http_connect(port => 8443) or last;
	http_send($c, client_hello());
	push @held, $c;
}
like(https_get('/'), qr/pid=$pid/, 'served while 30 handshakes wait for the client');

# the held ones are closed by the server once client_header_timeout is over
sleep 3;
my $closed = 0;
for my $c (@held) {
	my $buf = http_read_response($c, 0.1);
	my $n = sysread($c, my $x, 1);
	$closed++ if defined $n && $n == 0 || !defined $n && !$!{EAGAIN};
}
ok($closed >= @held - 2, "held handshakes closed by the server ($closed of " . scalar(@held) . ')');
close $_ for @held;

# a client that resets in the middle of the server's flight
for (1 .. 20) {
	my $c = http_connect(port => 8443) or last;
	http_send($c, client_hello());
	setsockopt($c, Socket::SOL_SOCKET(), Socket::SO_LINGER(), pack('ii', 1, 0));
	close $c;
}

like(https_get('/'), qr/pid=$pid/, 'same worker still serving at the end');
unlike($t->read_file('error.log'), qr/exited on signal|\[alert\]|\[crit\]/, 'no crash, alert or crit');
