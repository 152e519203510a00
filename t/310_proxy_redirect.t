#!/usr/bin/perl

# proxy_redirect: the implicit default (proxy_pass with and without a URI part,
# an upstream name, a unix: socket, a regex location), "default" among explicit
# rules, "off", inheritance and replacement of the inherited rules, variables in
# both parts, regex and caseless regex with captures, first match wins, prefix
# matching is case-sensitive, Refresh ("url=" in any case, no url=), relative
# Location values, absolute_redirect, proxy_pass with variables (no default),
# $upstream_http_location keeps what the backend sent; the configuration errors.
#
# The backend is a small Perl server: it answers each request with the headers
# the request asked for in "X-Send:" lines.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use POSIX ();
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_rewrite http_headers/)->plan(47);
my $dir = $t->testdir();

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    upstream backend {
        server 127.0.0.1:%%PORT_8081%%;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;

        add_header X-UL "\$upstream_http_location" always;

        location / {
            set \$v var_here;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;

            proxy_redirect http://127.0.0.1:%%PORT_8081%%/var_in_second/ /\$v/;
            proxy_redirect http://127.0.0.1:%%PORT_8081%%/\$v/ /replaced/;
            proxy_redirect ~^(.+)/regex_w_([^/]+) \$1/\$2/test.html;
            proxy_redirect ~*re+gexp? /replaced/test.html;
            proxy_redirect ~CASE /case/;
            proxy_redirect http://127.0.0.1:%%PORT_8081%%/first/ /won/;
            proxy_redirect http://127.0.0.1:%%PORT_8081%%/first/x /lost/;
            proxy_redirect http://127.0.0.1:%%PORT_8081%%/host/ http://\$host:\$server_port/h/;
            proxy_redirect /rel/ /relative/;
        }

        location /impl/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/uri/;
        }

        location /expl/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/uri/;
            proxy_redirect wrong wrong;
            proxy_redirect default;
            proxy_redirect http://127.0.0.1:%%PORT_8081%%/other/ /else/;
        }

        location /noslash/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /up/ {
            proxy_pass http://backend/u/;
        }

        location /unix/ {
            proxy_pass http://unix:$dir/b.sock:/s/;
        }

        location /unixnouri/ {
            proxy_pass http://unix:$dir/b.sock;
        }

        location ~ ^/regex/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /vars/ {
            set \$b 127.0.0.1:%%PORT_8081%%;
            proxy_pass http://\$b;
        }

        location /varsrule/ {
            set \$b 127.0.0.1:%%PORT_8081%%;
            proxy_pass http://\$b;
            proxy_redirect http://127.0.0.1:%%PORT_8081%%/ /vr/;
        }

        location /noabs/ {
            absolute_redirect off;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/uri/;
        }

        location /off/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_redirect off;

            location /off/inner/ {
                proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            }

            location /off/on/ {
                proxy_pass http://127.0.0.1:%%PORT_8081%%;
                proxy_redirect http://127.0.0.1:%%PORT_8081%%/off/ /;

                location /off/on/on/ {
                    proxy_pass http://127.0.0.1:%%PORT_8081%%;
                }
            }
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8082%%;
        server_name localhost;

        proxy_redirect http://127.0.0.1:%%PORT_8081%%/srv/ /fromserver/;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
        }

        location /own/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%/;
            proxy_redirect http://127.0.0.1:%%PORT_8081%%/srv/ /own/;
        }
    }
}
END

my ($p0, $p1, $p2) = (port(8080), port(8081), port(8082));
my $b = "http://127.0.0.1:$p1";

my $backend = start_backend($p1, "$dir/b.sock");
$t->run();

###############################################################################

# the implicit default
is(loc('/impl/a.html', "$b/uri/a.html"), "http://localhost:$p0/impl/a.html",
	'implicit default');
is(refresh('/impl/a.html', "7; url=$b/uri/a.html"), '7; url=/impl/a.html',
	'implicit default, Refresh');
is(loc('/noslash/a', "$b/x/a"), "http://localhost:$p0/x/a",
	'implicit default without a URI part');
is(loc('/up/a', "http://backend/u/a"), "http://localhost:$p0/up/a",
	'implicit default with an upstream name');
is(loc('/unix/a', "http://unix:$dir/b.sock:/s/a"), "http://localhost:$p0/unix/a",
	'implicit default with a unix: URL');
is(loc('/unixnouri/a', "http://unix:$dir/b.sock/a"), "http://localhost:$p0/a",
	'implicit default with a unix: URL without a URI part');
is(loc('/regex/a', "$b/q"), "http://localhost:$p0/q", 'implicit default in a regex location');
is(loc('/impl/a', "http://other/uri/a"), 'http://other/uri/a', 'no match: unchanged');
is(loc('/impl/a', "HTTP://127.0.0.1:$p1/uri/a"), "HTTP://127.0.0.1:$p1/uri/a",
	'prefix match is case-sensitive');

# explicit default among other rules
is(loc('/expl/a.html', "$b/uri/a.html"), "http://localhost:$p0/expl/a.html",
	'explicit default');
is(loc('/expl/a.html', "$b/other/a"), "http://localhost:$p0/else/a",
	'rule after the explicit default');
is(refresh('/expl/a.html', "7; url=$b/uri/a.html"), '7; url=/expl/a.html',
	'explicit default, Refresh');

# explicit rules
is(loc('/var_in_second/t.html', "$b/var_in_second/t.html"),
	"http://localhost:$p0/var_here/t.html", 'variable in the replacement');
is(refresh('/x', "7; url=$b/var_in_second/t.html"), '7; url=/var_here/t.html',
	'variable in the replacement, Refresh');
is(loc('/x', "$b/var_here/t.html"), "http://localhost:$p0/replaced/t.html",
	'variable in the pattern');
is(loc('/x', "$b/ReeegEX/t.html"), "http://localhost:$p0/replaced/test.html",
	'caseless regex');
is(loc('/x', "$b/regex_w_captures/t.html"), "$b/captures/test.html",
	'regex with captures');
is(refresh('/x', "7; URL=$b/regex_w_captures/t.html"), "7; URL=$b/captures/test.html",
	'regex with captures, Refresh with URL=');
is(loc('/x', "$b/case/a"), "$b/case/a", 'case-sensitive regex does not match');
is(loc('/x', "$b/CASE/a"), "http://localhost:$p0/case/", 'case-sensitive regex');
is(loc('/x', "$b/first/x/y"), "http://localhost:$p0/won/x/y", 'first match wins');
is(loc('/x', "$b/host/y"), "http://localhost:$p0/h/y", 'variables in an absolute replacement');
is(loc('/x', "/rel/y"), "http://localhost:$p0/relative/y", 'relative Location rewritten');
is(loc('/x', "/other/y"), "/other/y", 'relative Location not rewritten is kept');
is(refresh('/x', "10"), '10', 'Refresh without url=');
is(refresh('/x', "0;url=$b/first/z"), '0;url=/won/z', 'Refresh without a space');

my $r = get('/x', ["Location: $b/first/x/y"]);
is(http_header($r, 'X-UL'), "$b/first/x/y", '$upstream_http_location is what the backend sent');

# absolute_redirect off
is(loc('/noabs/a', "$b/uri/a"), '/noabs/a', 'absolute_redirect off');

# variables in proxy_pass: no default
is(loc('/vars/a', "$b/vars/a"), "$b/vars/a", 'proxy_pass with variables: no default');
is(loc('/varsrule/a', "$b/a"), "http://localhost:$p0/vr/a",
	'proxy_pass with variables: explicit rule');

# off and inheritance
is(loc('/off/t.html', "$b/t.html"), "$b/t.html", 'off');
is(loc('/off/inner/t.html', "$b/t.html"), "$b/t.html", 'off is inherited');
is(loc('/off/on/t.html', "$b/off/on/t.html"), "http://localhost:$p0/on/t.html",
	'rules below off');
is(loc('/off/on/on/t.html', "$b/off/on/on/t.html"), "http://localhost:$p0/on/on/t.html",
	'inherited rules replace the default');
is(loc('/a', "$b/srv/a", port => 8082), "http://localhost:$p2/fromserver/a",
	'server-level rule inherited');
is(loc('/a', "$b/a", port => 8082), "$b/a",
	'server-level rule replaces the implicit default');
is(loc('/own/a', "$b/srv/a", port => 8082), "http://localhost:$p2/own/a",
	'a level with rules replaces the inherited ones');

# configuration errors

# conf_error(BODY[, WANT_CODE]): lintel -t on a server with BODY: its stderr
# when it fails (or its exit code when WANT_CODE)
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

like(conf_error(<<'END'), qr/"proxy_redirect default" should be placed after the "proxy_pass" directive in \S+bad\.conf:7/,
        location / {
            proxy_redirect default;
            proxy_pass http://127.0.0.1:1;
        }
END
	'default before proxy_pass');
like(conf_error(<<'END'), qr/"proxy_redirect default" cannot be used with "proxy_pass" directive with variables in \S+bad\.conf:9/,
        location / {
            set $x 127.0.0.1:1;
            proxy_pass http://$x;
            proxy_redirect default;
        }
END
	'default with variables');
like(conf_error(<<'END'), qr/invalid parameter "foo" in \S+bad\.conf:7/,
        location / {
            proxy_redirect foo;
        }
END
	'invalid parameter');
like(conf_error(<<'END'), qr/"proxy_redirect" directive is duplicate in \S+bad\.conf:9/,
        location / {
            proxy_pass http://127.0.0.1:1;
            proxy_redirect off;
            proxy_redirect / /x/;
        }
END
	'rule after off');
like(conf_error(<<'END'), qr/"proxy_redirect" directive is duplicate in \S+bad\.conf:9/,
        location / {
            proxy_pass http://127.0.0.1:1;
            proxy_redirect / /x/;
            proxy_redirect off;
        }
END
	'off after a rule');
like(conf_error(<<'END'), qr/"proxy_redirect" directive is duplicate in \S+bad\.conf:8/,
        location / {
            proxy_redirect off;
            proxy_redirect off;
        }
END
	'off twice');
like(conf_error(<<'END'), qr/pcre2?_compile\(\) failed: .* in "\(ab" .*in \S+bad\.conf:7|"\(ab".*bad\.conf:7/,
        location / {
            proxy_redirect ~(ab /x/;
        }
END
	'invalid regex');
like(conf_error(<<'END'), qr/invalid number of arguments in "proxy_redirect" directive in \S+bad\.conf:7/,
        location / {
            proxy_redirect a b c;
        }
END
	'too many arguments');
like(conf_error(<<'END'), qr/"proxy_redirect" directive is not allowed here in \S+bad\.conf:8/,
        location / {
            if ($arg_x) {
                proxy_redirect off;
            }
        }
END
	'not in if');
is(conf_error(<<'END', 1), 0, 'valid forms pass -t');
        location / {
            proxy_pass http://127.0.0.1:1/u/;
            proxy_redirect default;
            proxy_redirect ~*^http://x(.*) /y$1;
            proxy_redirect http://$host/ /;
        }
END

###############################################################################

sub get {
	my ($uri, $send, %opts) = @_;
	my $req = "GET $uri HTTP/1.0\nHost: localhost\n"
		. join('', map { "X-Send: $_\n" } @$send) . "\n";
	return http($req, port => $opts{port} || 8080);
}

sub loc {
	my ($uri, $value, %opts) = @_;
	return http_header(get($uri, ["Location: $value"], %opts), 'Location');
}

sub refresh {
	my ($uri, $value, %opts) = @_;
	return http_header(get($uri, ["Refresh: $value"], %opts), 'Refresh');
}

# start_backend(PORT, UNIX_PATH): a child process answering each request with
# "302" and the headers of its X-Send lines
sub start_backend {
	my ($port, $path) = @_;

	my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
		Listen => 32, ReuseAddr => 1) or die "backend: $!\n";
	my $unix = IO::Socket::UNIX->new(Local => $path, Listen => 32) or die "backend: $!\n";
	# the workers may run as another user
	chmod 0755, $dir;
	chmod 0666, $path;

	my $pid = fork();
	die "fork: $!\n" unless defined $pid;

	if ($pid == 0) {
		alarm(120);
		my $sel = IO::Select->new($tcp, $unix);
		while (1) {
			for my $l ($sel->can_read(10)) {
				my $c = $l->accept() or next;
				serve($c);
			}
		}
		POSIX::_exit(0);
	}

	close $tcp;
	close $unix;
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
	print $c "HTTP/1.1 302 Found\r\n", map({ "$_\r\n" } @send),
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
