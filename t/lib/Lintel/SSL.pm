package Lintel::SSL;

# TLS helpers for the tests: certificates made at test time with the openssl
# command line tool in the test's directory, and HTTPS requests over loopback
# with IO::Socket::SSL (the whole response, until close or a quiet time).
#
#   ssl_cert($t, 'localhost')                   localhost.crt + localhost.key (RSA)
#   ssl_cert($t, 'ec', type => 'ec')            ECDSA P-256
#   ssl_cert($t, 'client', ca => 'root')        signed by root.crt/root.key
#   https_get('/x', port => 8443, sni => 'a.example')
#   https("GET / HTTP/1.0\n\n", port => 8443, ctx => $ctx)   reuse a session context
#   ($r, $s) = https_get(..., keep => 1)        also the socket: peer certificate etc.

use strict;
use warnings;

use Exporter qw(import);
use IO::Socket::SSL;
use IO::Select;
use Time::HiRes qw(time);
use Lintel::Test qw(port);

our @EXPORT = qw(ssl_cert ssl_ca https https_get ssl_context ssl_connect);

sub _run {
	my ($t, $cmd) = @_;
	my $dir = $t->testdir();
	system("$cmd >>$dir/openssl.out 2>&1") == 0
		or die "openssl failed: $cmd\n";
}

# ssl_ca($t, NAME): a self-signed CA certificate and key
sub ssl_ca {
	my ($t, $name) = @_;
	my $d = $t->testdir();
	_run($t, "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=$name/ "
		. "-addext basicConstraints=critical,CA:TRUE "
		. "-keyout $d/$name.key -out $d/$name.crt");
}

# ssl_cert($t, NAME, type => rsa|ec, ca => CANAME, cn => CN, pass => PASSWORD)
sub ssl_cert {
	my ($t, $name, %opts) = @_;
	my $d = $t->testdir();
	my $cn = $opts{cn} || $name;
	my $newkey = ($opts{type} || 'rsa') eq 'ec'
		? '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1' : '-newkey rsa:2048';

	if ($opts{ca}) {
		my $ca = $opts{ca};
		_run($t, "openssl req -new $newkey -nodes -subj '/CN=$cn/' "
			. "-keyout $d/$name.key -out $d/$name.csr");
		_run($t, "openssl x509 -req -in $d/$name.csr -CA $d/$ca.crt -CAkey $d/$ca.key "
			. "-CAcreateserial -days 2 -out $d/$name.crt");
	} else {
		_run($t, "openssl req -x509 $newkey -nodes -days 2 -subj '/CN=$cn/' "
			. "-keyout $d/$name.key -out $d/$name.crt");
	}

	if (defined $opts{pass}) {
		_run($t, "openssl pkey -in $d/$name.key -aes128 -passout pass:$opts{pass} "
			. "-out $d/$name.enc.key");
	}
}

# ssl_context(): a client context that keeps sessions (for resumption tests)
sub ssl_context {
	return IO::Socket::SSL::SSL_Context->new(
		SSL_verify_mode => SSL_VERIFY_NONE,
		SSL_session_cache_size => 100,
	);
}

# ssl_connect(port => P, sni => NAME, ctx => CTX, ...IO::Socket::SSL options)
sub ssl_connect {
	my (%opts) = @_;
	my $port = $opts{port} || 8443;
	$port = port($port) if $port >= 8000 && $port < 9000;

	my %ssl;
	for my $k (keys %opts) {
		$ssl{$k} = $opts{$k} if $k =~ /^SSL_/;
	}

	$ssl{SSL_reuse_ctx} = $opts{ctx} if $opts{ctx};

	return IO::Socket::SSL->new(
		PeerAddr => '127.0.0.1',
		PeerPort => $port,
		Timeout => 5,
		SSL_verify_mode => SSL_VERIFY_NONE,
		SSL_hostname => $opts{sni} // '',
		%ssl,
	);
}

sub _read {
	my ($s, $timeout) = @_;
	my $r = '';
	my $end = time() + ($timeout || 5);
	my $sel = IO::Select->new($s);

	while (time() < $end) {
		if (!$s->pending()) {
			last unless $sel->can_read($end - time());
		}
		my $n = sysread($s, my $buf, 65536);
		if (!defined $n) {
			next if $!{EAGAIN} || $!{EWOULDBLOCK};
			last;
		}
		last unless $n;
		$r .= $buf;
	}

	return $r;
}

# https(REQUEST, port => P, sni => NAME, ctx => CTX, keep => 1): the response
sub https {
	my ($request, %opts) = @_;
	$request =~ s/(?<!\r)\n/\r\n/g unless $opts{raw};

	my $s = ssl_connect(%opts) or return wantarray ? ('', undef) : '';
	local $SIG{PIPE} = 'IGNORE';
	print $s $request;
	my $r = _read($s, $opts{timeout});

	if ($opts{keep}) {
		return ($r, $s);
	}

	close $s;
	return $r;
}

sub https_get {
	my ($uri, %opts) = @_;
	my $host = $opts{host} || 'localhost';
	return https("GET $uri HTTP/1.0\nHost: $host\n\n", %opts);
}

1;
