#!/usr/bin/perl

# TLS session resumption: tickets (the default; the key is made by the master,
# so every worker takes the others' tickets), ssl_session_ticket_key files
# (the first encrypts, the others still decrypt), ssl_session_cache builtin,
# shared (a session made on one worker resumes on another), none and off,
# ssl_session_timeout, in TLSv1.2 and TLSv1.3.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::SSL;

my $t = Lintel::Test->new()->has(qw/http http_ssl http_rewrite/)->plan(17);
my $dir = $t->testdir();

ssl_cert($t, 'localhost');
$t->write_file('old.key', 'o' x 80);
$t->write_file('new.key', 'n' x 48);

my $conf = <<"END";
%%TEST_GLOBALS%%
daemon off;
worker_processes 2;
events {}
http {
    access_log off;
    ssl_certificate $dir/localhost.crt;
    ssl_certificate_key $dir/localhost.key;

    server {
        listen 127.0.0.1:%%PORT_8443%% ssl reuseport;
        location / { return 200 "reused=\$ssl_session_reused pid=\$pid"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8444%% ssl reuseport;
        ssl_session_tickets off;
        ssl_session_cache shared:SSL:1m;
        location / { return 200 "reused=\$ssl_session_reused pid=\$pid"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8445%% ssl;
        ssl_session_tickets off;
        ssl_session_cache builtin:100;
        location / { return 200 "reused=\$ssl_session_reused pid=\$pid"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8446%% ssl;
        ssl_session_tickets off;
        ssl_session_cache none;
        location / { return 200 "reused=\$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8447%% ssl;
        ssl_session_tickets off;
        ssl_session_cache off;
        location / { return 200 "reused=\$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8448%% ssl;
        ssl_session_ticket_key $dir/KEYS;
        location / { return 200 "reused=\$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8450%% ssl;
        ssl_session_cache shared:Z:1m;
        location / { return 200 "reused=\$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8451%% ssl;
        ssl_session_cache shared:Z:1m;
        location / { return 200 "reused=\$ssl_session_reused"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8449%% ssl;
        ssl_session_tickets off;
        ssl_session_cache shared:SHORT:1m;
        ssl_session_timeout 1s;
        location / { return 200 "reused=\$ssl_session_reused"; }
    }
}
END

my $c1 = $conf;
$c1 =~ s{ssl_session_ticket_key \Q$dir\E/KEYS;}{ssl_session_ticket_key $dir/old.key;};
$t->write_file_expand('lintel.conf', $c1);
$t->run();

# reuse(PORT, VERSION): (first, second) $ssl_session_reused with one context
sub reuse {
	my ($port, $version, $n) = @_;
	my $ctx = ssl_context();
	my @r;
	for (1 .. ($n || 2)) {
		my $r = https_get('/', port => $port, ctx => $ctx,
			$version ? (SSL_version => $version) : ());
		push @r, $r =~ /reused=(\S)/ ? $1 : '?';
	}
	return join '', @r;
}

my $ctx;

is(reuse(8443), '.r', 'tickets by default (TLSv1.3)');
is(reuse(8443, 'TLSv1_2'), '.r', 'tickets by default (TLSv1.2)');
is(reuse(8444), '.r', 'shared cache (TLSv1.3)');
is(reuse(8444, 'TLSv1_2'), '.r', 'shared cache (TLSv1.2)');
# builtin is per worker: a connection taken by the other worker does a full handshake
# (and gives the client a new session); one taken by the worker that served the one
# before resumes. Which worker accepts is the kernel's choice, so the test looks at
# the pairs of connections that the same worker served.
{
	my $c = ssl_context();
	my ($pairs, $resumed, $prev) = (0, 0, '');
	for (1 .. 16) {
		my $r = https_get('/', port => 8445, ctx => $c);
		my ($reused, $pid) = $r =~ /reused=(\S) pid=(\d+)/ or next;
		if ($pid eq $prev) {
			$pairs++;
			$resumed++ if $reused eq 'r';
		}
		$prev = $pid;
	}
	SKIP: {
		skip 'no two connections in a row on one worker', 1 if $pairs == 0;
		is($resumed, $pairs, "builtin cache: resumed on the same worker ($resumed of $pairs)");
	}
}
is(reuse(8446), '..', 'cache none: not reused');
is(reuse(8447), '..', 'cache off: not reused');
is(reuse(8448), '.r', 'ticket key file');

# servers that share a cache zone share its ticket key (no key file)
{
	my $c = ssl_context();
	https_get('/', port => 8450, ctx => $c, SSL_session_key => 'zone');
	my ($r2) = https_get('/', port => 8451, ctx => $c, SSL_session_key => 'zone');
	like($r2, qr/reused=r/, 'ticket of one server resumed on another sharing the zone');
}

# with two workers and reuseport, connections spread; every one resumes
my %pids;
$ctx = ssl_context();
my $first = https_get('/', port => 8444, ctx => $ctx);
my $all = 1;
for (1 .. 20) {
	my $r = https_get('/', port => 8444, ctx => $ctx);
	$all = 0 unless $r =~ /reused=r/;
	$pids{$1} = 1 if $r =~ /pid=(\d+)/;
}
ok($all, 'shared cache: every later connection resumed');
SKIP: {
	skip 'all connections went to one worker', 1 if keys %pids < 2;
	ok(keys %pids >= 2, 'shared cache: sessions resumed on both workers');
}

%pids = ();
$ctx = ssl_context();
https_get('/', port => 8443, ctx => $ctx);
$all = 1;
for (1 .. 20) {
	my $r = https_get('/', port => 8443, ctx => $ctx);
	$all = 0 unless $r =~ /reused=r/;
	$pids{$1} = 1 if $r =~ /pid=(\d+)/;
}
ok($all, 'tickets: every later connection resumed, whatever the worker');
ok(keys %pids >= 1, 'tickets: workers seen ' . scalar(keys %pids));

# ssl_session_timeout: an expired session is not resumed
$ctx = ssl_context();
https_get('/', port => 8449, ctx => $ctx, SSL_version => 'TLSv1_2');
select undef, undef, undef, 2.2;
like(https_get('/', port => 8449, ctx => $ctx, SSL_version => 'TLSv1_2'), qr/reused=\./,
	'ssl_session_timeout: expired session not resumed');

# key rotation: a ticket of the old key is still taken when the old key
# follows a new first key; not at all when the old key is gone
$ctx = ssl_context();
https_get('/', port => 8448, ctx => $ctx);
my $c2 = $conf;
$c2 =~ s{ssl_session_ticket_key \Q$dir\E/KEYS;}
	{ssl_session_ticket_key $dir/new.key;\n        ssl_session_ticket_key $dir/old.key;};
$t->write_file_expand('lintel.conf', $c2);
$t->reload();
like(https_get('/', port => 8448, ctx => $ctx), qr/reused=r/, 'old key still decrypts');

$ctx = ssl_context();
https_get('/', port => 8448, ctx => $ctx);
my $c3 = $conf;
$c3 =~ s{ssl_session_ticket_key \Q$dir\E/KEYS;}{ssl_session_ticket_key $dir/new.key;};
$t->write_file_expand('lintel.conf', $c3);
$t->reload();
like(https_get('/', port => 8448, ctx => $ctx), qr/reused=r/, 'a new-key ticket resumes');

$ctx = ssl_context();
https_get('/', port => 8448, ctx => $ctx);
$t->write_file_expand('lintel.conf', $c1);
$t->reload();
like(https_get('/', port => 8448, ctx => $ctx), qr/reused=\./, 'a ticket of a removed key: full handshake');
