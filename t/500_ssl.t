#!/usr/bin/perl

# TLS termination: listen ... ssl with ssl_certificate/ssl_certificate_key, the
# request path over TLS (keep-alive, a large static file that goes out without
# sendfile, a request body), $scheme $https and the $ssl_* variables, ALPN,
# plain HTTP on the HTTPS port (400 page, internal code 497, error_page 497),
# ssl_protocols, ssl_ciphers, ssl_prefer_server_ciphers, ssl_ecdh_curve,
# ssl_dhparam, ssl_conf_command, ssl_buffer_size, an RSA and an ECDSA
# certificate in one server, "data:" values, ssl_password_file (a pipe too),
# the handshake timeout (client_header_timeout), a plain listener beside it.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX qw(mkfifo);
use IO::Socket::SSL;
use Lintel::Test;
use Lintel::HTTP;
use Lintel::SSL;

my $t = Lintel::Test->new()->has(qw/http http_ssl http_static http_rewrite/)->plan(43);
my $dir = $t->testdir();

ssl_cert($t, 'localhost');
ssl_cert($t, 'ec', type => 'ec', cn => 'ecdsa');
ssl_cert($t, 'enc', cn => 'encrypted', pass => 'secret');
system("openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 "
	. "-out $dir/dh.pem >>$dir/openssl.out 2>&1") == 0 or die "no dhparam\n";

my $cert = $t->read_file('localhost.crt');
my $key = $t->read_file('localhost.key');
s/\n/\\n/g for ($cert, $key);

$t->write_file('password', "wrong\nsecret\n");
$t->write_file('html/index.html', "index\n");
my $big = join '', map { sprintf "%07d\n", $_ } 1 .. 40000;   # 320000 bytes
$t->write_file('html/big.txt', $big);

mkfifo("$dir/password_fifo", 0700) or die "mkfifo: $!\n";
my $pid = fork();
if ($pid == 0) {
	open my $f, '>', "$dir/password_fifo" or exit 1;
	print $f "secret\n";
	close $f;
	exit 0;
}

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;
    client_header_timeout 1s;

    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root $dir/html;
        sendfile on;

        ssl_certificate $dir/localhost.crt;
        ssl_certificate_key $dir/localhost.key;
        ssl_certificate $dir/ec.crt;
        ssl_certificate_key $dir/ec.key;
        ssl_dhparam $dir/dh.pem;
        ssl_ecdh_curve X25519:prime256v1;
        ssl_buffer_size 4k;

        location /vars {
            return 200 "s=\$scheme h=\$https p=\$ssl_protocol c=\$ssl_cipher n=\$ssl_server_name r=\$ssl_session_reused cu=\$ssl_curve a=\$ssl_alpn_protocol e=\$ssl_early_data";
        }
        location /sid { return 200 "sid=\$ssl_session_id"; }
        location /ciphers { return 200 "\$ssl_ciphers|\$ssl_curves"; }
        location /body { return 200 "len=\$content_length"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8444%% ssl;
        server_name localhost;
        ssl_certificate $dir/localhost.crt;
        ssl_certificate_key $dir/localhost.key;
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384;
        ssl_prefer_server_ciphers on;
        error_page 497 =301 https://\$host:\$server_port\$request_uri;
        location / { return 200 "p=\$ssl_protocol c=\$ssl_cipher"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8445%% ssl;
        server_name localhost;
        ssl_certificate "data:$cert";
        ssl_certificate_key "data:$key";
        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites TLS_CHACHA20_POLY1305_SHA256;
        error_page 497 /plain;
        location = /plain { return 200 "plain was sent to \$scheme port\\n"; }
        location / { return 200 "p=\$ssl_protocol c=\$ssl_cipher"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8446%% ssl;
        server_name localhost;
        ssl_certificate $dir/enc.crt;
        ssl_certificate_key $dir/enc.enc.key;
        ssl_password_file $dir/password;
        location / { return 200 "encrypted key"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8447%% ssl;
        server_name localhost;
        ssl_certificate $dir/enc.crt;
        ssl_certificate_key $dir/enc.enc.key;
        ssl_password_file $dir/password_fifo;
        location / { return 200 "fifo password"; }
    }
}
END

$t->run();
waitpid($pid, 0);

# the request path over TLS

like(https_get('/'), qr{^HTTP/1\.1 200 .*\r\n\r\nindex\n\z}s, 'static file over TLS');

my $r = https_get('/vars', sni => 'localhost', SSL_alpn_protocols => ['h2', 'http/1.1']);
like($r, qr/s=https h=on /, '$scheme and $https');
like($r, qr/p=TLSv1\.3 /, '$ssl_protocol');
like($r, qr/c=TLS_\w+ /, '$ssl_cipher');
like($r, qr/n=localhost /, '$ssl_server_name');
like($r, qr/r=\. /, '$ssl_session_reused: new session');
like($r, qr/cu=X25519 /, '$ssl_curve, from ssl_ecdh_curve');
like($r, qr/a=http\/1\.1 /, 'ALPN: http/1.1 chosen');
like($r, qr/e=\z/, '$ssl_early_data empty');

like(https_get('/vars'), qr/n= /, 'no SNI: empty $ssl_server_name');
like(https_get('/sid'), qr/sid=[0-9a-f]{64}\z/, '$ssl_session_id');
like(https_get('/ciphers'), qr/TLS_AES_256_GCM_SHA384.*\|.*X25519/, '$ssl_ciphers $ssl_curves');

# only h2 offered: no common protocol
ok(!ssl_connect(SSL_alpn_protocols => ['h2']), 'ALPN without http/1.1 refused');

# a large file: sendfile is on, TLS writes it through its own buffer
$r = https_get('/big.txt', timeout => 10);
my ($body) = $r =~ /\r\n\r\n(.*)\z/s;
ok(defined $body && $body eq $big, 'large file intact over TLS (no sendfile)');

# keep-alive and pipelining over TLS
$r = https("GET /index.html HTTP/1.1\nHost: localhost\n\n"
	. "GET /vars HTTP/1.1\nHost: localhost\n\n"
	. "GET /index.html HTTP/1.1\nHost: localhost\nConnection: close\n\n");
is(() = $r =~ m{HTTP/1\.1 200}g, 3, 'three pipelined requests on one TLS connection');

# a request body
$r = https("POST /body HTTP/1.0\nHost: localhost\nContent-Length: 5000\n\n" . ('x' x 5000));
like($r, qr/len=5000/, 'request body over TLS');

# both certificates: the client's signature algorithms pick
my ($rr, $s) = https_get('/', keep => 1, SSL_cipher_list => 'ECDHE-ECDSA-AES128-GCM-SHA256',
	SSL_version => 'TLSv1_2');
like($s && $s->peer_certificate('subject'), qr/CN ?= ?ecdsa/, 'ECDSA certificate for an ECDSA client');
($rr, $s) = https_get('/', keep => 1, SSL_cipher_list => 'ECDHE-RSA-AES128-GCM-SHA256',
	SSL_version => 'TLSv1_2');
like($s && $s->peer_certificate('subject'), qr/CN ?= ?localhost/, 'RSA certificate for an RSA client');

# plain HTTP on the HTTPS port

$r = http_get('/', port => 8443);
like($r, qr{^HTTP/1\.1 400 Bad Request}, 'plain HTTP: 400');
like($r, qr{The plain HTTP request was sent to HTTPS port}, 'plain HTTP: the page');
like($r, qr{Connection: close}, 'plain HTTP: connection closed');
like(http_get('/', port => 8080), qr/index/, 'plain listener of the same server');

$r = http_get('/x?a=1', port => 8444);
like($r, qr{^HTTP/1\.1 301}, 'error_page 497 =301');
like($r, qr{Location: https://localhost:\d+/x\?a=1}, 'error_page 497: to https');
like(http_get('/', port => 8445), qr/plain was sent to http port/, 'error_page 497 to a location');

# protocols and ciphers

$r = https_get('/', port => 8444, SSL_cipher_list => 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256');
like($r, qr/p=TLSv1\.2 c=ECDHE-RSA-AES128-GCM-SHA256/, 'ssl_protocols TLSv1.2, server cipher preference');
ok(!ssl_connect(port => 8444, SSL_version => 'TLSv1_3'), 'TLSv1.3 refused when only TLSv1.2 is on');
ok(!ssl_connect(port => 8445, SSL_version => 'TLSv1_2'), 'TLSv1.2 refused when only TLSv1.3 is on');
like(https_get('/', port => 8445), qr/p=TLSv1\.3 c=TLS_CHACHA20_POLY1305_SHA256/,
	'ssl_conf_command Ciphersuites; "data:" certificate and key');
ok(!ssl_connect(port => 8444, SSL_cipher_list => 'AES128-SHA', SSL_version => 'TLSv1_2'),
	'no common cipher: refused');

# encrypted keys

like(https_get('/', port => 8446), qr/encrypted key/, 'ssl_password_file: second password');
like(https_get('/', port => 8447), qr/fifo password/, 'ssl_password_file from a pipe');

# the handshake is bounded by client_header_timeout

my $c = http_connect(port => 8443);
my $start = time();
my $got = http_read_response($c, 5);
my $took = time() - $start;
ok($got eq '' && $took < 3, 'silent client closed after client_header_timeout') or diag("took $took");

$c = http_connect(port => 8443);
http_send($c, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");     # a ClientHello's start
$start = time();
$got = http_read_response($c, 5);
$took = time() - $start;
ok($took < 3, 'half a ClientHello: closed after client_header_timeout') or diag("took $took");

# a client that goes away in the middle
$c = http_connect(port => 8443);
http_send($c, "\x16\x03\x01\x00\x05\x01\x00");
close $c;

# garbage that looks like TLS
$c = http_connect(port => 8443);
http_send($c, "\x16\x03\x01\x00\x04abcd" . ("\xff" x 100));
$got = http_read_response($c, 3);
ok(length($got) < 20, 'garbage record: alert or close, no HTTP');

# renegotiation is refused, the connection still serves after the attempt
($rr, $s) = https("GET / HTTP/1.1\nHost: localhost\n\n", port => 8444, keep => 1,
	SSL_version => 'TLSv1_2', timeout => 1);
like($rr, qr/200 OK/, 'TLSv1.2 request before renegotiation');
SKIP: {
	skip 'no TLS 1.2 connection', 1 unless $s;
	my $ok = Net::SSLeay::renegotiate($s->_get_ssl_object());
	Net::SSLeay::do_handshake($s->_get_ssl_object());
	print $s "GET / HTTP/1.1\nHost: localhost\nConnection: close\n\n";
	my $after = '';
	my $end = time() + 3;
	while (time() < $end) {
		my $n = sysread($s, my $buf, 4096);
		last unless $n;
		$after .= $buf;
	}
	unlike($after, qr/200 OK/, 'renegotiation refused');
}

# still serving after all of this
like(https_get('/'), qr/index/, 'still serving');

# the log: handshake errors at info, with OpenSSL's reason; no key material
my $log = $t->read_file('error.log');
like($log, qr/\[info\].*SSL_do_handshake\(\) failed \(SSL: error:/, 'handshake failure logged at info with the reason');
like($log, qr/\[info\].*client sent plain HTTP request to HTTPS port/, 'plain HTTP logged');
unlike($log, qr/BEGIN (RSA |EC )?PRIVATE KEY/, 'no key material in the log');

# stop: close_notify on a keep-alive connection at shutdown
($rr, $s) = https("GET / HTTP/1.1\nHost: localhost\n\n", keep => 1, timeout => 1);
like($rr, qr/200 OK/, 'keep-alive connection open');
$t->stop();
my $eof = '';
if ($s) {
	my $n = sysread($s, my $buf, 100);
	$eof = defined $n ? "read $n" : "error";
}
is($eof, 'read 0', 'connection closed cleanly at stop');
