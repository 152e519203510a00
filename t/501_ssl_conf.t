#!/usr/bin/perl

# TLS configuration errors: each names the file and line (of the directive
# whose value fails, or of the server{} whose listen ... ssl lacks a
# certificate) and, for what OpenSSL refuses, OpenSSL's reason.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::SSL;

my $t = Lintel::Test->new()->has(qw/http http_ssl/)->plan(19);
my $dir = $t->testdir();

ssl_cert($t, 'localhost');
ssl_cert($t, 'other');
ssl_cert($t, 'enc', pass => 'secret');
$t->write_file('notacert.crt', "hello\n");
$t->write_file('short.key', 'x' x 47);
$t->write_file('ticket.key', 'x' x 48);
$t->write_file('wrongpass', "nope\n");

# conf_error(NAME, SERVER BODY, REGEX, LINE)
sub conf_error {
	my ($name, $body, $re, $line) = @_;
	$t->write_file("$name.conf", <<"END");
events {}
http {
    server {
        listen 127.0.0.1:8443 ssl;
$body
    }
}
END
	my ($code, $err) = $t->test_config("$name.conf");
	my $where = defined $line ? qr/ in \Q$dir\/$name.conf:$line\E$/m : qr//;
	ok($code != 0 && $err =~ /\[emerg\] $re/ && $err =~ $where, "error: $name")
		or diag("exit $code: $err");
}

my $pair = "ssl_certificate $dir/localhost.crt;\nssl_certificate_key $dir/localhost.key;";

conf_error('nocert', "server_name x;",
	qr/no "ssl_certificate" is defined for the "listen \.\.\. ssl" directive/, 3);
conf_error('nokey', "ssl_certificate $dir/localhost.crt;",
	qr/no "ssl_certificate_key" is defined for certificate "\Q$dir\E\/localhost.crt"/, 5);
conf_error('missing', "ssl_certificate $dir/none.crt;\nssl_certificate_key $dir/localhost.key;",
	qr/cannot load certificate "\Q$dir\E\/none.crt": BIO_new_file\(\) failed \(SSL: .*No such file/, 5);
conf_error('garbage', "ssl_certificate $dir/notacert.crt;\nssl_certificate_key $dir/localhost.key;",
	qr/cannot load certificate "\Q$dir\E\/notacert.crt": PEM_read_bio_X509_AUX\(\) failed \(SSL: error:/, 5);
conf_error('mismatch', "ssl_certificate $dir/localhost.crt;\nssl_certificate_key $dir/other.key;",
	qr/SSL_CTX_use_PrivateKey\("\Q$dir\E\/other.key"\) failed \(SSL: .*key values mismatch/, 6);
conf_error('nopass', "ssl_certificate $dir/enc.crt;\nssl_certificate_key $dir/enc.enc.key;",
	qr/cannot load certificate key "\Q$dir\E\/enc.enc.key": PEM_read_bio_PrivateKey\(\) failed/, 6);
conf_error('wrongpass', "ssl_certificate $dir/enc.crt;\nssl_certificate_key $dir/enc.enc.key;\n"
	. "ssl_password_file $dir/wrongpass;",
	qr/cannot load certificate key .*PEM_read_bio_PrivateKey\(\) failed \(SSL: /, 6);
conf_error('passfile', "ssl_password_file $dir/nothere;",
	qr/open\(\) "\Q$dir\E\/nothere" failed \(2: No such file or directory\)/, 5);
conf_error('protocols', "$pair\nssl_protocols TLSv1.2 TLSv9;",
	qr/invalid value "TLSv9" in "ssl_protocols" directive/, 7);
conf_error('ciphers', "$pair\nssl_ciphers NOSUCHCIPHER;",
	qr/SSL_CTX_set_cipher_list\("NOSUCHCIPHER"\) failed \(SSL: .*no cipher match/, 7);
conf_error('curve', "$pair\nssl_ecdh_curve nosuchcurve;",
	qr/SSL_CTX_set1_curves_list\("nosuchcurve"\) failed/, 7);
conf_error('dhparam', "$pair\nssl_dhparam $dir/notacert.crt;",
	qr/PEM_read_bio_Parameters\("\Q$dir\E\/notacert.crt"\) failed/, 7);
conf_error('cache', "$pair\nssl_session_cache shared:x;",
	qr/invalid session cache "shared:x"/, 7);
conf_error('cachesmall', "$pair\nssl_session_cache shared:x:1k;",
	qr/session cache "shared:x:1k" is too small/, 7);
conf_error('ticketkey', "$pair\nssl_session_ticket_key $dir/short.key;",
	qr/"\Q$dir\E\/short.key" must be 48 or 80 bytes/, 7);
conf_error('confcmd', "$pair\nssl_conf_command NoSuchCommand x;",
	qr/SSL_CONF_cmd\("NoSuchCommand", "x"\) failed/, 7);
conf_error('verify', "$pair\nssl_verify_client on;",
	qr/no ssl_client_certificate or ssl_trusted_certificate for ssl_verify_client/, 7);
conf_error('verifyval', "$pair\nssl_verify_client maybe;",
	qr/invalid value "maybe" in "ssl_verify_client" directive/, 7);

# a good one: the ticket key of the right size, everything else at defaults
$t->write_file('good.conf', <<"END");
events {}
http {
    ssl_certificate $dir/localhost.crt;
    ssl_certificate_key $dir/localhost.key;
    server {
        listen 127.0.0.1:8443 ssl;
        ssl_session_ticket_key $dir/ticket.key;
        ssl_session_cache builtin:100 shared:x:1m;
    }
    server {
        listen 127.0.0.1:8444 ssl;
        ssl_reject_handshake on;
    }
}
END
my ($code, $err) = $t->test_config('good.conf');
is($code, 0, 'a valid configuration') or diag($err);
