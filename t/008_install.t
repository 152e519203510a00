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

my $root = abs_path("$FindBin::Bin/..");
chdir $root or die "chdir: $!";

my $bin = Lintel::Test->binary();
my $build = dirname($bin);
$build =~ s{^\Q$root\E/}{};

plan(skip_all => "no $build/config.mk") unless -f "$build/config.mk";

my ($prefix) = `grep '^LT_PREFIX = ' $build/config.mk` =~ /= (.*)$/;
plan(tests => 10);

my $dest = tempdir('lintel-install-XXXXXX', TMPDIR => 1, CLEANUP => 1);
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
