#!/usr/bin/perl

# The rewrite module: return (codes, texts, URLs, 444, error_page), rewrite with
# each flag (none, last, break, redirect, permanent, and http://, https://, $scheme
# replacements), arguments (kept, added, dropped), captures and their escaping,
# cycles, break, set (plain variables, $args, $limit_rate, uninitialized ones), if
# with every kind of condition (variables, =, !=, regexes with captures, file
# tests), an if block's own configuration, server-level directives, rewrite_log,
# and configuration errors.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_rewrite/)->plan(186);
my $dir = $t->testdir();

$t->write_file('html/file.txt', "plain file\n");
$t->write_file('html/brk/file.txt', "break file\n");
$t->write_file('html/if/conf/f.txt', "main root\n");
$t->write_file('alt/if/conf/f.txt', "alternative root\n");
$t->write_file('files/plain', '');
$t->write_file('files/exec', '');
chmod 0755, "$dir/files/exec";
mkdir "$dir/files/dir";
symlink "$dir/files/plain", "$dir/files/link";

$t->write_file_expand('lintel.conf', <<'END');
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    rewrite_log on;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root %%TESTDIR%%/html;

        rewrite ^/srv/old(.*)$ /srv/new$1 last;
        rewrite ^/once(.*)$ /once-more$1;
        if ($arg_srvif = yes) {
            return 403;
        }
        if ($arg_srvrw) {
            rewrite ^ /dst/srvrw last;
        }
        set $srvvar "from-server";

        location /srv/new { return 200 "srv-new uri=$uri args=$args"; }
        location /srvvar { return 200 "srvvar=$srvvar"; }

        location /dst/ { return 200 "dst uri=$uri args=$args"; }
        location /int { internal; return 200 "internal uri=$uri"; }

        # return
        location /ret/200 { return 200 "text"; }
        location /ret/200var { return 200 "uri=$uri arg=$arg_a"; }
        location /ret/200empty { return 200; }
        location /ret/user { return 200 "user=[$remote_user]"; }
        location /ret/204 { return 204; }
        location /ret/404 { return 404; }
        location /ret/404text { return 404 "custom not found"; }
        location /ret/301 { return 301 /target; }
        location /ret/302url { return http://example.com/x; }
        location /ret/307 { return 307 https://example.com/y$is_args$args; }
        location /ret/302text { return 302 "text"; }
        location /ret/306 { return 306; }
        location /ret/444 { return 444; }
        location /ret/errpage { error_page 405 /ret/200; return 405; }
        location /ret/first { return 200 "first"; return 200 "second"; }

        # rewrite
        location /rw/last { rewrite ^/rw/last/(.*)$ /dst/$1 last; return 500; }
        location /rw/noflag {
            rewrite ^/rw/noflag/(.*)$ /dst/$1;
            return 200 "continued uri=$uri";
        }
        location /rw/chain {
            rewrite ^/rw/chain/a$ /rw/chain/b;
            rewrite ^/rw/chain/b$ /dst/chained last;
            return 500;
        }
        location /rw/break { rewrite ^ /file.txt break; return 500; }
        location /rw/redirect { rewrite ^/rw/redirect/(.*)$ /dst/$1 redirect; }
        location /rw/permanent { rewrite ^ /dst/p permanent; }
        location /rw/http { rewrite ^ http://example.com/a; return 500; }
        location /rw/https { rewrite ^ https://example.com/b?; }
        location /rw/scheme { rewrite ^ $scheme://example.com/c; }
        location /rw/redirargs { rewrite ^ http://example.com/d?x=1 redirect; }
        location /rw/args { rewrite ^ /dst/a?x=1 last; }
        location /rw/noargs { rewrite ^ /dst/b? last; }
        location /rw/newargs { rewrite ^ /dst/c?y=2? last; }
        location /rw/nomatch { rewrite ^/nothing /dst/z last; return 200 "nomatch"; }
        location /rw/cycle { rewrite ^ /rw/cycle last; }
        location /rw/cap { rewrite ^/rw/cap/(.*)$ /dst/$1?v=$1 last; }
        location /rw/redircap { rewrite ^/rw/redircap/(.*)$ http://example.com/$1 redirect; }
        location /rw/redirvar { rewrite ^ $arg_to? redirect; }
        location /rw/static { rewrite ^ http://example.com/a%41%20b%3f%41; }
        location /rw/zero { rewrite ^ ?; }
        location /rw/internal { rewrite ^ /int last; }
        location /rw/var { rewrite ^ /dst/$arg_p last; }
        location /rw/named { rewrite "^/rw/named/(?<part>[a-z]+)" /dst/$part last; }
        location /rw/bracket { rewrite ^/rw/bracket/(.*)$ /dst/${arg_p}x$1; return 200 "$uri"; }

        # break
        location /brk/ { rewrite ^/brk/(.*)$ /brk/file.txt; break; return 500; }
        location /brk2 { set $x 1; break; return 500; }

        # set
        location /set/plain {
            set $v "a";
            set $w "$v-b-$arg_x";
            return 200 "w=$w";
        }
        location /set/args { set $args "foo=bar"; return 200 "args=$args foo=$arg_foo"; }
        location /set/rate { set $limit_rate 1000; return 200 "rate=$limit_rate"; }
        location /set/decl { set $declared "x"; return 200 "declared"; }
        location /set/uninit { return 200 "u=[$declared]"; }
        location /set/uninit_off {
            uninitialized_variable_warn off;
            return 200 "u=[$declared2]";
        }
        location /set/decl2 { set $declared2 "y"; }
        location /set/pfx { return 200 "h=${http_x_bar} a=${arg_q}"; }
        location /set/pfxother { set $http_x_bar "set"; set $arg_q "set"; }
        location /set/pfxhere { set $http_x_baz "here"; return 200 "h=$http_x_baz"; }
        location ~ ^/set/cap/(.*)$ { set $c $1; return 200 "c=$c ret=$1"; }
        location /set/rwcap {
            rewrite ^/set/rwcap/(.*)$ /set/rwcap/$1;
            if ($uri ~ ^/set/rwcap/(.*)$) {
                set $c $1;
            }
            return 200 "c=$c";
        }

        # if
        location /if/var { if ($arg_a) { return 200 "true"; } return 200 "false"; }
        location /if/eq { if ($arg_a = foo) { return 200 "eq"; } return 200 "ne"; }
        location /if/ne { if ($arg_a != foo) { return 200 "ne"; } return 200 "eq"; }
        location /if/eqvar { if ($arg_a = $arg_b) { return 200 "same"; } return 200 "diff"; }
        location /if/sp { if ( $arg_a = "x" ) { return 200 "spaces"; } return 200 "no"; }
        location /if/re {
            if ($arg_a ~ ^(\w+)-(\d+)$) { return 200 "m=$1,$2"; }
            return 200 "nomatch";
        }
        location /if/rei { if ($arg_a ~* ^abc$) { return 200 "ci"; } return 200 "no"; }
        location /if/nre { if ($arg_a !~ ^abc$) { return 200 "nre"; } return 200 "no"; }
        location /if/nrei { if ($arg_a !~* ^abc$) { return 200 "nrei"; } return 200 "no"; }
        location /if/named {
            if ($arg_a ~ "^(?<word>[a-z]+)") { return 200 "w=$word"; }
            return 200 "nomatch";
        }
        location /if/f { if (-f %%TESTDIR%%/files/$arg_n) { return 200 "yes"; } return 200 "no"; }
        location /if/nf { if (!-f %%TESTDIR%%/files/$arg_n) { return 200 "yes"; } return 200 "no"; }
        location /if/d { if (-d %%TESTDIR%%/files/$arg_n) { return 200 "yes"; } return 200 "no"; }
        location /if/nd { if (!-d %%TESTDIR%%/files/$arg_n) { return 200 "yes"; } return 200 "no"; }
        location /if/e { if (-e %%TESTDIR%%/files/$arg_n) { return 200 "yes"; } return 200 "no"; }
        location /if/ne2 {
            if (!-e %%TESTDIR%%/files/$arg_n) { return 200 "yes"; }
            return 200 "no";
        }
        location /if/x { if (-x %%TESTDIR%%/files/$arg_n) { return 200 "yes"; } return 200 "no"; }
        location /if/nx { if (!-x %%TESTDIR%%/files/$arg_n) { return 200 "yes"; } return 200 "no"; }
        location /if/reqfile { if (!-f $request_filename) { return 200 "missing"; } }
        location /if/conf {
            if ($arg_alt) {
                root %%TESTDIR%%/alt;
            }
        }
        location /if/continue {
            set $x a;
            if ($arg_q) {
                set $x b;
            }
            set $y "$x-after";
            return 200 "y=$y";
        }
        location /if/rewrite {
            if ($arg_r) {
                rewrite ^ /dst/fromif last;
            }
            return 200 "noif";
        }
        location /if/break {
            if ($arg_b) {
                break;
            }
            return 200 "after";
        }
        location /if/errpage {
            if ($arg_e) {
                error_page 404 /dst/errpage;
            }
            return 404;
        }
        location /if/two {
            if ($arg_a) { set $r "a"; }
            if ($arg_b) { set $r "${r}b"; }
            return 200 "r=$r";
        }
    }
}
END

$t->run();

sub get { http_get(@_) }

# the Location header (http_header() misses the last header line)
sub location {
	my ($r) = @_;
	return $r =~ /^Location: (.*?)\r?$/mi ? $1 : undef;
}

###############################################################################
# return

my $r = get('/ret/200');
is(http_status($r), 200, 'return 200 text: status');
is(http_body($r), 'text', 'return 200 text: body');
is(http_header($r, 'Content-Length'), 4, 'return 200 text: length');
is(http_body(get('/ret/200var?a=b')), 'uri=/ret/200var arg=b', 'return text with variables');

$r = get('/ret/200empty');
is(http_status($r), 200, 'return 200 without text');
is(http_header($r, 'Content-Length'), 0, 'return 200 without text: empty body');
like(get('/ret/204'), qr{^HTTP/1\.1 204 No Content}, 'return 204');

$r = get('/ret/404');
is(http_status($r), 404, 'return 404');
like(http_body($r), qr/404 Not Found/, 'return 404: the error page');
$r = get('/ret/404text');
is(http_status($r), 404, 'return 404 text: status');
is(http_body($r), 'custom not found', 'return 404 text: the text, not the error page');

$r = get('/ret/301');
is(http_status($r), 301, 'return 301');
like(location($r), qr{^http://localhost(:\d+)?/target$},
	'return 301 /target: absolute Location');
$r = get('/ret/302url');
is(http_status($r), 302, 'return URL: 302');
is(location($r), 'http://example.com/x', 'return URL: Location');
$r = get('/ret/307?q=1');
is(http_status($r), 307, 'return 307');
is(location($r), 'https://example.com/y?q=1', 'return 307 URL with variables');
$r = get('/ret/302text');
is(http_status($r), 302, 'return 302 text: status');
is(location($r), 'text', 'return 302 text: Location');
like(get('/ret/306'), qr{^HTTP/1\.1 306 }, 'return 306');
is(get('/ret/444'), '', 'return 444 closes the connection without a response');

$r = get('/ret/errpage');
is(http_status($r), 405, 'error_page to a return: status kept');
is(http_body($r), 'text', 'error_page to a return: its text');
is(http_body(get('/ret/first')), 'first', 'the first return wins');

###############################################################################
# rewrite

is(http_body(get('/rw/last/x')), 'dst uri=/dst/x args=', 'last: new location');
is(http_body(get('/rw/last/x?a=b')), 'dst uri=/dst/x args=a=b', 'last: args kept');
is(http_body(get('/rw/noflag/y')), 'continued uri=/dst/y',
	'no flag: the following directives run');
is(http_body(get('/rw/chain/a')), 'dst uri=/dst/chained args=', 'chained rewrites');

$r = get('/rw/break');
is(http_status($r), 200, 'break flag: status');
is(http_body($r), "plain file\n", 'break flag: served in the same location');

$r = get('/rw/redirect/z?k=v');
is(http_status($r), 302, 'redirect flag: 302');
like(location($r), qr{^http://localhost(:\d+)?/dst/z\?k=v$},
	'redirect flag: relative replacement made absolute, args appended');
$r = get('/rw/permanent');
is(http_status($r), 301, 'permanent flag: 301');
like(location($r), qr{/dst/p$}, 'permanent flag: Location');

$r = get('/rw/http?a=b');
is(http_status($r), 302, 'http:// replacement redirects');
is(location($r), 'http://example.com/a?a=b', 'http:// replacement: args kept');
is(location(get('/rw/https?a=b')), 'https://example.com/b',
	'https:// replacement, final "?" drops the args');
is(location(get('/rw/scheme')), 'http://example.com/c', '$scheme replacement');
is(location(get('/rw/redirargs?a=b')), 'http://example.com/d?x=1&a=b',
	'redirect with args of its own: request args after "&"');

is(http_body(get('/rw/args?a=b')), 'dst uri=/dst/a args=x=1&a=b', 'new args, old appended');
is(http_body(get('/rw/args')), 'dst uri=/dst/a args=x=1', 'new args, no old ones');
is(http_body(get('/rw/noargs?a=b')), 'dst uri=/dst/b args=', 'final "?" drops the args');
is(http_body(get('/rw/newargs?a=b')), 'dst uri=/dst/c args=y=2', 'new args, old dropped');
is(http_body(get('/rw/nomatch')), 'nomatch', 'no match: next directive');

is(http_status(get('/rw/cycle')), 500, 'rewrite cycle: 500');
like($t->read_file('error.log'),
	qr/\[error\].*rewrite or internal redirection cycle while processing "\/rw\/cycle"/,
	'rewrite cycle: logged');

is(http_body(get('/rw/cap/a%20b?o=1')), 'dst uri=/dst/a b args=v=a%20b&o=1',
	'capture: decoded in the URI, escaped in the args');
is(http_body(get('/rw/cap/x%25y')), 'dst uri=/dst/x%y args=v=x%25y', 'capture of "%"');
is(http_body(get('/rw/cap/p+q')), 'dst uri=/dst/p+q args=v=p%2Bq',
	'capture with "+": escaped in the args');
is(location(get('/rw/redircap/a%20b')), 'http://example.com/a%20b',
	'redirect: escaped capture, the space stays encoded');
is(location(get('/rw/redircap/a%2Fb')), 'http://example.com/a/b',
	'redirect: "/" decoded');
is(location(get('/rw/redirvar?to=http%3A%2F%2Fexample.com%2F%3Ffrom')),
	'http://example.com/?from', 'redirect: unescaped up to the decoded "?"');
is(location(get('/rw/redirvar?to=http%3A%2F%2Fexample.com%0D%0Asplit')),
	'http://example.com%0D%0Asplit', 'redirect: CR LF stay encoded');

is(location(get('/rw/static')), 'http://example.com/aA%20b?%41', 'static redirect decoded');
is(location(get('/rw/static?x=y')), 'http://example.com/aA%20b?%41?x=y',
	'static redirect decoded, again ("?" only, as nginx: no literal "?")');
is(http_status(get('/rw/zero')), 500, 'empty rewritten URI: 500');
like($t->read_file('error.log'), qr/\[error\].*the rewritten URI has a zero length/,
	'empty rewritten URI: logged');

is(http_body(get('/rw/internal')), 'internal uri=/int', 'rewrite reaches internal locations');
is(http_status(get('/int')), 404, 'internal location directly: 404');
is(http_body(get('/rw/var?p=zz')), 'dst uri=/dst/zz args=p=zz', 'variable in replacement');
is(http_body(get('/rw/named/abc')), 'dst uri=/dst/abc args=', 'named capture');
is(http_body(get('/rw/bracket/q?p=a')), '/dst/axq', '${var} in a replacement');

like($t->read_file('error.log'),
	qr/\[notice\].*"\^\/rw\/last\/\(\.\*\)\$" matches "\/rw\/last\/x"/,
	'rewrite_log: match');
like($t->read_file('error.log'),
	qr/\[notice\].*rewritten data: "\/dst\/x", args: ""/, 'rewrite_log: rewritten data');
like($t->read_file('error.log'),
	qr/\[notice\].*"\^\/nothing" does not match "\/rw\/nomatch"/, 'rewrite_log: no match');
like($t->read_file('error.log'),
	qr/\[notice\].*rewritten redirect: "http:\/\/example.com\/a\?a=b"/,
	'rewrite_log: redirect');

###############################################################################
# break

$r = get('/brk/anything');
is(http_status($r), 200, 'break after rewrite: status');
is(http_body($r), "break file\n", 'break after rewrite: same location, new URI');
is(http_status(get('/brk2')), 404, 'break: the following directives do not run');

###############################################################################
# set

is(http_body(get('/set/plain?x=c')), 'w=a-b-c', 'set with variables');
is(http_body(get('/set/args?x=1')), 'args=foo=bar foo=bar', 'set $args');
is(http_body(get('/set/rate')), 'rate=1000', 'set $limit_rate');
is(http_body(get('/set/uninit')), 'u=[]', 'a variable not set here is empty');
like($t->read_file('error.log'), qr/\[warn\].*using uninitialized "declared" variable/,
	'uninitialized variable: warning');
is(http_body(get('/set/uninit_off')), 'u=[]', 'uninitialized_variable_warn off: empty');
unlike($t->read_file('error.log'), qr/using uninitialized "declared2" variable/,
	'uninitialized_variable_warn off: no warning');
is(http_body(http("GET /set/pfx?q=1 HTTP/1.0\nHost: localhost\nX-Bar: hb\n\n")),
	'h=hb a=1', 'set elsewhere: a prefix variable keeps its own value');
is(http_body(http("GET /set/pfxhere HTTP/1.0\nHost: localhost\nX-Baz: hz\n\n")),
	'h=here', 'set of a prefix variable ($http_x)');
is(http_body(get('/set/cap/a%20b')), 'c=a%20b ret=a b',
	'set $1 before any rewrite: escaped (as nginx), return $1 not');
is(http_body(get('/set/rwcap/a%20b')), 'c=a b', 'set $1 after a rewrite matched: not escaped');

###############################################################################
# if

is(http_body(get('/if/var?a=1')), 'true', 'if $var: set');
is(http_body(get('/if/var?a=0')), 'false', 'if $var: "0" is false');
is(http_body(get('/if/var?a=')), 'false', 'if $var: empty is false');
is(http_body(get('/if/var')), 'false', 'if $var: not found is false');
is(http_body(get('/if/var?a=00')), 'true', 'if $var: "00" is true');
is(http_body(get('/if/eq?a=foo')), 'eq', 'if =: equal');
is(http_body(get('/if/eq?a=fooo')), 'ne', 'if =: not equal');
is(http_body(get('/if/ne?a=bar')), 'ne', 'if !=: different');
is(http_body(get('/if/ne?a=foo')), 'eq', 'if !=: same');
is(http_body(get('/if/eqvar?a=x&b=x')), 'same', 'if = with a variable operand');
is(http_body(get('/if/eqvar?a=x&b=y')), 'diff', 'if = with a variable operand: different');
is(http_body(get('/if/sp?a=x')), 'spaces', 'if with spaces inside the parentheses');
is(http_body(get('/if/re?a=ab-12')), 'm=ab,12', 'if ~: captures');
is(http_body(get('/if/re?a=AB-x')), 'nomatch', 'if ~: no match');
is(http_body(get('/if/rei?a=AbC')), 'ci', 'if ~*: caseless');
is(http_body(get('/if/rei?a=abd')), 'no', 'if ~*: no match');
is(http_body(get('/if/nre?a=ABC')), 'nre', 'if !~: case-sensitive negative');
is(http_body(get('/if/nre?a=abc')), 'no', 'if !~: matches');
is(http_body(get('/if/nrei?a=xyz')), 'nrei', 'if !~*: negative');
is(http_body(get('/if/nrei?a=ABC')), 'no', 'if !~*: matches caseless');
is(http_body(get('/if/named?a=hello1')), 'w=hello', 'if ~ with a named capture');

is(http_body(get('/if/f?n=plain')), 'yes', '-f file');
is(http_body(get('/if/f?n=dir')), 'no', '-f dir');
is(http_body(get('/if/f?n=link')), 'yes', '-f symlink to a file');
is(http_body(get('/if/nf?n=dir')), 'yes', '!-f dir');
is(http_body(get('/if/nf?n=plain')), 'no', '!-f file');
is(http_body(get('/if/d?n=dir')), 'yes', '-d dir');
is(http_body(get('/if/d?n=plain')), 'no', '-d file');
is(http_body(get('/if/nd?n=plain')), 'yes', '!-d file');
is(http_body(get('/if/nd?n=dir')), 'no', '!-d dir');
is(http_body(get('/if/e?n=plain')), 'yes', '-e file');
is(http_body(get('/if/e?n=dir')), 'yes', '-e dir');
is(http_body(get('/if/e?n=none')), 'no', '-e missing');
is(http_body(get('/if/ne2?n=none')), 'yes', '!-e missing');
is(http_body(get('/if/ne2?n=plain')), 'no', '!-e file');
is(http_body(get('/if/x?n=exec')), 'yes', '-x executable');
is(http_body(get('/if/x?n=plain')), 'no', '-x not executable');
is(http_body(get('/if/nx?n=plain')), 'yes', '!-x not executable');
is(http_body(get('/if/nx?n=none/x')), 'yes', '!-x under a missing directory');
is(http_body(get('/if/reqfile/none')), 'missing', '!-f $request_filename');

is(http_body(get('/if/conf/f.txt')), "main root\n", 'if false: the location\'s root');
is(http_body(get('/if/conf/f.txt?alt=1')), "alternative root\n", 'if true: the block\'s root');
is(http_body(get('/if/continue')), 'y=a-after', 'if false: skipped');
is(http_body(get('/if/continue?q=1')), 'y=b-after', 'if true: execution goes on after it');
is(http_body(get('/if/rewrite?r=1')), 'dst uri=/dst/fromif args=r=1', 'rewrite last in if');
is(http_body(get('/if/rewrite')), 'noif', 'rewrite in a false if');
is(http_status(get('/if/break?b=1')), 404, 'break in if stops everything');
is(http_body(get('/if/break')), 'after', 'break in a false if');
$r = get('/if/errpage?e=1');
is(http_status($r), 404, 'error_page of the if block: status');
is(http_body($r), 'dst uri=/dst/errpage args=', 'error_page of the if block: its page');
like(http_body(get('/if/errpage')), qr/404 Not Found/, 'no error_page without the if');
is(http_body(get('/if/two?a=1&b=1')), 'r=ab', 'two if blocks in a row');

###############################################################################
# server level

is(http_body(get('/srv/old/x?q=1')), 'srv-new uri=/srv/new/x args=q=1',
	'server rewrite last');
is(http_status(get('/dst/a?srvif=yes')), 403, 'server if');
is(http_body(get('/dst/a?srvrw=1')), 'dst uri=/dst/srvrw args=srvrw=1', 'rewrite in server if');
is(http_body(get('/srvvar')), 'srvvar=from-server', 'server set, seen in a location');

get('/once');
my @once = $t->read_file('error.log') =~ /"\^\/once\(\.\*\)\$" matches "\/once"/g;
is(scalar @once, 1, 'server directives run once when no location matches');

###############################################################################
# configuration errors, with file and line

sub conf_error {
	my ($body, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n"
		. "server {\nlisten 127.0.0.1:8099;\n$body\n}\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	is($code, 1, "$name: exit 1");
	like($err, $re, "$name: message");
}

my $at = qr/ in \Q$dir\E\/bad\.conf:6/;

conf_error('return abc;', qr/\[emerg\] invalid return code "abc"$at/, 'return abc');
conf_error('return 1000;', qr/\[emerg\] invalid return code "1000"$at/, 'return 1000');
conf_error('rewrite ^ /x foo;', qr/\[emerg\] invalid parameter "foo"$at/, 'rewrite flag');
conf_error('rewrite ^ "";', qr/\[emerg\] empty replacement$at/, 'empty replacement');
conf_error('rewrite "(" /x;', qr/\[emerg\] .*"\("$at/, 'bad regex');
conf_error('rewrite ^ /x$;', qr/\[emerg\] invalid variable name$at/, 'rewrite "$" at the end');
conf_error('rewrite ^ /${x;', qr/\[emerg\] the closing bracket in "x" variable is missing$at/,
	'rewrite unclosed ${');
conf_error('set foo bar;', qr/\[emerg\] invalid variable name "foo"$at/, 'set without $');
conf_error('set $uri x;', qr/\[emerg\] the duplicate "uri" variable$at/,
	'set a read-only variable');
conf_error('set $a $nonexistent;', qr/\[emerg\] unknown "nonexistent" variable/,
	'set with an unknown variable');
conf_error('if ($a ~~ b) { }', qr/\[emerg\] unexpected "~~" in condition$at/, 'if operator');
conf_error('if (a) { }', qr/\[emerg\] invalid condition "a"$at/, 'if without a variable');
conf_error('if $a) { }', qr/\[emerg\] invalid condition "\$a\)"$at/, 'if without "("');
conf_error('if ($a { }', qr/\[emerg\] invalid condition "\$a"$at/, 'if without ")"');
conf_error('if (-z /x) { }', qr/\[emerg\] invalid condition "-z"$at/, 'if file operator');
conf_error('if ($a = b c) { }', qr/\[emerg\] invalid condition "\$a"$at/, 'if too many args');
conf_error('if ($a ~ "(") { }', qr/\[emerg\] .*"\("$at/, 'if bad regex');
conf_error('if ($a) { if ($b) { } }', qr/\[emerg\] "if" directive is not allowed here$at/,
	'nested if');
conf_error('rewrite ^ /${1};', qr/\[emerg\] unknown "1" variable/, '${1} is not a capture');
conf_error('rewrite ^;', qr/\[emerg\] invalid number of arguments in "rewrite" directive$at/,
	'rewrite with one argument');
conf_error('break 1;', qr/\[emerg\] invalid number of arguments in "break" directive$at/,
	'break with an argument');
conf_error('rewrite_log maybe;', qr/\[emerg\] .*"rewrite_log"/, 'rewrite_log value');

$t->write_file('http.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\nreturn 200;\n}\n");
my ($code, $err) = $t->test_config('http.conf');
like($err, qr/\[emerg\] "return" directive is not allowed here in \Q$dir\E\/http\.conf:4/,
	'return in http{}');

# $remote_user from "Authorization: Basic" (user:secret, and a password with ":")
sub user_of {
	my ($auth) = @_;
	return http_body(http("GET /ret/user HTTP/1.0\nHost: localhost\n"
		. ($auth ? "Authorization: $auth\n" : '') . "\n"));
}
is(user_of('Basic dXNlcjpzZWNyZXQ='), 'user=[user]', '$remote_user');
is(user_of('basic   dTphOmI='), 'user=[u]', '$remote_user: scheme case, spaces, ":" in the password');
is(user_of('Bearer dXNlcjpzZWNyZXQ='), 'user=[]', '$remote_user: not Basic');
is(user_of('Basic !!!'), 'user=[]', '$remote_user: not base64');

###############################################################################
