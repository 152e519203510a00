#!/usr/bin/perl

# Client certificates: ssl_verify_client on (496 without a certificate, 495
# with one the CA did not sign), optional, optional_no_ca, ssl_verify_depth,
# ssl_client_certificate vs ssl_trusted_certificate, ssl_crl, error_page 495
# and 496, and the $ssl_client_* variables.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::SSL;

my $t = Lintel::Test->new()->has(qw/http http_ssl http_rewrite/)->plan(24);
my $dir = $t->testdir();

ssl_cert($t, 'localhost');
ssl_ca($t, 'root');
ssl_ca($t, 'other');
ssl_cert($t, 'client', ca => 'root', cn => 'good client');
ssl_cert($t, 'revoked', ca => 'root', cn => 'revoked client');
ssl_cert($t, 'stranger', ca => 'other', cn => 'stranger');

# a CRL of root that revokes "revoked"
$t->write_file('ca.conf', <<"END");
[ ca ]
default_ca = myca
[ myca ]
database = $dir/certindex
default_md = sha256
default_crl_days = 2
END
$t->write_file('certindex', '');
system("cd $dir && openssl ca -config ca.conf -revoke revoked.crt -keyfile root.key "
	. "-cert root.crt >>openssl.out 2>&1 && openssl ca -config ca.conf -gencrl "
	. "-keyfile root.key -cert root.crt -out root.crl >>openssl.out 2>&1") == 0
	or die "no crl\n";

my $vars = 'v=$ssl_client_verify s=$ssl_client_s_dn i=$ssl_client_i_dn '
	. 'serial=$ssl_client_serial fp=$ssl_client_fingerprint '
	. 'start=$ssl_client_v_start end=$ssl_client_v_end remain=$ssl_client_v_remain '
	. 'legacy=$ssl_client_s_dn_legacy';

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;
    ssl_certificate $dir/localhost.crt;
    ssl_certificate_key $dir/localhost.key;

    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        ssl_verify_client on;
        ssl_client_certificate $dir/root.crt;
        location / { return 200 "$vars"; }
        location /cert { return 200 "[\$ssl_client_escaped_cert]"; }
        location /raw { return 200 "[\$ssl_client_raw_cert]"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8444%% ssl;
        ssl_verify_client optional;
        ssl_trusted_certificate $dir/root.crt;
        ssl_crl $dir/root.crl;
        error_page 495 = /e495;
        location / { return 200 "$vars"; }
        location /e495 { return 200 "cert error \$ssl_client_verify"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8445%% ssl;
        ssl_verify_client optional_no_ca;
        location / { return 200 "$vars"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8446%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 0;
        ssl_client_certificate $dir/root.crt;
        error_page 496 /e496;
        location / { return 200 "$vars"; }
        location = /e496 { return 200 "no cert page"; }
    }
}
END

$t->run();

sub get {
	my ($port, $name, %opts) = @_;
	my @cert = $name ? (SSL_cert_file => "$dir/$name.crt", SSL_key_file => "$dir/$name.key") : ();
	return https_get($opts{uri} || '/', port => $port, @cert);
}

my $r = get(8443, 'client');
like($r, qr/^HTTP\/1\.1 200 /, 'verify on: a good certificate');
like($r, qr/v=SUCCESS /, '$ssl_client_verify');
like($r, qr/s=CN=good client /, '$ssl_client_s_dn');
like($r, qr/i=CN=root /, '$ssl_client_i_dn');
like($r, qr/serial=[0-9A-F]+ /, '$ssl_client_serial');
like($r, qr/fp=[0-9a-f]{40} /, '$ssl_client_fingerprint');
like($r, qr/start=\w{3} +\d+ [\d:]+ \d{4} GMT /, '$ssl_client_v_start');
like($r, qr/end=\w{3} +\d+ [\d:]+ \d{4} GMT /, '$ssl_client_v_end');
like($r, qr/remain=[12] /, '$ssl_client_v_remain');
like($r, qr/legacy=\/CN=good client/, '$ssl_client_s_dn_legacy');
like(get(8443, 'client', uri => '/cert'), qr/\[-----BEGIN%20CERTIFICATE-----%0A.*%0A\]/,
	'$ssl_client_escaped_cert');
like(get(8443, 'client', uri => '/raw'), qr/\[-----BEGIN CERTIFICATE-----\n.*-----END CERTIFICATE-----\n\]/s,
	'$ssl_client_raw_cert');

$r = get(8443, undef);
like($r, qr/^HTTP\/1\.1 400 /, 'verify on, no certificate: 400');
like($r, qr/No required SSL certificate was sent/, 'verify on, no certificate: the 496 page');

$r = get(8443, 'stranger');
ok($r eq '' || $r =~ /^HTTP\/1\.1 400 .*The SSL certificate error/s,
	'verify on, unknown CA: handshake refused or 495');

$r = get(8444, undef);
like($r, qr/v=NONE /, 'optional, no certificate: served');
like(get(8444, 'client'), qr/v=SUCCESS /, 'optional with ssl_trusted_certificate');
like(get(8444, 'stranger'), qr/cert error FAILED:/, 'optional, unknown CA: 495 to error_page');
like(get(8444, 'revoked'), qr/cert error FAILED:certificate revoked/, 'ssl_crl: revoked');

like(get(8445, 'stranger'), qr/v=FAILED:.* s=CN=stranger /, 'optional_no_ca: served with the failure');
like(get(8445, undef), qr/v=NONE /, 'optional_no_ca: no certificate');

like(get(8446, 'client'), qr/v=SUCCESS/, 'ssl_verify_depth 0: a certificate signed by the CA');
like(get(8446, undef), qr/no cert page/, 'error_page 496');

like($t->read_file('error.log'), qr/\[info\].*client sent no required SSL certificate/,
	'no certificate logged at info');
