#!/usr/bin/perl

# OCSP stapling with responses fetched from the responder: the first handshake
# that asks starts the fetch (GET of the base64 request, to the certificate's
# AIA URL or ssl_stapling_responder), later ones get the staple; one fetch
# serves many handshakes; a revoked status, a responder that is down or sends
# something else, and (with ssl_stapling_verify) a response signed by an
# untrusted key are logged at error and never stapled; the issuer may come from
# ssl_trusted_certificate; ssl_stapling_file still staples at once; certificates
# without an issuer or a usable responder URL are warned about at start.
#
# The responder is a small Perl server answering with DER responses made by
# `openssl ocsp` from an index file, chosen by the first path segment.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::SSL;
use IO::Socket::INET;
use IO::Socket::SSL;
use MIME::Base64 qw(decode_base64);
use POSIX ();

eval { defined &IO::Socket::SSL::SSL_OCSP_TRY_STAPLE or die; };
plan(skip_all => 'IO::Socket::SSL too old') if $@;
eval { defined &Net::SSLeay::OCSP_response_results or die; };
plan(skip_all => 'Net::SSLeay too old') if $@;

my $t = Lintel::Test->new()->has(qw/http http_ssl/)->plan(30);
my $d = $t->testdir();
my $rp = port(8081);            # the responder
my $down = port(8089);          # nothing listens there

sub openssl {
	my ($args) = @_;
	system("openssl $args >>$d/openssl.out 2>&1") == 0
		or die "openssl $args failed\n";
}

###############################################################################

# certificates: root -> int -> end (good), rev (revoked), noaia; evil signs
# responses without being trusted by anyone

$t->write_file('ext.cnf', <<"END");
[ ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
[ good ]
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$rp/good
[ revoked ]
authorityInfoAccess = OCSP;URI:http://127.0.0.1:$rp/revoked
[ noaia ]
basicConstraints = CA:FALSE
END

my $ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';

for my $ca ('root', 'evil') {
	openssl("req -x509 $ec -days 2 -subj /CN=$ca/ -keyout $d/$ca.key -out $d/$ca.crt "
		. "-addext basicConstraints=critical,CA:TRUE");
}

openssl("req -new $ec -subj /CN=int/ -keyout $d/int.key -out $d/int.csr");
openssl("x509 -req -in $d/int.csr -CA $d/root.crt -CAkey $d/root.key -set_serial 0x1000 "
	. "-days 2 -extfile $d/ext.cnf -extensions ca -out $d/int.crt");

my %serial = (end => '1001', rev => '1002', noaia => '1003');
my %ext = (end => 'good', rev => 'revoked', noaia => 'noaia');

for my $name (qw/end rev noaia/) {
	openssl("req -new $ec -subj /CN=$name/ -keyout $d/$name.key -out $d/$name.csr");
	openssl("x509 -req -in $d/$name.csr -CA $d/int.crt -CAkey $d/int.key "
		. "-set_serial 0x$serial{$name} -days 2 -extfile $d/ext.cnf "
		. "-extensions $ext{$name} -out $d/$name.crt");
	$t->write_file("$name-int.crt", $t->read_file("$name.crt") . $t->read_file('int.crt'));
}

chmod 0644, map { "$d/$_.key" } qw/end rev noaia/;

$t->write_file('index.txt',
	"V\t301231235959Z\t\t1001\tunknown\t/CN=end\n"
	. "R\t301231235959Z\t240101000000Z\t1002\tunknown\t/CN=rev\n");

# responses: signed by the issuer itself, or by evil
openssl("ocsp -index $d/index.txt -CA $d/int.crt -rsigner $d/int.crt -rkey $d/int.key "
	. "-issuer $d/int.crt -cert $d/end.crt -ndays 1 -respout $d/good.der");
openssl("ocsp -index $d/index.txt -CA $d/int.crt -rsigner $d/int.crt -rkey $d/int.key "
	. "-issuer $d/int.crt -cert $d/rev.crt -ndays 1 -respout $d/revoked.der");
openssl("ocsp -index $d/index.txt -CA $d/int.crt -rsigner $d/evil.crt -rkey $d/evil.key "
	. "-issuer $d/int.crt -cert $d/end.crt -ndays 1 -respout $d/evil.der");

###############################################################################

my $listen = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$rp", Listen => 16,
	ReuseAddr => 1) or die "cannot listen on $rp: $!\n";

my $responder = fork();
die "fork: $!\n" unless defined $responder;

if ($responder == 0) {
	responder($listen);
	POSIX::_exit(0);
}

close $listen;

END {
	local $?;
	if ($responder) {
		kill 'TERM', $responder;
		waitpid($responder, 0);
	}
}

my $common = <<"END";
        ssl_stapling on;
        location / { return 200 "ok"; }
END

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;
    ssl_certificate_key $d/end.key;

    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        ssl_certificate $d/end-int.crt;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8443%% ssl;
        server_name sni.example;
        ssl_certificate $d/end.crt;
        ssl_trusted_certificate $d/int.crt;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8444%% ssl;
        ssl_certificate $d/rev-int.crt;
        ssl_certificate_key $d/rev.key;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8445%% ssl;
        ssl_certificate $d/end-int.crt;
        ssl_stapling_responder http://127.0.0.1:$down/;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8446%% ssl;
        ssl_certificate $d/end-int.crt;
        ssl_stapling_responder http://127.0.0.1:$rp/bad;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8447%% ssl;
        ssl_certificate $d/end-int.crt;
        ssl_stapling_responder http://127.0.0.1:$rp/evil/;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8448%% ssl;
        ssl_certificate $d/end-int.crt;
        ssl_stapling_responder http://127.0.0.1:$rp/evil/;
        ssl_stapling_verify on;
        ssl_trusted_certificate $d/root.crt;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8449%% ssl;
        ssl_certificate $d/end-int.crt;
        ssl_stapling_verify on;
        ssl_trusted_certificate $d/root.crt;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8450%% ssl;
        ssl_certificate $d/end.crt;
        ssl_trusted_certificate $d/int.crt;
$common
    }
    server {
        listen 127.0.0.1:%%PORT_8451%% ssl;
        ssl_certificate $d/rev-int.crt;
        ssl_certificate_key $d/rev.key;
        ssl_stapling_file $d/good.der;
$common
    }
}
END

$t->run();

###############################################################################

# staple(PORT): 'none', 'staple STATUS' (0 good, 1 revoked) or 'failed'
sub staple {
	my ($port, $sni) = @_;
	my @got;

	my $s = ssl_connect(port => $port, sni => $sni,
		SSL_ocsp_mode => IO::Socket::SSL::SSL_OCSP_TRY_STAPLE(),
		SSL_ocsp_staple_callback => sub {
			my (undef, $resp) = @_;
			if (!$resp) {
				push @got, 'none';
				return;
			}
			my @r = Net::SSLeay::OCSP_response_results($resp);
			push @got, 'staple ' . $r[0][2]->{statusType};
		});

	return 'failed' unless $s;

	print $s "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n";
	my $r = '';
	while (defined(my $l = <$s>)) { $r .= $l; }
	close $s;

	return 'failed' unless $r =~ /^HTTP\/1\.1 200 .*ok$/s;
	return @got ? $got[0] : 'none';
}

sub log_has {
	my ($re) = @_;
	return wait_until(sub { $t->read_file('error.log') =~ $re }, 5);
}

sub eventually_stapled {
	my ($port, $sni) = @_;
	my $r = wait_until(sub { my $x = staple($port, $sni); $x =~ /^staple/ ? $x : 0 }, 5);
	return $r || staple($port, $sni);
}

sub requests {
	my ($re) = @_;
	return scalar grep { $_ =~ $re } split /\n/, $t->read_file('requests.log');
}

# a file: at once
is(staple(8451), 'staple 0', 'ssl_stapling_file: stapled at the first handshake');

# fetched: the first handshake starts the request, later ones get the staple
is(eventually_stapled(8443), 'staple 0', 'fetched from the AIA URL: good status stapled');
staple(8443) for 1 .. 3;
is(requests(qr{^GET /good/}), 1, 'one request for many handshakes');

my ($line) = grep { m{^GET /good/} } split /\n/, $t->read_file('requests.log');
like($line, qr{^GET /good/[A-Za-z0-9%]+ HTTP/1\.0 Host=127\.0\.0\.1$},
	'GET of the escaped base64 request, HTTP/1.0, Host');

my ($b64) = $line =~ m{^GET /good/(\S+)};
$b64 =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
like(decode_base64($b64), qr/\x02\x02\x10\x01/, 'the request names the serial number');

# revoked: logged, never stapled
staple(8444);
ok(log_has(qr/\[error\] .*certificate status "revoked" in the OCSP response while requesting certificate status, responder: 127\.0\.0\.1, peer: 127\.0\.0\.1:$rp, certificate: "\Q$d\E\/rev-int\.crt"/),
	'revoked: logged with the responder and the certificate');
is(staple(8444), 'none', 'revoked: not stapled');

# the responder is down
is(staple(8445), 'none', 'responder down: handshake without staple');
ok(log_has(qr/\[error\] .*connect\(\) to 127\.0\.0\.1:$down failed \(111: Connection refused\) while requesting certificate status, responder: 127\.0\.0\.1, peer: 127\.0\.0\.1:$down/),
	'responder down: logged');
is(staple(8445), 'none', 'responder down: still no staple, still serving');

# not an OCSP response
staple(8446);
ok(log_has(qr/\[error\] .*OCSP responder sent invalid "Content-Type" header: "text\/html"/),
	'not an OCSP response: logged');
is(staple(8446), 'none', 'not an OCSP response: not stapled');
is(requests(qr{^GET /bad/[A-Za-z0-9%]+ }), 1, 'a "/" is added after the responder\'s path');

# ssl_stapling_verify
is(eventually_stapled(8447), 'staple 0', 'verify off: a response signed by anyone');
staple(8448);
ok(log_has(qr/\[error\] .*OCSP_basic_verify\(\) failed/), 'verify on, untrusted signer: logged');
is(staple(8448), 'none', 'verify on, untrusted signer: not stapled');
is(eventually_stapled(8449), 'staple 0', 'verify on, signed by the issuer: stapled');

# the issuer from ssl_trusted_certificate
is(eventually_stapled(8450), 'staple 0', 'issuer from ssl_trusted_certificate');

unlike($t->read_file('error.log'), qr/ssl_stapling/, 'no warning for usable certificates');

# SNI: the staple of the server the name picked (its own certificate object)
is(eventually_stapled(8443, 'sni.example'), 'staple 0', 'SNI: the named server\'s staple');

# a reload: the new workers fetch again
my $before = requests(qr{^GET /good/});
$t->reload();
is(eventually_stapled(8443), 'staple 0', 'after a reload: stapled');
is(requests(qr{^GET /good/}), $before + 1, 'after a reload: fetched again');

###############################################################################

# configuration: certificates that cannot be stapled are warned about

sub conf {
	my ($name, $body) = @_;
	$t->write_file("$name.conf", <<"END");
events {}
http {
    server {
        listen 127.0.0.1:8443 ssl;
        ssl_stapling on;
$body
    }
}
END
	return $t->test_config("$name.conf");
}

my ($code, $err) = conf('noaia', "ssl_certificate $d/noaia-int.crt;\n"
	. "ssl_certificate_key $d/noaia.key;");
is($code, 0, 'no AIA URL: starts');
like($err, qr/\[warn\] "ssl_stapling" ignored, no OCSP responder URL in the certificate "\Q$d\E\/noaia-int.crt"/,
	'no AIA URL: warned');

($code, $err) = conf('noissuer', "ssl_certificate $d/end.crt;\nssl_certificate_key $d/end.key;");
is($code, 0, 'no issuer: starts');
like($err, qr/\[warn\] "ssl_stapling" ignored, issuer certificate not found for certificate "\Q$d\E\/end.crt"/,
	'no issuer: warned');

($code, $err) = conf('https', "ssl_certificate $d/end-int.crt;\nssl_certificate_key $d/end.key;\n"
	. "ssl_stapling_responder https://127.0.0.1:$rp/;");
like($err, qr/\[warn\] "ssl_stapling" ignored, invalid URL prefix in OCSP responder "https:\/\/127.0.0.1:$rp\/"/,
	'https responder: warned');

($code, $err) = conf('badport', "ssl_certificate $d/end-int.crt;\nssl_certificate_key $d/end.key;\n"
	. "ssl_stapling_responder http://127.0.0.1:99999/;");
like($err, qr/\[warn\] "ssl_stapling" ignored, invalid port in OCSP responder "127.0.0.1:99999\/"/,
	'bad port: warned');

$t->write_file('garbage.der', "not a response\n");
($code, $err) = conf('garbage', "ssl_certificate $d/end-int.crt;\nssl_certificate_key $d/end.key;\n"
	. "ssl_stapling_file $d/garbage.der;");
is($code, 1, 'ssl_stapling_file not a response: refused');
like($err, qr/\[emerg\] d2i_OCSP_RESPONSE_bio\("\Q$d\E\/garbage.der"\) failed/,
	'ssl_stapling_file not a response: the reason');

###############################################################################

# responder(SOCKET): the OCSP responder: the response named by the first path
# segment; "bad" gets an HTML 404; each request is logged to requests.log
sub responder {
	my ($server) = @_;
	local $SIG{PIPE} = 'IGNORE';
	local $SIG{ALRM} = sub { die "timeout\n" };

	while (my $c = $server->accept()) {
		eval {
			alarm(5);
			my ($req, $host) = ('', '');
			while (defined(my $l = <$c>)) {
				last if $l =~ /^\r?\n$/;
				$req = $1 if $req eq '' && $l =~ /^(.*?)\r?\n$/;
				$host = $1 if $l =~ /^Host:\s*(.*?)\r?\n$/i;
			}

			open my $log, '>>', "$d/requests.log" or die;
			print $log "$req Host=$host\n";
			close $log;

			my ($what) = $req =~ m{^GET /([a-z]+)/};
			$what ||= '';

			if ($what =~ /^(good|revoked|evil)$/) {
				open my $fh, '<', "$d/$what.der" or die;
				binmode $fh;
				local $/;
				my $body = <$fh>;
				close $fh;
				# "revoked" without a length: read until close
				my $len = $what eq 'revoked' ? '' : 'Content-Length: ' . length($body) . "\r\n";
				print $c "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
					. $len . "\r\n" . $body;
			} else {
				print $c "HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\n"
					. "<html>not found</html>";
			}
			alarm(0);
		};
		alarm(0);
		close $c;
	}
}
