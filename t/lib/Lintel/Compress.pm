package Lintel::Compress;
# What the compression tests (t/400, t/410, t/411) share: the bodies they serve, a
# GET over HTTP/1.1 with an Accept-Encoding, the coding of a response, a body decoded
# by a real decoder command, and the configuration-error check.
#
#   my ($page, $big) = compress_files($t);     html/page.html, big.html (10 MiB) ...
#   my $r = compress_get('/page.html', ae => 'br', h => ['Via: 1.1 p'], v => '1.0');
#   coding($r)                                  'br', 'gzip', ... or 'identity'
#   decode_with($t, 'brotli -dc', http_body($r))   the decoded body, or undef
#   compress_conf_error($t, $conf, qr/.../, $name)
use strict;
use warnings;
use Exporter qw(import);
use Test::More;
use Lintel::HTTP;

our @EXPORT = qw(compress_files compress_get coding decode_with compress_conf_error);

our $PAGE = join('', map { "<p>line $_ of a page that compresses well</p>\n" } 1 .. 2000);
our $SMALL = 'hello, hello, hello, hello, world';

# compress_files: writes the bodies the tests serve into html/; returns (page, big)
sub compress_files {
	my ($t) = @_;
	my $big = '';
	my $x = 12345;
	my @w = qw(lorem ipsum dolor sit amet <div> </div> class="x" function return var);
	while (length $big < 10 * 1024 * 1024) {
		$x = ($x * 1103515245 + 12345) & 0x7fffffff;
		$big .= $w[$x % @w] . ' ';
	}

	$t->write_file('html/page.html', $PAGE);
	$t->write_file('html/small.html', $SMALL);
	$t->write_file('html/tiny.html', 'hi');
	$t->write_file('html/empty.html', '');
	$t->write_file('html/big.html', $big);
	$t->write_file('html/k1023.html', 'x' x 1023);
	$t->write_file('html/k1024.html', 'x' x 1024);
	$t->write_file('html/t.txt', $PAGE);
	$t->write_file("html/types/t.$_", $PAGE) for qw/txt css png html/;

	return ($PAGE, $big);
}

# compress_get: a request over HTTP/1.1 (the compression filters' default
# gzip_http_version) unless v => '1.0'
sub compress_get {
	my ($uri, %o) = @_;
	my $h = '';
	$h .= "Accept-Encoding: $o{ae}\n" if defined $o{ae};
	$h .= "$_\n" for @{$o{h} || []};
	my $m = $o{method} || 'GET';
	my $v = $o{v} || '1.1';
	return http("$m $uri HTTP/$v\nHost: localhost\nConnection: close\n$h\n",
		timeout => $o{timeout} || 10);
}

sub coding {
	my ($r) = @_;
	return http_header($r, 'Content-Encoding') // 'identity';
}

# decode_with: the body run through a decoder command; undef when it fails
my $n = 0;
sub decode_with {
	my ($t, $cmd, $body) = @_;
	my $f = 'body' . $n++;
	$t->write_file($f, $body);
	my $dir = $t->testdir();
	my $out = `$cmd < $dir/$f 2>/dev/null`;
	return $? == 0 ? $out : undef;
}

# compress_conf_error: an http{} with $conf fails the configuration test with $re
sub compress_conf_error {
	my ($t, $conf, $re, $name) = @_;
	my $dir = $t->testdir();
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$conf\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

1;
