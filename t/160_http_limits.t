#!/usr/bin/perl

# Limits and timeouts of a request and its connection: client_max_body_size
# (Content-Length at the limit and over it, per location, 0, error_page 413,
# Expect: 100-continue, a chunked body that is only discarded), discarding an
# unwanted body and keeping the connection, lingering_close on / always and
# lingering_timeout / lingering_time, send_timeout with a client that stops
# reading and reset_timedout_connection, keepalive_disable (msie6, safari,
# none), limit_rate and limit_rate_after (and $limit_rate set by "set", and a
# variable in limit_rate), the body directives that no handler exercises yet
# (they parse, client_body_temp_path is created), and the configuration errors
# with their file and line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::MD5 qw(md5_hex);
use Errno qw(ECONNRESET EPIPE);
use IO::Select;
use Socket qw(SOL_SOCKET SO_RCVBUF);
use Time::HiRes qw(time sleep);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_static http_rewrite/)->plan(67);
my $dir = $t->testdir();

my ($ver) = `$Lintel::Test::BINARY -v 2>&1` =~ m{version: (\S+)};

my $mb = join('', map { sprintf("%07d\n", $_) } 0 .. 131071);     # 1 MB
$t->write_file('html/1m.bin', $mb);
$t->write_file('html/8m.bin', $mb x 8);
$t->write_file('html/err413.txt', "too large\n");

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root $dir/html;

        client_max_body_size 1k;
        lingering_timeout 1s;
        lingering_time 2s;

        client_body_buffer_size 16k;
        client_body_in_file_only clean;
        client_body_in_single_buffer on;
        client_body_temp_path $dir/body 1 2;
        client_body_timeout 5s;

        location /r/ { return 200 "ok\\n"; }
        location /unl/ { client_max_body_size 0; return 200 "ok\\n"; }
        location /big/ { client_max_body_size 2m; return 200 "ok\\n"; }
        location /e413/ { error_page 413 /err413.txt; return 200 "ok\\n"; }

        location /always/ { lingering_close always; return 200 "ok\\n"; }

        location /slow/ { alias $dir/html/; send_timeout 1s; }
        location /slow-reset/ { alias $dir/html/; send_timeout 1s; reset_timedout_connection on; }

        location /rate/ { alias $dir/html/; limit_rate 250k; }
        location /rate-after/ { alias $dir/html/; limit_rate 250k; limit_rate_after 500k; }
        location /rate-var/ { alias $dir/html/; set \$limit_rate 250k; }
        location /rate-arg/ { alias $dir/html/; limit_rate \$arg_r; }
        location /rate-zero/ { alias $dir/html/; limit_rate 0; }

        location /ka/ { return 200 "ok\\n"; }
        location /ka-none/ { keepalive_disable none; return 200 "ok\\n"; }
        location /ka-safari/ { keepalive_disable safari; return 200 "ok\\n"; }
    }
}
END

$t->run();

sub st {
	my ($text, %opts) = @_;
	my $r = http($text, %opts);
	return (http_status($r) // 'none') . ' ' . (http_body($r) // '');
}

my $r;

# client_max_body_size

is(st("POST /r/ HTTP/1.0\nContent-Length: 1024\n\n" . ('x' x 1024)), "200 ok\n",
	'a body at client_max_body_size');
$r = http("POST /r/ HTTP/1.1\nHost: localhost\nContent-Length: 1025\n\n" . ('x' x 1025));
is(http_status($r) . ' ' . http_body($r), '413 ' . page(413), 'one byte over: 413');
is(http_header($r, 'Connection'), 'close', 'the 413 closes the connection');
is(st("POST /unl/ HTTP/1.0\nContent-Length: 10000000000\n\n"), "200 ok\n",
	'client_max_body_size 0: no limit');
is(st("POST /big/ HTTP/1.0\nContent-Length: 2097152\n\n"), "200 ok\n", '2m in a location');
is(st("POST /big/ HTTP/1.0\nContent-Length: 2097153\n\n"), '413 ' . page(413),
	'2m in a location: one byte over');
is(st("POST /e413/ HTTP/1.0\nContent-Length: 5000\n\n"), "413 too large\n", 'error_page 413');
is(st("GET /r/ HTTP/1.0\nContent-Length: 5000\n\n"), '413 ' . page(413),
	'the limit applies to any method');

$r = http("POST /r/ HTTP/1.1\nHost: localhost\nContent-Length: 5000\nExpect: 100-continue\n\n");
like($r, qr{^HTTP/1.1 413 }, 'Expect: 100-continue over the limit: 413 without 100 Continue');

$r = http("POST /r/ HTTP/1.1\nHost: localhost\nTransfer-Encoding: chunked\nConnection: close\n\n"
	. "3e8\r\n" . ('x' x 1000) . "\r\n3e8\r\n" . ('x' x 1000) . "\r\n0\r\n\r\n");
is(http_status($r) . ' ' . http_body($r), "200 ok\n",
	'a chunked body over the limit that is only discarded: 200');

# a body the handler does not read is discarded; the connection goes on

my $s = http_connect();
http_send($s, "POST /r/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 500\r\n\r\n" . ('a' x 200));
$r = http_read_response($s, 3, one => 1);
is(http_status($r) . ' ' . http_header($r, 'Connection'), '200 keep-alive',
	'the response comes before the body is complete');
http_send($s, ('a' x 300) . "GET /r/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
$r = http_read_response($s, 3);
is(http_status($r) . ' ' . http_body($r), "200 ok\n", 'the rest of the body is skipped');
close $s;

$s = http_connect();
http_send($s, "POST /r/ HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
	. "5\r\nhello\r\n");
$r = http_read_response($s, 3, one => 1);
is(http_status($r), 200, 'a chunked body: the response comes first');
http_send($s, "0\r\n\r\nGET /r/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
$r = http_read_response($s, 3);
is(http_status($r) . ' ' . http_body($r), "200 ok\n", 'the rest of the chunked body is skipped');
close $s;

# lingering close: a client still sending a body gets the whole response

$s = http_connect();
http_send($s, "POST /r/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000\r\n\r\n"
	. ('b' x 262144));
$r = http_read_response($s, 5, one => 1);
is(http_status($r) . ' ' . http_body($r), '413 ' . page(413),
	'a 413 while the client sends its body: the whole response');

ok(writes_ok($s, 2, 0.2), 'lingering: the server still reads after the response');
sleep 1.6;
ok(!writes_ok($s, 3, 0.2), 'lingering_timeout: closed once the client stays idle');
close $s;

$s = http_connect();
http_send($s, "POST /r/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10000000\r\n\r\n"
	. ('b' x 65536));
$r = http_read_response($s, 5, one => 1);
is(http_status($r), 413, 'a 413 to a client that keeps sending');
my $t0 = time();
while (time() - $t0 < 6) {
	last unless writes_ok($s, 1, 0);
	sleep 0.2;
}
my $took = time() - $t0;
ok($took > 1 && $took < 4.5, sprintf('lingering_time: closed after %.1fs of data', $took));
close $s;

# lingering_close always: even after a request without a body

$s = http("GET /always/ HTTP/1.0\nHost: localhost\n\n", start => 1);
$r = http_read_response($s, 3);
is(http_status($r) . ' ' . http_body($r), "200 ok\n", 'lingering_close always: the response');
ok(writes_ok($s, 2, 0.3), 'lingering_close always: the server reads on after the response');
close $s;

$s = http("GET /r/ HTTP/1.0\nHost: localhost\n\n", start => 1);
$r = http_read_response($s, 3);
ok(!writes_ok($s, 3, 0.3), 'lingering_close on: a request without a body is closed at once');
close $s;

# send_timeout: a client that stops reading is dropped

sub stalled {
	my ($uri) = @_;
	my $c = IO::Socket::INET->new(Proto => 'tcp', PeerAddr => '127.0.0.1', PeerPort => port(8080))
		or return;
	setsockopt($c, SOL_SOCKET, SO_RCVBUF, 4096);
	http_send($c, "GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n");
	return $c;
}

sub drain {
	my ($c, $timeout) = @_;
	my $sel = IO::Select->new($c);
	my ($got, $end, $err) = (0, time() + $timeout, 0);
	while (time() < $end) {
		last unless $sel->can_read($end - time());
		my $n = sysread($c, my $buf, 65536);
		if (!defined $n) {
			$err = $! + 0;
			last;
		}
		if ($n == 0) {
			$err = 'eof';
			last;
		}
		$got += $n;
	}
	return ($got, $err);
}

my $plain = stalled('/slow/8m.bin');
my $reset = stalled('/slow-reset/8m.bin');
sleep 2.5;

# a closed socket answers new data with a reset; an open one would keep it
{
	local $SIG{PIPE} = 'IGNORE';
	syswrite($plain, 'x');
}
sleep 0.3;
my ($got, $end) = drain($plain, 5);
my ($got2, $end2) = drain($reset, 5);
ok($got < 8 * 1048576, "send_timeout: the response is cut ($got bytes)");
is($end, ECONNRESET, 'send_timeout: the connection is closed');
ok($got2 < 8 * 1048576, "reset_timedout_connection: the response is cut ($got2 bytes)");
is($end2, ECONNRESET, 'reset_timedout_connection on: reset without the client sending anything');
like($t->read_file('error.log'),
	qr/\[info\] .*client timed out \(110: Connection timed out\) while sending response to client, client: 127.0.0.1, server: localhost, request: "GET \/slow\/8m.bin HTTP\/1.0"/,
	'send_timeout is logged');

# keepalive_disable

my $ie6 = 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)';
my $ie6sv1 = 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)';
my $ie55 = 'Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)';
my $ie8 = 'Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)';
my $safari = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 '
	. '(KHTML, like Gecko) Version/16.1 Safari/605.1.15';
my $chrome = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 '
	. '(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

sub conn {
	my ($method, $uri, $ua) = @_;
	my $r = http("$method $uri HTTP/1.1\nHost: localhost\nUser-Agent: $ua\nContent-Length: 0\n\n",
		one => 1, timeout => 3);
	return (http_status($r) // 'none') . ' ' . (http_header($r, 'Connection') // 'none');
}

is(conn('POST', '/ka/', $ie6), '200 close', 'keepalive_disable msie6: POST from MSIE 6');
is(conn('POST', '/ka/', $ie55), '200 close', 'keepalive_disable msie6: POST from MSIE 5.5');
is(conn('GET', '/ka/', $ie6), '200 keep-alive', 'keepalive_disable msie6: GET from MSIE 6');
is(conn('POST', '/ka/', $ie6sv1), '200 keep-alive', 'keepalive_disable msie6: MSIE 6 SV1');
is(conn('POST', '/ka/', $ie8), '200 keep-alive', 'keepalive_disable msie6: MSIE 8');
is(conn('GET', '/ka/', $safari), '200 keep-alive', 'Safari by default');
is(conn('POST', '/ka-none/', $ie6), '200 keep-alive', 'keepalive_disable none');
is(conn('GET', '/ka-safari/', $safari), '200 close', 'keepalive_disable safari: Safari');
is(conn('GET', '/ka-safari/', $chrome), '200 keep-alive', 'keepalive_disable safari: Chrome');
is(conn('POST', '/ka-safari/', $ie6), '200 keep-alive',
	'keepalive_disable safari alone drops msie6');

# limit_rate: 1 MB at 250k/s takes 4 seconds, 2 when the first 500k are free

my %dl = downloads(qw{/1m.bin /rate/1m.bin /rate-after/1m.bin /rate-var/1m.bin
	/rate-arg/1m.bin?r=250k /rate-arg/1m.bin /rate-zero/1m.bin});

sub timing {
	my ($uri, $min, $max, $name) = @_;
	my ($time, $body) = @{$dl{$uri}};
	is(md5_hex(http_body($body) // ''), md5_hex($mb), "$name: the whole file");
	ok($time >= $min && $time <= $max, sprintf("%s: %.2fs", $name, $time));
}

timing('/1m.bin', 0, 0.8, 'no limit_rate');
timing('/rate/1m.bin', 3, 6, 'limit_rate 250k');
timing('/rate-after/1m.bin', 1.4, 2.9, 'limit_rate_after 500k');
timing('/rate-var/1m.bin', 3, 6, 'set $limit_rate 250k');
timing('/rate-arg/1m.bin?r=250k', 3, 6, 'limit_rate $arg_r');
timing('/rate-arg/1m.bin', 0, 0.8, 'limit_rate with an empty variable');
timing('/rate-zero/1m.bin', 0, 0.8, 'limit_rate 0');

# the body directives parse; the temporary directory is created at start

ok(-d "$dir/body", 'client_body_temp_path is created');

# configuration errors

sub conf_error {
	my ($name, $body, $re, $line) = @_;
	$t->write_file("$name.conf", "pid $dir/b.pid;\nevents {}\nhttp {\nserver {\n$body\n}\n}\n");
	my ($code, $err) = $t->test_config("$name.conf");
	ok($code != 0 && $err =~ /\[(emerg|warn)\] $re in \Q$dir\/$name.conf:$line\E$/m, "error: $name")
		or diag("exit $code: $err");
}

conf_error('max-body', "client_max_body_size 1x;",
	invalid('client_max_body_size', '1x'), 5);
conf_error('max-body-dup', "location / {\nclient_max_body_size 1k;\nclient_max_body_size 2k;\n}",
	qr/"client_max_body_size" directive is duplicate/, 7);
conf_error('send-timeout', "send_timeout abc;", invalid('send_timeout', 'abc'), 5);
conf_error('body-timeout', "client_body_timeout 1x;",
	invalid('client_body_timeout', '1x'), 5);
conf_error('lingering-close', "lingering_close maybe;",
	qr/invalid value "maybe"(?: in "lingering_close" directive)?/, 5);
conf_error('lingering-timeout', "lingering_timeout -1;",
	invalid('lingering_timeout', '-1'), 5);
conf_error('keepalive-disable', "keepalive_disable msie6 opera;",
	qr/invalid value "opera"(?: in "keepalive_disable" directive)?/, 5);
conf_error('reset', "reset_timedout_connection 1;",
	qr/invalid value "1" in "reset_timedout_connection" directive, it must be "on" or "off"/, 5);
conf_error('limit-rate', "limit_rate fast;", invalid('limit_rate', 'fast'), 5);
conf_error('limit-rate-after', "limit_rate_after 1q;", invalid('limit_rate_after', '1q'), 5);
conf_error('limit-rate-dup', "limit_rate 1k;\nlimit_rate 2k;",
	qr/"limit_rate" directive is duplicate/, 6);
conf_error('limit-rate-after-args', "limit_rate_after 1k 2k;",
	qr/invalid number of arguments in "limit_rate_after" directive/, 5);
conf_error('in-file-only', "client_body_in_file_only maybe;",
	qr/invalid value "maybe"(?: in "client_body_in_file_only" directive)?/, 5);
conf_error('buffer-size', "client_body_buffer_size big;",
	invalid('client_body_buffer_size', 'big'), 5);

$t->write_file('main.conf', "pid $dir/b.pid;\nclient_max_body_size 1k;\nevents {}\nhttp {\n}\n");
my ($code, $e) = $t->test_config('main.conf');
like($e, qr/"client_max_body_size" directive is not allowed here in \Q$dir\E\/main.conf:2$/m,
	'error: client_max_body_size in the main context');

###############################################################################

# invalid(DIRECTIVE, VALUE): nginx says '"send_timeout" directive invalid value';
# lintel's style adds the value: 'invalid value "abc" in "send_timeout" directive'
sub invalid {
	my ($d, $v) = @_;
	return qr/(?:"\Q$d\E" directive invalid value|invalid value "\Q$v\E" in "\Q$d\E" directive)/;
}

sub page {
	my ($code) = @_;
	my %text = (413 => 'Request Entity Too Large');
	return "<html>\r\n<head><title>$code $text{$code}</title></head>\r\n<body>\r\n"
		. "<center><h1>$code $text{$code}</h1></center>\r\n"
		. "<hr><center>$ver</center>\r\n</body>\r\n</html>\r\n";
}

# writes_ok(SOCKET, N, PAUSE): N writes of 1 KB, PAUSE seconds apart; false once
# one fails (the server closed the connection: the first write after that draws
# a reset, the next one fails)
sub writes_ok {
	my ($s, $n, $pause) = @_;
	local $SIG{PIPE} = 'IGNORE';
	for (1 .. $n) {
		my $w = syswrite($s, 'z' x 1024);
		return 0 unless defined $w && $w > 0;
		sleep $pause if $pause;
	}
	return 1;
}

# downloads(URI, ...): fetches them all at once; URI => [seconds, response]
sub downloads {
	my (@uris) = @_;
	my (%sock, %data, %done);
	my $start = time();
	my $sel = IO::Select->new();
	for my $u (@uris) {
		my $c = http_connect() or next;
		http_send($c, "GET $u HTTP/1.0\r\nHost: localhost\r\n\r\n");
		$sock{$u} = $c;
		$data{$u} = '';
		$sel->add($c);
	}
	my %by = map { fileno($sock{$_}) => $_ } keys %sock;
	while ($sel->count() && time() - $start < 15) {
		for my $c ($sel->can_read(1)) {
			my $u = $by{fileno($c)};
			my $n = sysread($c, my $buf, 65536);
			if ($n) {
				$data{$u} .= $buf;
				next;
			}
			$done{$u} = [time() - $start, $data{$u}];
			$sel->remove($c);
			close $c;
		}
	}
	return map { $_ => $done{$_} || [99, $data{$_}] } @uris;
}
