#!/usr/bin/perl

# allow and deny: the first matching rule decides, in order; a level with rules
# replaces the inherited ones; CIDR ranges, single addresses, "all", "unix:"
# (over a unix socket); limit_except blocks; satisfy any/all; the 403 and its log
# line; error_page 403; the configuration errors.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::UNIX;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_access http_rewrite/)->plan(21);
my $dir = $t->testdir();

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        listen unix:$dir/unix.sock;
        root $dir/html;

        deny 192.0.2.1;

        location / { }
        location /deny-all/ { deny all; }
        location /allow-local/ { allow 127.0.0.0/8; deny all; }
        location /allow-other/ { allow 10.0.0.0/8; allow 2001:db8::/32; deny all; }
        location /first-wins/ { deny 127.0.0.1; allow all; }
        location /host/ { allow 127.0.0.1; deny all; }
        location /nested/ {
            deny all;
            location /nested/open/ { allow all; }
        }
        location /unix/ { deny unix:; }
        location /limit/ {
            limit_except GET { deny all; }
        }
        location /any/ { satisfy any; deny all; }
        location /rewrite-first/ { deny all; return 200 "return runs before access\n"; }
        location /page/ { deny all; error_page 403 /denied; }
        location = /denied { return 200 "denied page\n"; }
    }
}
END

for my $d (qw/deny-all allow-local allow-other first-wins host nested nested\/open unix
	limit any page/)
{
	(my $n = $d) =~ s{/}{ }g;
	$t->write_file("html/$d/index.html", "$n\n");
}
$t->write_file('html/index.html', "open\n");

$t->run();

my $r;

sub get {
	my ($uri, %o) = @_;
	my $r = http(($o{method} // 'GET') . " $uri HTTP/1.0\nHost: localhost\n\n", %o);
	my $s = http_status($r) // 'none';
	return $s == 200 ? http_body($r) : $s;
}

is(get('/'), "open\n", 'no matching rule: open');
is(get('/deny-all/'), 403, 'deny all');
is(get('/allow-local/'), "allow-local\n", 'allow 127.0.0.0/8 before deny all');
is(get('/allow-other/'), 403, 'other ranges do not match: deny all');
is(get('/first-wins/'), 403, 'the first matching rule wins');
is(get('/host/'), "host\n", 'a single address');
is(get('/rewrite-first/'), "return runs before access\n",
	'return (rewrite phase) answers before the access phase');
is(get('/nested/'), 403, 'deny all in the outer location');
is(get('/nested/open/'), "nested open\n", 'a nested level with rules replaces the inherited ones');

# limit_except: GET (and HEAD) pass, other methods meet "deny all"

is(get('/limit/'), "limit\n", 'limit_except GET: GET passes');
is(get('/limit/', method => 'HEAD'), "", 'limit_except GET: HEAD passes');
is(get('/limit/', method => 'POST'), 403, 'limit_except GET: POST is denied');
is(get('/limit/', method => 'DELETE'), 403, 'limit_except GET: DELETE is denied');

# satisfy any: with no module granting, the refusal stands

is(get('/any/'), 403, 'satisfy any: denied when nothing grants');

# error_page 403

$r = http_get('/page/x');
is(http_status($r) . ' ' . http_body($r), "403 denied page\n",
	'error_page 403: its page, with the 403 status');

# unix: clients on a unix socket

$r = '';
if (my $s = IO::Socket::UNIX->new(Peer => "$dir/unix.sock")) {
	print $s "GET /unix/ HTTP/1.0\r\n\r\n";
	local $/;
	$r = <$s> // '';
}
is(http_status($r), 403, 'deny unix: a unix socket client');
is(get('/unix/'), "unix\n", 'deny unix: a TCP client passes');

# the log line, at error

like($t->read_file('error.log'), qr/\[error\] .*access forbidden by rule, client: 127\.0\.0\.1.*"GET \/deny-all\/ HTTP\/1\.0"/,
	'the refusal is logged');
my @lines = $t->read_file('error.log') =~ /(access forbidden by rule.*\/any\/)/g;
is(scalar @lines, 1, 'satisfy any: logged once, after the phase');

# configuration errors

my %bad = (
	'http { allow 10.0.0.1/40; }' => qr/invalid parameter "10\.0\.0\.1\/40"/,
	'http { deny nonsense; }' => qr/invalid parameter "nonsense"/,
	'allow all; http { }' => qr/"allow" directive is not allowed here/,
);

my $errors = 0;
for my $conf (sort keys %bad) {
	$t->write_file('bad.conf', "events {}\n$conf\n");
	my ($code, $err) = $t->test_config('bad.conf');
	$errors++ unless $code != 0 && $err =~ $bad{$conf} && $err =~ /bad\.conf:2/;
	diag("$conf: $err") unless $code != 0 && $err =~ $bad{$conf};
}
is($errors, 0, 'configuration errors name the parameter, file and line');

$t->write_file('warn.conf', "events {}\nhttp { allow 10.1.2.3/8; }\n");
my ($code, $err) = $t->test_config('warn.conf');
like($err, qr/\[warn\].*low address bits of 10\.1\.2\.3\/8 are meaningless.*warn\.conf:2/,
	'host bits in a range: a warning');
