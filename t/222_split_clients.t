#!/usr/bin/perl

# The split_clients module: MurmurHash2 of the string placed into parts with
# nginx's boundaries (checked against a reference computed here, and against
# the outcome nginx gives for the strings "1".."20"), "*", parts that do not
# cover 100%, and the configuration errors with their file and line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_split_clients http_rewrite/)->plan(23);
my $dir = $t->testdir();

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    split_clients \$arg_s \$nginx {
        51.2%  one;
        10%    two;
        *      three;
    }

    split_clients "\${arg_s}salt" \$partial {
        0.5%   a;
        25%    b;
        30.25% c;
    }

    split_clients \$arg_s \$all {
        *      "every one";
    }

    split_clients \$arg_s \$hundred {
        50%    x;
        50%    "";
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        location /nginx   { return 200 "[\$nginx]"; }
        location /partial { return 200 "[\$partial]"; }
        location /all     { return 200 "[\$all]"; }
        location /hundred { return 200 "[\$hundred]"; }
    }
}
END

$t->run();

sub get {
	my ($uri) = @_;
	my $r = http_get($uri);
	return $r =~ /\r\n\r\n\[(.*)\]\z/s ? $1 : "no body: $r";
}

# a reference MurmurHash2 (seed 0), exact 32-bit arithmetic

sub mul32 {
	my ($a, $b) = @_;
	return ($a * ($b & 0xffff) + ((($a * ($b >> 16)) & 0xffff) << 16)) & 0xffffffff;
}

sub murmur2 {
	my ($s) = @_;
	my @d = unpack('C*', $s);
	my $m = 0x5bd1e995;
	my $h = scalar(@d);
	my $i = 0;

	while (@d - $i >= 4) {
		my $k = $d[$i] | $d[$i + 1] << 8 | $d[$i + 2] << 16 | $d[$i + 3] << 24;
		$k = mul32($k, $m);
		$k ^= $k >> 24;
		$k = mul32($k, $m);
		$h = mul32($h, $m) ^ $k;
		$i += 4;
	}

	my $rest = @d - $i;
	$h ^= $d[$i + 2] << 16 if $rest >= 3;
	$h ^= $d[$i + 1] << 8 if $rest >= 2;
	if ($rest >= 1) {
		$h ^= $d[$i];
		$h = mul32($h, $m);
	}

	$h ^= $h >> 13;
	$h = mul32($h, $m);
	$h ^= $h >> 15;

	return $h;
}

# the part of hash among (percent in hundredths, value) pairs, nginx's way
sub part {
	my ($hash, @parts) = @_;
	my $last = 0;
	while (my ($p, $v) = splice(@parts, 0, 2)) {
		return $v if $p == 0;
		$last += int($p * 0xffffffff / 10000);
		return $v if $hash < $last;
	}
	return '';
}

is(murmur2(''), 0, 'reference hash of ""');
is(murmur2('1'), murmur2('1'), 'reference hash is stable');

# nginx's outcome for "1".."20" (split_clients.t in nginx's suite)

my %dist;
$dist{get("/nginx?s=$_")}++ for 1 .. 20;
is(join(', ', map { "$_: " . ($dist{$_} // 0) } qw/one two three/),
	'one: 12, two: 2, three: 6', 'same split as nginx');

# many strings against the reference

my ($bad, $badp) = (0, 0);
for my $n (1 .. 200) {
	my $s = "client-$n" . ('x' x ($n % 7));
	my $h = murmur2($s);
	$bad++ if get("/nginx?s=$s") ne part($h, 5120, 'one', 1000, 'two', 0, 'three');
	$badp++ if get("/partial?s=$s")
		ne part(murmur2("${s}salt"), 50, 'a', 2500, 'b', 3025, 'c');
}
is($bad, 0, 'parts match the reference for 200 strings');
is($badp, 0, 'partial cover matches the reference for 200 strings');

my %seen;
$seen{get("/partial?s=$_")}++ for 1 .. 100;
ok($seen{''}, 'partial cover: some get the empty string');
ok($seen{'b'} && $seen{'c'}, 'partial cover: parts used');

is(get('/all?s=abc'), 'every one', '"*" alone');
is(get('/all'), 'every one', '"*" alone, empty string');
my %h;
$h{get("/hundred?s=$_")}++ for 1 .. 40;
ok($h{'x'} && $h{''} && keys %h == 2, 'two halves, one of them empty');

# configuration errors

sub conf_error {
	my ($http, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$http\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

conf_error("split_clients \$arg_a \$v {\n abc% x;\n}",
	qr/\[emerg\] invalid percent value "abc%" in \Q$dir\E\/bad.conf:5/, 'not a number');
conf_error("split_clients \$arg_a \$v {\n 10 x;\n}",
	qr/invalid percent value "10" in .*bad.conf:5/, 'no percent sign');
conf_error("split_clients \$arg_a \$v {\n 0% x;\n}",
	qr/invalid percent value "0%" in .*bad.conf:5/, 'zero');
conf_error("split_clients \$arg_a \$v {\n 0.001% x;\n}",
	qr/invalid percent value "0.001%" in .*bad.conf:5/, 'three decimals');
conf_error("split_clients \$arg_a \$v {\n % x;\n}",
	qr/invalid percent value "%" in .*bad.conf:5/, 'percent sign alone');
conf_error("split_clients \$arg_a \$v {\n 60% x;\n 40.01% y;\n}",
	qr/percent total is greater than 100% in .*bad.conf:7/, 'over 100%');
conf_error("split_clients \$arg_a \$v {\n 150% x;\n}",
	qr/percent total is greater than 100% in .*bad.conf:6/, 'one part over 100%');
conf_error("split_clients \$arg_a \$v {\n * x;\n 1% y;\n}",
	qr/percent total is greater than 100% in .*bad.conf:7/, 'a part after "*"');
conf_error("split_clients \$arg_a \$v {\n 1% x y;\n}",
	qr/invalid number of the split_clients parameters in .*bad.conf:5/,
	'three parameters');
conf_error("split_clients \$arg_a v {\n}",
	qr/invalid variable name "v" in .*bad.conf:4/, 'variable without \$');
conf_error("server { split_clients \$arg_a \$v { * x; } }",
	qr/"split_clients" directive is not allowed here in .*bad.conf:4/, 'in server');
conf_error("split_clients \$arg_a \$v { * x; }\nsplit_clients \$arg_a \$w;",
	qr/directive "split_clients" has no opening "\{" in .*bad.conf:5/, 'no block');
conf_error("split_clients \$arg_a {\n}",
	qr/invalid number of arguments in "split_clients" directive in .*bad.conf:4/,
	'no variable');
