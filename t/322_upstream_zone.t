#!/usr/bin/perl

# zone: the peer state of an upstream in shared memory, with two workers (the
# listener has reuseport, so that connections spread over both): a server
# found failed by one worker is skipped by the other (and without a zone each
# worker finds out for itself); max_conns counts the connections of both
# workers; a zone shared by two upstreams; a reload with the same upstreams
# keeps the zone (failure state, and the connections of an old worker still
# count), one with changed servers gives a fresh zone; the errors.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::LBBackend;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_upstream_zone/);
my $dir = $t->testdir();

$t->plan(25);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
worker_processes 2;
events {}
http {
    access_log off;

    upstream z {
        zone z 64k;
        server 127.0.0.1:8089 max_fails=1 fail_timeout=60s;
        server 127.0.0.1:8082;
    }

    upstream z2 {
        zone z;
        server 127.0.0.1:8087 max_fails=1 fail_timeout=60s;
        server 127.0.0.1:8082;
    }

    upstream nz {
        server 127.0.0.1:8088 max_fails=1 fail_timeout=60s;
        server 127.0.0.1:8082;
    }

    upstream zlim {
        zone zl 64k;
        server 127.0.0.1:8091 max_conns=2;
    }

    server {
        listen 127.0.0.1:8080 reuseport;

        add_header X-Pid \$pid always;
        add_header X-Addr \$upstream_addr always;
        proxy_set_header X-Pid \$pid;

        location /pid { return 200 "\$pid"; }
        location /z/ { proxy_pass http://z; }
        location /z2/ { proxy_pass http://z2; }
        location /nz/ { proxy_pass http://nz; }
        location /zlim/ { proxy_pass http://zlim/; }
    }

    server {
        listen 127.0.0.1:8082;
        location / { return 200 "B\\n"; }
    }
}
END

my $backends = Lintel::LBBackend->start($dir, port(8091));
$t->run();

# requests to uri until each current worker answered at least n of them (a
# worker that is shutting down may answer too); ok when they all took part,
# and the answers
sub both_workers {
	my ($uri, $n) = @_;
	my @w = grep { $t->cmdline($_) !~ /shutting/ } $t->workers();
	my (%seen, @r);
	my $done = sub { @w == 2 && !grep { ($seen{$_} || 0) < $n } @w };
	for (1 .. 300) {
		my $r = http_get($uri);
		push @r, $r;
		my $pid = http_header($r, 'X-Pid');
		$seen{$pid}++ if defined $pid;
		last if $done->();
	}
	return ($done->() ? 1 : 0, @r);
}

# connect() failures to a port in the error log, and the pids that logged them
sub failures {
	my ($port) = @_;
	my @l = grep { /connect\(\) failed/ && /127\.0\.0\.1:$port\b/ }
		split /\n/, $t->read_file('error.log');
	my %pids = map { /\[error\] (\d+)#/ ? ($1 => 1) : () } @l;
	return (scalar(@l), scalar(keys %pids));
}

Lintel::Test::wait_until(sub { $t->workers() == 2 }, 10);

my ($both) = both_workers('/pid', 2);
ok($both, 'connections reach both workers');

# failure state

my ($ok, @r) = both_workers('/z/', 3);
ok($ok, 'zone: both workers proxied');
is(scalar(grep { http_status($_) == 200 } @r), scalar(@r), 'zone: no client saw the failure');
is((failures(port(8089)))[0], 1, 'zone: the failed server was tried once in all');

($ok, @r) = both_workers('/nz/', 3);
is((failures(port(8088)))[0], 2, 'no zone: each worker tried the failed server');
is((failures(port(8088)))[1], 2, 'no zone: the two workers');

($ok, @r) = both_workers('/z2/', 3);
ok($ok && (failures(port(8087)))[0] == 1, 'zone shared by two upstreams');
is((failures(port(8089)))[0], 1, 'zone shared: the other upstream\'s state kept');

# max_conns over both workers: one request held by each worker

my $h1 = http_get('/zlim/hold/m1', start => 1);
Lintel::Test::wait_until(sub { grep { m{/hold/m1 } } $backends->arrivals() }, 5);
my ($pid1) = map { /(\S+)$/ } grep { m{/hold/m1 } } $backends->arrivals();

my ($h2, $pid2);
for my $i (2 .. 40) {
	my $s = http_get("/zlim/hold/m$i", start => 1);
	Lintel::Test::wait_until(sub { grep { m{/hold/m$i } } $backends->arrivals() }, 5);
	my ($pid) = map { /(\S+)$/ } grep { m{/hold/m$i } } $backends->arrivals();
	if (defined $pid && $pid ne $pid1) {
		($h2, $pid2) = ($s, $pid);
		last;
	}
	$backends->release("m$i");
	http_read_response($s, 10, one => 1);
}

ok($h2, 'max_conns: one held request in each worker');

@r = map { http_get('/zlim/x') } 1 .. 8;
is(join(' ', map { http_status($_) } @r), join(' ', ('502') x 8),
	'max_conns counted over both workers');
is(scalar(grep { http_header($_, 'X-Addr') eq 'zlim' } @r), 8,
	'max_conns: no live upstreams');

$backends->release('all');
is(join(' ', map { http_status(http_read_response($_, 10, one => 1)) } grep { $_ } $h1, $h2),
	'200 200', 'max_conns: held requests answered');
($ok, @r) = both_workers('/zlim/x', 2);
ok($ok && !grep({ http_status($_) != 200 } @r), 'max_conns: both workers counted down');

# reload with the same upstreams: the zone is kept, state and counts carry over

unlink "$dir/release-all";
my $held = http_get('/zlim/hold/old', start => 1);
Lintel::Test::wait_until(sub { grep { m{/hold/old } } $backends->arrivals() }, 5);

# reload() would wait for the old workers to exit: the one holding "old" does not
my %old = map { $_ => 1 } $t->workers();
$t->signal('HUP');
Lintel::Test::wait_until(sub {
	(grep { !$old{$_} } $t->workers()) >= 2
		&& !grep { $old{$_} && $t->cmdline($_) !~ /shutting/ } $t->workers()
}, 10);

($ok, @r) = both_workers('/z/', 3);
ok($ok, 'reload: both new workers proxied');
is((failures(port(8089)))[0], 1, 'reload, same upstreams: failure state kept');

my $h3 = http_get('/zlim/hold/new', start => 1);
Lintel::Test::wait_until(sub { grep { m{/hold/new } } $backends->arrivals() }, 5);
is(http_status(http_get('/zlim/x')), 502,
	'reload, same upstreams: an old worker\'s connection still counts');

$backends->release('old');
$backends->release('new');
is(http_status(http_read_response($held, 10, one => 1)), 200,
	'reload: a request of an old worker finished');
is(http_status(http_read_response($h3, 10, one => 1)), 200, 'reload: a new one too');
($ok, @r) = both_workers('/zlim/x', 2);
ok($ok && !grep({ http_status($_) != 200 } @r), 'reload: counts went down in the kept zone');

# reload with changed servers: a fresh zone

my $conf = $t->read_file('lintel.conf');
$conf =~ s/(server 127\.0\.0\.1:\d+;\n    \}\n\n    upstream z2)/server 127.0.0.1:${\ port(8082)} weight=2;\n    }\n\n    upstream z2/
	or die "no z upstream\n";
$t->write_file('lintel.conf', $conf);
$t->reload();

($ok, @r) = both_workers('/z/', 3);
ok($ok && !grep({ http_status($_) != 200 } @r), 'reload, changed servers: proxied');
is((failures(port(8089)))[0], 2, 'reload, changed servers: fresh state');

# errors

$t->write_file('small.conf', "events {}\nhttp {\n    upstream u {\n        zone small 32k;\n"
	. join('', map { "        server 127.0.0.1:$_;\n" } 1000 .. 1400)
	. "    }\n    server { listen 127.0.0.1:" . port(8080) . "; location / { proxy_pass http://u; } }\n}\n");
my ($code, $err) = $t->test_config('small.conf');
like($err, qr/upstream zone "small" of \d+ bytes is too small/, 'zone too small for its servers');

sub zone_conf {
	my ($zone) = @_;
	$t->write_file('bad.conf', "events {}\nhttp {\n    upstream u { $zone server 127.0.0.1:1; }\n"
		. "    server { listen 127.0.0.1:" . port(8080)
		. "; location / { proxy_pass http://u; } }\n}\n");
	my ($c, $e) = $t->test_config('bad.conf');
	return $c ? $e : 'accepted';
}

like(zone_conf('zone z 16k;'), qr/zone "z" is too small/, 'zone below 8 pages');
like(zone_conf('zone z 1x;'), qr/invalid zone size "1x"/, 'bad zone size');
like(zone_conf('zone z;'), qr/zero size shared memory zone "z"/, 'zone never sized');
