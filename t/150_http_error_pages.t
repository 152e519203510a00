#!/usr/bin/perl

# error_page: a local URI (the status stays), "=code" and "=", a named
# location, a redirect URL (302, or the 301/303/307/308 given), variables and
# arguments, the method after the redirect, recursive_error_pages and the
# redirect cycle, inheritance (a level with error_page replaces the whole
# inherited list), error pages for request-level errors (400, 414, 494, and
# the 408 that is never sent), the built-in pages byte for byte, msie_padding
# and msie_refresh, the access and error log lines, and the configuration
# errors with their file and line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_static http_rewrite http_log/)->plan(91);
my $dir = $t->testdir();

my ($ver) = `$Lintel::Test::BINARY -v 2>&1` =~ m{version: (\S+)};

for my $p (qw/404 404b 403 410 50x 400 414 494 408/) {
	$t->write_file("html/err/$p.html", "custom $p\n");
}
$t->write_file('html/file.txt', "file\n");
$t->write_file('html/multi/keep', '');
$t->write_file('html/noindex/keep', '');

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    log_format errs '\$status "\$request" \$uri \$body_bytes_sent';
    access_log $dir/logs/access.log errs;

    error_page 403 /err/403.html;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root $dir/html;

        error_page 404 /err/404.html;
        error_page 500 502 503 504 /err/50x.html;

        location /err/ { internal; }
        location /own/ { error_page 410 /err/410.html; }
        location /inherit/ { }

        location /code/ { error_page 404 =200 /err/404.html; }
        location /code2/ { error_page 404 =410 /err/404.html; }
        location /eq/ { error_page 404 = /gen; }
        location = /gen { return 201 "generated \$uri\\n"; }

        location /named/ { error_page 404 \@fallback; }
        location /named-code/ { error_page 404 =410 \@fallback; }
        location /named-eq/ { error_page 404 = \@fallback; }
        location \@fallback { return 200 "fallback \$uri\\n"; }

        location /redir/ { error_page 404 http://example.com/nf?x=1; }
        location /redir301/ { error_page 404 =301 http://example.com/moved; }
        location /redir-var/ { error_page 404 http://example.com\$uri; }
        location /redir-200/ { error_page 404 =200 http://example.com/; }

        location /rec-off/ { error_page 404 /rec-off-target/x; }
        location /rec-off-target/ { error_page 404 /err/404b.html; }
        location /rec-on/ { recursive_error_pages on; error_page 404 /rec-on-target/x; }
        location /rec-on-target/ { error_page 404 /err/404b.html; }
        location /loop/ { recursive_error_pages on; error_page 404 /loop/missing; }

        location /post/ { alias $dir/html/; error_page 405 =200 \$uri; }
        location /args/ { error_page 404 /show?from=\$uri; }
        location /noargs/ { error_page 404 /show; }
        location = /show { return 200 "show \$args \$request_method\\n"; }
        location /multi/ { error_page 403 404 =404 /err/404b.html; }

        location /return/ { return 404; }
        location /return-text/ { return 404 "text body\\n"; }
        location /return503/ { error_page 503 /err/50x.html; return 503; }
        location /return302/ { msie_refresh on; return 302 http://example.com/r; }

        location /msie/ { error_page 404 http://example.com/x?a=b; msie_refresh on; }
        location /msie-off/ { error_page 404 http://example.com/x; }
        location /nopad/ { error_page 410 /err/410.html; msie_padding off; }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name localhost;
        root $dir/html;
    }

    server {
        listen 127.0.0.1:%%PORT_8082%%;
        server_name localhost;
        root $dir/html;
        client_header_buffer_size 1k;
        large_client_header_buffers 2 1k;
        client_header_timeout 1s;

        error_page 400 /err/400.html;
        error_page 414 /err/414.html;
        error_page 494 /err/494.html;
        error_page 408 /err/408.html;
        location /err/ { internal; }
    }

    server {
        listen 127.0.0.1:%%PORT_8083%%;
        server_name localhost;
        root $dir/html;
        client_header_buffer_size 1k;
        large_client_header_buffers 2 1k;
    }
}
END

$t->run();

sub get {
	my ($uri, %opts) = @_;
	my $r = http_get($uri, %opts);
	return (http_status($r) // 'none') . ' ' . (http_body($r) // '');
}

sub req {
	my ($text, %opts) = @_;
	my $r = http($text, %opts);
	return (http_status($r) // 'none') . ' ' . (http_body($r) // '');
}

my $r;

# a local URI: its body with the original status

$r = http_get('/missing');
is(http_status($r) . ' ' . http_body($r), "404 custom 404\n", 'error_page with a local URI');
is(http_header($r, 'Content-Type'), 'text/html', 'the page has its own type');
is(http_header($r, 'Content-Length'), 11, 'and its length');
is(get('/err/404.html'), "404 custom 404\n", 'an internal error page asked for directly');
is(get('/inherit/missing'), "404 custom 404\n", 'a location inherits the server error_page');
is(get('/own/missing'), '404 ' . page(404), 'a location with its own error_page drops the inherited ones');
is(get('/noindex/'), '403 ' . page(403),
	'a server with its own error_page drops the http-level ones');
is(get('/noindex/', port => 8081), "403 custom 403\n", 'a server without inherits the http level');
is(get('/missing', port => 8081), '404 ' . page(404), 'a code the http level does not list');

$r = http("HEAD /missing HTTP/1.0\nHost: localhost\n\n");
is(http_status($r) . ' ' . http_body($r), '404 ', 'HEAD: the error page without a body');
is(http_header($r, 'Content-Length'), 11, 'HEAD: the length of the error page');

# =code and =

is(get('/code/x'), "200 custom 404\n", 'error_page =200');
is(get('/code2/x'), "410 custom 404\n", 'error_page =410');
is(get('/eq/x'), "201 generated /gen\n", 'error_page =: the status of the page');

# named locations

is(get('/named/x'), "404 fallback /named/x\n", 'a named location keeps $uri and the status');
is(get('/named-code/x'), "410 fallback /named-code/x\n", 'a named location with =410');
is(get('/named-eq/x'), "200 fallback /named-eq/x\n", 'a named location with =');

# redirects

sub redir {
	my ($uri) = @_;
	my $r = http_get($uri);
	return (http_status($r) // 'none') . ' ' . (http_header($r, 'Location') // 'none');
}

is(redir('/redir/x'), '302 http://example.com/nf?x=1', 'error_page URL: 302');
like(http_get('/redir/x'), qr{^HTTP/1.1 302 Moved Temporarily\r\n}, 'the 302 status line');
is(http_body(http_get('/redir/x')), page(302), 'the 302 page');
is(redir('/redir301/x'), '301 http://example.com/moved', 'error_page =301 URL');
is(http_body(http_get('/redir301/x')), page(301), 'the 301 page');
is(redir('/redir-var/a/b'), '302 http://example.com/redir-var/a/b', 'a URL with a variable');
is(redir('/redir-200/x'), '302 http://example.com/', 'a URL with =200: still 302');

# recursive_error_pages

is(get('/rec-off/x'), '404 ' . page(404), 'recursive_error_pages off: the built-in page');
is(get('/rec-on/x'), "404 custom 404b\n", 'recursive_error_pages on: the second error_page');
is(get('/loop/x'), '500 ' . page(500), 'an error_page cycle: 500');
ok(wait_until(sub { $t->read_file('error.log')
		=~ /rewrite or internal redirection cycle while internally redirecting to "\/loop\/missing"/ }, 3),
	'the cycle is logged');

# methods and arguments

is(req("POST /post/file.txt HTTP/1.0\nHost: localhost\nContent-Length: 0\n\n"), "200 file\n",
	'POST to a file: error_page 405 =200 $uri serves it with GET');
is(req("POST /file.txt HTTP/1.0\nHost: localhost\nContent-Length: 0\n\n"), '405 ' . page(405),
	'POST to a file without error_page: 405');
is(get('/args/x'), "404 show from=/args/x GET\n", 'arguments of the error_page URI');
is(req("POST /args/x HTTP/1.0\nHost: localhost\nContent-Length: 0\n\n"),
	"404 show from=/args/x GET\n", 'a POST becomes a GET at the error page');
$r = http("HEAD /args/x HTTP/1.0\nHost: localhost\n\n");
is(http_status($r) . ' ' . http_body($r), '404 ', 'a HEAD stays a HEAD');
is(get('/noargs/x?a=b'), "404 show  GET\n", 'an error_page URI without arguments drops the request ones');
is(get('/multi/'), "404 custom 404b\n", 'two codes in one error_page, =404');

# the connection stays open after an error page

my $s = http_connect();
http_send($s, "GET /missing HTTP/1.1\r\nHost: localhost\r\n\r\n");
$r = http_read_response($s, 3, one => 1);
is(http_status($r) . ' ' . http_header($r, 'Connection') . ' ' . http_body($r),
	"404 keep-alive custom 404\n", 'an error page keeps the connection');
http_send($s, "GET /own/missing HTTP/1.1\r\nHost: localhost\r\n\r\n");
$r = http_read_response($s, 3, one => 1);
is(http_status($r) . ' ' . http_header($r, 'Connection'), '404 keep-alive',
	'a built-in page keeps the connection');
http_send($s, "GET /file.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
$r = http_read_response($s, 3);
is(http_status($r) . ' ' . http_body($r), "200 file\n", 'the next request is served');
close $s;

# return

is(get('/return/'), "404 custom 404\n", 'return 404: the error page');
is(get('/return-text/'), "404 text body\n", 'return 404 with a text: no error page');
$r = http_get('/return503/');
like($r, qr{^HTTP/1.1 503 Service Temporarily Unavailable\r\n}, 'return 503: the status line');
is(http_body($r), "custom 50x\n", 'return 503: the error page');

# MSIE: padding and refresh

my $msie = "User-Agent: Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1)\n";
$r = http("GET /own/missing HTTP/1.0\nHost: localhost\n$msie\n");
is(http_body($r), page(404) . padding(), 'msie_padding on: padded for MSIE');
is(http_header($r, 'Content-Length'), length(page(404) . padding()), 'with its length');
is(req("GET /nopad/missing HTTP/1.0\nHost: localhost\n$msie\n"), '404 ' . page(404),
	'msie_padding off');
is(req("GET /own/missing HTTP/1.0\nHost: localhost\nUser-Agent: Opera/9.80 (MSIE 8.0; X)\n\n"),
	'404 ' . page(404), 'Opera is not MSIE');

$r = http("GET /msie/x HTTP/1.0\nHost: localhost\n$msie\n");
is(http_status($r), 200, 'msie_refresh on: 200 for MSIE');
is(http_body($r), '<html><head><meta http-equiv="Refresh" content="0; URL=http://example.com/x?a=b">'
	. "</head><body></body></html>\r\n", 'msie_refresh: the refresh page');
is(http_header($r, 'Location'), undef, 'msie_refresh: no Location');
is(redir('/msie/x'), '302 http://example.com/x?a=b', 'msie_refresh on: other browsers get 302');
$r = http("GET /return302/ HTTP/1.0\nHost: localhost\n$msie\n");
is(http_status($r) . ' ' . http_body($r), '200 <html><head><meta http-equiv="Refresh" '
	. "content=\"0; URL=http://example.com/r\"></head><body></body></html>\r\n",
	'msie_refresh on: return 302 becomes a refresh page for MSIE');
$r = http("GET /msie-off/x HTTP/1.0\nHost: localhost\n$msie\n");
is(http_status($r) . ' ' . http_header($r, 'Location'), '302 http://example.com/x',
	'msie_refresh off: 302 for MSIE');
is(http_body($r), page(302), 'the 302 for MSIE is not padded');

# request-level errors with error_page

is(req("GET / HTTP/1.0\nBad Header: x\n\n", port => 8082), "400 custom 400\n",
	'an invalid header: error_page 400');
is(req("GET / HTTP/1.1\n\n", port => 8082), "400 custom 400\n", 'no Host: error_page 400');
is(req("GET /%zz HTTP/1.0\n\n", port => 8082), "400 custom 400\n", 'a bad URI: error_page 400');
is(req('GET /' . ('a' x 3000) . " HTTP/1.0\n\n", port => 8082), "414 custom 414\n",
	'a long URI: error_page 414');
is(req("GET / HTTP/1.0\nX-Long: " . ('b' x 1500) . "\n\n", port => 8082), "400 custom 494\n",
	'a long header line: error_page 494, sent as 400');
$r = http("GET / HTTP/1.1\nHost: x\nX-Long: " . ('b' x 1500) . "\n\n", port => 8082);
is(http_header($r, 'Connection'), 'close', 'the connection is closed after a 494');

$s = http("GET /slow HTTP/1.0\nX-A: b\n", start => 1, port => 8082);
my $t0 = time();
$r = http_read_response($s, 4);
my $took = time() - $t0;
is($r, '', 'client_header_timeout: nothing is sent, even with error_page 408');
ok($took > 0.7 && $took < 3, sprintf('closed after client_header_timeout (%.1fs)', $took));

# request-level errors: the built-in pages

is(req("GET / HTTP/1.0\nBad Header: x\n\n", port => 8083), '400 ' . page(400), 'the 400 page');
is(req('GET /' . ('a' x 3000) . " HTTP/1.0\n\n", port => 8083), '414 ' . page(414),
	'the 414 page');
$r = http("GET / HTTP/1.0\nX-Long: " . ('b' x 1500) . "\n\n", port => 8083);
like($r, qr{^HTTP/1.1 400 Bad Request\r\n}, 'a long header line: 400 Bad Request');
is(http_body($r), "<html>\r\n<head><title>400 Request Header Or Cookie Too Large</title></head>\r\n"
	. "<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n"
	. "<center>Request Header Or Cookie Too Large</center>\r\n"
	. "<hr><center>$ver</center>\r\n</body>\r\n</html>\r\n", 'the 494 page');
$r = http("GET / HTTP/1.1\nHost: x\nBad Header: x\n\n", port => 8083);
is(http_header($r, 'Connection'), 'close', 'the connection is closed after a 400');
like($r, qr{^HTTP/1.1 400 Bad Request\r\nServer: \Q$ver\E\r\nDate: .*\r\n}, 'the status line');
$r = http_get('/missing', port => 8083);
is(http_header($r, 'Content-Type'), 'text/html', 'built-in pages are text/html');
is(http_header($r, 'Content-Length'), length(page(404)), 'with their length');

# the logs

my $log = wait_until(sub {
	my $l = $t->read_file('logs/access.log');
	$l =~ /^408 /m ? $l : '';
}, 3);
like($log, qr{^404 "GET /missing HTTP/1.0" /err/404.html 11$}m,
	'access log: the original request, the error page URI, the status');
like($log, qr{^302 "GET /redir/x HTTP/1.0" /redir/x \d+$}m, 'access log: a redirect');
like($log, qr{^500 "GET /loop/x HTTP/1.0" /loop/missing \d+$}m, 'access log: the cycle');
like($log, qr{^400 "GET / HTTP/1.1" /err/400.html 11$}m, 'access log: a 400 with its page');
like($log, qr{^414 "GET /a+" /err/414.html 11$}m, 'access log: a 414, the request line cut');
like($log, qr{^414 "GET /a+" - \d+$}m, 'access log: a 414 with the built-in page, no $uri');
like($log, qr{^408 "GET /slow HTTP/1.0" /slow 0$}m, 'access log: a 408');

my $err = $t->read_file('error.log');
like($err, qr{open\(\) "\Q$dir\E/html/missing" failed \(2: No such file or directory\), client: 127.0.0.1, server: localhost, request: "GET /missing HTTP/1.0", host: "localhost"},
	'error log: the failed open() with the request');
like($err, qr{\[info\] .*client sent invalid header line: "Bad[^"]*" while reading client request headers},
	'error log: the invalid header');
like($err, qr{\[info\] .*client sent HTTP/1.1 request without "Host" header while reading client request headers},
	'error log: no Host');
like($err, qr{\[info\] .*client sent too long URI while reading client request line},
	'error log: the long URI');
like($err, qr{\[info\] .*client sent too long header line: "X-Long: b+\.*" while reading client request headers},
	'error log: the long header');
like($err, qr{\[info\] .*client timed out \(110: Connection timed out\) while reading client request headers},
	'error log: the timeout');

# configuration errors

sub conf_error {
	my ($name, $body, $re, $line) = @_;
	$t->write_file("$name.conf", "pid $dir/b.pid;\nevents {}\nhttp {\nserver {\n$body\n}\n}\n");
	my ($code, $err) = $t->test_config("$name.conf");
	ok($code != 0 && $err =~ /\[emerg\] $re in \Q$dir\/$name.conf:$line\E$/m, "error: $name")
		or diag("exit $code: $err");
}

conf_error('args', "error_page 404;", qr/invalid number of arguments in "error_page" directive/, 5);
conf_error('range', "error_page 299 /x;", qr/value "299" must be between 300 and 599/, 5);
conf_error('range-high', "error_page 404 600 /x;", qr/value "600" must be between 300 and 599/, 5);
conf_error('code', "error_page abc /x;", qr/invalid value "abc"/, 5);
conf_error('overwrite', "error_page 404 =abc /x;", qr/invalid value "=abc"/, 5);
conf_error('recursive', "recursive_error_pages maybe;",
	qr/invalid value "maybe" in "recursive_error_pages" directive, it must be "on" or "off"/, 5);
conf_error('padding', "msie_padding 1;",
	qr/invalid value "1" in "msie_padding" directive, it must be "on" or "off"/, 5);
conf_error('refresh-args', "msie_refresh on off;",
	qr/invalid number of arguments in "msie_refresh" directive/, 5);

$t->write_file('main.conf', "pid $dir/b.pid;\nerror_page 404 /x;\nevents {}\nhttp {\n}\n");
my ($code, $e) = $t->test_config('main.conf');
like($e, qr/"error_page" directive is not allowed here in \Q$dir\E\/main.conf:2$/m,
	'error: error_page in the main context');

###############################################################################

sub page {
	my ($code) = @_;
	my %text = (301 => 'Moved Permanently', 302 => 'Found', 400 => 'Bad Request',
		403 => 'Forbidden', 404 => 'Not Found', 405 => 'Not Allowed',
		414 => 'Request-URI Too Large', 500 => 'Internal Server Error');
	return "<html>\r\n<head><title>$code $text{$code}</title></head>\r\n<body>\r\n"
		. "<center><h1>$code $text{$code}</h1></center>\r\n"
		. "<hr><center>$ver</center>\r\n</body>\r\n</html>\r\n";
}

sub padding {
	return "<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" x 6;
}
