#!/usr/bin/perl

# realip: set_real_ip_from (addresses, ranges, unix:, a list per level),
# real_ip_header (X-Real-IP, X-Forwarded-For, another header, proxy_protocol),
# real_ip_recursive; the X-Forwarded-For walk (several lines, spaces, invalid
# entries, IPv6, ports); $realip_remote_addr and $realip_remote_port; what the
# new address reaches ($remote_addr, $remote_port, $binary_remote_addr, allow/
# deny, geo, the access log, the error log's client); POST_READ (server level)
# before PREACCESS (location level); internal redirects; keep-alive and
# pipelined requests start again from the peer's address; unix sockets; IPv6
# when ::1 is there; the configuration errors.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_realip http_access http_geo http_rewrite
	http_headers http_log http_index/);
my $dir = $t->testdir();

my $ipv6 = eval {
	require IO::Socket::IP;
	IO::Socket::IP->new(LocalAddr => '::1', LocalPort => 0, Listen => 1);
} ? 1 : 0;

$t->plan(70 + ($ipv6 ? 3 : 0));

my $listen6 = $ipv6 ? 'listen [::1]:%%PORT_8081%%;' : '';

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    log_format rip '\$remote_addr \$realip_remote_addr \$request_uri';
    access_log $dir/access.log rip;

    set_real_ip_from 127.0.0.1;
    set_real_ip_from 10.0.1.0/24;
    set_real_ip_from ::1;
    set_real_ip_from unix:;

    geo \$geo {
        default     none;
        127.0.0.1   lo;
        10.0.1.0/24 prox;
        192.0.2.0/24 doc;
    }

    geo \$geop {
        default     none;
        127.0.0.1   lo;
        10.0.1.0/24 prox;
        192.0.2.0/24 doc;
        proxy       10.0.1.0/24;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        $listen6
        listen unix:$dir/unix.sock;
        root $dir/html;

        add_header X-IP "\$remote_addr|\$remote_port" always;
        add_header X-Real "\$realip_remote_addr|\$realip_remote_port" always;

        location / { }
        location /bin/ { return 200 "\$binary_remote_addr"; }
        location /geo/ { return 200 "\$geo \$geop"; }

        location /xff/ { real_ip_header X-Forwarded-For; }
        location /xffr/ { real_ip_header X-Forwarded-For; real_ip_recursive on; }
        location /custom/ { real_ip_header X-Client-Addr; }
        location /customr/ { real_ip_header x-client-addr; real_ip_recursive on; }
        location /own/ { set_real_ip_from 192.0.2.0/24; real_ip_header X-Forwarded-For; }

        location /deny/ { deny 192.0.2.1; allow all; }
        location /allowdoc/ { allow 192.0.2.0/24; deny all; }
        location /nounix/ { deny unix:; }
        location /xffdeny/ { real_ip_header X-Forwarded-For; deny 192.0.2.1; }

        location /first/ {
            real_ip_header X-Forwarded-For;
            error_page 404 = /second/f;
        }
        location /second/ { real_ip_header X-Forwarded-For; real_ip_recursive on; }

        location /setfirst/ {
            set \$before \$remote_addr;
            real_ip_header X-Forwarded-For;
            add_header X-Before \$before;
            add_header X-IP "\$remote_addr|\$remote_port";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8082%%;
        real_ip_header X-Forwarded-For;
        real_ip_recursive on;

        location / { return 200 "\$remote_addr \$realip_remote_addr\\n"; }
        location /late/ {
            real_ip_header X-Real-IP;
            return 200 "\$remote_addr\\n";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8083%%;
        real_ip_header proxy_protocol;

        location / { return 200 "\$remote_addr\\n"; }
    }
}
END

for my $d ('', qw/xff xffr custom customr own deny allowdoc nounix xffdeny second setfirst/) {
	$t->write_file("html/$d/f", "file\n");
}
$t->write_file('html/index.html', "index\n");

$t->run();

###############################################################################

# req(URI, [HEADER => VALUE, ...], %opts): the response
sub req {
	my ($uri, $headers, %opts) = @_;
	my $h = '';
	for (my $i = 0; $i < @{$headers || []}; $i += 2) {
		$h .= "$headers->[$i]: $headers->[$i + 1]\n";
	}
	return http("GET $uri HTTP/1.0\nHost: localhost\n$h\n", %opts);
}

# ip(URI, HEADERS...): "$remote_addr|$remote_port" of the response
sub ip {
	my ($uri, @headers) = @_;
	return http_header(req($uri, \@headers), 'X-IP') // 'none';
}

sub xff { ip($_[0], 'X-Forwarded-For', $_[1]) }

# X-Real-IP (the default header), at server level: POST_READ

like(ip('/f'), qr/^127\.0\.0\.1\|\d+$/, 'no header: the peer, with its port');
is(ip('/f', 'X-Real-IP' => '192.0.2.1'), '192.0.2.1|', 'X-Real-IP: the address, no port');
is(ip('/f', 'X-Real-IP' => '192.0.2.1:8080'), '192.0.2.1|8080', 'X-Real-IP with a port');
is(ip('/f', 'X-Real-IP' => '[2001:db8::1]:443'), '2001:db8::1|443', 'IPv6 with a port');
is(ip('/f', 'X-Real-IP' => '2001:db8::1'), '2001:db8::1|', 'IPv6 without brackets');
is(ip('/f', 'X-Real-IP' => '[2001:db8::1]'), '2001:db8::1|', 'IPv6 in brackets, no port');
is(ip('/f', 'X-Real-IP' => '192.0.2.1, 192.0.2.2'), '192.0.2.2|',
	'X-Real-IP with a list: the rightmost');
like(ip('/f', 'X-Real-IP' => 'unknown'), qr/^127\.0\.0\.1\|\d+$/, 'not an address: ignored');
like(ip('/f', 'X-Real-IP' => '192.0.2.1:0'), qr/^127\.0\.0\.1\|\d+$/, 'port 0: ignored');
like(ip('/f', 'X-Real-IP' => '192.0.2.1:65536'), qr/^127\.0\.0\.1\|\d+$/,
	'port 65536: ignored');
like(ip('/f', 'X-Real-IP' => '[2001:db8::1]x'), qr/^127\.0\.0\.1\|\d+$/,
	'junk after the brackets: ignored');
like(ip('/f', 'X-Forwarded-For' => '192.0.2.1'), qr/^127\.0\.0\.1\|\d+$/,
	'X-Forwarded-For is not looked at by default');
is(ip('/f', 'X-Real-IP' => '192.0.2.1', 'X-Real-IP' => '192.0.2.2'), '192.0.2.1|',
	'two X-Real-IP lines: the first');

# $realip_remote_addr, $realip_remote_port: the peer

{
	my $s = http_connect();
	my $port = $s->sockport();
	my $r = http("GET /f HTTP/1.0\nHost: localhost\nX-Real-IP: 192.0.2.1:99\n\n",
		socket => $s);
	is(http_header($r, 'X-Real'), "127.0.0.1|$port", '$realip_remote_addr and _port');
	is(http_header($r, 'X-IP'), '192.0.2.1|99', '... beside the new $remote_addr');
}

# $binary_remote_addr

is(http_body(req('/bin/', ['X-Real-IP' => '192.0.2.1'])), "\xc0\x00\x02\x01",
	'$binary_remote_addr: IPv4');
is(unpack('H*', http_body(req('/bin/', ['X-Real-IP' => '2001:db8::1']))),
	'20010db8000000000000000000000001', '$binary_remote_addr: IPv6');

# X-Forwarded-For, not recursive: the rightmost entry of the last line

is(xff('/xff/f', '192.0.2.1'), '192.0.2.1|', 'X-Forwarded-For');
is(xff('/xff/f', '192.0.2.1, 10.0.1.1, 127.0.0.1'), '127.0.0.1|',
	'not recursive: the rightmost, even if trusted');
is(ip('/xff/f', 'X-Forwarded-For' => '192.0.2.1', 'X-Forwarded-For' => '127.0.0.1, 10.0.1.1'),
	'10.0.1.1|', 'not recursive: the last of several lines');

# recursive: leftwards past every trusted address

is(xff('/xffr/f', '10.0.1.1, 192.0.2.1, 10.0.1.2, 127.0.0.1'), '192.0.2.1|',
	'recursive: the first untrusted from the right');
is(xff('/xffr/f', '10.0.1.3, 10.0.1.2'), '10.0.1.3|', 'recursive: all trusted: the leftmost');
is(xff('/xffr/f', '  192.0.2.1 ,, 10.0.1.1 , '), '192.0.2.1|',
	'recursive: spaces and empty entries');
is(xff('/xffr/f', '192.0.2.1,10.0.1.1'), '192.0.2.1|', 'recursive: no spaces');
is(xff('/xffr/f', '192.0.2.1 10.0.1.1'), '192.0.2.1|', 'recursive: spaces only');
is(xff('/xffr/f', '192.0.2.1, junk, 10.0.1.1'), '10.0.1.1|',
	'recursive: an invalid entry stops the walk, the address taken stays');
like(xff('/xffr/f', 'junk'), qr/^127\.0\.0\.1\|\d+$/, 'recursive: only junk: the peer');
is(xff('/xffr/f', '192.0.2.1:1234, [2001:db8::5]:80, 10.0.1.1:8080'), '2001:db8::5|80',
	'recursive: ports and IPv6; an untrusted IPv6 address stops');
is(ip('/xffr/f', 'X-Forwarded-For' => '10.0.1.1', 'X-Forwarded-For' => '192.0.2.1',
	'X-Forwarded-For' => '127.0.0.1'), '192.0.2.1|', 'recursive: across lines');
is(ip('/xffr/f', 'X-Forwarded-For' => '192.0.2.7', 'X-Forwarded-For' => '192.0.2.8, 10.0.1.1'),
	'192.0.2.8|', 'recursive: an untrusted address stops in the last line');
is(ip('/xffr/f', 'X-Forwarded-For' => '192.0.2.7', 'X-Forwarded-For' => 'junk, 10.0.1.1'),
	'10.0.1.1|', 'recursive: junk in the last line: the earlier lines are not used');

# another header, its name caseless

is(ip('/custom/f', 'x-client-addr' => '192.0.2.1, 10.0.1.1'), '10.0.1.1|',
	'real_ip_header X-Client-Addr');
is(ip('/customr/f', 'X-CLIENT-ADDR' => '192.0.2.1, 10.0.1.1'), '192.0.2.1|',
	'real_ip_header x-client-addr, recursive');
like(ip('/custom/f', 'X-Real-IP-Not' => '192.0.2.1'), qr/^127\.0\.0\.1\|\d+$/,
	'another header: not found, the peer');

# a level with set_real_ip_from of its own replaces the inherited list

like(xff('/own/f', '192.0.2.1'), qr/^127\.0\.0\.1\|\d+$/,
	'set_real_ip_from in a location replaces the inherited list');

# POST_READ (server level) wins over the location's header; the location's
# settings apply from PREACCESS on, after the rewrite phase

is(ip('/xff/f', 'X-Real-IP' => '192.0.2.5', 'X-Forwarded-For' => '192.0.2.6'), '192.0.2.5|',
	'the server-level header is used before the location is known');
is(http_body(req('/', ['X-Forwarded-For' => '192.0.2.1, 10.0.1.1'], port => 8082)),
	"192.0.2.1 127.0.0.1\n", 'server level: applies to a return in a location');
is(http_body(req('/late/', ['X-Real-IP' => '192.0.2.1'], port => 8082)),
	"127.0.0.1\n", 'location level: not yet applied in the rewrite phase');

# real_ip_header proxy_protocol: no connection carries it (listen has no
# proxy_protocol), nothing changes

is(http_body(req('/', ['X-Real-IP' => '192.0.2.1', 'X-Forwarded-For' => '192.0.2.1'],
	port => 8083)), "127.0.0.1\n", 'real_ip_header proxy_protocol: no change');

# internal redirects keep the address and do not walk the header again

{
	my $s = http_connect();
	my $port = $s->sockport();
	my $r = http("GET / HTTP/1.0\nHost: localhost\nX-Real-IP: 192.0.2.1\n\n", socket => $s);
	is(http_body($r), "index\n", 'index: an internal redirect');
	is(http_header($r, 'X-IP') . ' ' . http_header($r, 'X-Real'),
		"192.0.2.1| 127.0.0.1|$port", 'after the redirect: both addresses');
}

is(xff('/first/nothing', '192.0.2.1, 10.0.1.1'), '10.0.1.1|',
	'error_page to a recursive location: the address is not walked again');

# a value of $remote_addr computed before the change is not reused

{
	my $r = req('/setfirst/f', ['X-Forwarded-For' => '192.0.2.1']);
	is(http_header($r, 'X-Before') . ' ' . http_header($r, 'X-IP'),
		'127.0.0.1 192.0.2.1|', '$remote_addr after the change: the new address');
}

# allow/deny see the new address

is(http_status(req('/deny/f', ['X-Real-IP' => '192.0.2.1'])), 403, 'deny: the new address');
is(http_status(req('/deny/f', ['X-Real-IP' => '192.0.2.2'])), 200, 'deny: another address');
is(http_status(req('/allowdoc/f', ['X-Real-IP' => '192.0.2.9'])), 200,
	'allow: the new address');
is(http_status(req('/allowdoc/f')), 403, 'allow: without the header, the peer');
is(http_status(req('/xffdeny/f', ['X-Forwarded-For' => '192.0.2.1'])), 403,
	'deny: a location-level header (PREACCESS) is applied before ACCESS');
like($t->read_file('error.log'), qr/access forbidden by rule, client: 192\.0\.2\.1,/,
	'the error log names the new address');

# geo: the new address; then geo's own proxies on top

is(http_body(req('/geo/', ['X-Real-IP' => '192.0.2.1'])), 'doc doc', 'geo: the new address');
is(http_body(req('/geo/', ['X-Real-IP' => '10.0.1.2', 'X-Forwarded-For' => '192.0.2.3'])),
	'prox doc', 'geo proxy: trusted after realip, its X-Forwarded-For is used');
is(http_body(req('/geo/', ['X-Forwarded-For' => '192.0.2.3'])), 'lo lo',
	'geo proxy: the peer is not a geo proxy');

# keep-alive: the next request starts from the peer's address again

{
	my $s = http_connect();
	my $port = $s->sockport();

	http_send($s, "GET /f HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 192.0.2.11\r\n\r\n");
	my $r1 = http_read_response($s, 5, one => 1);
	http_send($s, "GET /missing1 HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 192.0.2.12:7\r\n\r\n");
	my $r2 = http_read_response($s, 5, one => 1);
	http_send($s, "GET /missing2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	my $r3 = http_read_response($s, 5);

	is(http_header($r1, 'X-IP'), '192.0.2.11|', 'keep-alive: first request');
	is(http_header($r2, 'X-IP'), '192.0.2.12|7', 'keep-alive: second request, its own');
	is(http_header($r3, 'X-IP'), "127.0.0.1|$port", 'keep-alive: third request, the peer again');
	is(http_header($r3, 'X-Real'), "127.0.0.1|$port", 'keep-alive: $realip_remote_addr');

	my $log = $t->read_file('error.log');
	like($log, qr/missing1" failed.*client: 192\.0\.2\.12,/, 'error log: the new client');
	like($log, qr/missing2" failed.*client: 127\.0\.0\.1,/,
		'error log: the peer again on the next request');
}

# pipelined

{
	my $s = http_connect();
	my $port = $s->sockport();
	http_send($s, "GET /f HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 192.0.2.21\r\n\r\n"
		. "GET /f HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	my $r = http_read_response($s, 5);
	my @ips = $r =~ /^X-IP: (.*?)\r$/mg;
	is("@ips", "192.0.2.21| 127.0.0.1|$port", 'pipelined: the second request has the peer');
}

# the access log

{
	my $log = '';
	wait_until(sub { ($log = $t->read_file('access.log')) =~ m{/missing2} }, 5);
	like($log, qr{^192\.0\.2\.11 127\.0\.0\.1 /f$}m, 'access log: the new address');
	like($log, qr{^127\.0\.0\.1 127\.0\.0\.1 /missing2$}m,
		'access log: the next request on the connection: the peer');
}

# unix sockets: set_real_ip_from unix:

sub unix_req {
	my ($uri, @h) = @_;
	my $s = IO::Socket::UNIX->new(Peer => "$dir/unix.sock") or return '';
	my $h = '';
	while (my ($k, $v) = splice @h, 0, 2) {
		$h .= "$k: $v\r\n";
	}
	return http("GET $uri HTTP/1.0\r\nHost: localhost\r\n$h\r\n", socket => $s, raw => 1);
}

{
	my $r = unix_req('/f', 'X-Real-IP' => '192.0.2.31:80');
	is(http_header($r, 'X-IP'), '192.0.2.31|80', 'unix: the new address');
	is(http_header($r, 'X-Real'), 'unix:|', 'unix: $realip_remote_addr and _port');
	is(http_header(unix_req('/f'), 'X-IP'), 'unix:|', 'unix: no header');
	is(http_header(unix_req('/own/f', 'X-Forwarded-For' => '192.0.2.1'), 'X-IP'), 'unix:|',
		'unix: not trusted by a list without unix:');
	is(http_status(unix_req('/nounix/f', 'X-Real-IP' => '192.0.2.1')), 200,
		'deny unix: the client is no longer a unix one');
	is(http_status(unix_req('/nounix/f')), 403, 'deny unix: without the header');
}

# IPv6 peers

SKIP: {
	skip 'no ::1', 3 unless $ipv6;

	my $r6 = sub {
		my ($h) = @_;
		my $s = IO::Socket::IP->new(PeerAddr => '::1', PeerPort => port(8081), Timeout => 5)
			or return ('', 0);
		my $p = $s->sockport();
		return (http("GET /f HTTP/1.0\nHost: localhost\n$h\n", socket => $s), $p);
	};

	my ($r, $p) = $r6->("X-Real-IP: 192.0.2.41\n");
	is(http_header($r, 'X-IP'), '192.0.2.41|', 'IPv6 peer: trusted ::1');
	is(http_header($r, 'X-Real'), "::1|$p", 'IPv6 peer: $realip_remote_addr');
	($r, $p) = $r6->('');
	is(http_header($r, 'X-IP'), "::1|$p", 'IPv6 peer: no header');
}

###############################################################################

# configuration errors

my %bad = (
	'set_real_ip_from 10.0.0.1/33;' => qr/host not found in set_real_ip_from "10\.0\.0\.1\/33"/,
	'set_real_ip_from unix:/x;' => qr/host not found in set_real_ip_from "unix:\/x"/,
	'set_real_ip_from [::1];' => qr/host not found in set_real_ip_from "\[::1\]"/,
	'set_real_ip_from 1.1.1.1 2.2.2.2;' =>
		qr/invalid number of arguments in "set_real_ip_from" directive/,
	'real_ip_header X-Real-IP; real_ip_header X-Forwarded-For;' =>
		qr/"real_ip_header" directive is duplicate/,
	'real_ip_header;' => qr/invalid number of arguments in "real_ip_header" directive/,
	'real_ip_recursive maybe;' =>
		qr/invalid value "maybe" in "real_ip_recursive" directive, it must be "on" or "off"/,
	'real_ip_recursive on; real_ip_recursive off;' =>
		qr/"real_ip_recursive" directive is duplicate/,
	'server { location / { if ($uri) { set_real_ip_from 10.0.0.1; } } }' =>
		qr/"set_real_ip_from" directive is not allowed here/,
);

my $errors = 0;
for my $conf (sort keys %bad) {
	$t->write_file('bad.conf', "events {}\nhttp { $conf }\n");
	my ($code, $err) = $t->test_config('bad.conf');
	my $ok = $code != 0 && $err =~ $bad{$conf} && $err =~ /\[emerg\].*bad\.conf:2/;
	$errors++ unless $ok;
	diag("$conf: $err") unless $ok;
}
is($errors, 0, 'configuration errors: nginx\'s wording, the file and line');

$t->write_file('warn.conf', "events {}\nhttp { set_real_ip_from 10.1.2.3/8; }\n");
my ($code, $err) = $t->test_config('warn.conf');
like($err, qr/\[warn\].*low address bits of 10\.1\.2\.3\/8 are meaningless.*warn\.conf:2/,
	'host bits in a range: a warning');

$t->write_file('ok.conf', "events {}\nhttp { set_real_ip_from localhost; "
	. "set_real_ip_from 2001:db8::/32; set_real_ip_from 0.0.0.0/0; "
	. "real_ip_header proxy_protocol; real_ip_recursive off; }\n");
($code, $err) = $t->test_config('ok.conf');
is($code, 0, 'a host name, IPv6, proxy_protocol are accepted') or diag($err);
