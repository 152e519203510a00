#!/usr/bin/perl

# proxy_cookie_domain, proxy_cookie_path, proxy_cookie_flags: plain, dotted,
# caseless and regex domains (the dot kept), path prefixes (case-sensitive),
# variables, regex and caseless regex with captures, first match wins, several
# Set-Cookie headers, attribute names in any case, an unchanged cookie keeps its
# bytes, a changed one is rebuilt with "; ", cookies without "=", flags set /
# reset / removed, a cookie name from a variable or a regex, flags from
# variables (empty and unknown ones skipped), setting wins over removing, "off"
# and inheritance, $upstream_http_set_cookie keeps what the backend sent; the
# configuration errors.
#
# The backend is a small Perl server: it answers each request with the headers
# the request asked for in "X-Send:" lines.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use POSIX ();
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_rewrite http_headers/)->plan(56);
my $dir = $t->testdir();

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;

            proxy_cookie_domain www.example.org .example.com;
            proxy_cookie_domain .\$server_name.com en.\$server_name.org;
            proxy_cookie_domain ~^(.+)\\.com\$ \$1.org;
            proxy_cookie_domain first.net won.net;
            proxy_cookie_domain first.net lost.net;

            proxy_cookie_path /path/ /new/;
            proxy_cookie_path /\$server_name/ /new/\$server_name/;
            proxy_cookie_path ~^/regex/(.+)\$ /\$1;
            proxy_cookie_path ~*^/caseless/(.+)\$ /\$1;
            proxy_cookie_path ~^/CS/ /cs/;
            proxy_cookie_path /first/ /won/;
            proxy_cookie_path /first/x /lost/;

            location /off/ {
                proxy_pass http://127.0.0.1:%%PORT_8081%%;
                proxy_cookie_domain off;
                proxy_cookie_path off;
            }

            location /inherit/ {
                proxy_pass http://127.0.0.1:%%PORT_8081%%;
            }

            location /replace/ {
                proxy_pass http://127.0.0.1:%%PORT_8081%%;
                proxy_cookie_path / /r/;
            }
        }

        location /flags/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;

            proxy_cookie_flags a secure httponly samesite=none;
            proxy_cookie_flags b secure httponly samesite=lax;
            proxy_cookie_flags c secure httponly samesite=strict;
            proxy_cookie_flags d nosecure nohttponly nosamesite;
            proxy_cookie_flags e secure nosecure;
            proxy_cookie_flags f unknown;
            proxy_cookie_flags A2 httponly;
            proxy_cookie_flags \$arg_complex secure;
            proxy_cookie_flags ~BAR httponly;
            proxy_cookie_flags ~^first samesite=lax;
            proxy_cookie_flags firstcookie samesite=strict;

            location /flags/off/ {
                proxy_pass http://127.0.0.1:%%PORT_8081%%;
                proxy_cookie_flags off;
            }
        }

        location /var/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
            proxy_cookie_flags \$arg_v \$arg_f1 \$arg_f2 \$arg_f3;
        }

        location /all/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
            add_header X-USC "\$upstream_http_set_cookie" always;
            proxy_cookie_domain backend.internal example.com;
            proxy_cookie_path /two/ /one/;
            proxy_cookie_flags ~ secure samesite=lax;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8082%%;
        server_name localhost;

        proxy_cookie_path /s/ /server/;
        proxy_cookie_flags ~ httponly;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /noflags/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
            proxy_cookie_flags off;
        }
    }
}
END

my $backend = start_backend(port(8081));
$t->run();

###############################################################################

# domains
is(cookie('/', 'v=1; Domain=www.Example.org'), 'v=1; Domain=example.com', 'domain');
is(cookie('/', 'v=1; Domain=.LocalHost.com'), 'v=1; Domain=.en.localhost.org',
	'domain with variables, the dot kept');
is(cookie('/', 'v=1; Domain=.www.example.org'), 'v=1; Domain=.example.com',
	'dotted domain');
is(cookie('/', 'v=1; Domain=www.example.COM'), 'v=1; Domain=www.example.org',
	'domain regex is caseless');
is(cookie('/', 'v=1; Domain=first.net'), 'v=1; Domain=won.net', 'domain: first match wins');
is(cookie('/', 'v=1; Domain=sub.www.example.org'), 'v=1; Domain=sub.www.example.org',
	'domain must match whole');
is(cookie('/', 'v=1;domain=www.example.org'), 'v=1; domain=example.com',
	'attribute name in any case, rebuilt with "; "');

# paths
is(cookie('/', 'v=1; Path=/path/t.html'), 'v=1; Path=/new/t.html', 'path');
is(cookie('/', 'v=1; Path=/localhost/t.html'), 'v=1; Path=/new/localhost/t.html',
	'path with variables');
is(cookie('/', 'v=1; Path=/regex/t.html'), 'v=1; Path=/t.html', 'path regex');
is(cookie('/', 'v=1; Path=/CASEless/t.html'), 'v=1; Path=/t.html', 'path caseless regex');
is(cookie('/', 'v=1; Path=/cs/t'), 'v=1; Path=/cs/t', 'path regex is case-sensitive');
is(cookie('/', 'v=1; Path=/CS/t'), 'v=1; Path=/cs/', 'path regex replaces the value');
is(cookie('/', 'v=1; Path=/PATH/t'), 'v=1; Path=/PATH/t', 'path prefix is case-sensitive');
is(cookie('/', 'v=1; Path=/first/x/y'), 'v=1; Path=/won/x/y', 'path: first match wins');
is(cookie('/', 'v=1; Domain=www.example.org; Path=/path/t.html'),
	'v=1; Domain=example.com; Path=/new/t.html', 'domain and path');
is(cookie('/', 'v=1;Path=/nomatch;  Domain=x.net ;Secure'),
	'v=1;Path=/nomatch;  Domain=x.net ;Secure', 'unchanged cookie keeps its bytes');
is(cookie('/', 'v = 1 ;  Path = /path/x ;Secure;;Max-Age=5'),
	'v=1; Path=/new/x; Secure; ; Max-Age=5', 'changed cookie rebuilt without spaces');
is(cookie('/', 'novalue; Path=/path/x'), 'novalue; Path=/path/x', 'no "=": left alone');
is(cookie('/', 'v=1; Path'), 'v=1; Path', 'attribute without a value');

my @c = cookies('/', 'a=1; Path=/path/a', 'b=2; Domain=www.example.org', 'c=3');
is(join('|', @c), 'a=1; Path=/new/a|b=2; Domain=example.com|c=3', 'several Set-Cookie');

is(cookie('/off/', 'v=1; Domain=www.example.org; Path=/path/t.html'),
	'v=1; Domain=www.example.org; Path=/path/t.html', 'off');
is(cookie('/inherit/', 'v=1; Domain=www.example.org; Path=/path/t.html'),
	'v=1; Domain=example.com; Path=/new/t.html', 'inherited');
is(cookie('/replace/', 'v=1; Domain=www.example.org; Path=/path/t.html'),
	'v=1; Domain=example.com; Path=/r/path/t.html', 'own rules replace the inherited ones');

# flags
is(cookie('/flags/', 'a=1; Domain=example.org'),
	'a=1; Domain=example.org; Secure; HttpOnly; SameSite=None', 'flags set all');
is(cookie('/flags/', 'b=1; Domain=example.org'),
	'b=1; Domain=example.org; Secure; HttpOnly; SameSite=Lax', 'flags set lax');
is(cookie('/flags/', 'c=1; Domain=example.org'),
	'c=1; Domain=example.org; Secure; HttpOnly; SameSite=Strict', 'flags set strict');
is(cookie('/flags/', 'a=1;Secure;HttpOnly;SameSite=Lax'),
	'a=1; Secure; HttpOnly; SameSite=None', 'flags reset');
is(cookie('/flags/', 'c=1; secure; samesite=strict'),
	'c=1; secure; samesite=strict; HttpOnly', 'flags already set keep their spelling');
is(cookie('/flags/', 'b=1; SameSite=STRICT; Path=/'),
	'b=1; SameSite=Lax; Path=/; Secure; HttpOnly', 'samesite changed where it is');
is(cookie('/flags/', 'd=1;secure;httponly;samesite=lax; Path=/'), 'd=1; Path=/',
	'flags remove');
is(cookie('/flags/', 'e=1'), 'e=1; Secure', 'setting wins over removing');
is(cookie('/flags/', 'e=1; Secure'), 'e=1; Secure', 'setting an existing flag');
is(cookie('/flags/', 'f=1;x=y'), 'f=1;x=y', 'unknown flag: unchanged');
is(cookie('/flags/', 'nx=1;samesite=none'), 'nx=1;samesite=none', 'no rule matches');
is(cookie('/flags/', 'a2=1'), 'a2=1; HttpOnly', 'cookie name is caseless');
is(cookie('/flags/?complex=v', 'v=1'), 'v=1; Secure', 'cookie name from a variable');
is(cookie('/flags/', 'foobarbaz=1'), 'foobarbaz=1; HttpOnly', 'cookie name regex, caseless');
is(cookie('/flags/', 'firstcookie=1'), 'firstcookie=1; SameSite=Lax', 'flags: first match wins');
is(cookie('/flags/off/', 'a=1'), 'a=1', 'flags off');

is(cookie('/var/?v=v&f1=secure&f2=httponly&f3=samesite=none', 'v=1'),
	'v=1; Secure; HttpOnly; SameSite=None', 'flags from variables');
is(cookie('/var/?v=v&f1=nosecure&f2=nohttponly&f3=nosamesite',
	'v=1;secure;httponly;samesite=lax'), 'v=1', 'flags removed from variables');
is(cookie('/var/?v=v&f2=HttpOnly', 'v=1'), 'v=1; HttpOnly', 'empty flags skipped, any case');
is(cookie('/var/?v=v&f1=bogus', 'v=1'), 'v=1', 'only unknown flags: unchanged');

# everything at once
my $r = get('/all/', ['Set-Cookie: sid=7; Domain=.backend.internal; Path=/two/x; HttpOnly']);
is(http_header($r, 'Set-Cookie'),
	'sid=7; Domain=.example.com; Path=/one/x; HttpOnly; Secure; SameSite=Lax',
	'domain, path and flags');
is(http_header($r, 'X-USC'), 'sid=7; Domain=.backend.internal; Path=/two/x; HttpOnly',
	'$upstream_http_set_cookie is what the backend sent');

# server level
is(cookie('/', 'v=1; Path=/s/x', port => 8082), 'v=1; Path=/server/x; HttpOnly',
	'server-level rules inherited');
is(cookie('/noflags/', 'v=1; Path=/s/x', port => 8082), 'v=1; Path=/server/x',
	'flags off below the server level');

# configuration errors

sub conf_error {
	my ($body, $want_code) = @_;
	$t->write_file_expand('bad.conf', <<"END");
error_log $dir/bad-error.log;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8083%%;
$body
    }
}
END
	my ($code, $err) = $t->test_config('bad.conf');
	return $want_code ? $code : $code ? $err : "exit 0: $err";
}

like(conf_error("        proxy_cookie_domain foo;\n"),
	qr/invalid parameter "foo" in \S+bad\.conf:6/, 'domain: invalid parameter');
like(conf_error("        proxy_cookie_path off;\n        proxy_cookie_path off;\n"),
	qr/"proxy_cookie_path" directive is duplicate in \S+bad\.conf:7/, 'path: off twice');
like(conf_error("        proxy_cookie_domain a b;\n        proxy_cookie_domain off;\n"),
	qr/"proxy_cookie_domain" directive is duplicate in \S+bad\.conf:7/,
	'domain: off after a rule');
like(conf_error("        proxy_cookie_flags off;\n        proxy_cookie_flags a secure;\n"),
	qr/"proxy_cookie_flags" directive is duplicate in \S+bad\.conf:7/,
	'flags: a rule after off');
like(conf_error("        proxy_cookie_flags a;\n"),
	qr/invalid parameter "a" in \S+bad\.conf:6/, 'flags: one argument not off');
like(conf_error("        proxy_cookie_flags a secure httponly samesite=lax nosecure;\n"),
	qr/invalid number of arguments in "proxy_cookie_flags" directive in \S+bad\.conf:6/,
	'flags: too many arguments');
like(conf_error("        proxy_cookie_path ~*(x /y;\n"),
	qr/\(x.*in \S+bad\.conf:6/, 'path: invalid regex');
is(conf_error(<<'END', 1), 0, 'valid forms pass -t');
        proxy_cookie_domain ~^(.+)$ $1;
        proxy_cookie_path ~*^/x(.*)$ /y$1;
        proxy_cookie_flags ~ secure httponly samesite=strict;
        proxy_cookie_flags $cookie_x nosecure;
        location / { proxy_pass http://127.0.0.1:1; }
END

###############################################################################

sub get {
	my ($uri, $send, %opts) = @_;
	my $req = "GET $uri HTTP/1.0\nHost: localhost\n"
		. join('', map { "X-Send: $_\n" } @$send) . "\n";
	return http($req, port => $opts{port} || 8080);
}

sub cookies {
	my ($uri, @values) = @_;
	return http_header(get($uri, [map { "Set-Cookie: $_" } @values]), 'Set-Cookie');
}

sub cookie {
	my ($uri, $value, %opts) = @_;
	return scalar http_header(get($uri, ["Set-Cookie: $value"], %opts), 'Set-Cookie');
}

# start_backend(PORT): a child process answering each request with the headers
# of its X-Send lines
sub start_backend {
	my ($port) = @_;

	my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
		Listen => 32, ReuseAddr => 1) or die "backend: $!\n";

	my $pid = fork();
	die "fork: $!\n" unless defined $pid;

	if ($pid == 0) {
		alarm(120);
		while (1) {
			my $c = $tcp->accept() or next;
			serve($c);
		}
		POSIX::_exit(0);
	}

	close $tcp;
	return $pid;
}

sub serve {
	my ($c) = @_;
	my $req = '';
	my $sel = IO::Select->new($c);
	while ($req !~ /\r\n\r\n/) {
		last unless $sel->can_read(5);
		my $n = sysread($c, my $buf, 65536);
		last unless $n;
		$req .= $buf;
	}
	my @send = $req =~ /^X-Send: ?(.*?)\r$/mgi;
	my $body = "ok\n";
	print $c "HTTP/1.1 200 OK\r\n", map({ "$_\r\n" } @send),
		"Content-Length: " . length($body) . "\r\nConnection: close\r\n\r\n$body";
	close $c;
}

END {
	local $?;
	if ($backend) {
		kill 'KILL', $backend;
		waitpid($backend, 0);
	}
}
