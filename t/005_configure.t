#!/usr/bin/perl

# configure: options land in config.h and -V, unknown options and modules are
# refused, a missing library stops it naming the Debian package, and it writes
# only into its build directory.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use File::Path qw(remove_tree);
use Cwd qw(abs_path);

my $root = abs_path("$FindBin::Bin/..");
chdir $root or die "chdir: $!";

plan(tests => 16);

my $tmp = tempdir('lintel-configure-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $bd = "objs/t-configure-$$";

END { remove_tree("$root/$bd") if defined $bd && -d "$root/$bd"; }

sub configure {
	my (@args) = @_;
	my $out = `./configure --builddir=$bd @args 2>&1`;
	return ($? >> 8, $out);
}

my ($code, $out) = configure('--help');
is($code, 0, '--help exits 0');
like($out, qr/--prefix=PATH.*--with-debug/s, '--help lists the options');

($code, $out) = configure("--prefix=/opt/lt", '--conf-path=/etc/lt/lt.conf',
	'--pid-path=run/lt.pid', '--error-log-path=/var/log/lt/err.log', '--with-debug',
	"--with-cc-opt='-DLT_TEST_FLAG=1'");
is($code, 0, 'configure with options exits 0');
like($out, qr/^Configuration summary/m, 'ends with a summary');
like($out, qr/checking for openssl \.\.\. found/, 'finds OpenSSL');
like($out, qr/checking for pcre2 \.\.\. found/, 'finds PCRE2');
like($out, qr/checking for zlib \.\.\. found/, 'finds zlib');
like($out, qr/checking for brotli \.\.\. found/, 'finds brotli');

my $h = do { local $/; open my $f, '<', "$bd/config.h" or die; <$f> };
like($h, qr/#define LT_PREFIX\s+"\/opt\/lt\/"/, 'prefix in config.h');
like($h, qr/#define LT_CONF_PATH\s+"\/etc\/lt\/lt.conf"/, 'conf path in config.h');
like($h, qr/#define LT_PID_PATH\s+"run\/lt.pid"/, 'relative pid path stays relative (to the prefix)');
like($h, qr/#define LT_CONFIGURE\s+".*--with-cc-opt=-DLT_TEST_FLAG=1/,
	'configure arguments kept for -V');

($code, $out) = configure('--with-nonsense');
like($out, qr/invalid option "--with-nonsense"/, 'unknown option refused');

($code, $out) = configure('--without-bogus_module');
like($out, qr/unknown module "bogus"/, 'unknown module refused');

# a library that cannot be found: shadow pcre2.h with one that does not compile

mkdir "$tmp/inc";
open my $fh, '>', "$tmp/inc/pcre2.h" or die;
print $fh "#error this pcre2.h is broken on purpose\n";
close $fh;

($code, $out) = configure("--with-cc-opt=-I$tmp/inc");
is($code, 1, 'missing library: exit 1');
like($out, qr/pcre2 library was not found; install it with\s+apt-get install libpcre2-dev/,
	'missing library: names the Debian package');
