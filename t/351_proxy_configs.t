#!/usr/bin/perl

# The proxy as tutorials configure it: each setup of docs/proxy_examples.md,
# written with the directives the popular guides use (DigitalOcean/Linode style
# Node and gunicorn guides, nginx.org's WebSocket page, load balancing guides),
# checked end to end over real sockets, with curl and node's WebSocket client
# where they are installed (those checks are skipped otherwise):
#
#   app behind lintel (Host, X-Real-IP, X-Forwarded-For/Proto), load balancing
#   (weights, backup, max_fails), sticky sessions (ip_hash, hash $cookie_sid
#   consistent), WebSocket (map $http_upgrade $connection_upgrade), upstream
#   keepalive, static files with try_files $uri @app and error_page, a unix
#   socket app (gunicorn style), SSE with proxy_buffering off, large uploads
#   with proxy_request_buffering off, realip behind another balancer, prefix
#   stripping, proxy_redirect and proxy_cookie_path under a prefix.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use POSIX qw(WNOHANG setpgid);
use Digest::SHA qw(sha1_base64);
use Time::HiRes qw(time sleep);
use Lintel::Test qw(port wait_until);
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_map http_upstream_ip_hash
	http_upstream_hash http_upstream_keepalive http_realip http_rewrite http_log/);
my $dir = $t->testdir();

my $curl = `curl --version 2>/dev/null` =~ /^curl / ? 'curl' : undef;
my $node = `node --experimental-websocket -e 'console.log(typeof WebSocket)' 2>/dev/null`
	=~ /function/ ? 'node' : undef;

$t->plan(60);

mkdir "$dir/www";
mkdir "$dir/www/static";
$t->write_file('www/static/app.css', "body{}\n");
$t->write_file('www/50x.html', "sorry, down\n");

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
events {}
http {
    log_format main '\$remote_addr "\$request" \$status \$upstream_addr \$upstream_status';
    access_log $dir/access.log main;

    map \$http_upgrade \$connection_upgrade {
        default upgrade;
        ''      close;
    }

    upstream backend {
        server 127.0.0.1:%%PORT_8081%% weight=3;
        server 127.0.0.1:%%PORT_8082%% max_fails=3 fail_timeout=30s;
        server 127.0.0.1:%%PORT_8083%% backup;
    }
    upstream failover {
        server 127.0.0.1:%%PORT_8084%%;
        server 127.0.0.1:%%PORT_8082%% max_fails=1 fail_timeout=10s;
        server 127.0.0.1:%%PORT_8083%% backup;
    }
    upstream dead {
        server 127.0.0.1:%%PORT_8084%%;
        server 127.0.0.1:%%PORT_8085%% backup;
    }
    upstream sticky_ip {
        ip_hash;
        server 127.0.0.1:%%PORT_8081%%;
        server 127.0.0.1:%%PORT_8082%%;
    }
    upstream sticky_cookie {
        hash \$cookie_sid consistent;
        server 127.0.0.1:%%PORT_8081%%;
        server 127.0.0.1:%%PORT_8082%%;
        server 127.0.0.1:%%PORT_8083%%;
    }
    upstream app_keepalive {
        server 127.0.0.1:%%PORT_8081%%;
        keepalive 16;
    }
    upstream app_server {
        # fail_timeout=0 means we always retry an upstream even if it failed
        server unix:$dir/gunicorn.sock fail_timeout=0;
    }
    upstream app {
        server 127.0.0.1:%%PORT_8081%%;
    }

    # a Node/Python app behind lintel
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name app.example.com;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
            proxy_http_version 1.1;
            proxy_set_header Host \$host;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
        }

        location /lb/ { proxy_pass http://backend/; }
        location /failover/ { proxy_pass http://failover/; }
        location /dead/ { proxy_pass http://dead/; }
        location /ip/ { proxy_pass http://sticky_ip/; }
        location /cookie/ { proxy_pass http://sticky_cookie/; }

        location /ws/ {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$host;
            proxy_read_timeout 86400;
        }

        location /ka/ {
            proxy_pass http://app_keepalive/;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }

        location /events {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection '';
            proxy_buffering off;
            proxy_read_timeout 24h;
        }

        location /upload {
            client_max_body_size 0;
            proxy_request_buffering off;
            proxy_http_version 1.1;
            proxy_pass http://app;
        }

        location /small-upload {
            proxy_pass http://app;
        }

        # an app mounted under /app/: the prefix stripped, its redirects
        # and cookies put back under it
        location /app/ {
            proxy_pass http://app/;
            proxy_redirect / /app/;
            proxy_cookie_path / /app/;
        }

        location /rw/ {
            rewrite ^/rw/(.*)\$ /\$1 break;
            proxy_pass http://app;
        }
    }

    # static files, the rest to a gunicorn-style app on a unix socket
    server {
        listen 127.0.0.1:%%PORT_8090%%;
        client_max_body_size 4G;
        keepalive_timeout 5;
        root $dir/www;

        location / {
            try_files \$uri \@proxy_to_app;
        }

        location \@proxy_to_app {
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header Host \$http_host;
            proxy_redirect off;
            proxy_pass http://app_server;
        }

        location /direct/ {
            proxy_pass http://unix:$dir/gunicorn.sock:/;
        }

        location /down/ {
            proxy_pass http://127.0.0.1:%%PORT_8084%%;
        }

        error_page 500 502 503 504 /50x.html;
        location = /50x.html {
            root $dir/www;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8092%%;

        location /ignore-abort/ {
            proxy_pass http://app/;
            proxy_ignore_client_abort on;
        }
    }

    # behind another load balancer
    server {
        listen 127.0.0.1:%%PORT_8091%%;
        set_real_ip_from 127.0.0.1;
        set_real_ip_from 10.0.0.0/8;
        real_ip_header X-Forwarded-For;
        real_ip_recursive on;

        location / {
            proxy_pass http://app;
            proxy_set_header X-Real-IP \$remote_addr;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
        }
    }
}
END

# the backends: three apps on TCP, one on a unix socket (gunicorn style)
my @backends = (
	backend(port(8081), 'app1'),
	backend(port(8082), 'app2'),
	backend(port(8083), 'app3'),
	backend("unix:$dir/gunicorn.sock", 'unix'),
);

$t->run();

###############################################################################
# 1. an app behind lintel: the usual headers

my $r = http(<<EOF);
GET /whoami?x=1 HTTP/1.1
Host: app.example.com:8443
X-Forwarded-For: 198.51.100.1
Connection: close

EOF
like($r, qr!^HTTP/1\.1 200 !, 'app: 200');
like($r, qr/^X-App: app1\r$/m, 'app: proxied');
my %h = seen($r);
is($h{'request'}, 'GET /whoami?x=1 HTTP/1.1', 'app: request line, HTTP/1.1');
is($h{'host'}, 'app.example.com', 'app: Host $host (no port)');
is($h{'x-real-ip'}, '127.0.0.1', 'app: X-Real-IP');
is($h{'x-forwarded-for'}, '198.51.100.1, 127.0.0.1', 'app: X-Forwarded-For appended');
is($h{'x-forwarded-proto'}, 'http', 'app: X-Forwarded-Proto');
is($h{'connection'}, 'close', 'app: Connection: close by default');

$r = http_get('/redirect-abs');
like($r, qr!^Location: http://localhost/login\r$!m,
	'app: absolute redirect built from Host passed as is');

###############################################################################
# 2. load balancing: weights, backup, max_fails

my %n;
$n{app_of(http_get('/lb/x'))}++ for 1 .. 8;
is(join(',', map { "$_=" . ($n{$_} || 0) } qw/app1 app2 app3/), 'app1=6,app2=2,app3=0',
	'weight=3 and weight=1, backup unused');

# the first server of "failover" does not listen: its requests go to the next
%n = ();
$n{app_of(http_get('/failover/x'))}++ for 1 .. 4;
is(join(',', map { "$_=" . ($n{$_} || 0) } qw/app2 app3/), 'app2=4,app3=0',
	'a refused server: next server, no error');

# no server at all: 502 at once
my $start = time();
$r = http_get('/dead/x');
like($r, qr!^HTTP/1\.1 502 !, 'all servers down: 502');
ok(time() - $start < 1, 'all servers down: at once');

###############################################################################
# 3. sticky sessions

%n = ();
$n{app_of(http_get('/ip/x'))}++ for 1 .. 4;
is(scalar keys %n, 1, 'ip_hash: one client, one server');

my (%by_sid, %servers);
for my $sid (qw/a b c d e f g h i j/) {
	for (1 .. 2) {
		my $app = app_of(http("GET /cookie/x HTTP/1.0\nHost: localhost\nCookie: sid=$sid\n\n"));
		$by_sid{$sid}{$app} = 1;
		$servers{$app} = 1;
	}
}
is(scalar(grep { keys %{$by_sid{$_}} == 1 } keys %by_sid), 10,
	'hash $cookie_sid: a session stays on its server');
ok(keys %servers >= 2, 'hash $cookie_sid: sessions spread over the servers');

###############################################################################
# 4. WebSocket with the map idiom

my $s = http_connect(port => 8080);
http_send($s, "GET /ws/chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
	. "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	. "Sec-WebSocket-Version: 13\r\n\r\n");
my $head = read_head($s);
like($head, qr!^HTTP/1\.1 101 !, 'websocket: 101');
like($head, qr/^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r$/m, 'websocket: accept key');
http_send($s, ws_frame('hello', 1));
is(ws_read($s), 'echo:hello', 'websocket: frame echoed');
http_send($s, ws_frame('x' x 70000, 1));
is(length(ws_read($s) // ''), 70005, 'websocket: 70000-byte frame echoed');
close $s;

%h = seen(http_get('/ws/plain'));
is($h{'connection'}, 'close', 'websocket location, no Upgrade: Connection: close');

SKIP: {
	skip 'no node with WebSocket', 1 unless $node;
	my $p = port(8080);
	my $js = <<'JS';
const ws = new WebSocket(process.argv[1]);
const got = [];
ws.onopen = () => { ws.send('one'); ws.send('y'.repeat(100000)); };
ws.onmessage = (e) => { got.push(e.data.length); if (got.length === 2) ws.close(1000); };
ws.onclose = () => { console.log(got.join(',')); process.exit(0); };
ws.onerror = () => { console.log('error'); process.exit(1); };
setTimeout(() => { console.log('timeout'); process.exit(1); }, 5000);
JS
	my $out = run_cmd(8, 'node', '--experimental-websocket', '-e', $js,
		"ws://127.0.0.1:$p/ws/node");
	is($out, "8,100005\n", 'websocket: node\'s WebSocket client');
}

###############################################################################
# 5. upstream keepalive

my @conns;
for (1 .. 4) {
	%h = seen(http_get('/ka/x'));
	push @conns, $h{'conn'} // '';
	is($h{'connection'}, undef, "keepalive $_: no Connection header sent") if $_ == 1;
}
is(scalar(keys %{{ map { $_ => 1 } @conns }}), 1, 'keepalive: one backend connection for 4 requests');
is($h{'request'}, 'GET /x HTTP/1.1', 'keepalive: HTTP/1.1 to the backend');

###############################################################################
# 6. static files, try_files $uri @app, a unix socket app, error_page

$r = http_get('/static/app.css', port => 8090);
like($r, qr!^HTTP/1\.1 200 .*\r\n\r\nbody\{\}\n\z!s, 'static file served by lintel');
unlike($r, qr/^X-App:/m, 'static file: not proxied');

$r = http("GET /dashboard HTTP/1.0\nHost: example.com:8000\n\n", port => 8090);
like($r, qr/^X-App: unix\r$/m, 'try_files: the rest to the unix socket app');
%h = seen($r);
is($h{'host'}, 'example.com:8000', 'unix app: Host $http_host keeps the port');
is($h{'request'}, 'GET /dashboard HTTP/1.0', 'unix app: URI');

$r = http_get('/direct/sub/x?y=1', port => 8090);
%h = seen($r);
is($h{'request'}, 'GET /sub/x?y=1 HTTP/1.0', 'proxy_pass http://unix:/path:/uri');

$r = http_get('/down/x', port => 8090);
like($r, qr!^HTTP/1\.1 502 .*\r\n\r\nsorry, down\n\z!s, 'app down: error_page 502 static page');

###############################################################################
# 7. SSE / streaming with proxy_buffering off

$s = http("GET /events HTTP/1.1\nHost: localhost\nConnection: close\n\n", start => 1);
$start = time();
my ($first, $all) = (undef, '');
my $sel = IO::Select->new($s);
while ($sel->can_read(5)) {
	my $n = sysread($s, my $buf, 65536);
	last unless $n;
	$all .= $buf;
	$first //= time() - $start if $all =~ /data: 0/;
}
my $total = time() - $start;
close $s;
is(() = $all =~ /^data: \d\r?$/mg, 3, 'sse: 3 events');
ok(defined $first && $first < $total - 0.3, sprintf('sse: first event at %.2fs, end at %.2fs',
	$first // -1, $total));
like($all, qr/^Content-Type: text\/event-stream\r$/m, 'sse: content type');

SKIP: {
	skip 'no curl', 1 unless $curl;
	my $p = port(8080);
	my $out = run_cmd(8, 'curl', '-sN', "http://127.0.0.1:$p/events");
	is($out, "data: 0\n\ndata: 1\n\ndata: 2\n\n", 'sse: curl -N');
}

###############################################################################
# 8. large uploads: client_max_body_size 0, proxy_request_buffering off

$r = upload('/upload', 0);
like($r, qr/got 600000 /, 'upload: body complete (Content-Length)');
my ($wait) = $r =~ /waited ([\d.]+)/;
ok(defined $wait && $wait > 0.4, 'upload: streamed, the backend had the header before the body ('
	. ($wait // '?') . 's)');

$r = upload('/upload', 1);
like($r, qr/got 600000 /, 'upload: chunked body complete');
($wait) = $r =~ /waited ([\d.]+)/;
ok(defined $wait && $wait > 0.4, 'upload: chunked body streamed');

$r = http("POST /small-upload HTTP/1.0\nHost: localhost\nContent-Length: 2000000\n\n"
	. ('z' x 2_000_000));
like($r, qr!^HTTP/1\.1 413 !, 'upload: default client_max_body_size 1m: 413');

SKIP: {
	skip 'no curl', 2 unless $curl;
	my $p = port(8080);
	$t->write_file('big.bin', 'b' x 3_000_000);
	# curl sends "Expect: 100-continue" for such a body
	my $out = run_cmd(10, 'curl', '-s', '-w', ' %{http_code}', '--data-binary', "\@$dir/big.bin",
		"http://127.0.0.1:$p/upload");
	like($out, qr/got 3000000 .* 200$/s, 'upload: curl, 3 MB, Expect: 100-continue');
	$out = run_cmd(10, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--data-binary',
		"\@$dir/big.bin", "http://127.0.0.1:$p/small-upload");
	is($out, '413', 'upload: curl, over client_max_body_size: 413');
}

###############################################################################
# 9. behind another load balancer: set_real_ip_from / real_ip_header

$r = http("GET /x HTTP/1.0\nHost: localhost\nX-Forwarded-For: 203.0.113.7, 10.1.2.3\n\n",
	port => 8091);
%h = seen($r);
is($h{'x-real-ip'}, '203.0.113.7', 'realip: client address from X-Forwarded-For (recursive)');
is($h{'x-forwarded-for'}, '203.0.113.7, 10.1.2.3, 203.0.113.7',
	'realip: $proxy_add_x_forwarded_for appends the real address');

$r = http("GET /x HTTP/1.0\nHost: localhost\nX-Forwarded-For: 203.0.113.7, 198.51.100.2\n\n",
	port => 8091);
%h = seen($r);
is($h{'x-real-ip'}, '198.51.100.2', 'realip: an untrusted hop stops the walk');

###############################################################################
# 10. path prefix: proxy_pass http://app/, proxy_redirect, proxy_cookie_path

%h = seen(http_get('/app/users/1?q=a%20b'));
is($h{'request'}, 'GET /users/1?q=a%20b HTTP/1.0', 'prefix: /app/ stripped');

$r = http_get('/app');
like($r, qr!^HTTP/1\.1 301 !, 'prefix: /app redirected');
like($r, qr!^Location: http://localhost(:\d+)?/app/\r$!m, 'prefix: to /app/');

$r = http_get('/app/redirect-rel');
# made absolute afterwards by absolute_redirect, as nginx does
like($r, qr!^Location: http://localhost:\d+/app/login\r$!m, 'proxy_redirect / /app/: relative Location');

$r = http_get('/app/redirect-abs');
like($r, qr!^Location: http://app/login\r$!m, 'proxy_redirect / /app/: absolute Location kept');

$r = http_get('/app/cookie');
like($r, qr!^Set-Cookie: sid=abc; Path=/app/; HttpOnly\r$!m, 'proxy_cookie_path / /app/');

%h = seen(http_get('/rw/a/b?c=d'));
is($h{'request'}, 'GET /a/b?c=d HTTP/1.0', 'prefix: rewrite ... break');

###############################################################################
# 11. real clients through the app location

SKIP: {
	skip 'no curl', 3 unless $curl;
	my $p = port(8080);
	my $out = run_cmd(8, 'curl', '-s', '-H', 'Host: app.example.com',
		"http://127.0.0.1:$p/a", "http://127.0.0.1:$p/b", "http://127.0.0.1:$p/c");
	is(() = $out =~ /^request: GET \/[abc] HTTP\/1\.1$/mg, 3, 'curl: 3 URLs in one run');
	$out = run_cmd(8, 'curl', '-s', '-I', "http://127.0.0.1:$p/head");
	like($out, qr!^HTTP/1\.1 200 !, 'curl -I: 200');
	$out = run_cmd(8, 'curl', '-s', '--http1.0', '-D', '-', '-o', '/dev/null',
		"http://127.0.0.1:$p/chunked");
	unlike($out, qr/Transfer-Encoding/i, 'curl --http1.0: no chunked to an HTTP/1.0 client');
}

###############################################################################
# 12. found with these setups, fixed since (proxy_bugs.md): the cache lines of
# the DigitalOcean Node.js guide, proxy_ignore_client_abort

{
	$t->write_file_expand('do.conf', <<"END");
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8099%%;
        location / {
            proxy_pass http://localhost:3000;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection 'upgrade';
            proxy_set_header Host \$host;
            proxy_cache_bypass \$http_upgrade;
            proxy_cache off;
        }
    }
    log_format main_ext '\$remote_addr "\$request" \$status cs=\$upstream_cache_status';
}
END
	my ($code, $err) = $t->test_config('do.conf');
	is($code, 0, 'DigitalOcean Node.js server block passes -t') or diag($err);
}

{
	my $log = length $t->read_file('access.log');
	$s = http("GET /ignore-abort/slow HTTP/1.0\nHost: localhost\n\n", start => 1, port => 8092);
	close $s if $s;
	my $line = wait_until(sub {
		my ($l) = substr($t->read_file('access.log'), $log) =~ m{(.*"GET /ignore-abort/.*)};
		$l;
	}, 3);
	like($line // '', qr/ 200 \S+ 200$/, 'proxy_ignore_client_abort on: the upstream response is read');
}

$t->stop();
my $log = $t->read_file('access.log');
like($log, qr!^127\.0\.0\.1 "GET /lb/x HTTP/1\.0" 200 127\.0\.0\.1:\d+ 200$!m, 'access log: upstream');
like($log, qr!^203\.0\.113\.7 "GET /x HTTP/1\.0" 200 !m, 'access log: the real client address');

$_->stop() for @backends;
$t->finish();

###############################################################################

sub app_of {
	my ($r) = @_;
	return $r =~ /^X-App: (\S+)\r$/m ? $1 : 'none';
}

# seen(RESPONSE): what the backend reported it received ("request" and the
# lowercase header names)
sub seen {
	my ($r) = @_;
	my %h;
	my $body = http_body($r) // '';
	for my $line (split /\n/, $body) {
		my ($k, $v) = $line =~ /^([^:]+): (.*)$/ or next;
		$h{lc $k} //= $v;
	}
	return %h;
}

sub read_head {
	my ($s) = @_;
	my $head = '';
	my $sel = IO::Select->new($s);
	while ($head !~ /\r\n\r\n\z/) {
		last unless $sel->can_read(3);
		my $n = sysread($s, my $c, 1);
		last unless $n;
		$head .= $c;
	}
	return $head;
}

sub read_exact {
	my ($s, $n, $timeout) = @_;
	my $sel = IO::Select->new($s);
	my $data = '';
	my $end = time() + $timeout;
	while (length($data) < $n) {
		my $left = $end - time();
		return unless $left > 0 && $sel->can_read($left);
		my $r = sysread($s, my $chunk, $n - length($data));
		return unless $r;
		$data .= $chunk;
	}
	return $data;
}

sub ws_frame {
	my ($payload, $mask) = @_;
	my $len = length $payload;
	my $m = $mask ? 0x80 : 0;
	my $f = chr(0x81);
	if ($len < 126) {
		$f .= chr($m | $len);
	} elsif ($len < 65536) {
		$f .= chr($m | 126) . pack('n', $len);
	} else {
		$f .= chr($m | 127) . pack('NN', 0, $len);
	}
	return $f . $payload unless $mask;
	my $key = pack('N', 0x12345678);
	my $masked = $payload ^ substr($key x (int($len / 4) + 1), 0, $len);
	return $f . $key . $masked;
}

sub ws_read {
	my ($s, $timeout, $masked) = @_;
	$timeout ||= 5;
	my $h = read_exact($s, 2, $timeout) // return;
	my $len = ord(substr($h, 1, 1)) & 0x7f;
	my $mask = ord(substr($h, 1, 1)) & 0x80;
	if ($len == 126) {
		$len = unpack('n', read_exact($s, 2, $timeout) // return);
	} elsif ($len == 127) {
		$len = (unpack('NN', read_exact($s, 8, $timeout) // return))[1];
	}
	my $key = $mask ? read_exact($s, 4, $timeout) // return : undef;
	my $p = $len ? read_exact($s, $len, $timeout) // return : '';
	$p ^= substr($key x (int($len / 4) + 1), 0, $len) if $mask;
	return $p;
}

# upload(URI, CHUNKED): 600000 bytes, the second half 0.7 s after the first
sub upload {
	my ($uri, $chunked) = @_;
	my $half = 'u' x 300_000;
	my $s = http_connect(port => 8080) or return '';
	if ($chunked) {
		http_send($s, "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			. "Transfer-Encoding: chunked\r\n\r\n" . sprintf("%x\r\n", 300_000) . "$half\r\n");
		sleep 0.7;
		http_send($s, sprintf("%x\r\n", 300_000) . "$half\r\n0\r\n\r\n");
	} else {
		http_send($s, "POST $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			. "Content-Length: 600000\r\n\r\n$half");
		sleep 0.7;
		http_send($s, $half);
	}
	my $r = http_read_response($s, 5);
	close $s;
	return $r;
}

# run_cmd(TIMEOUT, ARGV...): the command's stdout, killed after TIMEOUT
sub run_cmd {
	my ($timeout, @cmd) = @_;
	my $pid = open(my $fh, '-|');
	die "fork: $!\n" unless defined $pid;
	if ($pid == 0) {
		open STDERR, '>', '/dev/null';
		exec(@cmd) or POSIX::_exit(127);
	}
	my $out = '';
	my $sel = IO::Select->new($fh);
	my $end = time() + $timeout;
	while ((my $left = $end - time()) > 0) {
		last unless $sel->can_read($left);
		my $n = sysread($fh, my $buf, 65536);
		last unless $n;
		$out .= $buf;
	}
	kill 'KILL', $pid;
	close $fh;
	return $out;
}

###############################################################################
# the backend: a small HTTP/1.1 app (keep-alive, chunked request bodies)

package TutBackend;

sub new { bless { pid => $_[1] }, $_[0] }

sub stop {
	my ($self) = @_;
	return unless $self->{pid};
	kill 'TERM', -$self->{pid};
	waitpid($self->{pid}, 0);
	delete $self->{pid};
}

package main;

sub backend {
	my ($where, $name) = @_;
	my $server;

	if ($where =~ /^unix:(.*)/) {
		unlink $1;
		$server = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $1, Listen => 64)
			or die "backend $where: $!\n";
		chmod 0777, $1;
	} else {
		$server = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
			LocalPort => $where, Listen => 64, ReuseAddr => 1)
			or die "backend $where: $!\n";
	}

	my $pid = fork();
	die "fork: $!\n" unless defined $pid;
	if ($pid == 0) {
		setpgid(0, 0);
		$SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
		$SIG{PIPE} = 'IGNORE';
		alarm 60;
		my $nconn = 0;
		for (;;) {
			my $c = $server->accept() or next;
			$nconn++;
			my $child = fork();
			if (defined $child && $child == 0) {
				alarm 30;
				serve($c, $name, "$$-$nconn");
				POSIX::_exit(0);
			}
			close $c;
		}
	}
	setpgid($pid, $pid);
	close $server;
	return TutBackend->new($pid);
}

sub serve {
	my ($c, $name, $conn) = @_;
	my $buf = '';

	for (;;) {
		while ($buf !~ /\r\n\r\n/) {
			my $n = sysread($c, $buf, 65536, length $buf);
			return unless $n;
		}
		my $t_head = time();
		my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
		$buf = $rest;
		my ($method, $uri, $version) = $head =~ m{^(\S+) (\S+) (HTTP/\d\.\d)};
		my %h;
		for my $line (split /\r\n/, $head) {
			my ($k, $v) = $line =~ /^([^:]+):\s*(.*)$/ or next;
			$h{lc $k} //= $v;
		}

		# the body
		my $body = '';
		if (defined $h{'content-length'}) {
			while (length $buf < $h{'content-length'}) {
				my $n = sysread($c, $buf, 65536, length $buf);
				return unless $n;
			}
			$body = substr($buf, 0, $h{'content-length'}, '');
		} elsif (($h{'transfer-encoding'} // '') =~ /chunked/i) {
			for (;;) {
				if ($buf =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
					my $size = hex $1;
					if ($size == 0) {
						while ($buf !~ s/^\r\n//) {
							my $n = sysread($c, $buf, 65536, length $buf);
							return unless $n;
						}
						last;
					}
					while (length $buf < $size + 2) {
						my $n = sysread($c, $buf, 65536, length $buf);
						return unless $n;
					}
					$body .= substr($buf, 0, $size + 2, '');
					substr($body, -2) = '';
					next;
				}
				my $n = sysread($c, $buf, 65536, length $buf);
				return unless $n;
			}
		}
		my $waited = time() - $t_head;

		my $close = $version eq 'HTTP/1.0' || ($h{'connection'} // '') =~ /close/i;
		my ($path) = $uri =~ m{^([^?]*)};
		my $status = '200 OK';
		my @hdr = ("X-App: $name");
		my $out;

		if (($h{'upgrade'} // '') =~ /websocket/i) {
			websocket($c, $buf, $h{'sec-websocket-key'} // '');
			return;

		} elsif ($path =~ m{/events$}) {
			syswrite($c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
				. "Cache-Control: no-cache\r\nConnection: close\r\n\r\n");
			for my $i (0 .. 2) {
				syswrite($c, "data: $i\n\n");
				sleep 0.4 if $i < 2;
			}
			return;

		} elsif ($path =~ m{/chunked$}) {
			syswrite($c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
				. ($close ? "Connection: close\r\n" : '') . "\r\n5\r\nhello\r\n0\r\n\r\n");
			return if $close;
			next;

		} elsif ($path =~ m{/upload$}) {
			$out = sprintf("got %d waited %.2f\n", length $body, $waited);

		} elsif ($path =~ m{/redirect-rel$}) {
			$status = '302 Found';
			push @hdr, 'Location: /login';
			$out = '';

		} elsif ($path =~ m{/redirect-abs$}) {
			$status = '302 Found';
			push @hdr, 'Location: http://' . ($h{'host'} // 'none') . '/login';
			$out = '';

		} elsif ($path =~ m{/cookie$}) {
			push @hdr, 'Set-Cookie: sid=abc; Path=/; HttpOnly';
			$out = "cookie\n";

		} elsif ($path =~ m{/slow$}) {
			sleep 1;
			$out = "slow\n";

		} else {
			$out = "request: $method $uri $version\nconn: $conn\n"
				. join('', map { "$_: $h{$_}\n" } sort keys %h);
		}

		push @hdr, 'Content-Type: text/plain';
		push @hdr, 'Connection: close' if $close;
		my $resp = "HTTP/1.1 $status\r\n" . join('', map { "$_\r\n" } @hdr)
			. 'Content-Length: ' . length($out) . "\r\n\r\n";
		$resp .= $out unless $method eq 'HEAD';
		my $off = 0;
		while ($off < length $resp) {
			my $n = syswrite($c, $resp, length($resp) - $off, $off);
			return unless $n;
			$off += $n;
		}
		return if $close;
	}
}

sub websocket {
	my ($c, $buf, $key) = @_;
	my $accept = sha1_base64($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11') . '=';
	syswrite($c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		. "Connection: Upgrade\r\nSec-WebSocket-Accept: $accept\r\n\r\n");
	for (;;) {
		my $f = ws_read_buffered($c, \$buf) // return;
		my ($op, $p) = @$f;
		if ($op == 8) {
			syswrite($c, chr(0x88) . chr(0));
			return;
		}
		my $out = ws_frame("echo:$p", 0);
		my $off = 0;
		while ($off < length $out) {
			my $n = syswrite($c, $out, length($out) - $off, $off);
			return unless $n;
			$off += $n;
		}
	}
}

sub ws_read_buffered {
	my ($c, $bufref) = @_;
	for (;;) {
		my $b = $$bufref;
		if (length $b >= 2) {
			my $op = ord(substr($b, 0, 1)) & 0x0f;
			my $len = ord(substr($b, 1, 1)) & 0x7f;
			my $mask = ord(substr($b, 1, 1)) & 0x80;
			my $off = 2;
			if ($len == 126) {
				$len = length $b >= 4 ? unpack('n', substr($b, 2, 2)) : undef;
				$off = 4;
			} elsif ($len == 127) {
				$len = length $b >= 10 ? (unpack('NN', substr($b, 2, 8)))[1] : undef;
				$off = 10;
			}
			if (defined $len) {
				my $need = $off + ($mask ? 4 : 0) + $len;
				if (length $b >= $need) {
					my $key = $mask ? substr($b, $off, 4) : '';
					my $p = substr($b, $off + ($mask ? 4 : 0), $len);
					$p ^= substr($key x (int($len / 4) + 1), 0, $len) if $mask;
					substr($$bufref, 0, $need) = '';
					return [$op, $p];
				}
			}
		}
		my $n = sysread($c, $$bufref, 65536, length $$bufref);
		return unless $n;
	}
}
