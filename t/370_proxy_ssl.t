#!/usr/bin/perl

# TLS to upstreams: proxy_pass https:// (constant, upstream{}, variables), session
# reuse (and proxy_ssl_session_reuse off), SNI (proxy_ssl_server_name,
# proxy_ssl_name), proxy_ssl_verify with a trusted CA (good name, wrong name, unknown
# CA), client certificates (constant, with variables, encrypted key with
# proxy_ssl_password_file), proxy_ssl_protocols, keepalive pools of TLS connections,
# a plain backend and a silent one (502, 504 after proxy_connect_timeout), and
# configuration errors. The backends are lintel's own "listen ... ssl" servers and
# one Perl server; certificates are made here with the openssl command.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_ssl http_log http_headers/);
my $dir = $t->testdir();

plan(skip_all => 'no openssl command') if system('openssl version >/dev/null 2>&1') != 0;

$t->plan(39);

# a CA, a server certificate for localhost and 127.0.0.1 signed by it, a client
# certificate signed by it, a second CA that signs nothing we trust
sub ossl {
	my ($args) = @_;
	system("openssl $args >>$dir/openssl.out 2>&1") == 0 or die "openssl $args failed\n";
}

$t->write_file('ext.cnf', "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
for my $ca (qw/ca other/) {
	ossl("req -x509 -new -nodes -newkey rsa:2048 -keyout $dir/$ca.key -out $dir/$ca.crt "
		. "-days 2 -subj /CN=$ca");
}
ossl("req -new -nodes -newkey rsa:2048 -keyout $dir/server.key -out $dir/server.csr "
	. "-subj /CN=localhost");
ossl("x509 -req -in $dir/server.csr -CA $dir/ca.crt -CAkey $dir/ca.key -CAcreateserial "
	. "-out $dir/server.crt -days 2 -extfile $dir/ext.cnf");
ossl("req -new -nodes -newkey rsa:2048 -keyout $dir/client.key -out $dir/client.csr "
	. "-subj /CN=client");
ossl("x509 -req -in $dir/client.csr -CA $dir/ca.crt -CAkey $dir/ca.key -CAcreateserial "
	. "-out $dir/client.crt -days 2");
ossl("rsa -in $dir/client.key -aes256 -passout pass:secret -out $dir/client-enc.key");
$t->write_file('password', "wrong\nsecret\n");

# revocation lists signed by the CA: one empty, one that revokes the server's
# certificate (openssl ca needs a tiny database)
$t->write_file('ca.cnf', <<"CNF");
[ ca ]
default_ca = myca
[ myca ]
database = $dir/index.txt
crlnumber = $dir/crlnumber
default_md = sha256
default_crl_days = 2
CNF
$t->write_file('index.txt', '');
$t->write_file('crlnumber', "01\n");
ossl("ca -config $dir/ca.cnf -gencrl -keyfile $dir/ca.key -cert $dir/ca.crt -out $dir/empty.crl");
ossl("ca -config $dir/ca.cnf -revoke $dir/server.crt -keyfile $dir/ca.key -cert $dir/ca.crt");
ossl("ca -config $dir/ca.cnf -gencrl -keyfile $dir/ca.key -cert $dir/ca.crt -out $dir/revoked.crl");
# certificates given with variables are read by the worker, which may run as
# another user than the one that made them
chmod(0644, "$dir/client-enc.key", "$dir/client.crt", "$dir/client.key");

# an intermediate CA and a server certificate it signs (sent with its chain)
$t->write_file('int.cnf', "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n");
ossl("req -new -nodes -newkey rsa:2048 -keyout $dir/int.key -out $dir/int.csr -subj /CN=int");
ossl("x509 -req -in $dir/int.csr -CA $dir/ca.crt -CAkey $dir/ca.key -CAcreateserial "
	. "-out $dir/int.crt -days 2 -extfile $dir/int.cnf");
ossl("req -new -nodes -newkey rsa:2048 -keyout $dir/leaf.key -out $dir/leaf.csr "
	. "-subj /CN=localhost");
ossl("x509 -req -in $dir/leaf.csr -CA $dir/int.crt -CAkey $dir/int.key -CAcreateserial "
	. "-out $dir/leaf.crt -days 2 -extfile $dir/ext.cnf");
$t->write_file('leaf-chain.crt', $t->read_file('leaf.crt') . $t->read_file('int.crt'));

# a backend that accepts and never answers (handshake timeout)
my $silent = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
	LocalPort => port(8085), ReuseAddr => 1) or die "silent backend: $!\n";

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    log_format tls '\$uri reused=\$ssl_session_reused sni=\$ssl_server_name '
                   'proto=\$ssl_protocol conn=\$connection dn=\$ssl_client_s_dn '
                   'cipher=\$ssl_cipher';

    upstream pool {
        server 127.0.0.1:%%PORT_8081%%;
        keepalive 2;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_connect_timeout 1s;

        location / {
            proxy_pass https://127.0.0.1:%%PORT_8081%%;
        }
        location /noreuse/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_session_reuse off;
        }
        location /sni/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_server_name on;
            proxy_ssl_name example.org;
        }
        location /nosni/ {
            proxy_pass https://localhost:%%PORT_8081%%/;
        }
        location /sniname/ {
            proxy_pass https://localhost:%%PORT_8081%%/;
            proxy_ssl_server_name on;
        }
        location /verify/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ca.crt;
            proxy_ssl_name localhost;
        }
        location /verifyip/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ca.crt;
        }
        location /wrongname/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ca.crt;
            proxy_ssl_name example.com;
        }
        location /wrongca/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate other.crt;
            proxy_ssl_name localhost;
        }
        location /cert/ {
            proxy_pass https://127.0.0.1:%%PORT_8082%%/;
            proxy_ssl_certificate client.crt;
            proxy_ssl_certificate_key client.key;
        }
        location /certvar/ {
            proxy_pass https://127.0.0.1:%%PORT_8082%%/;
            proxy_ssl_certificate \$arg_c.crt;
            proxy_ssl_certificate_key \$arg_k.key;
            proxy_ssl_password_file password;
        }
        location /certnone/ {
            proxy_pass https://127.0.0.1:%%PORT_8082%%/;
            proxy_ssl_certificate \$arg_c;
            proxy_ssl_certificate_key \$arg_c;
        }
        location /nocert/ {
            proxy_pass https://127.0.0.1:%%PORT_8082%%/;
        }
        location /ciphers/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_protocols TLSv1.2;
            proxy_ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;
        }
        location /suites/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_conf_command Ciphersuites TLS_CHACHA20_POLY1305_SHA256;
        }
        location /depth0/ {
            proxy_pass https://127.0.0.1:%%PORT_8084%%/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ca.crt;
            proxy_ssl_name localhost;
            proxy_ssl_verify_depth 0;
        }
        location /depth1/ {
            proxy_pass https://127.0.0.1:%%PORT_8084%%/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ca.crt;
            proxy_ssl_name localhost;
        }
        location /crlok/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ca.crt;
            proxy_ssl_name localhost;
            proxy_ssl_crl empty.crl;
        }
        location /crlrevoked/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ca.crt;
            proxy_ssl_name localhost;
            proxy_ssl_crl revoked.crl;
        }
        location /certcache/ {
            proxy_pass https://127.0.0.1:%%PORT_8082%%/;
            proxy_ssl_certificate \$arg_c.crt;
            proxy_ssl_certificate_key \$arg_c.key;
            proxy_ssl_certificate_cache max=10 inactive=10s valid=1m;
        }
        location /tls12/ {
            proxy_pass https://127.0.0.1:%%PORT_8081%%/;
            proxy_ssl_protocols TLSv1.2;
        }
        location /pool/ {
            proxy_pass https://pool/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /var/ {
            proxy_pass https://\$arg_h:%%PORT_8081%%/;
        }
        location /port/ {
            proxy_pass https://127.0.0.1/;
            proxy_set_header X-Port \$proxy_port;
            proxy_connect_timeout 300ms;
        }
        location /plain/ {
            proxy_pass https://127.0.0.1:%%PORT_8083%%/;
        }
        location /silent/ {
            proxy_pass https://127.0.0.1:%%PORT_8085%%/;
            proxy_connect_timeout 500ms;
        }
    }

    # the TLS backends
    server {
        listen 127.0.0.1:%%PORT_8081%% ssl;
        ssl_certificate server.crt;
        ssl_certificate_key server.key;
        ssl_session_cache shared:S:1m;
        access_log $dir/backend.log tls;
        location / { return 200 "tls backend\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8082%% ssl;
        ssl_certificate server.crt;
        ssl_certificate_key server.key;
        ssl_verify_client optional;
        ssl_client_certificate ca.crt;
        access_log $dir/backend.log tls;
        location / { return 200 "verify=\$ssl_client_verify\\n"; }
    }
    # a certificate under an intermediate CA
    server {
        listen 127.0.0.1:%%PORT_8084%% ssl;
        ssl_certificate leaf-chain.crt;
        ssl_certificate_key leaf.key;
        location / { return 200 "leaf\\n"; }
    }
    # a plain backend where TLS is expected
    server {
        listen 127.0.0.1:%%PORT_8083%%;
        location / { return 200 "plain\\n"; }
    }
}
END

$t->run();

sub get { my ($uri) = @_; return http_get($uri, timeout => 5); }

sub last_log {
	my ($re) = @_;
	for (1 .. 20) {
		my $log = -e "$dir/backend.log" ? $t->read_file('backend.log') : '';
		my @l = grep { $_ =~ $re } split /\n/, $log;
		return $l[-1] if @l;
		sleep(0.1);
	}
	return '';
}

# basic, and session reuse
my $r = get('/index.html');
is(http_status($r), 200, 'https upstream');
is(http_body($r), "tls backend\n", 'https upstream: body');
like(last_log(qr{^/index.html}), qr/reused=\./, 'first handshake: a new session');
get('/again.html');
like(last_log(qr{^/again.html}), qr/reused=r/, 'second connection: session reused');
get('/noreuse/a.html');
get('/noreuse/b.html');
like(last_log(qr{^/b.html}), qr/reused=\./, 'proxy_ssl_session_reuse off');

# SNI
get('/sni/sni.html');
like(last_log(qr{^/sni.html}), qr/sni=example.org /, 'proxy_ssl_server_name with proxy_ssl_name');
get('/nosni/nosni.html');
like(last_log(qr{^/nosni.html}), qr/sni= /, 'no SNI by default');
get('/sniname/sniname.html');
like(last_log(qr{^/sniname.html}), qr/sni=localhost /, 'SNI: the host of proxy_pass');

# verification
is(http_status(get('/verify/')), 200, 'proxy_ssl_verify: trusted, name matches');
is(http_status(get('/verifyip/')), 200, 'proxy_ssl_verify: an IP address in the certificate');
is(http_status(get('/wrongname/')), 502, 'proxy_ssl_verify: wrong name: 502');
is(http_status(get('/wrongca/')), 502, 'proxy_ssl_verify: unknown CA: 502');

# client certificates
like(http_body(get('/cert/')), qr/verify=SUCCESS/, 'proxy_ssl_certificate');
like(last_log(qr{^/ .*dn=}), qr/dn=CN=client/, 'the backend saw the client certificate');
like(http_body(get('/certvar/?c=client&k=client-enc')), qr/verify=SUCCESS/,
	'certificate with variables, encrypted key, proxy_ssl_password_file');
like(http_body(get('/certnone/')), qr/verify=NONE/, 'certificate variable empty: none');
like(http_body(get('/nocert/')), qr/verify=NONE/, 'no proxy_ssl_certificate');

# protocols
get('/tls12/tls12.html');
like(last_log(qr{^/tls12.html}), qr/proto=TLSv1.2 /, 'proxy_ssl_protocols TLSv1.2');
get('/tls13.html');
like(last_log(qr{^/tls13.html}), qr/proto=TLSv1.3 /, 'TLSv1.3 by default');

# ciphers, conf commands, depth, revocation, the certificate cache directive
get('/ciphers/c.html');
like(last_log(qr{^/c.html}), qr/cipher=ECDHE-RSA-AES128-GCM-SHA256$/, 'proxy_ssl_ciphers');
get('/suites/s.html');
like(last_log(qr{^/s.html}), qr/cipher=TLS_CHACHA20_POLY1305_SHA256$/,
	'proxy_ssl_conf_command Ciphersuites');
is(http_status(get('/depth0/')), 502, 'proxy_ssl_verify_depth 0: an intermediate is too deep');
is(http_status(get('/depth1/')), 200, 'proxy_ssl_verify_depth 1 (default): one intermediate');
is(http_status(get('/crlok/')), 200, 'proxy_ssl_crl: not revoked');
is(http_status(get('/crlrevoked/')), 502, 'proxy_ssl_crl: revoked: 502');
like(http_body(get('/certcache/?c=client')), qr/verify=SUCCESS/,
	'proxy_ssl_certificate_cache accepted');

# keepalive pool: the same TLS connection twice
get('/pool/k1.html');
get('/pool/k2.html');
my ($c1) = last_log(qr{^/k1.html}) =~ /conn=(\d+)/;
my ($c2) = last_log(qr{^/k2.html}) =~ /conn=(\d+)/;
ok(defined $c1 && defined $c2 && $c1 == $c2, 'keepalive: one TLS connection for both');

# variables
is(http_body(get('/var/?h=127.0.0.1')), "tls backend\n", 'proxy_pass https:// with variables');

# failures
my $start = time();
is(http_status(get('/plain/')), 502, 'a plain HTTP backend: 502');
ok(time() - $start < 1, 'a plain HTTP backend: at once');
$start = time();
is(http_status(get('/silent/')), 504, 'a backend that never answers the handshake: 504');
my $took = time() - $start;
ok($took > 0.3 && $took < 3, sprintf('... after proxy_connect_timeout (%.2f s)', $took));

$t->stop();
like($t->read_file('error.log'),
	qr/upstream SSL certificate does not match "example.com" while SSL handshaking to upstream/,
	'the wrong name logged');
like($t->read_file('error.log'), qr/upstream SSL certificate verify error: \(\d+:/,
	'the unknown CA logged');

# configuration errors
sub conf_error {
	my ($conf, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\nserver {\n"
		. "location / {\nproxy_pass https://127.0.0.1:1;\n$conf\n}\n}\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

conf_error("proxy_ssl_verify on;",
	qr/no proxy_ssl_trusted_certificate for proxy_ssl_verify in .*bad.conf/,
	'proxy_ssl_verify without a trusted certificate');
conf_error("proxy_ssl_protocols TLSv9;",
	qr/invalid value "TLSv9" in "proxy_ssl_protocols" directive in .*bad.conf:7/,
	'proxy_ssl_protocols TLSv9');
conf_error("proxy_ssl_certificate_cache max=0;",
	qr/invalid parameter "max=0" in "proxy_ssl_certificate_cache" in .*bad.conf:7/,
	'proxy_ssl_certificate_cache max=0');
conf_error("proxy_ssl_verify on;\nproxy_ssl_trusted_certificate $dir/ca.crt;\n"
	. "proxy_ssl_crl $dir/nosuch.crl;", qr/nosuch.crl.*bad.conf/,
	'proxy_ssl_crl: a missing file');
conf_error("proxy_ssl_certificate $dir/client.crt;",
	qr/no "proxy_ssl_certificate_key" is defined for certificate/, 'certificate without a key');
