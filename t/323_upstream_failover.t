#!/usr/bin/perl

# Failover under load: three backends (separate processes), clients sending
# many requests at once and one after another; one backend is killed (with the
# requests it is serving) in the middle: no client request fails
# (proxy_next_upstream's default "error timeout" moves them to the others).
# The backend comes back and gets requests again after fail_timeout. With
# every backend down, clients get 502 within a second, at once and later
# ("no live upstreams"), alone and many at a time.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::LBBackend;

my $t = Lintel::Test->new()->has(qw/http http_proxy/);
my $dir = $t->testdir();

$t->plan(12);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;

    upstream u {
        server 127.0.0.1:8091 fail_timeout=1s;
        server 127.0.0.1:8092 fail_timeout=1s;
        server 127.0.0.1:8093 fail_timeout=1s;
    }

    upstream lc {
        least_conn;
        server 127.0.0.1:8091 fail_timeout=1s;
        server 127.0.0.1:8092 fail_timeout=1s;
        server 127.0.0.1:8093 fail_timeout=1s;
    }

    server {
        listen 127.0.0.1:8080;
        add_header X-Addr \$upstream_addr always;
        proxy_read_timeout 10s;

        location / { proxy_pass http://u; }
        location /lc/ { proxy_pass http://lc; }
    }
}
END

my @ports = (port(8091), port(8092), port(8093));
my %backend = map { $_ => Lintel::LBBackend->start($dir, $_) } @ports;
$t->run();

# clients: $n processes sending requests one after another each, until
# $during returns; the statuses they saw
sub load {
	my ($n, $prefix, $during) = @_;
	my @kids;

	unlink "$dir/stop";

	for my $k (1 .. $n) {
		my $pid = fork();
		die "fork: $!\n" unless defined $pid;

		if ($pid == 0) {
			my (%st, $i);
			my $end = time() + 20;
			while (!-e "$dir/stop" && time() < $end) {
				$i++;
				my $uri = $i % 2 ? "$prefix/x$k-$i" : "$prefix/sleep/30/$k-$i";
				my $s = http_status(http_get($uri, timeout => 8)) || 'none';
				$st{$s}++;
			}
			open my $fh, '>', "$dir/load-$k" or POSIX::_exit(1);
			print $fh join(' ', map { "$_:$st{$_}" } sort keys %st), "\n";
			close $fh;
			POSIX::_exit(0);
		}

		push @kids, $pid;
	}

	$during->();

	open my $fh, '>', "$dir/stop" or die "stop: $!\n";
	close $fh;

	waitpid($_, 0) for @kids;

	my %all;
	for my $k (1 .. $n) {
		my $l = $t->read_file("load-$k");
		$all{$1} += $2 while $l =~ /(\S+):(\d+)/g;
		unlink "$dir/load-$k";
	}
	return %all;
}

sub arrivals_on {
	my ($port, $re) = @_;
	# every backend writes to the same file
	return scalar grep { /^$port / && /$re/ } $backend{$ports[0]}->arrivals();
}

# one backend killed under load

my ($before, $after);
my %st = load(8, '', sub {
	# the backend dies when it has had its share, with requests in flight
	Lintel::Test::wait_until(sub { arrivals_on($ports[1], qr//) >= 10 }, 10);
	$backend{$ports[1]}->kill($ports[1]);
	$before = arrivals_on($ports[0], qr//) + arrivals_on($ports[2], qr//);
	# and the clients go on for a while (at least 20 requests, at most 10 s)
	Lintel::Test::wait_until(sub {
		arrivals_on($ports[0], qr//) + arrivals_on($ports[2], qr//) - $before >= 20
	}, 10);
	$after = arrivals_on($ports[0], qr//) + arrivals_on($ports[2], qr//) - $before;
});

my $total = 0;
$total += $_ for values %st;
is(join(' ', map { "$_:$st{$_}" } sort keys %st), "200:$total",
	'backend killed under load: no failed request');
ok(arrivals_on($ports[1], qr//) >= 10, 'the killed backend had its share before');
ok($after >= 20, "requests went on after the kill ($after)");

# the same with least_conn

%st = load(8, '/lc', sub {
	my $n = arrivals_on($ports[2], qr{^\S+ /lc/});
	Lintel::Test::wait_until(sub { arrivals_on($ports[2], qr{^\S+ /lc/}) >= $n + 10 }, 10);
	$backend{$ports[2]}->kill($ports[2]);
	sleep 1;
});
$total = 0;
$total += $_ for values %st;
is(join(' ', map { "$_:$st{$_}" } sort keys %st), "200:$total",
	'least_conn: backend killed under load: no failed request');

# the killed backends come back

$backend{$ports[1]} = Lintel::LBBackend->start($dir, $ports[1]);
$backend{$ports[2]} = Lintel::LBBackend->start($dir, $ports[2]);
sleep 2.1;

my %seen;
for (1 .. 12) {
	my $r = http_get('/back');
	$seen{http_body($r) =~ /^(\d+)/ ? $1 : 'none'}++;
}
ok(!grep({ !$seen{$_} } @ports), 'back after fail_timeout')
	or diag(join ' ', map { "$_:$seen{$_}" } keys %seen);

# every backend down

$backend{$_}->kill($_) for @ports;

my $start = time();
my $r = http_get('/down1');
my $first = time() - $start;
is(http_status($r), 502, 'all down: 502');
ok($first < 1, "all down: within a second ($first s)");
like(http_header($r, 'X-Addr'), qr/^127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+$/,
	'all down: each server tried once');

$start = time();
$r = http_get('/down2');
my $second = time() - $start;
is(http_status($r), 502, 'all marked failed: 502');
ok($second < 1, "all marked failed: within a second ($second s)");
is(http_header($r, 'X-Addr'), 'u', 'all marked failed: no live upstreams');

$start = time();
my @s = map { http_get("/down3/$_", start => 1) } 1 .. 20;
my @st = map { http_status(http_read_response($_, 5, one => 1)) || 'none' } @s;
my $burst = time() - $start;
ok(!grep({ $_ ne '502' } @st) && $burst < 1, "all down: 20 at once, 502 within a second ($burst s)");
