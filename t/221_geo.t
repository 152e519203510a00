#!/usr/bin/perl

# The geo module: CIDR networks (IPv4 and IPv6, the most specific wins),
# default, delete, include, the address taken from a variable, ranges (later
# ones override, delete cuts), trusted proxies with X-Forwarded-For (recursive
# or not), unix socket clients, a large ranges file, and the configuration
# errors and warnings with their file and line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use Time::HiRes qw(time);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_geo http_rewrite http_index/)->plan(87);
my $dir = $t->testdir();

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    geo \$geo {
        127.0.0.0/8     loopback;
        127.0.0.1       host;
        192.0.2.0/24    test;
        0.0.0.0/0       world;
    }

    geo \$arg_ip \$cidr {
        default             dflt;
        10.0.0.0/8          ten;
        10.1.0.0/16         ten-one;
        10.1.2.0/24         ten-one-two;
        10.1.2.3/32         host;
        10.2.0.0/16         gone;
        10.3.0.1/16         masked;
        delete              10.2.0.0/16;
        255.255.255.255     none;
        ::1                 v6-loopback;
        2001:db8::/32       v6-doc;
        2001:db8:1::/48     v6-doc-1;
        include             geo-inc.conf;
    }

    geo \$arg_ip \$nodefault {
        10.0.0.0/8          ten;
    }

    geo \$arg_ip \$v4root {
        default             both-world;
        0.0.0.0/0           v4-world;
    }

    geo \$arg_ip \$ranges {
        ranges;
        default                     dflt;
        10.0.0.0-10.0.0.255         a;
        10.0.0.16-10.0.0.31         inner;
        10.0.1.0-10.0.1.255         b;
        10.0.1.0-10.0.1.9           b-start;
        10.0.1.250-10.0.1.255       b-end;
        10.0.3.0-10.0.3.255         c;
        10.0.3.100-10.0.3.199       c-mid;
        delete                      10.0.3.100-10.0.3.199;
        10.0.4.0-10.0.4.255         d;
        delete                      10.0.4.0-10.0.4.255;
        10.0.6.0-10.0.6.255         f;
        10.0.6.0-10.0.6.255         f2;
        10.0.7.0-10.0.7.255         g;
        delete                      10.0.7.0-10.0.7.9;
        10.0.255.0-10.1.0.255       span;
        delete                      10.0.255.0-10.0.255.255;
        include                     geo-ranges.conf;
        255.255.255.255-255.255.255.255  top;
    }

    geo \$arg_ip \$ranges_nodefault {
        ranges;
        10.0.0.0-10.0.0.255         a;
    }

    geo \$proxied {
        default             dflt;
        proxy               127.0.0.1;
        proxy               10.0.0.0/8;
        127.0.0.0/8         loopback;
        192.0.2.0/24        test;
        10.0.0.0/8          trusted-net;
        ::ffff:0:0/96       mapped-v6-entry;
        2001:db8::/32       v6;
    }

    geo \$proxied_recursive {
        proxy_recursive;
        default             dflt;
        proxy               127.0.0.1;
        proxy               10.0.0.0/8;
        127.0.0.0/8         loopback;
        192.0.2.0/24        test;
        10.0.0.0/8          trusted-net;
    }

    geo \$arg_ip \$big {
        ranges;
        default             none;
        include             big.conf;
    }

    geo \$arg_ip \$cached {
        192.0.2.1           /gc/target;
        192.0.2.2           changed;
    }

    geo \$arg_ip \$volatile {
        volatile;
        192.0.2.1           /gv/target;
        192.0.2.2           changed;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        listen unix:$dir/unix.sock;
        root $dir/html;

        location /gc/       { index \$cached; }
        location /gc/target { set \$args ip=192.0.2.2; return 200 "[\$cached]"; }
        location /gv/       { index \$volatile; }
        location /gv/target { set \$args ip=192.0.2.2; return 200 "[\$volatile]"; }

        location /geo       { return 200 "[\$geo]"; }
        location /cidr      { return 200 "[\$cidr]"; }
        location /nodefault { return 200 "[\$nodefault]"; }
        location /v4root    { return 200 "[\$v4root]"; }
        location /ranges    { return 200 "[\$ranges][\$ranges_nodefault]"; }
        location /proxy     { return 200 "[\$proxied][\$proxied_recursive]"; }
        location /big       { return 200 "[\$big]"; }
    }
}
END

$t->write_file('html/gc/index.html', '');
$t->write_file('html/gv/index.html', '');
$t->write_file('geo-inc.conf', "172.16.0.0/12  private;\n");
$t->write_file('geo-ranges.conf', "10.0.5.0-10.0.5.255  e;\n");

# 100001 one-address ranges, as a large geo database, written in order
my $big = '';
for my $n (0 .. 100000) {
	my $a = sprintf('11.%d.%d.%d', $n >> 16, ($n >> 8) & 255, $n & 255);
	$big .= "$a-$a  r$n;\n";
}
$t->write_file('big.conf', $big);

my $start = time();
$t->run();
my $load = time() - $start;

sub get {
	my ($uri, @headers) = @_;
	my $h = join '', map { "$_\n" } @headers;
	my $r = http("GET $uri HTTP/1.0\nHost: localhost\n$h\n");
	return $r =~ /\r\n\r\n(\[.*)\z/s ? $1 : 'no body: ' . $r;
}

sub xff {
	my ($uri, @xff) = @_;
	return get($uri, map { "X-Forwarded-For: $_" } @xff);
}

# CIDR, the client address

is(get('/geo'), '[host]', 'client address, most specific network');

# CIDR, from a variable

is(get('/cidr?ip=10.9.9.9'), '[ten]', '/8');
is(get('/cidr?ip=10.1.9.9'), '[ten-one]', '/16 inside /8');
is(get('/cidr?ip=10.1.2.9'), '[ten-one-two]', '/24 inside /16');
is(get('/cidr?ip=10.1.2.3'), '[host]', '/32');
is(get('/cidr?ip=10.1.2.4'), '[ten-one-two]', 'next to a /32');
is(get('/cidr?ip=10.1.3.0'), '[ten-one]', 'after a /24');
is(get('/cidr?ip=10.2.0.1'), '[ten]', 'deleted network: the enclosing one');
is(get('/cidr?ip=10.3.9.9'), '[masked]', 'host bits masked off (10.3.0.1/16 is 10.3.0.0/16)');
is(get('/cidr?ip=11.0.0.0'), '[dflt]', 'default');
is(get('/cidr?ip=9.255.255.255'), '[dflt]', 'default before a network');
is(get('/cidr?ip=172.20.1.1'), '[private]', 'include');
is(get('/cidr?ip=bogus'), '[none]', 'not an address: 255.255.255.255');
is(get('/cidr'), '[none]', 'empty variable: 255.255.255.255');
is(get('/cidr?ip=::1'), '[v6-loopback]', 'IPv6 /128');
is(get('/cidr?ip=2001:db8::5'), '[v6-doc]', 'IPv6 /32');
is(get('/cidr?ip=2001:db8:1::5'), '[v6-doc-1]', 'IPv6 /48 inside /32');
is(get('/cidr?ip=2001:db9::'), '[dflt]', 'IPv6 default');
is(get('/cidr?ip=::ffff:10.1.2.3'), '[host]', 'IPv4-mapped IPv6 is IPv4');
is(get('/nodefault?ip=1.1.1.1'), '[]', 'no default: empty');
is(get('/nodefault?ip=::2'), '[]', 'no default, IPv6: empty');
is(get('/v4root?ip=1.1.1.1'), '[v4-world]', 'a later 0.0.0.0/0 replaces default for IPv4');
is(get('/v4root?ip=::2'), '[both-world]', 'default still covers IPv6');

# ranges

is(get('/ranges?ip=10.0.0.1'), '[a][a]', 'range');
is(get('/ranges?ip=10.0.0.16'), '[inner][a]', 'a later range inside: its start');
is(get('/ranges?ip=10.0.0.31'), '[inner][a]', 'a later range inside: its end');
is(get('/ranges?ip=10.0.0.32'), '[a][a]', 'after the inner range');
is(get('/ranges?ip=10.0.0.255'), '[a][a]', 'range end');
is(get('/ranges?ip=10.0.1.5'), '[b-start][]', 'range over the start of another');
is(get('/ranges?ip=10.0.1.10'), '[b][]', 'rest of the range');
is(get('/ranges?ip=10.0.1.249'), '[b][]', 'rest of the range, end');
is(get('/ranges?ip=10.0.1.255'), '[b-end][]', 'range over the end of another');
is(get('/ranges?ip=10.0.2.5'), '[dflt][]', 'gap: default');
is(get('/ranges?ip=10.0.3.99'), '[c][]', 'before a deleted inner range');
is(get('/ranges?ip=10.0.3.150'), '[dflt][]', 'deleted inner range');
is(get('/ranges?ip=10.0.3.200'), '[c][]', 'after a deleted inner range');
is(get('/ranges?ip=10.0.4.1'), '[dflt][]', 'deleted range');
is(get('/ranges?ip=10.0.6.1'), '[f2][]', 'same range twice: the later value');
is(get('/ranges?ip=10.0.7.1'), '[g][]', 'delete of a part: nothing deleted');
is(get('/ranges?ip=10.0.255.7'), '[dflt][]', 'delete of one /16 piece');
is(get('/ranges?ip=10.1.0.7'), '[span][]', 'the other /16 piece stays');
is(get('/ranges?ip=10.0.5.1'), '[e][]', 'ranges include');
is(get('/ranges?ip=::1'), '[top][]', 'IPv6 in ranges: 255.255.255.255');
is(get('/ranges?ip=::ffff:10.0.0.1'), '[a][a]', 'IPv4-mapped in ranges');
is(get('/ranges?ip=x'), '[top][]', 'not an address in ranges');

# trusted proxies

is(get('/proxy'), '[loopback][loopback]', 'proxy: no X-Forwarded-For');
is(xff('/proxy', '192.0.2.1'), '[test][test]', 'proxy: X-Forwarded-For');
is(xff('/proxy', '203.0.113.1'), '[dflt][dflt]', 'proxy: X-Forwarded-For, default');
is(xff('/proxy', '203.0.113.1, 192.0.2.1'), '[test][test]', 'proxy: the last address');
is(xff('/proxy', '192.0.2.1, 10.1.1.1'), '[trusted-net][test]',
	'proxy_recursive skips trusted addresses');
is(xff('/proxy', '192.0.2.1,10.1.1.1 , 127.0.0.1'), '[loopback][test]',
	'recursive over several trusted addresses');
is(xff('/proxy', '10.1.1.1', '127.0.0.1'), '[loopback][trusted-net]',
	'two headers: all trusted');
is(xff('/proxy', '192.0.2.7', '10.1.1.1'), '[trusted-net][test]',
	'two headers: one list');
is(xff('/proxy', '192.0.2.1, junk'), '[loopback][loopback]',
	'not an address: the client address stays');
is(xff('/proxy', '192.0.2.1, junk, 10.1.1.1'), '[trusted-net][trusted-net]',
	'recursive stops at what is not an address');
is(xff('/proxy', '::ffff:192.0.2.1'), '[test][test]', 'IPv4-mapped in X-Forwarded-For');
is(xff('/proxy', '2001:db8::1'), '[v6][dflt]', 'IPv6 in X-Forwarded-For');

# volatile

is(get('/gc/?ip=192.0.2.1'), '[/gc/target]', 'cached value kept across the redirect');
is(get('/gv/?ip=192.0.2.1'), '[changed]', 'volatile value evaluated again');

# a unix socket client is 255.255.255.255

my $s = IO::Socket::UNIX->new(Peer => "$dir/unix.sock");
my $r = $s ? http("GET /cidr?ip=10.1.2.3 HTTP/1.0\nHost: localhost\n\n", socket => $s) : '';
like($r, qr/\[host\]$/, 'unix socket: variable address');
$s = IO::Socket::UNIX->new(Peer => "$dir/unix.sock");
$r = $s ? http("GET /geo HTTP/1.0\nHost: localhost\n\n", socket => $s) : '';
like($r, qr/\[world\]$/, 'unix socket client: 255.255.255.255');

# a large ranges file

is(get('/big?ip=11.0.0.0'), '[r0]', 'big: first');
is(get('/big?ip=11.1.134.160'), '[r100000]', 'big: last');
is(get('/big?ip=11.0.200.1'), '[r51201]', 'big: middle');
is(get('/big?ip=11.1.134.161'), '[none]', 'big: after');
ok($load < 10, "big: loaded in ${\ sprintf('%.1f', $load)}s");

# configuration errors and warnings

sub conf_test {
	my ($http) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$http\n}\n");
	return $t->test_config('bad.conf');
}

sub conf_error {
	my ($http, $re, $name) = @_;
	my ($code, $err) = conf_test($http);
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

conf_error("geo \$g {\n 10.0.0.300 a;\n}",
	qr/\[emerg\] invalid network "10.0.0.300" in \Q$dir\E\/bad.conf:5/, 'invalid network');
conf_error("geo \$g {\n ranges;\n 10.0.0.5-10.0.0.1 a;\n}",
	qr/invalid range "10.0.0.5-10.0.0.1" in .*bad.conf:6/, 'range backwards');
conf_error("geo \$g {\n ranges;\n 10.0.0.0/8 a;\n}",
	qr/invalid range "10.0.0.0\/8" in .*bad.conf:6/, 'CIDR in ranges');
conf_error("geo \$g {\n ranges;\n 10.0.0.0-10.0.0.255 a;\n 10.0.0.250-10.0.1.5 b;\n}",
	qr/\[emerg\] range "10.0.0.250-10.0.1.5" overlaps "10.0.0.0-10.0.0.255" in .*bad.conf:7/,
	'range sticking out of another');
conf_error("geo \$g {\n ranges;\n 10.0.0.10-10.0.0.20 a;\n 10.0.0.0-10.0.0.255 b;\n}",
	qr/range "10.0.0.0-10.0.0.255" overlaps "10.0.0.10-10.0.0.20" in .*bad.conf:7/,
	'range over another');
conf_error("geo \$g {\n 10.0.0.0/8 a;\n ranges;\n}",
	qr/the "ranges" directive must be the first .* in .*bad.conf:6/, 'ranges not first');
conf_error("geo \$g {\n 10.0.0.0/8 a b;\n}",
	qr/invalid number of the geo parameters in .*bad.conf:5/, 'three parameters');
conf_error("geo \$g {\n proxy 10.0.0.x;\n}",
	qr/invalid network "10.0.0.x" in .*bad.conf:5/, 'invalid proxy');
conf_error("geo g {\n}",
	qr/invalid variable name "g" in .*bad.conf:4/, 'variable without \$');
conf_error("geo \$a \$b \$c {\n}",
	qr/invalid number of arguments in "geo" directive in .*bad.conf:4/, 'too many arguments');
conf_error("geo \$g {\n include nosuch.conf;\n}",
	qr/open\(\) "\Q$dir\E\/nosuch.conf" failed .* in .*bad.conf:5/, 'missing include');
conf_error("server { geo \$g { } }",
	qr/"geo" directive is not allowed here in .*bad.conf:4/, 'geo in server');

my ($code, $err) = conf_test("geo \$g {\n 10.0.0.0/8 a;\n 10.0.0.0/8 b;\n"
	. " delete 10.9.0.0/16;\n 10.1.1.1/16 c;\n ranges2 x;\n}");
like($err, qr/\[emerg\] invalid network "ranges2" in .*bad.conf:9/, 'keyword typo');
($code, $err) = conf_test("geo \$g {\n 10.0.0.0/8 a;\n 10.0.0.0/8 b;\n"
	. " delete 10.9.0.0/16;\n 10.1.1.1/16 c;\n}\ngeo \$h {\n ranges;\n"
	. " delete 10.0.0.0-10.0.0.1;\n 10.0.1.0-10.0.1.9 a;\n 10.0.1.0-10.0.1.9 b;\n"
	. " default x;\n default y;\n 10.0.2.0-10.0.2.255 c;\n delete 10.0.2.0-10.0.2.1;\n}");
is($code, 0, 'warnings only: the configuration is good');
like($err, qr/\[warn\] duplicate network "10.0.0.0\/8", value: "b", old value: "a" in .*bad.conf:6/,
	'duplicate network warned');
like($err, qr/\[warn\] no network "10.9.0.0\/16" to delete in .*bad.conf:7/,
	'delete of a missing network warned');
like($err, qr/\[warn\] low address bits of 10.1.1.1\/16 are meaningless in .*bad.conf:8/,
	'host bits warned');
like($err, qr/\[warn\] no address range "10.0.0.0-10.0.0.1" to delete in .*bad.conf:12/,
	'delete of a missing range warned');
like($err,
	qr/\[warn\] duplicate range "10.0.1.0-10.0.1.9", value: "b", old value: "a" in .*bad.conf:14/,
	'duplicate range warned');
like($err, qr/\[warn\] duplicate default geo range value: "y", old value: "x" in .*bad.conf:16/,
	'duplicate ranges default warned');
like($err, qr/\[warn\] no address range "10.0.2.0-10.0.2.1" to delete in .*bad.conf:18/,
	'delete of part of a range warned');
