#!/usr/bin/perl

# Upstream keepalive (modules/upstream_keepalive.c): "keepalive N" keeps idle
# connections to the backends and reuses them; keepalive_requests,
# keepalive_timeout and keepalive_time end them; only clean HTTP/1.1 exchanges
# without "Connection: close" are kept; N bounds the cache (least recently used
# first out). Beyond nginx: a backend whose idle timeout is shorter than
# keepalive_timeout never shows the client a 502 (the stale connection is seen
# before reuse, or an idempotent request is sent again on a new connection).
# The backends are one Perl process listening on several ports; each numbers
# its connections and says in the response which connection and which request
# on it served it, and how many connections the proxy has closed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_upstream_keepalive/);

my $proxy = $t->has_module('http_proxy');

$t->plan(13 + ($proxy ? 30 : 0));

###############################################################################
# configuration errors (no proxy needed)

sub conf_error {
	my ($body, $re, $name) = @_;
	$t->write_file_expand('bad.conf', <<"END");
daemon off;
events {}
http {
    $body
    server { listen 127.0.0.1:%%PORT_8080%%; }
}
END
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code != 0 && $err =~ $re, $name) or diag("exit $code: $err");
}

conf_error('upstream u { server 127.0.0.1:1; keepalive 0; }',
	qr/invalid value "0" in "keepalive" directive in \S+bad\.conf:4/, 'keepalive 0');
conf_error('upstream u { server 127.0.0.1:1; keepalive many; }',
	qr/invalid value "many" in "keepalive" directive/, 'keepalive not a number');
conf_error('upstream u { server 127.0.0.1:1; keepalive 2; keepalive 3; }',
	qr/"keepalive" directive is duplicate/, 'keepalive duplicate');
conf_error('upstream u { server 127.0.0.1:1; keepalive; }',
	qr/invalid number of arguments in "keepalive" directive/, 'keepalive without a value');
conf_error('upstream u { server 127.0.0.1:1; keepalive 1 2; }',
	qr/invalid number of arguments in "keepalive" directive/, 'keepalive two values');
conf_error('keepalive 4;',
	qr/"keepalive" directive is not allowed here/, 'keepalive outside upstream');
conf_error('upstream u { server 127.0.0.1:1; keepalive 1; keepalive_timeout 5x; }',
	qr/invalid value "5x" in "keepalive_timeout" directive/, 'keepalive_timeout invalid');
conf_error('upstream u { server 127.0.0.1:1; keepalive 1; keepalive_time soon; }',
	qr/invalid value "soon" in "keepalive_time" directive/, 'keepalive_time invalid');
conf_error('upstream u { server 127.0.0.1:1; keepalive 1; keepalive_requests -1; }',
	qr/"keepalive_requests" directive/, 'keepalive_requests negative');
conf_error('upstream u { server 127.0.0.1:1; keepalive_requests 5; keepalive_requests 6; }',
	qr/"keepalive_requests" directive is duplicate/, 'keepalive_requests duplicate');
conf_error('server { location / { keepalive_timeout 1s 1s 1s; } }',
	qr/invalid number of arguments in "keepalive_timeout" directive/,
	'keepalive_timeout of http core still has its own syntax');

# the defaults and any order with other directives of the block are accepted

$t->write_file_expand('good.conf', <<'END');
daemon off;
events {}
http {
    upstream a { keepalive 8; server 127.0.0.1:1; keepalive_timeout 1s; }
    upstream b { server 127.0.0.1:1; keepalive_requests 0; keepalive_time 0; }
    server { listen 127.0.0.1:%%PORT_8080%%; }
}
END
my ($code, $err) = $t->test_config('good.conf');
is($code, 0, 'keepalive before server, timeouts without keepalive') or diag($err);

SKIP: {
	skip 'no http_upstream_least_conn', 1 unless $t->has_module('http_upstream_least_conn');
	$t->write_file_expand('order.conf', <<'END');
daemon off;
events {}
http {
    upstream a { server 127.0.0.1:1; keepalive 8; least_conn; }
    server { listen 127.0.0.1:%%PORT_8080%%; }
}
END
	my ($c2, $e2) = $t->test_config('order.conf');
	ok($c2 == 0 && $e2 !~ /redefined/, 'keepalive before the balancer directive')
		or diag($e2);
}

unless ($proxy) {
	diag('no http_proxy in lintel: end-to-end tests skipped');
	exit 0;
}

###############################################################################
# the backends

# port => options: idle (s): closes connections idle that long; drop (n):
# reads the n-th request of a connection and closes it without an answer (as
# a backend whose idle timer fires when the request arrives); rst: that close
# is a reset; keep: keeps the connection whatever the request said (HTTP/1.0,
# "Connection: close") and does not answer "Connection: close" (a careless
# backend: only the proxy's request tells that the exchange is not keep-alive);
# junk (s): that long after each response, writes bytes nobody asked for
my %backends = (
	8081 => {},
	8082 => {},
	8083 => {},
	8084 => {},
	8085 => { idle => 0.2 },
	8086 => { drop => 2 },
	8087 => { drop => 2, rst => 1 },
	8088 => {}, 8089 => {},
	8090 => {}, 8091 => {},
	8092 => {},
	8093 => { keep => 1 },
	8094 => { idle => 0.2 },
	8095 => {},
	8096 => {},
	8099 => { junk => 0.05 },
);

# other balancers, keepalive written before them (nginx would drop the cache)
my $lc = $t->has_module('http_upstream_least_conn');
my $hash = $t->has_module('http_upstream_hash');
my $balancers = ($lc ? "upstream u_lc { keepalive 4; server 127.0.0.1:%%PORT_8095%%; least_conn; }\n"
		: '')
	. ($hash ? "upstream u_hash { keepalive 4; hash \$request_uri; server 127.0.0.1:%%PORT_8096%%; }\n"
		: '')
	. ($lc ? "server { listen 127.0.0.1:%%PORT_8097%%; location / { proxy_pass http://u_lc;"
		. " proxy_http_version 1.1; proxy_set_header Connection ''; } }\n" : '')
	. ($hash ? "server { listen 127.0.0.1:%%PORT_8098%%; location / { proxy_pass http://u_hash;"
		. " proxy_http_version 1.1; proxy_set_header Connection ''; } }\n" : '');

sub backend_loop {
	my (%ls, %st, %c);
	my $sel = IO::Select->new();

	for my $p (keys %backends) {
		my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => port($p),
			Listen => 128, ReuseAddr => 1, Proto => 'tcp') or die "listen $p: $!\n";
		$ls{fileno $s} = $p;
		$st{$p} = { conns => 0, closed => 0 };
		$c{fileno $s} = { sock => $s };
		$sel->add($s);
	}

	local $SIG{PIPE} = 'IGNORE';

	my $shut = sub {
		my ($fd, $rst) = @_;
		my $e = delete $c{$fd} or return;
		$sel->remove($e->{sock});
		setsockopt($e->{sock}, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)) if $rst;
		close $e->{sock};
	};

	for (;;) {
		my $wait = 1;
		for my $e (values %c) {
			if ($e->{junk_at}) {
				my $left = $e->{junk_at} - time();
				$wait = $left if $left < $wait;
			}
			next unless $e->{idle};
			my $left = $e->{last} + $e->{idle} - time();
			$wait = $left if $left < $wait;
		}
		$wait = 0 if $wait < 0;

		for my $s ($sel->can_read($wait)) {
			my $fd = fileno $s;

			if (defined $ls{$fd}) {
				my $p = $ls{$fd};
				my $n = $s->accept() or next;
				$st{$p}{conns}++;
				$c{fileno $n} = { sock => $n, port => $p, num => $st{$p}{conns},
					reqs => 0, buf => '', last => time(), idle => $backends{$p}{idle} };
				$sel->add($n);
				next;
			}

			my $e = $c{$fd} or next;
			my $n = sysread($s, my $buf, 65536);

			if (!$n) {
				$st{$e->{port}}{closed}++;
				$shut->($fd);
				next;
			}

			$e->{buf} .= $buf;
			$e->{last} = time();

			while ($e->{buf} =~ /\r\n\r\n/) {
				my $i = index($e->{buf}, "\r\n\r\n");
				my $head = substr($e->{buf}, 0, $i + 4);
				my $len = $head =~ /^Content-Length:\s*(\d+)/mi ? $1 : 0;
				last if length($e->{buf}) < $i + 4 + $len;
				substr($e->{buf}, 0, $i + 4 + $len, '');

				$e->{reqs}++;
				my $p = $e->{port};

				if ($backends{$p}{drop} && $e->{reqs} == $backends{$p}{drop}) {
					$shut->($fd, $backends{$p}{rst});
					last;
				}

				my ($method, $uri, $ver) = $head =~ m{^(\S+) (\S+) HTTP/(\d\.\d)};
				my ($conn) = $head =~ /^Connection:\s*(.*?)\r$/mi;
				$conn = '' unless defined $conn;
				my $bclose = $uri =~ /bclose/;
				my $close = $bclose || $ver eq '1.0' || $conn =~ /close/i;
				$close = 0 if $backends{$p}{keep};

				my $body = "port=$p conn=$e->{num} req=$e->{reqs}"
					. " closed=$st{$p}{closed}\n";
				my $resp = "HTTP/1.1 200 OK\r\nContent-Length: " . length($body) . "\r\n"
					. "X-Backend: $p\r\nX-Conn: $e->{num}\r\nX-Req: $e->{reqs}\r\n"
					. "X-Closed: $st{$p}{closed}\r\nX-Version: $ver\r\n"
					. "X-Connection: $conn\r\n"
					. ($close ? "Connection: close\r\n" : '') . "\r\n" . $body;
				$resp = substr($resp, 0, index($resp, "\r\n\r\n") + 4) if $method eq 'HEAD';

				syswrite($s, $resp);
				$e->{junk_at} = time() + $backends{$p}{junk} if $backends{$p}{junk};

				if ($close) {
					$shut->($fd);
					last;
				}
			}
		}

		for my $fd (keys %c) {
			my $e = $c{$fd};
			if ($e->{junk_at} && time() >= $e->{junk_at}) {
				syswrite($e->{sock}, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\njunk\n");
				$e->{junk_at} = 0;
			}
			next unless $e->{idle} && time() - $e->{last} >= $e->{idle};
			$shut->($fd);
		}
	}
}

port($_) for 8080, 8097, 8098, keys %backends;     # fixed before the fork: both sides agree

my $backend_pid = fork();
die "fork: $!\n" unless defined $backend_pid;

if ($backend_pid == 0) {
	$t->{owner} = -1;
	backend_loop();
	exit 0;
}

END { kill 'KILL', $backend_pid if $backend_pid; }

###############################################################################

$t->write_file_expand('lintel.conf', <<'END' =~ s/%%BALANCERS%%/$balancers/r);
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
events {}
http {
    upstream u_reuse    { server 127.0.0.1:%%PORT_8081%%; keepalive 4; }
    upstream u_requests { server 127.0.0.1:%%PORT_8082%%; keepalive 4; keepalive_requests 3; }
    upstream u_timeout  { server 127.0.0.1:%%PORT_8083%%; keepalive 4; keepalive_timeout 300ms; }
    upstream u_time     { server 127.0.0.1:%%PORT_8084%%; keepalive 4; keepalive_time 1s; }
    upstream u_idle     { server 127.0.0.1:%%PORT_8085%%; keepalive 4; }
    upstream u_drop     { server 127.0.0.1:%%PORT_8086%% max_fails=1 fail_timeout=30s;
                          server 127.0.0.1:%%PORT_8092%% backup; keepalive 4; }
    upstream u_rst      { keepalive 4; server 127.0.0.1:%%PORT_8087%%; }
    upstream u_one      { server 127.0.0.1:%%PORT_8088%%; server 127.0.0.1:%%PORT_8089%%;
                          keepalive 1; }
    upstream u_two      { server 127.0.0.1:%%PORT_8090%%; server 127.0.0.1:%%PORT_8091%%;
                          keepalive 2; }
    upstream u_noka     { server 127.0.0.1:%%PORT_8093%%; keepalive 4; }
    upstream u_race     { server 127.0.0.1:%%PORT_8094%%; keepalive 4; }
    upstream u_junk     { server 127.0.0.1:%%PORT_8099%%; keepalive 4; }
    %%BALANCERS%%

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        proxy_http_version 1.1;
        proxy_set_header Connection "";

        location /reuse/    { proxy_pass http://u_reuse; }
        location /requests/ { proxy_pass http://u_requests; }
        location /timeout/  { proxy_pass http://u_timeout; }
        location /time/     { proxy_pass http://u_time; }
        location /idle/     { proxy_pass http://u_idle; }
        location /drop/     { proxy_pass http://u_drop; }
        location /rst/      { proxy_pass http://u_rst; proxy_next_upstream off; }
        location /one/      { proxy_pass http://u_one; }
        location /two/      { proxy_pass http://u_two; }
        location /race/     { proxy_pass http://u_race; proxy_next_upstream off; }
        location /junk/     { proxy_pass http://u_junk; proxy_next_upstream off; }

        location /http10/ {
            proxy_http_version 1.0;
            proxy_pass http://u_noka;
        }
        location /close/ {
            proxy_set_header Connection close;
            proxy_pass http://u_noka;
        }
        location /default/ {
            proxy_http_version 1.0;
            proxy_set_header Connection close;
            proxy_pass http://u_noka;
        }
    }
}
END

# the backends are up before lintel starts
wait_until(sub {
	IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8094), Timeout => 1)
}, 5);

$t->run();

sub get {
	my ($uri, %o) = @_;
	my $r = $o{post}
		? http("POST $uri HTTP/1.0\nHost: localhost\nContent-Length: 4\n\nbody")
		: http_get($uri);
	return (http_status($r) // 0, http_header($r, 'X-Conn') // 0,
		http_header($r, 'X-Req') // 0, http_header($r, 'X-Closed') // 0,
		http_header($r, 'X-Backend') // 0, $r);
}

# reuse: quick requests share one connection at the backend

my @c = map { [ get('/reuse/') ] } 1 .. 5;
is(join(' ', map { $_->[0] } @c), '200 200 200 200 200', 'reuse: all answered');
is(join(' ', map { $_->[1] } @c), '1 1 1 1 1', 'reuse: one backend connection');
is($c[4][2], 5, 'reuse: the fifth request on it');

# a response with "Connection: close" is not kept

my @r = get('/reuse/?bclose');
is($r[1], 1, 'backend close: still the same connection');
@r = get('/reuse/');
is($r[1], 2, 'backend close: not kept, a new connection');

# HTTP/1.0 or "Connection: close" to the backend: nothing is kept, even when
# the backend would keep it

@c = map { [ get($_) ] } qw(/http10/ /close/ /default/ /http10/);
is(join(' ', map { $_->[1] } @c), '1 2 3 4', 'no keep-alive requests: a connection each');
like($c[0][5], qr/X-Version: 1\.0/, 'proxy_http_version 1.0 reached the backend');
like($c[1][5], qr/X-Connection: close/, 'Connection: close reached the backend');

# keepalive_requests 3

@c = map { [ get('/requests/') ] } 1 .. 5;
is(join(' ', map { "$_->[1].$_->[2]" } @c), '1.1 1.2 1.3 2.1 2.2',
	'keepalive_requests: a new connection after 3 requests');
my $closed = wait_until(sub { (get('/requests/'))[3] >= 1 }, 3);
ok($closed, 'keepalive_requests: lintel closed the used-up connection');

# keepalive_timeout 300ms: closed by the timer (the backend sees it)

@c = (); push @c, [ get('/timeout/') ]; sleep 0.1; push @c, [ get('/timeout/') ];
sleep 0.7;
push @c, [ get('/timeout/') ];
is(join(' ', map { $_->[1] } @c), '1 1 2', 'keepalive_timeout: new connection after it');
is($c[2][3], 1, 'keepalive_timeout: lintel closed the idle connection');

# bytes from the backend on an idle connection: it is closed, not read as the
# answer to the next request

@c = (); push @c, [ get('/junk/') ]; sleep 0.3; push @c, [ get('/junk/') ];
is(join(' ', map { "$_->[0]:$_->[1]" } @c), '200:1 200:2',
	'unexpected bytes on an idle connection: not reused');
is($c[1][3], 1, 'unexpected bytes on an idle connection: lintel closed it');

# keepalive_time 1s: a connection older than that serves one last request

@c = (); push @c, [ get('/time/') ]; push @c, [ get('/time/') ];
sleep 1.2;
push @c, [ get('/time/') ]; push @c, [ get('/time/') ];
is(join(' ', map { $_->[1] } @c), '1 1 1 2', 'keepalive_time: last request, then a new one');

# keepalive N bounds the cache; the least recently used goes first (after a
# grace of 50 ms, in which up to N more may wait: the requests are spaced)

@c = map { sleep 0.2; [ get('/one/') ] } 1 .. 4;
my %seen;
push @{$seen{$_->[4]}}, $_->[1] for @c;
is(join(' ', map { join(',', @{$seen{$_}}) } sort keys %seen), '1,2 1,2',
	'keepalive 1, two servers: each evicts the other');

@c = map { sleep 0.2; [ get('/two/') ] } 1 .. 4;
%seen = ();
push @{$seen{$_->[4]}}, $_->[1] for @c;
is(join(' ', map { join(',', @{$seen{$_}}) } sort keys %seen), '1,1 1,1',
	'keepalive 2, two servers: both kept');

# a backend closing idle connections after 200 ms, requests 300 ms apart:
# every one answered (nginx would answer 502 to some)

@c = ();
for (1 .. 5) { push @c, [ get('/idle/') ]; sleep 0.3; }
is(join(' ', map { $_->[0] } @c), '200 200 200 200 200', 'short backend idle timeout: no 502');
is(join(' ', map { $_->[1] } @c), '1 2 3 4 5', 'short backend idle timeout: new connections');

# the same spaced around the backend's idle timeout, where the close races
# with the reuse (proxy_next_upstream off: only the keepalive checks and the
# fresh retry stand between the race and a 502)

@c = ();
for my $ms (map { 190 + $_ } 0 .. 20) {
	push @c, [ get('/race/') ];
	sleep $ms / 1000;
}
push @c, [ get('/race/') ];
is(join(' ', grep { $_ != 200 } map { $_->[0] } @c), '', 'close racing with reuse: no 502');

# quick requests after those still reuse

@c = map { [ get('/idle/') ] } 1 .. 3;
is(join(' ', map { $_->[1] } @c), '6 6 6', 'short backend idle timeout: reuse when quick');

# a reused connection closed when the request arrives (no answer): an
# idempotent request goes once more on a new connection, not counted as a
# failure; a POST is not sent twice

@c = map { [ get('/drop/') ] } 1 .. 3;
is(join(' ', map { $_->[0] } @c), '200 200 200', 'closed reused connection: GET retried');
is(join(' ', map { "$_->[4]:$_->[1]" } @c),
	'8086:1 8086:2 8086:3',
	'retried on a new connection to the same server, no failure counted');
@r = get('/drop/', post => 1);
is($r[0], 502, 'closed reused connection: POST not retried');

@c = map { [ get('/rst/') ] } 1 .. 3;
is(join(' ', map { "$_->[0]:$_->[1]" } @c), '200:1 200:2 200:3',
	'reset reused connection: GET retried, even with proxy_next_upstream off');

my $log = $t->read_file('error.log');
like($log, qr/reused upstream connection was closed, retrying on a new connection/,
	'the retry is logged');
unlike($log, qr/no live upstreams/, 'no peer marked down by stale connections');

# least_conn and hash, with keepalive before them

SKIP: {
	skip 'no least_conn', 1 unless $lc;
	my @x = map { http_header(http_get("/lc$_", port => 8097), 'X-Conn') // 0 } 1 .. 3;
	is(join(' ', @x), '1 1 1', 'least_conn: connections reused');
}

SKIP: {
	skip 'no hash', 1 unless $hash;
	my @x = map { http_header(http_get("/h$_", port => 8098), 'X-Conn') // 0 } 1 .. 3;
	is(join(' ', @x), '1 1 1', 'hash: connections reused');
}

# a graceful stop closes idle upstream connections at once

get('/reuse/');
my $t0 = time();
$t->stop();
ok(time() - $t0 < 3, 'graceful stop does not wait for keepalive_timeout');
