#!/usr/bin/perl

# make install DESTDIR=...: the binary, the configuration and mime types (with
# .default copies), the man page, the logs and html directories; an existing
# configuration is not overwritten; the installed binary accepts the shipped conf.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Lintel::Test;
use Lintel::HTTP;

my $root = abs_path("$FindBin::Bin/..");
chdir $root or die "chdir: $!";

my $bin = Lintel::Test->binary();
my $build = dirname($bin);
$build =~ s{^\Q$root\E/}{};

plan(skip_all => "no $build/config.mk") unless -f "$build/config.mk";

my ($prefix) = `grep '^LT_PREFIX = ' $build/config.mk` =~ /= (.*)$/;
plan(tests => 14);

my $dest = tempdir('lintel-install-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $dest;      # the workers (nobody when run as root) read html/
my $out = `make -s install B=$build DESTDIR=$dest 2>&1`;
is($?, 0, 'make install exits 0') or diag($out);

my $p = "$dest$prefix";
ok(-x "$p/sbin/lintel", 'binary installed');
ok(-f "$p/conf/lintel.conf" && -f "$p/conf/lintel.conf.default", 'lintel.conf and its .default');
ok(-f "$p/conf/mime.types" && -f "$p/conf/mime.types.default", 'mime.types and its .default');
ok(-f "$p/man/man8/lintel.8", 'man page installed');
ok(-d "$p/logs", 'logs directory created');
ok(-f "$p/html/index.html", 'html installed');

# a second install keeps the user's configuration

open my $fh, '>>', "$p/conf/lintel.conf" or die;
print $fh "# edited by the user\n";
close $fh;

`make -s install B=$build DESTDIR=$dest 2>&1`;
like(`cat $p/conf/lintel.conf`, qr/# edited by the user/, 'reinstall keeps an edited lintel.conf');
ok(-x "$p/sbin/lintel.old", 'reinstall keeps the previous binary as lintel.old');

my $t = `$p/sbin/lintel -p $p/ -t 2>&1`;
like($t, qr/test is successful/, 'the installed binary accepts the shipped configuration');

# the shipped configuration serves the shipped page (on a free port instead of 8080)

my $port = Lintel::Test::port(8080);
my $conf = `cat $p/conf/lintel.conf`;
ok($conf =~ s/listen\s+8080;/listen 127.0.0.1:$port;/, 'the shipped configuration listens on 8080');
open $fh, '>', "$p/conf/test.conf" or die;
print $fh $conf;
close $fh;

my $pid = fork() // die "fork: $!";
if ($pid == 0) {
	open STDERR, '>', "$p/logs/stderr.log";
	exec("$p/sbin/lintel", '-p', "$p/", '-c', "$p/conf/test.conf",
		'-g', 'daemon off; pid logs/test.pid;') or exit 127;
}

my $r = '';
for (1 .. 50) {
	$r = http_get('/');
	last if $r;
	select undef, undef, undef, 0.1;
}

like($r, qr{^HTTP/1\.1 200 .*Content-Type: text/html.*<h1>Welcome to lintel!</h1>}s, 'GET / serves html/index.html');
like(http_get('/none'), qr{^HTTP/1\.1 404 }, 'a missing file is a 404');

kill 'QUIT', $pid;
waitpid($pid, 0);
is($? >> 8, 0, 'lintel exits 0 on QUIT');
