#!/usr/bin/perl

# The balancers other than round robin: least_conn (fewest active connections,
# weights, ties by round robin, backup servers), ip_hash (nginx's function on
# the first three octets of IPv4 / the whole IPv6 address, checked against a
# reference computation; down servers keep the others' clients in place; a
# failing server's clients go elsewhere), hash KEY (Cache::Memcached's hash,
# checked against a reference; the rehash on failure; an empty key is round
# robin), hash KEY consistent (ketama points checked against a reference; a
# removed server moves only its keys; weights), random (weights, down, "two"
# takes the less loaded), and their configuration errors and warnings.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Compress::Zlib ();
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::LBBackend;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_realip http_upstream_least_conn
	http_upstream_ip_hash http_upstream_hash http_upstream_random/);
my $dir = $t->testdir();

$t->plan(36);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;

    upstream lc {
        least_conn;
        server 127.0.0.1:8091;
        server 127.0.0.1:8092;
    }

    upstream lcw {
        least_conn;
        server 127.0.0.1:8091 weight=2;
        server 127.0.0.1:8092;
    }

    upstream lcbk {
        least_conn;
        server 127.0.0.1:8089;
        server 127.0.0.1:8082 backup;
        server 127.0.0.1:8083 backup;
    }

    upstream ih {
        ip_hash;
        server 127.0.0.1:8081;
        server 127.0.0.1:8082;
        server 127.0.0.1:8083;
    }

    upstream ihdown {
        ip_hash;
        server 127.0.0.1:8081;
        server 127.0.0.1:8082 down;
        server 127.0.0.1:8083;
    }

    upstream ihw {
        ip_hash;
        server 127.0.0.1:8081 weight=2;
        server 127.0.0.1:8082;
        server 127.0.0.1:8083;
    }

    upstream h {
        hash \$arg_k;
        server 127.0.0.1:8081;
        server 127.0.0.1:8082;
        server 127.0.0.1:8083;
    }

    upstream hw {
        hash \$arg_k;
        server 127.0.0.1:8081;
        server 127.0.0.1:8082 weight=3;
        server 127.0.0.1:8083;
    }

    upstream hdead {
        hash \$arg_k;
        server 127.0.0.1:8081;
        server 127.0.0.1:8089;
        server 127.0.0.1:8083;
    }

    upstream c3 {
        hash \$arg_k consistent;
        server 127.0.0.1:8081;
        server 127.0.0.1:8082;
        server 127.0.0.1:8083;
    }

    upstream c2 {
        hash \$arg_k consistent;
        server 127.0.0.1:8081;
        server 127.0.0.1:8083;
    }

    upstream cw {
        hash \$arg_k consistent;
        server 127.0.0.1:8081;
        server 127.0.0.1:8082 weight=4;
        server 127.0.0.1:8083;
    }

    upstream rnd {
        random;
        server 127.0.0.1:8081;
        server 127.0.0.1:8082 weight=3;
        server 127.0.0.1:8083 down;
    }

    upstream rnd2 {
        random two least_conn;
        server 127.0.0.1:8091;
        server 127.0.0.1:8092;
    }

    server {
        listen 127.0.0.1:8080;

        set_real_ip_from 127.0.0.1;
        add_header X-Addr \$upstream_addr always;

        location /lc/ { proxy_pass http://lc/; }
        location /lcw/ { proxy_pass http://lcw/; }
        location /lcbk/ { proxy_pass http://lcbk; }
        location /ih/ { proxy_pass http://ih; }
        location /ihdown/ { proxy_pass http://ihdown; }
        location /ihw/ { proxy_pass http://ihw; }
        location /h/ { proxy_pass http://h; }
        location /hw/ { proxy_pass http://hw; }
        location /hdead/ { proxy_pass http://hdead; }
        location /c3/ { proxy_pass http://c3; }
        location /c2/ { proxy_pass http://c2; }
        location /cw/ { proxy_pass http://cw; }
        location /rnd/ { proxy_pass http://rnd; }
        location /rnd2/ { proxy_pass http://rnd2/; }
    }

    server {
        listen 127.0.0.1:8081;
        listen 127.0.0.1:8082;
        listen 127.0.0.1:8083;
        location / { add_header X-Port \$server_port; return 200 "\$server_port\\n"; }
    }
}
END

my @p = (port(8081), port(8082), port(8083));
my %name = ($p[0] => 'A', $p[1] => 'B', $p[2] => 'C', port(8091) => 'H1',
	port(8092) => 'H2');

my $backends = Lintel::LBBackend->start($dir, port(8091), port(8092));
$t->run();

sub server {
	my ($uri, %opts) = @_;
	my $r = $opts{ip}
		? http("GET $uri HTTP/1.0\nHost: localhost\nX-Real-IP: $opts{ip}\n\n")
		: http_get($uri);
	my $p = http_header($r, 'X-Port');
	return defined $p ? ($name{$p} || $p) : 'none';
}

sub count {
	my (@s) = @_;
	my %c;
	$c{$_}++ for @s;
	return join ' ', map { "$_:$c{$_}" } sort keys %c;
}

sub held {
	my ($re) = @_;
	return join ' ', sort map { /^(\d+)/ && $name{$1} } grep { /$re/ } $backends->arrivals();
}

sub wait_held {
	my ($re, $n) = @_;
	Lintel::Test::wait_until(sub { (grep { /$re/ } $backends->arrivals()) >= $n }, 5);
}

# least_conn

is(count(map { server('/lc/') } 1 .. 10), 'H1:5 H2:5', 'least_conn: idle servers in turn');

my $s1 = http_get('/lc/hold/a1', start => 1);
wait_held(qr{/hold/a1}, 1);
my $busy = held(qr{/hold/a1});
my $other = $busy eq 'H1' ? 'H2' : 'H1';
is(count(map { server('/lc/') } 1 .. 10), "$other:10", 'least_conn: the busy server is avoided');
$backends->release('a1');
is(http_status(http_read_response($s1, 10, one => 1)), 200, 'least_conn: held request answered');

my @s = ();
for my $i (1 .. 3) {
	push @s, http_get("/lcw/hold/w$i", start => 1);
	wait_held(qr{/hold/w}, $i);
}
is(held(qr{/hold/w}), 'H1 H1 H2', 'least_conn: connections weighed (2:1)');
$backends->release("w$_") for 1 .. 3;
is(scalar(grep { http_status(http_read_response($_, 10, one => 1)) == 200 } @s), 3,
	'least_conn weights: answered');

my $r = http_get('/lcbk/');
is(http_status($r), 200, 'least_conn: dead primary, backup answers');
is(count(map { server('/lcbk/') } 1 .. 6), 'B:3 C:3', 'least_conn: backup servers balanced');

# ip_hash: the reference function

sub ip_hash_ref {
	my ($weights, @bytes) = @_;
	my $h = 89;
	$h = ($h * 113 + $_) % 6271 for @bytes;
	my $total = 0;
	$total += $_ for @$weights;
	my $w = $h % $total;
	my $i = 0;
	while ($w >= $weights->[$i]) { $w -= $weights->[$i]; $i++; }
	return (qw/A B C/)[$i];
}

my (@got, @want);
for my $i (1 .. 30) {
	push @got, server('/ih/', ip => "10.1.$i.7");
	push @want, ip_hash_ref([1, 1, 1], 10, 1, $i);
}
is("@got", "@want", 'ip_hash: nginx\'s function (IPv4)');
is(count(@got), 'A:10 B:10 C:10', 'ip_hash: spread');

@got = @want = ();
for my $i (1 .. 20) {
	push @got, server('/ihw/', ip => "10.2.$i.1");
	push @want, ip_hash_ref([2, 1, 1], 10, 2, $i);
}
is("@got", "@want", 'ip_hash: weights');

is(count(map { server('/ih/', ip => "10.9.9.$_") } 1 .. 20, 200 .. 210), 
	(server('/ih/', ip => '10.9.9.1')) . ':31', 'ip_hash: a /24 goes to one server');

@got = @want = ();
for my $i (1 .. 12) {
	push @got, server('/ih/', ip => sprintf('2001:db8::%x', $i));
	push @want, ip_hash_ref([1, 1, 1], 0x20, 0x01, 0x0d, 0xb8, (0) x 11, $i);
}
is("@got", "@want", 'ip_hash: the whole IPv6 address');

my (@same, @moved);
for my $i (1 .. 30) {
	my $before = server('/ih/', ip => "10.3.$i.1");
	my $after = server('/ihdown/', ip => "10.3.$i.1");
	if ($before eq 'B') { push @moved, $after } else { push @same, $before eq $after ? 1 : 0 }
}
ok(@same && !grep({ !$_ } @same), 'ip_hash: a down server leaves the others\' clients');
ok(@moved && !grep({ $_ eq 'B' } @moved), 'ip_hash: its clients go elsewhere');

# hash: the reference functions

sub crc32 { Compress::Zlib::crc32($_[0]) }

sub hash_ref {
	my ($weights, $key) = @_;
	my $total = 0;
	$total += $_ for @$weights;
	my $w = ((crc32($key) >> 16) & 0x7fff) % $total;
	my $i = 0;
	while ($w >= $weights->[$i]) { $w -= $weights->[$i]; $i++; }
	return (qw/A B C/)[$i];
}

sub chash_ref {
	my ($servers, $key) = @_;       # [name, "host:port", weight] ...
	my @points;
	for my $s (@$servers) {
		my ($host, $port) = $s->[1] =~ /^(.*):(\d+)$/;
		my $prev = 0;
		for (1 .. 160 * $s->[2]) {
			my $h = crc32("$host\0$port" . pack('V', $prev));
			push @points, [$h, $s->[0]];
			$prev = $h;
		}
	}
	@points = sort { $a->[0] <=> $b->[0] } @points;
	my $k = crc32($key);
	for my $pt (@points) {
		return $pt->[1] if $pt->[0] >= $k;
	}
	return $points[0][1];
}

@got = @want = ();
for my $i (1 .. 30) {
	push @got, server("/h/?k=key$i");
	push @want, hash_ref([1, 1, 1], "key$i");
}
is("@got", "@want", 'hash: Cache::Memcached\'s function');

@got = @want = ();
for my $i (1 .. 30) {
	push @got, server("/hw/?k=key$i");
	push @want, hash_ref([1, 3, 1], "key$i");
}
is("@got", "@want", 'hash: weights');

is(count(map { server('/h/?k=same') } 1 .. 10), hash_ref([1, 1, 1], 'same') . ':10',
	'hash: a key stays on its server');
is(count(map { server('/h/?k=') } 1 .. 6), 'A:2 B:2 C:2', 'hash: empty key is round robin');

# hdead: B's keys find another server by rehashing, at once and later
my @bkeys = grep { hash_ref([1, 1, 1], $_) eq 'B' } map { "key$_" } 1 .. 40;
my @res = map { http_get("/hdead/?k=$_") } @bkeys;
is(scalar(grep { http_status($_) == 200 } @res), scalar(@bkeys),
	'hash: keys of a dead server answered');
my @again = map { server("/hdead/?k=$_") } @bkeys;
is(join(' ', map { server("/hdead/?k=$_") } @bkeys), "@again", 'hash: rehash is stable');

# consistent

my @s3 = (['A', "127.0.0.1:$p[0]", 1], ['B', "127.0.0.1:$p[1]", 1], ['C', "127.0.0.1:$p[2]", 1]);

@got = @want = ();
for my $i (1 .. 30) {
	push @got, server("/c3/?k=key$i");
	push @want, chash_ref(\@s3, "key$i");
}
is("@got", "@want", 'consistent: ketama points');
is(count(map { server('/c3/?k=same') } 1 .. 10), chash_ref(\@s3, 'same') . ':10',
	'consistent: a key stays on its server');

my $kept = 1;
my $n_b = 0;
for my $i (1 .. 40) {
	my $three = server("/c3/?k=key$i");
	my $two = server("/c2/?k=key$i");
	if ($three eq 'B') { $n_b++; $kept = 0 if $two eq 'B'; next; }
	$kept = 0 if $three ne $two;
}
ok($kept && $n_b, 'consistent: removing a server moves only its keys');

my @sw = (['A', "127.0.0.1:$p[0]", 1], ['B', "127.0.0.1:$p[1]", 4], ['C', "127.0.0.1:$p[2]", 1]);
@got = @want = ();
for my $i (1 .. 30) {
	push @got, server("/cw/?k=key$i");
	push @want, chash_ref(\@sw, "key$i");
}
is("@got", "@want", 'consistent: weights');
is(count(map { server('/c3/?k=') } 1 .. 6), 'A:2 B:2 C:2', 'consistent: empty key is round robin');

# random

my %c;
$c{server('/rnd/')}++ for 1 .. 200;
ok(!$c{C}, 'random: never the down server');
ok(($c{B} || 0) > 110 && ($c{B} || 0) < 190 && ($c{A} || 0) > 10,
	'random: weights 1:3') or diag(count(map { ($_) x $c{$_} } keys %c));

$s1 = http_get('/rnd2/hold/r1', start => 1);
wait_held(qr{/hold/r1}, 1);
$busy = held(qr{/hold/r1});
$other = $busy eq 'H1' ? 'H2' : 'H1';
is(count(map { server('/rnd2/') } 1 .. 10), "$other:10", 'random two: the less loaded');
$backends->release('r1');
is(http_status(http_read_response($s1, 10, one => 1)), 200, 'random two: held request answered');

# configuration

sub conf_test {
	my ($upstream) = @_;
	$t->write_file('bad.conf', <<"END");
events {}
http {
    upstream u { $upstream }
    server { listen 127.0.0.1:${\ port(8080)}; location / { proxy_pass http://u; } }
}
END
	my ($code, $err) = $t->test_config('bad.conf');
	return ($code ? 'failed: ' : 'ok: ') . $err;
}

like(conf_test('ip_hash; server 127.0.0.1:1 backup;'),
	qr/^failed: .*balancing method does not support parameter "backup"/s, 'ip_hash: no backup');
like(conf_test('hash $uri; server 127.0.0.1:1 backup;'),
	qr/^failed: .*does not support parameter "backup"/s, 'hash: no backup');
like(conf_test('random; server 127.0.0.1:1 backup;'),
	qr/^failed: .*does not support parameter "backup"/s, 'random: no backup');
like(conf_test('least_conn; server 127.0.0.1:1 weight=2 max_conns=3 max_fails=2 '
	. 'fail_timeout=5s down; server 127.0.0.1:2 backup;'),
	qr/^ok: /, 'least_conn: every parameter');
like(conf_test('hash $uri inconsistent; server 127.0.0.1:1;'),
	qr/^failed: .*invalid parameter "inconsistent"/s, 'hash: bad parameter');
like(conf_test('random two most; server 127.0.0.1:1;'),
	qr/^failed: .*invalid parameter "most"/s, 'random: bad method');
like(conf_test('least_conn; ip_hash; server 127.0.0.1:1;'),
	qr/^ok: .*\[warn\] load balancing method redefined/s, 'a second method: warning');
