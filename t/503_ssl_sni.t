#!/usr/bin/perl

# SNI: the TLS server name picks the server{} (exact, wildcard and regex
# names, as the Host header does) and so its certificate; without a name or
# with an unknown one the default server answers; a Host that picks another
# server is served unless that server verifies client certificates (421);
# ssl_reject_handshake on refuses the handshake of a default server without
# certificates, per name.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::SSL;

my $t = Lintel::Test->new()->has(qw/http http_ssl http_rewrite/)->plan(26);
my $dir = $t->testdir();

ssl_ca($t, 'root');
ssl_cert($t, $_) for qw/default exact wild regex/;
chmod 0644, "$dir/wild.key";    # read by the worker (user nobody when run as root)

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        server_name default.example;
        ssl_certificate $dir/default.crt;
        ssl_certificate_key $dir/default.key;
        location / { return 200 "server=default sni=\$ssl_server_name host=\$host"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        server_name tls12.example;
        ssl_certificate $dir/exact.crt;
        ssl_certificate_key $dir/exact.key;
        ssl_protocols TLSv1.2;
        location / { return 200 "server=tls12 proto=\$ssl_protocol"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        server_name exact.example;
        ssl_certificate $dir/exact.crt;
        ssl_certificate_key $dir/exact.key;
        location / { return 200 "server=exact sni=\$ssl_server_name host=\$host"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        server_name *.wild.example;
        ssl_certificate $dir/wild.crt;
        ssl_certificate_key $dir/wild.key;
        location / { return 200 "server=wild sni=\$ssl_server_name"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        server_name ~^re(?<num>\\d+)\\.example\$;
        ssl_certificate $dir/regex.crt;
        ssl_certificate_key $dir/regex.key;
        location / { return 200 "server=regex sni=\$ssl_server_name"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        server_name verify.example;
        ssl_certificate $dir/exact.crt;
        ssl_certificate_key $dir/exact.key;
        ssl_verify_client optional;
        ssl_client_certificate $dir/root.crt;
        location / { return 200 "server=verify"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8445%% ssl;
        ssl_certificate \$ssl_server_name.crt;
        ssl_certificate_key $dir/\$ssl_server_name.key;
        location / { return 200 "server=dynamic"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8444%% ssl default_server;
        ssl_reject_handshake on;
    }
    server {
        listen 127.0.0.1:%%PORT_8444%% ssl;
        server_name known.example;
        ssl_certificate $dir/exact.crt;
        ssl_certificate_key $dir/exact.key;
        location / { return 200 "server=known"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8444%% ssl;
        server_name rejected.example;
        ssl_reject_handshake on;
    }
}
END

$t->run();

sub cn {
	my ($sni, %opts) = @_;
	my ($r, $s) = https_get('/', sni => $sni, host => $opts{host} || $sni || 'localhost',
		port => $opts{port} || 8443, keep => 1);
	my $cn = $s ? $s->peer_certificate('subject') : 'none';
	$cn =~ s/.*CN ?= ?//;
	return ($cn, $r);
}

my ($cn, $r) = cn('exact.example');
is($cn, 'exact', 'exact name: its certificate');
like($r, qr/server=exact sni=exact.example host=exact.example/, 'exact name: its server');

($cn, $r) = cn('EXACT.example', host => 'exact.example');
is($cn, 'exact', 'server name case does not matter');

($cn, $r) = cn('a.wild.example');
is($cn, 'wild', 'wildcard name: its certificate');
like($r, qr/server=wild sni=a.wild.example/, 'wildcard name: its server');

($cn, $r) = cn('re42.example');
is($cn, 'regex', 'regex name: its certificate');

($cn, $r) = cn('unknown.example');
is($cn, 'default', 'unknown name: default certificate');
like($r, qr/server=default/, 'unknown name: default server');

($cn, $r) = cn('', host => 'exact.example');
is($cn, 'default', 'no SNI: default certificate');
like($r, qr/server=exact sni= /, 'no SNI: Host picks the server');

# the Host differs from the name of the handshake
($cn, $r) = cn('exact.example', host => 'a.wild.example');
like($r, qr/server=wild/, 'another Host: that server');
($cn, $r) = cn('exact.example', host => 'verify.example');
like($r, qr/^HTTP\/1\.1 421 /, 'another Host that verifies clients: 421');
($cn, $r) = cn('verify.example', host => 'verify.example');
like($r, qr/server=verify/, 'same name and Host with verification: served');

# ssl_reject_handshake
ok(!ssl_connect(port => 8444, sni => 'other.example'), 'rejected: unknown name');
ok(!ssl_connect(port => 8444), 'rejected: no name');
ok(!ssl_connect(port => 8444, sni => 'rejected.example'), 'rejected: a rejecting server');
($cn, $r) = cn('known.example', port => 8444);
like($r, qr/server=known/, 'a server with a certificate behind a rejecting default');

# certificates named with variables: loaded for each handshake
($cn, $r) = cn('wild', port => 8445, host => 'localhost');
is($cn, 'wild', 'ssl_certificate with $ssl_server_name');
like($r, qr/server=dynamic/, 'served with a certificate loaded at handshake');
ok(!ssl_connect(port => 8445, sni => 'nosuch'), 'no such certificate file: handshake fails');
like($t->read_file('error.log'), qr/\[error\].*cannot load certificate "\Q$dir\E\/nosuch.crt"/,
	'the missing file logged, relative to the configuration directory');

like($t->read_file('error.log'), qr/\[info\].*(SSL handshake rejected|unrecognized name)/,
	'rejected handshake logged at info');

# curl --resolve: two names on one port, each gets its own certificate
SKIP: {
	skip 'no curl', 2 if system('command -v curl >/dev/null 2>&1') != 0;
	my $p = port(8443);
	for my $case (['exact.example', 'exact'], ['default.example', 'default']) {
		my ($name, $cn) = @$case;
		my $v = `curl -sv -k --max-time 5 --resolve $name:$p:127.0.0.1 https://$name:$p/ 2>&1`;
		like($v, qr/subject: CN ?= ?\Q$cn\E\b.*server=$cn/s, "curl --resolve $name: its certificate");
	}
}

# the server chosen by SNI brings its own ssl_protocols (chosen from the ClientHello,
# before the version is)
SKIP: {
	skip 'no curl', 2 if system('command -v curl >/dev/null 2>&1') != 0;
	my $p = port(8443);
	my $v = `curl -sk --max-time 5 --resolve tls12.example:$p:127.0.0.1 https://tls12.example:$p/`;
	like($v, qr/server=tls12 proto=TLSv1.2$/, 'ssl_protocols of the SNI server: TLSv1.2');
	$v = `curl -sk --max-time 5 --tls-max 1.2 --resolve exact.example:$p:127.0.0.1 https://exact.example:$p/`;
	like($v, qr/server=exact/, 'another server on the port still takes TLSv1.2 clients');
}
