#!/usr/bin/perl

# proxy_pass: to host:port, to an upstream{} block, to a unix socket, with
# variables; nginx's URI rules (with and without a URI part, regex locations,
# rewrite ... break); the request sent (method, version, Host and Connection
# defaults, proxy_set_header, an empty value removing a line, the client's
# headers, proxy_pass_request_headers/body, proxy_set_body, proxy_method,
# proxy_http_version); the response passed back; $proxy_host, $proxy_port,
# $proxy_add_x_forwarded_for; configuration errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test qw(port);
use Lintel::HTTP;
use Lintel::Backend;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_rewrite http_headers/);
my $dir = $t->testdir();

$t->plan(64);

my $b = Lintel::Backend->start(port(8081));
Lintel::Backend->start("unix:$dir/b.sock");

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    log_format ab '\$uri \$status \$upstream_status';
    upstream named {
        server 127.0.0.1:%%PORT_8081%%;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        location /plain/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }
        location /part/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/x/;
        }
        location /root/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location ~ ^/regex/(.*) {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }
        location /rw/ {
            rewrite ^/rw/(.*)\$ /echo/rewritten/\$1 break;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/ignored/;
        }
        location /var/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/v?a=\$arg_a;
        }
        location /varnouri/ {
            proxy_pass http://\$arg_to;
        }
        location /named/ {
            proxy_pass http://named/echo/;
        }
        location /unix/ {
            proxy_pass http://unix:$dir/b.sock:/echo/;
        }
        location /echo/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }
        location /headers/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_set_header X-Set "set \$request_method";
            proxy_set_header User-Agent "";
            proxy_set_header Host "example.org";
            proxy_set_header X-Fwd \$proxy_add_x_forwarded_for;
        }
        location /nohdr/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_pass_request_headers off;
        }
        location /nobody/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }
        location /setbody/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_set_body "body of \$request_method";
            proxy_method PUT;
        }
        location /v11/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            proxy_http_version 1.1;
        }
        location /vars/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            add_header X-Host \$proxy_host;
            add_header X-Port \$proxy_port;
            add_header X-XFF \$proxy_add_x_forwarded_for;
        }
        location /ranges/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_force_ranges on;
            proxy_cache off;
            proxy_cache_bypass \$http_upgrade \$arg_nocache;
            proxy_no_cache \$http_pragma;
            add_header X-Cache "[\$upstream_cache_status]";
        }
        location /noranges/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }
        location /abort/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_ignore_client_abort on;
            access_log $dir/abort.log ab;
        }
        location /inherit/ {
            proxy_set_header X-Level server;
            location /inherit/in/ {
                proxy_pass http://127.0.0.1:%%PORT_8081%%/echo/;
            }
        }
    }
}
END

$t->run();

###############################################################################

sub req_line {
	my ($r) = @_;
	my $body = http_body($r);
	return defined $body && $body =~ /^(\S+ \S+ HTTP\/1\.\d)\r$/m ? $1 : '';
}

# URI rules

my $r = http_get('/plain/echo?x=1');
is(http_status($r), 200, 'proxied');
like(http_body($r), qr{^GET /plain/echo\?x=1 HTTP/1.0\r$}m, 'no URI part: the request URI');
is(req_line(http_get('/part/y/z?q=2')), 'GET /echo/x/y/z?q=2 HTTP/1.0',
	'URI part replaces the location prefix');
is(req_line(http_get('/root/echo/%7Efoo')), 'GET /echo/~foo HTTP/1.0',
	'URI part: the normalised URI, escaped where needed');
is(req_line(http_get('/regex/echo/a%20b?c')), 'GET /regex/echo/a%20b?c HTTP/1.0',
	'regex location: the URI as the client sent it');
is(req_line(http_get('/rw/a?b=c')), 'GET /echo/rewritten/a?b=c HTTP/1.0',
	'rewrite ... break: the rewritten URI, URI part ignored');
is(req_line(http_get('/var/x?a=5')), 'GET /echo/v?a=5 HTTP/1.0',
	'variables with a URI part: the URI evaluated');
like(http_get('/varnouri/echo/t?to=127.0.0.1:' . port(8081)),
	qr{GET /varnouri/echo/t\?to=\S+ HTTP/1.0}, 'variables without a URI part');
like(http_get('/varnouri/echo/t?to=named'), qr{GET /varnouri/echo/t\?to=named HTTP/1.0},
	'variables naming an upstream block');
is(req_line(http_get('/named/n')), 'GET /echo/n HTTP/1.0', 'upstream{} name');
is(req_line(http_get('/unix/u')), 'GET /echo/u HTTP/1.0', 'unix: socket with a URI');
like(http_get('/unix/u'), qr/^Host: localhost\r$/m, 'unix: socket: Host localhost');

# the request

$r = http_get('/echo/h');
my $p1 = port(8081);
like($r, qr/^Host: 127.0.0.1:$p1\r$/m, 'Host: $proxy_host by default');
like($r, qr/^Connection: close\r$/m, 'Connection: close by default');

$r = http(<<EOF);
GET /headers/x HTTP/1.0
Host: localhost
User-Agent: test-agent
X-Client: c1
X-Forwarded-For: 192.0.2.1

EOF
like($r, qr/^X-Set: set GET\r$/m, 'proxy_set_header with a variable');
unlike($r, qr/test-agent/, 'an empty value removes the header');
like($r, qr/^Host: example.org\r$/m, 'proxy_set_header Host');
like($r, qr/^X-Client: c1\r$/m, 'client headers passed');
like($r, qr/^X-Fwd: 192.0.2.1, 127.0.0.1\r$/m, '$proxy_add_x_forwarded_for appends');
is(() = $r =~ /^Host:/mg, 1, 'one Host line');

$r = http(<<EOF);
GET /nohdr/x HTTP/1.0
Host: localhost
X-Client: c1

EOF
unlike($r, qr/X-Client/, 'proxy_pass_request_headers off');
like($r, qr/^Host: 127.0.0.1/m, 'proxy_pass_request_headers off keeps set headers');

$r = http(<<EOF);
POST /echo/p HTTP/1.0
Host: localhost
Content-Length: 9

body-text
EOF
like($r, qr/^POST \/echo\/p HTTP\/1.0\r$/m, 'POST method');
like($r, qr/^Content-Length: 9\r$/m, 'POST Content-Length');
like($r, qr/\r\n\r\nbody-text\z/, 'POST body');

$r = http(<<EOF);
POST /nobody/p HTTP/1.0
Host: localhost
Content-Length: 9

body-text
EOF
unlike($r, qr/body-text/, 'proxy_pass_request_body off');

$r = http(<<EOF);
POST /setbody/p HTTP/1.0
Host: localhost
Content-Length: 9

body-text
EOF
like($r, qr/^PUT \/echo\/p HTTP\/1.0\r$/m, 'proxy_method');
like($r, qr/\r\n\r\nbody of POST\z/, 'proxy_set_body');
like($r, qr/^Content-Length: 12\r$/m, 'proxy_set_body Content-Length');

$r = http_get('/v11/x');
like($r, qr/^GET \/echo\/x HTTP\/1.1\r$/m, 'proxy_http_version 1.1');

$r = http_head('/echo/head');
is(http_status($r), 200, 'HEAD proxied');
is(http_body($r), '', 'HEAD: no body');

# the response and variables

$r = http_get('/root/anything');
like($r, qr/^X-Backend: $p1\r$/m, 'response header passed');
is(http_body($r), "backend $p1\n", 'response body');
like($r, qr/^Server: lintel/m, "lintel's Server (the upstream's is hidden)");

$r = http(<<EOF);
GET /vars/x HTTP/1.0
Host: localhost
X-Forwarded-For: 192.0.2.7

EOF
like($r, qr/^X-Host: 127.0.0.1:$p1\r$/m, '$proxy_host');
like($r, qr/^X-Port: $p1\r$/m, '$proxy_port');
like($r, qr/^X-XFF: 192.0.2.7, 127.0.0.1\r$/m, '$proxy_add_x_forwarded_for');

like(http_get('/inherit/in/x'), qr/^X-Level: server\r$/m, 'proxy_set_header inherited');

# HTTP/1.1 client with keep-alive: two requests on one connection

$r = http(<<EOF);
GET /root/a HTTP/1.1
Host: localhost

GET /root/b HTTP/1.1
Host: localhost
Connection: close

EOF
is(() = $r =~ /backend $p1/g, 2, 'two proxied responses on a keep-alive connection');

# proxy_force_ranges, the accepted cache directives (no cache: no effect)

$r = http("GET /ranges/huge/100 HTTP/1.0\nHost: localhost\nRange: bytes=10-19\n\n");
is(http_status($r) . ' ' . http_body($r), '206 0123456789', 'proxy_force_ranges on: 206');
is(http_header($r, 'X-Cache'), '[]', '$upstream_cache_status is empty without a cache');
$r = http("GET /ranges/huge/100 HTTP/1.0\nHost: localhost\nRange: bytes=90-\n\n");
is(http_status($r) . ' ' . http_body($r), '206 0123456789', 'proxy_force_ranges: the last bytes');
$r = http("GET /ranges/huge/100 HTTP/1.0\nHost: localhost\nRange: bytes=0-1,5-6\n\n");
is(http_status($r), 200, 'proxy_force_ranges: several ranges get the whole response (single range only)');
$r = http("GET /noranges/huge/100 HTTP/1.0\nHost: localhost\nRange: bytes=10-19\n\n");
is(http_status($r), 200, 'without proxy_force_ranges: the whole response');

# proxy_ignore_client_abort: the response is read to its end and logged with
# its status although the client went away

my $ab = http_connect();
http_send($ab, "GET /abort/slow/600 HTTP/1.0\r\nHost: localhost\r\n\r\n");
select undef, undef, undef, 0.2;
close $ab;
my $ablog = '';
for (1 .. 40) {
	$ablog = $t->read_file('abort.log');
	last if $ablog;
	select undef, undef, undef, 0.1;
}
is($ablog, "/abort/slow/600 200 200\n", 'proxy_ignore_client_abort on: 200 from the upstream logged');

###############################################################################
# configuration errors

sub conf_error {
	my ($body, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n    server {\n"
		. "        $body\n    }\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	like($err, $re, $name);
}

conf_error('location ~ /x { proxy_pass http://127.0.0.1:1/uri; }',
	qr/"proxy_pass" cannot have URI part in location given by regular expression.* in \S+bad.conf:5/,
	'URI part in a regex location');
conf_error('location /x { proxy_pass ftp://127.0.0.1:1; }',
	qr/invalid URL prefix in \S+bad.conf:5/, 'invalid URL prefix');
conf_error('location /x { proxy_pass http://127.0.0.1:1; proxy_pass http://127.0.0.1:2; }',
	qr/"proxy_pass" directive is duplicate in \S+bad.conf:5/, 'duplicate proxy_pass');
conf_error('proxy_pass http://127.0.0.1:1;',
	qr/"proxy_pass" directive is not allowed here in \S+bad.conf:5/, 'proxy_pass in server');
conf_error('location /x { proxy_pass http://127.0.0.1:99999; }',
	qr/invalid port in upstream .* in \S+bad.conf:5/, 'invalid port');
conf_error('location /x { proxy_pass http://127.0.0.1:1; proxy_http_version 2.0; }',
	qr/invalid value "2.0" in "proxy_http_version" directive.* in \S+bad.conf:5/,
	'proxy_http_version 2.0');
conf_error('proxy_set_header X;',
	qr/invalid number of arguments in "proxy_set_header" directive in \S+bad.conf:5/,
	'proxy_set_header with one argument');
conf_error('proxy_set_body a; proxy_set_body b;',
	qr/"proxy_set_body" directive is duplicate in \S+bad.conf:5/, 'proxy_set_body twice');
conf_error('proxy_method GET; proxy_method POST;',
	qr/"proxy_method" directive is duplicate in \S+bad.conf:5/, 'proxy_method twice');
conf_error('proxy_pass_request_headers maybe;',
	qr/invalid value "maybe" in "proxy_pass_request_headers" directive.* in \S+bad.conf:5/,
	'proxy_pass_request_headers maybe');
conf_error('proxy_pass_request_body maybe;',
	qr/invalid value "maybe" in "proxy_pass_request_body" directive.* in \S+bad.conf:5/,
	'proxy_pass_request_body maybe');
conf_error('location /x { proxy_pass http://nonexistent.invalid:80; }',
	qr/host not found in upstream "nonexistent.invalid(:80)?" in \S+bad.conf:5/,
	'unknown host');
conf_error('proxy_cache zone1;',
	qr/proxy_cache "zone1": lintel has no proxy cache yet; only "proxy_cache off" is accepted in \S+bad.conf:5/,
	'proxy_cache with a zone');
conf_error('proxy_cache_bypass \$nosuchvar;',
	qr/unknown "nosuchvar" variable/, 'proxy_cache_bypass with an unknown variable');
conf_error('proxy_no_cache;',
	qr/invalid number of arguments in "proxy_no_cache" directive in \S+bad.conf:5/,
	'proxy_no_cache without arguments');
conf_error('proxy_force_ranges yes;',
	qr/invalid value "yes" in "proxy_force_ranges" directive.* in \S+bad.conf:5/,
	'proxy_force_ranges yes');
conf_error('proxy_headers_hash_max_size x;',
	qr/invalid value "x" in "proxy_headers_hash_max_size" directive.* in \S+bad.conf:5/,
	'proxy_headers_hash_max_size x');
conf_error('proxy_headers_hash_bucket_size x;',
	qr/invalid value "x" in "proxy_headers_hash_bucket_size" directive.* in \S+bad.conf:5/,
	'proxy_headers_hash_bucket_size x');
