#!/usr/bin/perl

# resolver and resolver_timeout: "proxy_pass http://$host:PORT" resolves the
# name at request time through a small DNS server this test runs (UDP on
# 127.0.0.1): A and AAAA answers, answers cached for their TTL or valid=,
# NXDOMAIN and a silent server give 502 with nginx's log lines, no resolver
# gives 502 "no resolver defined", CNAME chains inside and across answers,
# concurrent lookups of one name share one query, answers with a wrong ID or
# name are ignored, a lost query is sent again (to the next server),
# ipv6=off, several addresses taken in turn with next_upstream across them,
# a client that goes away while its lookup is pending, configuration errors.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use POSIX qw(setpgid);
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::Backend;

my $t = Lintel::Test->new()->has(qw/http http_proxy/);
my $dir = $t->testdir();

$t->plan(49);

Lintel::Backend->start(port(8081));

# port 8982: no DNS server there (UDP)
my $dns_pid = dns_server(port(8981), "$dir/queries.log");

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;

        resolver 127.0.0.1:%%PORT_8981%%;
        resolver_timeout 1s;

        add_header X-Addr \$upstream_addr always;

        location / {
            proxy_pass http://\$host:%%PORT_8081%%;
        }
        location /valid/ {
            resolver 127.0.0.1:%%PORT_8981%% valid=30s;
            proxy_pass http://\$host:%%PORT_8081%%;
        }
        location /long/ {
            resolver_timeout 4s;
            proxy_pass http://\$host:%%PORT_8081%%;
        }
        location /two/ {
            resolver 127.0.0.1:%%PORT_8982%% [::1]:%%PORT_8982%% 127.0.0.1:%%PORT_8981%%;
            resolver_timeout 7s;
            proxy_pass http://\$host:%%PORT_8081%%;
        }
        location /v4/ {
            resolver 127.0.0.1:%%PORT_8981%% ipv6=off;
            proxy_pass http://\$host:%%PORT_8081%%;
        }
        location /case/ {
            proxy_pass http://\$http_x_name:%%PORT_8081%%;
        }
        location /uri/ {
            proxy_pass http://\$host:%%PORT_8081%%/echo\$request_uri;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8083%%;

        location / {
            proxy_pass http://\$host:%%PORT_8081%%;
        }
    }
}
END

$t->run();

my $bp = port(8081);

sub get {
	my ($uri, $host, %opts) = @_;
	return http("GET $uri HTTP/1.0\nHost: $host\n\n", %opts);
}

sub queries {
	my ($name, $type) = @_;
	my @q = grep { $_ eq "$name $type" } split /\n/, $t->read_file('queries.log');
	return scalar @q;
}

sub error_log { $t->read_file('error.log') }

# a name resolved at request time

my $r = get('/', 'a.test');
is(http_status($r), 200, 'a name resolved');
like($r, qr/backend $bp/, 'proxied to the backend');
is(http_header($r, 'X-Addr'), "127.0.0.1:$bp", 'upstream_addr');
like(get('/uri/x?y=1', 'a.test'), qr{GET /echo/uri/x\?y=1 HTTP}, 'a URI with variables');

$r = get('/', 'a.test');
is(http_status($r), 200, 'again');
is(queries('a.test', 'A'), 1, 'one A query for several requests (cached)');
is(queries('a.test', 'AAAA'), 1, 'one AAAA query');

is(http_status(get('/', 'a.test.')), 200, 'a trailing dot');
is(http_status(http("GET /case/ HTTP/1.0\nHost: localhost\nX-Name: MiXeD.Test\n\n")), 200,
	'a name in mixed case');

# TTL 1 s: asked again after it; valid=30s overrides it

get('/', 'ttl1.test');
get('/valid/', 'ttl1v.test');
sleep 2.2;
is(http_status(get('/', 'ttl1.test')), 200, 'short TTL');
is(queries('ttl1.test', 'A'), 2, 'asked again after the TTL');
is(http_status(get('/valid/', 'ttl1v.test')), 200, 'valid=');
is(queries('ttl1v.test', 'A'), 1, 'valid= overrides the TTL');

# errors

$r = get('/', 'nx.test');
is(http_status($r), 502, 'NXDOMAIN: 502');
like(error_log(), qr/\[error\].*nx\.test could not be resolved \(3: Host not found\)/,
	'NXDOMAIN: error log');

my $start = time();
$r = get('/', 'silent.test');
my $took = time() - $start;
is(http_status($r), 502, 'no answer: 502');
ok($took > 0.8 && $took < 3.5, "no answer: after resolver_timeout ($took s)");
like(error_log(), qr/silent\.test could not be resolved \(110: Operation timed out\)/,
	'no answer: error log');

$r = http("GET / HTTP/1.0\nHost: a.test\n\n", port => 8083);
is(http_status($r), 502, 'no resolver: 502');
like(error_log(), qr/\[error\].*no resolver defined to resolve a\.test/,
	'no resolver: error log');

my $long = ('x' x 64) . '.test';
is(http_status(get('/', $long)), 502, 'an invalid name (a label too long): 502');
is(queries($long, 'A'), 0, 'an invalid name is not asked');

# CNAME

is(http_status(get('/', 'cname.test')), 200, 'CNAME and A in one answer');
is(http_status(get('/', 'cname2.test')), 200, 'CNAME to a name outside the answer');
is(queries('target2.test', 'A'), 1, 'the CNAME target asked');
is(http_status(get('/', 'loop.test')), 502, 'a CNAME loop: 502');
is(http_status(get('/', 'longc.test')), 200, 'CNAME to a 255-byte name');
is(http_status(get('/', 'cname3.test')), 200, 'CNAME to a cached name');
is(queries('a.test', 'A'), 1, 'the cached name not asked again');

# an error in one of the two answers fails the lookup (as nginx)

get('/', 'aerr.test');
like(error_log(), qr/aerr\.test could not be resolved \(2: Server failure\)/,
	'A answered, AAAA failed: 502');

# concurrent lookups of one name share one query

my @s = map { get('/', 'slow.test', start => 1) } 1 .. 3;
my @st = map { http_status(http_read_response($_, 5)) } @s;
is(join(' ', @st), '200 200 200', 'concurrent lookups');
is(queries('slow.test', 'A'), 1, 'one query for concurrent lookups');

# anti-spoofing: a wrong ID and a wrong question come first, then the answer

is(http_status(get('/', 'spoof.test')), 200, 'wrong answers ignored');
like(error_log(), qr/unexpected DNS response \d+ for spoof\.test/, 'wrong ID logged');

# a lost query is sent again (after 2 s)

is(http_status(get('/long/', 'drop1.test')), 200, 'retransmission');
is(queries('drop1.test', 'A'), 2, 'asked twice');

# several servers: the first ones do not answer, the next one does

is(http_status(get('/two/', 'next.test')), 200, 'the next server');

# a truncated answer (TC, no records) is asked again over TCP

is(http_status(get('/', 'tc.test')), 200, 'truncated: asked over TCP');
is(queries('tc.test', 'A tcp'), 1, 'one TCP query');

# ipv6=off

is(http_status(get('/v4/', 'v4.test')), 200, 'ipv6=off');
is(queries('v4.test', 'AAAA'), 0, 'ipv6=off: no AAAA query');

# two addresses (::1 refuses): taken in turn, the next tried after a failure

my %seen = map { (http_header(get('/', 'dual.test'), 'X-Addr') || '') => 1 } 1 .. 2;
is_deeply([sort keys %seen], ["127.0.0.1:$bp", "[::1]:$bp, 127.0.0.1:$bp"],
	'addresses in turn, next_upstream across them');

# the client goes away while its lookup is pending; lintel carries on

my $s = get('/', 'slow2.test', start => 1);
sleep 0.2;
close $s;
sleep 1.2;
is(http_status(get('/', 'a.test')), 200, 'a cancelled lookup');

# a reload: the old worker closes its resolver sockets (no "open socket left")

$t->reload();
is(http_status(get('/', 'a.test')), 200, 'after a reload');

# configuration errors

sub conf_error {
	my ($body, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n    server {\n"
		. "        $body\n    }\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	like($err, $re, $name);
}

conf_error('resolver 127.0.0.1:abc;',
	qr/invalid port in resolver "127.0.0.1:abc" in \S+bad.conf:5/, 'bad address');
conf_error('resolver 127.0.0.1 valid=abc;',
	qr/invalid parameter: valid=abc in \S+bad.conf:5/, 'bad valid=');
conf_error('resolver 127.0.0.1 foo=bar;',
	qr/invalid parameter: foo=bar in \S+bad.conf:5/, 'unknown parameter');

my @more = (
	['resolver 127.0.0.1 ipv6=maybe;', qr/invalid parameter: ipv6=maybe in \S+bad.conf:5/],
	['resolver 127.0.0.1 ipv4=off ipv6=off;',
		qr/"ipv4" and "ipv6" cannot both be "off" in \S+bad.conf:5/],
	['resolver valid=5s;', qr/no name servers defined in \S+bad.conf:5/],
	['resolver 127.0.0.1; resolver 127.0.0.2;',
		qr/"resolver" directive is duplicate in \S+bad.conf:5/],
	['resolver_timeout abc;', qr/invalid value "abc" in "resolver_timeout" directive.* in \S+bad.conf:5/],
);
my $bad = 0;
for my $m (@more) {
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n    server {\n"
		. "        $m->[0]\n    }\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	$bad++, diag("$m->[0]: $err") unless $err =~ $m->[1] && $code != 0;
}
is($bad, 0, 'other configuration errors');

$t->write_file('good.conf', "pid $dir/good.pid;\nevents {}\nhttp {\n    resolver [::1]:5353 "
	. "127.0.0.1 valid=10s ipv4=on ipv6=on;\n    resolver_timeout 2s;\n    server {\n"
	. "        location / { resolver 127.0.0.1:53; }\n    }\n}\n");
my ($code) = $t->test_config('good.conf');
is($code, 0, 'a good configuration');

$t->finish();
kill 'TERM', $dns_pid;
waitpid($dns_pid, 0);

###############################################################################

# dns_server(PORT, LOG): a child answering on UDP 127.0.0.1:PORT; each query is
# appended to LOG as "name TYPE". Names (case-insensitive):
#   a.test, mixed.test, ttl1v.test, v4.test, next.test: A 127.0.0.1 (TTL 3600)
#   ttl1.test, ttl1v.test: TTL 1
#   nx.test: NXDOMAIN
#   silent.test: no answer at all
#   cname.test: CNAME target.test + A of target.test in the same answer
#   cname2.test: CNAME target2.test only (target2.test: A 127.0.0.1)
#   cname3.test: CNAME a.test only
#   longc.test: CNAME to a 255-byte name (4 labels of 63 "b"), which has an A
#   aerr.test: A 127.0.0.1, AAAA SERVFAIL
#   loop.test: CNAME loop2.test, loop2.test: CNAME loop.test
#   slow.test, slow2.test: the answer after 500 ms, 1 s
#   spoof.test: an answer with another ID, one for another name, then the answer
#   drop1.test: the first query of each type is not answered
#   dual.test: A 127.0.0.1, AAAA ::1
#   tc.test: truncated (TC, no records) over UDP; over TCP (any name): A 127.0.0.1
#   anything else: an empty answer (NOERROR, no records)
sub dns_server {
	my ($port, $log) = @_;

	my $sock = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
		LocalPort => $port) or die "dns server: $!\n";
	my $listen = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
		LocalPort => $port, Listen => 5, ReuseAddr => 1) or die "dns server tcp: $!\n";

	my $pid = fork();
	die "fork: $!\n" unless defined $pid;

	if ($pid) {
		close $sock;
		close $listen;
		return $pid;
	}

	setpgid(0, 0);
	alarm 120;

	my (@later, %seen, %tcpbuf);
	my $sel = IO::Select->new($sock, $listen);

	for (;;) {
		my $now = time();
		while (@later && $later[0][0] <= $now) {
			my $l = shift @later;
			$sock->send($l->[1], 0, $l->[2]);
		}

		my $wait = @later ? $later[0][0] - $now : 1;
		$wait = 0 if $wait < 0;
		my @ready = $sel->can_read($wait) or next;

		if (grep { $_ == $listen } @ready) {
			my $c = $listen->accept() or next;
			$sel->add($c);
			$tcpbuf{fileno $c} = '';
			next;
		}

		if (my ($c) = grep { $_ != $sock } @ready) {
			my $n = sysread($c, $tcpbuf{fileno $c}, 4096, length $tcpbuf{fileno $c});
			unless ($n) {
				$sel->remove($c);
				delete $tcpbuf{fileno $c};
				close $c;
				next;
			}
			tcp_query($c, \$tcpbuf{fileno $c}, $log);
			next;
		}

		my $peer = $sock->recv(my $q, 4096) or next;
		next if length $q < 12;

		my ($id) = unpack('n', $q);
		my ($name, $off) = ('', 12);
		my @labels;
		while (my $len = ord(substr($q, $off, 1))) {
			push @labels, substr($q, $off + 1, $len);
			$off += $len + 1;
		}
		$off++;
		my ($type) = unpack('n', substr($q, $off, 2));
		my $qname = join('.', @labels);
		my $lc = lc $qname;
		my $tname = $type == 1 ? 'A' : $type == 28 ? 'AAAA' : $type;

		if (open my $fh, '>>', $log) {
			print $fh "$lc $tname\n";
			close $fh;
		}

		my $question = substr($q, 12, $off + 4 - 12);

		next if $lc eq 'silent.test';
		next if $lc eq 'drop1.test' && !$seen{"$lc $type"}++;

		my ($rcode, @an) = (0);
		my $ttl = $lc =~ /^ttl1v?\.test$/ ? 1 : 3600;

		if ($lc eq 'nx.test') {
			$rcode = 3;

		} elsif ($lc eq 'tc.test') {
			$rcode = 0x200;     # TC, no records

		} elsif ($lc eq 'cname.test') {
			push @an, rr("\xc0\x0c", 5, $ttl, dname('target.test'));
			push @an, rr(dname('target.test'), 1, $ttl, pack('C4', 127, 0, 0, 1))
				if $type == 1;

		} elsif ($lc eq 'longc.test') {
			push @an, rr("\xc0\x0c", 5, $ttl, dname(join('.', ('b' x 63) x 4)));

		} elsif ($lc eq join('.', ('b' x 63) x 4)) {
			push @an, rr("\xc0\x0c", 1, $ttl, pack('C4', 127, 0, 0, 1)) if $type == 1;

		} elsif ($lc eq 'cname3.test') {
			push @an, rr("\xc0\x0c", 5, $ttl, dname('a.test'));

		} elsif ($lc eq 'aerr.test') {
			$rcode = 2 if $type == 28;
			push @an, rr("\xc0\x0c", 1, $ttl, pack('C4', 127, 0, 0, 1)) if $type == 1;

		} elsif ($lc eq 'cname2.test') {
			push @an, rr("\xc0\x0c", 5, $ttl, dname('target2.test'));

		} elsif ($lc eq 'loop.test' || $lc eq 'loop2.test') {
			push @an, rr("\xc0\x0c", 5, $ttl,
				dname($lc eq 'loop.test' ? 'loop2.test' : 'loop.test'));

		} elsif ($lc eq 'dual.test') {
			push @an, rr("\xc0\x0c", 1, $ttl, pack('C4', 127, 0, 0, 1)) if $type == 1;
			push @an, rr("\xc0\x0c", 28, $ttl, pack('n8', 0, 0, 0, 0, 0, 0, 0, 1))
				if $type == 28;

		} elsif ($lc =~ /^(a|mixed|ttl1|ttl1v|v4|next|target2|slow|slow2|spoof|drop1)\.test$/) {
			push @an, rr("\xc0\x0c", 1, $ttl, pack('C4', 127, 0, 0, 1)) if $type == 1;
		}

		my $reply = pack('n6', $id, 0x8180 | $rcode, 1, scalar @an, 0, 0)
			. $question . join('', @an);

		if ($lc eq 'spoof.test') {
			$sock->send(pack('n6', ($id + 1) & 0xffff, 0x8183, 1, 0, 0, 0) . $question,
				0, $peer);
			$sock->send(pack('n6', $id, 0x8183, 1, 0, 0, 0) . dname('other.test')
				. pack('n2', $type, 1), 0, $peer);
		}

		if ($lc eq 'slow.test' || $lc eq 'slow2.test') {
			my $delay = $lc eq 'slow.test' ? 0.5 : 1;
			push @later, [time() + $delay, $reply, $peer];
			@later = sort { $a->[0] <=> $b->[0] } @later;
			next;
		}

		$sock->send($reply, 0, $peer);
	}
}

# tcp_query(SOCKET, BUFREF, LOG): the length-prefixed queries complete in the
# buffer of a TCP connection, each answered with A 127.0.0.1 (AAAA: none)
sub tcp_query {
	my ($c, $buf, $log) = @_;
	while (length $$buf >= 2 && length $$buf >= 2 + unpack('n', $$buf)) {
		my $q = substr($$buf, 2, unpack('n', $$buf));
		substr($$buf, 0, 2 + length $q) = '';
		next if length $q < 12;
		my ($id) = unpack('n', $q);
		my ($off, @labels) = (12);
		while (my $len = ord(substr($q, $off, 1))) {
			push @labels, substr($q, $off + 1, $len);
			$off += $len + 1;
		}
		$off++;
		my ($type) = unpack('n', substr($q, $off, 2));
		my $lc = lc join('.', @labels);
		if (open my $fh, '>>', $log) {
			print $fh "$lc " . ($type == 1 ? 'A' : $type == 28 ? 'AAAA' : $type) . " tcp\n";
			close $fh;
		}
		my @an = $type == 1 ? (rr("\xc0\x0c", 1, 3600, pack('C4', 127, 0, 0, 1))) : ();
		my $reply = pack('n6', $id, 0x8180, 1, scalar @an, 0, 0)
			. substr($q, 12, $off + 4 - 12) . join('', @an);
		syswrite($c, pack('n', length $reply) . $reply);
	}
}

sub dname {
	my ($name) = @_;
	return join('', map { chr(length $_) . $_ } split /\./, $name) . "\0";
}

sub rr {
	my ($owner, $type, $ttl, $rdata) = @_;
	return $owner . pack('n2Nn', $type, 1, $ttl, length $rdata) . $rdata;
}
