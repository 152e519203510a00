#!/usr/bin/perl

# upstream{} with the default balancer, smooth weighted round robin: an even
# spread, weights (and their smooth order), backup servers (used only when no
# primary is usable), down, max_fails/fail_timeout (a failing server is taken
# out, probed again after fail_timeout; max_fails=0 never takes it out; a
# single server is never taken out), max_conns (a full server is skipped, all
# full is 502 at once and "no live upstreams", a full primary sends requests to
# the backup, the count goes down when requests end), a server without a port
# (80), a host name with several addresses, and the configuration errors.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::LBBackend;

my $t = Lintel::Test->new()->has(qw/http http_proxy/);
my $dir = $t->testdir();

$t->plan(37);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;

    upstream rr {
        server 127.0.0.1:8081;
        server 127.0.0.1:8082;
    }

    upstream w {
        server 127.0.0.1:8081 weight=3;
        server 127.0.0.1:8082;
    }

    upstream smooth {
        server 127.0.0.1:8081 weight=5;
        server 127.0.0.1:8082;
        server 127.0.0.1:8083;
    }

    upstream down {
        server 127.0.0.1:8081 down;
        server 127.0.0.1:8082;
        server 127.0.0.1:8083;
    }

    upstream bk {
        server 127.0.0.1:8081;
        server 127.0.0.1:8082 backup;
    }

    upstream bkdead {
        server 127.0.0.1:8089;
        server 127.0.0.1:8083 backup;
    }

    upstream bkdown {
        server 127.0.0.1:8081 down;
        server 127.0.0.1:8082 backup;
        server 127.0.0.1:8083 backup;
    }

    upstream mf {
        server 127.0.0.1:8081 max_fails=2 fail_timeout=2s;
        server 127.0.0.1:8082;
    }

    upstream mf0 {
        server 127.0.0.1:8081 max_fails=0;
        server 127.0.0.1:8082;
    }

    upstream single {
        server 127.0.0.1:8081;
    }

    upstream lim {
        server 127.0.0.1:8091 max_conns=2;
    }

    upstream limbk {
        server 127.0.0.1:8091 max_conns=1;
        server 127.0.0.1:8092 backup;
    }

    upstream lim2 {
        server 127.0.0.1:8091 max_conns=1;
        server 127.0.0.1:8092;
    }

    upstream noport {
        server 127.0.0.1;
    }

    upstream named {
        server localhost:%%PORT_8082%%;
    }

    # the proxy
    server {
        listen 127.0.0.1:8080;

        add_header X-Addr \$upstream_addr always;
        proxy_read_timeout 15s;

        location /rr/ { proxy_pass http://rr; }
        location /w/ { proxy_pass http://w; }
        location /smooth/ { proxy_pass http://smooth; }
        location /down/ { proxy_pass http://down; }
        location /bk/ { proxy_pass http://bk; }
        location /bkdead/ { proxy_pass http://bkdead; }
        location /bkdown/ { proxy_pass http://bkdown; }
        location /mf/ { proxy_pass http://mf; }
        location /mf0/ { proxy_pass http://mf0; }
        location /single/ { proxy_pass http://single; }
        location /lim/ { proxy_pass http://lim/; }
        location /limbk/ { proxy_pass http://limbk/; }
        location /lim2/ { proxy_pass http://lim2/; }
        location /noport/ { proxy_pass http://noport; proxy_connect_timeout 1s; }
        location /named/ { proxy_pass http://named; }
    }

    # the backends: A fails on /.../fail (closes without an answer)
    server {
        listen 127.0.0.1:8081;
        location / { add_header X-Port A; return 200 "A\\n"; }
        location ~ /fail { return 444; }
    }

    server {
        listen 127.0.0.1:8082;
        listen 127.0.0.1:8083;
        location / { add_header X-Port \$server_port; return 200 "\$server_port\\n"; }
    }
}
END

my %name = (port(8082) => 'B', port(8083) => 'C', port(8091) => 'H1', port(8092) => 'H2',
	A => 'A');

my $backends = Lintel::LBBackend->start($dir, port(8091), port(8092));
$t->run();

# the server letters in the order of the answers
sub seq {
	my ($uri, $n) = @_;
	my @s;
	for (1 .. $n) {
		my $p = http_header(http_get($uri), 'X-Port');
		push @s, defined $p ? ($name{$p} || $p) : 'none';
	}
	return "@s";
}

# "A:3 B:1": how many answers came from each
sub count {
	my ($uri, $n) = @_;
	my %c;
	$c{$_}++ for split / /, seq($uri, $n);
	return join ' ', map { "$_:$c{$_}" } sort keys %c;
}

# the servers an answer's $upstream_addr names, as letters
sub tried {
	my ($r) = @_;
	my $a = http_header($r, 'X-Addr');
	return 'none' unless defined $a;
	my $p1 = port(8081);
	$a =~ s/127\.0\.0\.1:$p1\b/A/g;
	$a =~ s/127\.0\.0\.1:(\d+)/$name{$1} || $1/ge;
	return $a;
}

# round robin, weights

is(count('/rr/', 30), 'A:15 B:15', 'even spread');
is(count('/w/', 40), 'A:30 B:10', 'weight 3:1');
is(seq('/smooth/', 14), 'A A B A C A A A A B A C A A', 'smooth order of weights 5,1,1');
is(count('/down/', 10), 'B:5 C:5', 'a down server gets nothing');

# backup servers

is(count('/bk/', 6), 'A:6', 'backup unused while the primary works');
is(count('/bkdown/', 10), 'B:5 C:5', 'backup servers balanced when the primary is down');

my $r = http_get('/bkdead/');
is(http_status($r), 200, 'failed primary: backup answers');
is(tried($r), port(8089) . ', C', 'failed primary: both tried');
is(tried(http_get('/bkdead/')), 'C', 'failed primary: skipped next time');

# max_fails, fail_timeout

my @s = map { http_get('/mf/fail') } 1 .. 10;
is(scalar(grep { http_status($_) == 200 } @s), 10, 'max_fails: clients see no failure');
is(scalar(grep { tried($_) =~ /A/ } @s), 2, 'max_fails=2: failing server tried twice');
is(join(' ', map { tried($_) } @s[0 .. 2]), 'A, B B A, B', 'max_fails: the tries');
is(count('/mf/ok', 4), 'B:4', 'failed server out for fail_timeout');

sleep 3.1;

@s = map { http_get('/mf/fail') } 1 .. 4;
is(scalar(grep { tried($_) =~ /A/ } @s), 1, 'probed once after fail_timeout');
is(scalar(grep { http_status($_) == 200 } @s), 4, 'probe: clients see no failure');

sleep 3.1;

like(count('/mf/ok', 4), qr/^A:\d B:\d$/, 'a successful probe puts it back');

@s = map { http_get('/mf0/fail') } 1 .. 10;
is(scalar(grep { tried($_) =~ /A/ } @s), 5, 'max_fails=0: never taken out');
is(scalar(grep { http_status($_) == 200 } @s), 10, 'max_fails=0: clients see no failure');

$r = http_get('/single/fail');
is(http_status($r), 502, 'single server fails: 502');
$r = http_get('/single/fail');
is(tried($r), 'A', 'single server: tried again, not taken out');
is(http_status(http_get('/single/ok')), 200, 'single server: works again at once');

# max_conns

my @h = map { http_get("/lim/hold/l$_", start => 1) } 1 .. 2;
my @arr = Lintel::Test::wait_until(sub {
	my @a = grep { m{/hold/l} } $backends->arrivals(); @a >= 2 ? @a : ()
}, 5);
is(scalar(@arr), 2, 'max_conns: two requests held');

my $start = time();
$r = http_get('/lim/hold/l3');
is(http_status($r), 502, 'max_conns reached: 502');
ok(time() - $start < 1, 'max_conns reached: at once');
is(tried($r), 'lim', 'max_conns reached: no live upstreams');

$backends->release('l1');
$backends->release('l2');
is(join(' ', map { http_status(http_read_response($_, 10, one => 1)) } @h), '200 200',
	'max_conns: held requests answered');
$backends->release('l4');
is(http_status(http_get('/lim/hold/l4')), 200, 'max_conns: count goes down');

@h = map { http_get("/limbk/hold/b$_", start => 1) } 1 .. 3;
Lintel::Test::wait_until(sub { (grep { m{/hold/b} } $backends->arrivals()) >= 3 }, 5);
is(join(' ', sort map { /^(\d+)/ && $name{$1} } grep { m{/hold/b} } $backends->arrivals()),
	'H1 H2 H2', 'max_conns: a full primary sends the rest to the backup');
$backends->release('b1'); $backends->release('b2'); $backends->release('b3');
is(join(' ', map { http_status(http_read_response($_, 10, one => 1)) } @h), '200 200 200',
	'max_conns backup: all answered');

@h = map { http_get("/lim2/hold/c$_", start => 1) } 1 .. 4;
Lintel::Test::wait_until(sub { (grep { m{/hold/c} } $backends->arrivals()) >= 4 }, 5);
is(join(' ', sort map { /^(\d+)/ && $name{$1} } grep { m{/hold/c} } $backends->arrivals()),
	'H1 H2 H2 H2', 'max_conns: a full server is skipped');
$backends->release('all');
is(scalar(grep { http_status(http_read_response($_, 10, one => 1)) == 200 } @h), 4,
	'max_conns skip: all answered');

# addresses

$r = http_get('/noport/');
is(http_header($r, 'X-Addr'), '127.0.0.1:80', 'server without a port: 80');
like(http_get('/named/'), qr/X-Port: ${\ port(8082)}/, 'server named by a host name');

# configuration errors

sub conf_error {
	my ($upstream) = @_;
	$t->write_file('bad.conf', <<"END");
events {}
http {
    $upstream
    server { listen 127.0.0.1:${\ port(8080)}; location / { proxy_pass http://u; } }
}
END
	my ($code, $err) = $t->test_config('bad.conf');
	return $code ? $err : 'accepted';
}

like(conf_error('upstream u { server 127.0.0.1:1 weight=0; }'),
	qr/invalid parameter "weight=0"/, 'weight=0');
like(conf_error('upstream u { server 127.0.0.1:1 max_fails=x; }'),
	qr/invalid parameter "max_fails=x"/, 'max_fails=x');
like(conf_error('upstream u { server 127.0.0.1:1 fast; }'),
	qr/invalid parameter "fast"/, 'unknown parameter');
like(conf_error('upstream u { }'), qr/no servers are inside upstream/, 'empty upstream');
