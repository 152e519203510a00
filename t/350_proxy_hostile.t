#!/usr/bin/perl

# The reverse proxy against a hostile backend and a hostile client: invalid
# status lines and header lines, bad framing (duplicate Content-Length,
# Content-Length with Transfer-Encoding, invalid chunked bodies, a body longer
# or shorter than announced), 1xx responses, bodies on 204/304/HEAD, too many
# or too big header lines, odd bytes in Location and Set-Cookie, backends that
# never answer, never read, reset or stream forever, an enormous response
# through a slow client (the worker's memory stays bounded); request smuggling
# attempts (the backend logs the exact bytes it receives), request bodies
# over client_max_body_size, clients that go away, pipelining; 200 concurrent
# clients while a backend is killed, and a worker with too few connections;
# X-Accel-Redirect loops and odd targets, CR LF in the URI, WebSocket tunnels
# that idle, close or lose their client, and 60 mutated responses (fixed
# seeds) through buffered, unbuffered and keep-alive locations. After each
# part the worker must be the same process (no crash). nginx 1.22 passes all
# but three checks where lintel is deliberately stricter (said at each one).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Select;
use Socket qw(SOL_SOCKET SO_RCVBUF SO_LINGER);
use POSIX qw(WNOHANG setpgid);
use Time::HiRes qw(sleep time);
use Lintel::Test qw(port wait_until);
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_proxy http_log/);
my $dir = $t->testdir();

$t->plan(139);

$t->allow_alerts(qr/worker_connections are not enough/);

###############################################################################
# the hostile backend: a process per listening port, a child per connection;
# each request read is appended to recv.log as "=== PORT PID N\n" + its bytes;
# what a request gets is chosen by the longest %SCRIPT prefix of its path (the
# part after the first path element, which names the proxy location)

my %SCRIPT;
my @backends;

sub wr {
	my ($c, $data) = @_;
	my $off = 0;
	while ($off < length $data) {
		my $n = syswrite($c, $data, length($data) - $off, $off);
		return 0 unless $n;
		$off += $n;
	}
	return 1;
}

sub note_line {
	my ($file, $line) = @_;
	open my $fh, '>>', "$dir/$file" or return;
	syswrite($fh, "$line\n");
	close $fh;
}

sub ok_answer {
	my ($body, @h) = @_;
	return "HTTP/1.1 200 OK\r\n" . join('', map { "$_\r\n" } @h)
		. 'Content-Length: ' . length($body) . "\r\n\r\n$body";
}

sub read_request {
	my ($c, $buf) = @_;

	my $sel = IO::Select->new($c);
	my $more = sub {
		return 0 unless $sel->can_read(10);
		my $n = sysread($c, $$buf, 65536, length $$buf);
		return $n;
	};

	while (index($$buf, "\r\n\r\n") < 0) {
		return unless $more->();
	}

	my $i = index($$buf, "\r\n\r\n");
	my $head = substr($$buf, 0, $i + 4);
	my $pos = $i + 4;
	my $body = '';

	if ($head =~ /^Content-Length:\s*(\d+)/mi) {
		my $len = $1;
		while (length($$buf) - $pos < $len) {
			return unless $more->();
		}
		$body = substr($$buf, $pos, $len);
		$pos += $len;

	} elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
		for (;;) {
			my $rest = substr($$buf, $pos);
			if ($rest =~ /^([0-9a-fA-F]+)[^\r\n]*\r\n/) {
				my ($hl, $size) = (length $&, hex $1);
				if ($size == 0) {
					if ($rest =~ /^[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n/) {
						$pos += length $&;
						last;
					}
				} elsif (length($rest) >= $hl + $size + 2) {
					$body .= substr($rest, $hl, $size);
					$pos += $hl + $size + 2;
					next;
				}
			}
			return unless $more->();
		}
	}

	my $raw = substr($$buf, 0, $pos, '');
	return ($head, $body, $raw);
}

sub serve {
	my ($c, $port) = @_;
	my $buf = '';
	my $n = 0;

	for (;;) {
		my ($head, $body, $raw) = read_request($c, \$buf);
		last unless defined $head;
		$n++;

		open my $fh, '>>', "$dir/recv.log";
		syswrite($fh, "=== $port $$ $n\n$raw\n");
		close $fh;

		my ($method, $uri) = $head =~ m{^(\S+) (\S+)};
		my ($path) = split /\?/, $uri;
		(my $rest = $path) =~ s{^/[^/]+}{};

		my ($key) = sort { length $b <=> length $a }
			grep { index($path, $_) == 0 || index($rest, $_) == 0 } keys %SCRIPT;
		my $s = defined $key ? $SCRIPT{$key} : undef;

		my $keep;
		if (!defined $s) {
			$keep = wr($c, ok_answer("ok $port\n", "X-Conn: $$-$n"));
		} elsif (ref $s) {
			$keep = $s->($c, $head, $body, "$$-$n", $method);
		} else {
			wr($c, $s);
		}
		last unless $keep;
	}

	shutdown($c, 1);
	close $c;
}

sub start_backend {
	my ($port, %opts) = @_;

	my $server = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
		LocalPort => $port, Listen => 512, ReuseAddr => 1)
		or die "backend on $port: $!\n";

	if ($opts{rcvbuf}) {
		setsockopt($server, SOL_SOCKET, SO_RCVBUF, pack('i', $opts{rcvbuf}));
	}

	my $pid = fork();
	die "fork: $!\n" unless defined $pid;

	if ($pid == 0) {
		setpgid(0, 0);
		$SIG{PIPE} = 'IGNORE';
		alarm 90;

		if ($opts{prefork}) {
			# a pool of processes blocked in accept(): fast enough for the stress
			for (1 .. $opts{prefork}) {
				my $k = fork();
				next if !defined $k || $k;
				for (;;) {
					my $c = $server->accept() or next;
					serve($c, $port);
				}
			}
			sleep 1 while 1;
		}

		$SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
		for (;;) {
			my $c = $server->accept() or next;
			my $child = fork();
			if (defined $child && $child == 0) {
				$SIG{CHLD} = 'DEFAULT';
				alarm 30;
				serve($c, $port);
				POSIX::_exit(0);
			}
			close $c;
		}
	}

	setpgid($pid, $pid);
	close $server;
	push @backends, $pid;
	return $pid;
}

sub kill_backend {
	my ($pid) = @_;
	kill 'KILL', -$pid;
	waitpid($pid, 0);
	@backends = grep { $_ != $pid } @backends;
}

END {
	local $?;
	for my $pid (@backends) {
		kill 'KILL', -$pid;
		waitpid($pid, 0);
	}
}

sub received {
	my ($re) = @_;
	my @r = grep { $_ =~ $re } split /^(?==== )/m, $t->read_file('recv.log');
	return @r;
}

###############################################################################
# the scripts

# fuzz_response(HEAD): a valid response mutated 1-4 times, chosen by the
# request's ?i=N (the same N gives the same bytes)
my @seeds = (
	"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
		. "6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
	"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:" . port(8081) . "/r/a?b\r\n"
		. "Set-Cookie: a=b; Domain=127.0.0.1; Path=/r/\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.0 200 OK\r\nX-Accel-Buffering: no\r\nX-Accel-Limit-Rate: 100000\r\n"
		. "Cache-Control: max-age=1\r\n\r\nuntil close",
);

sub fuzz_response {
	my ($head) = @_;
	my ($i) = $head =~ /[?&]i=(\d+)/;
	srand($i || 0);
	my $r = $seeds[int rand @seeds];
	my @ins = ("\r", "\n", "\0", ':', ' ', '0', 'f', "\xff", "\r\n", "\r\n\r\n", '-',
		'9' x 20, "\t", 'HTTP/1.1 ');
	for (1 .. 1 + int rand 4) {
		my $pos = int rand(length($r) + 1);
		my $op = int rand 5;
		if ($op == 0) {
			substr($r, $pos, 1) = chr(int rand 256) if $pos < length $r;
		} elsif ($op == 1) {
			substr($r, $pos, 0) = $ins[int rand @ins];
		} elsif ($op == 2) {
			substr($r, $pos, 1 + int rand 8) = '';
		} elsif ($op == 3) {
			substr($r, $pos, 0) = substr($r, int(rand(length $r)), 1 + int rand 16);
		} else {
			$r = substr($r, 0, $pos) if $pos > 10;
		}
	}
	return $r;
}

my $big = 'x' x 2000;

%SCRIPT = (
	'/garbage' => "this is no HTTP at all\r\n\r\nreally not\n",
	'/split' => sub {
		my ($c) = @_;
		for my $ch (split //, ok_answer("split\n", 'X-Split: yes')) {
			wr($c, $ch) or return;
			sleep 0.002;
		}
		return 0;
	},
	'/bighdr' => ok_answer("big\n", map { "X-Big-$_: $big" } 1 .. 8),
	'/manyhdr' => ok_answer("many\n", map { "X-N: $_" } 1 .. 10000),
	'/nul' => "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 3\r\n\r\nnul",
	'/barecr' => "HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: evil=1\r\n"
		. "Content-Length: 3\r\n\r\nbcr",
	'/loccr' => "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:"
		. port(8081) . "/x\rSet-Cookie: evil=1\r\nContent-Length: 0\r\n\r\n",
	'/loclf' => "HTTP/1.1 302 Found\r\nLocation: /x%0d%0aSet-Cookie:%20evil=1\r\n"
		. "Content-Length: 0\r\n\r\n",
	'/obsfold' => "HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\nContent-Length: 3\r\n\r\nobs",
	'/spacecolon' => "HTTP/1.1 200 OK\r\nX-A : a\r\nContent-Length: 3\r\n\r\nspc",
	'/dupcl' => "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 10\r\n\r\n"
		. "dupHTTP/1.1 200 OK\r\nX-Smuggled: 1\r\n",
	'/clte' => "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
		. "\r\n5\r\nhello\r\n0\r\n\r\n",
	'/chunkover' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		. "5\r\nhello\r\nffffffffffffffffff\r\nxx\r\n0\r\n\r\n",
	'/chunknocrlf' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		. "5\r\nhelloXX0\r\n\r\n",
	'/chunkneg' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		. "5\r\nhello\r\n-5\r\nhello\r\n0\r\n\r\n",
	'/hugetrailer' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		. "5\r\nhello\r\n0\r\n" . join('', map { "X-T$_: $big\r\n" } 1 .. 100)
		. "\r\n",
	'/cl_big' => "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nok",
	'/cl_neg' => "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nok",
	'/cl_junk' => "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok",
	'/te_gzip' => "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
		. "2\r\nok\r\n0\r\n\r\n",
	'/te_twice' => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n"
		. "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	'/xarloop' => "HTTP/1.1 200 OK\r\nX-Accel-Redirect: /r/xarloop\r\nContent-Length: 0\r\n\r\n",
	'/xarcrlf' => "HTTP/1.1 200 OK\r\nX-Accel-Redirect: /r/x%0d%0aX-Evil:%201\r\n"
		. "Content-Length: 0\r\n\r\n",
	'/xarunsafe' => "HTTP/1.1 200 OK\r\nX-Accel-Redirect: /r/../../etc/passwd\r\n"
		. "Content-Length: 0\r\n\r\n",
	'/fuzz' => sub { my ($c, $head) = @_; wr($c, fuzz_response($head)); return 0 },
	'/k/fuzz' => sub { my ($c, $head) = @_; return wr($c, fuzz_response($head)) },
	'/wsidle' => sub {
		my ($c) = @_;
		wr($c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			. "Connection: Upgrade\r\n\r\nhi");
		my $sel = IO::Select->new($c);
		my $last = time();
		while ($sel->can_read(5)) {
			my $n = sysread($c, my $x, 1024);
			unless ($n) {
				note_line('ws.log', sprintf("eof %.2f", time() - $last));
				return 0;
			}
			wr($c, $x);
			$last = time();
		}
		note_line('ws.log', 'no eof');
		return 0;
	},
	'/wsclose' => "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		. "Connection: Upgrade\r\n\r\nbye",
	'/e100' => "HTTP/1.1 100 Continue\r\n\r\n" . ok_answer("after100\n"),
	'/e103' => "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
		. ok_answer("after103\n"),
	'/cookie' => "HTTP/1.1 200 OK\r\n"
		. "Set-Cookie: a=\x01\x7f\xff\xfe; Path=/; Domain=127.0.0.1\r\n"
		. "Set-Cookie: =\r\n"
		. "Set-Cookie: ;;;;path=;domain=;\r\n"
		. "Set-Cookie: b=c; path\r\n"
		. "Set-Cookie: d=e; Path=/" . ('/' x 3000) . "\r\n"
		. "Set-Cookie: f=g; domain=" . ('.' x 100) . "; path=/\r\n"
		. "Content-Length: 3\r\n\r\ncke",
	'/reset' => sub {
		my ($c) = @_;
		wr($c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" . ('r' x 1000));
		sleep 0.2;
		setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
		close $c;
		POSIX::_exit(0);
	},
	'/never' => sub { sleep 5; return 0 },
	'/hold' => sub {
		# holds the request; notes when lintel closes the connection
		my ($c, undef, undef, $id) = @_;
		my $start = time();
		my $sel = IO::Select->new($c);
		if ($sel->can_read(6)) {
			my $n = sysread($c, my $x, 1);
			note_line('hold.log', sprintf("eof %.2f", time() - $start)) unless $n;
			return 0;
		}
		note_line('hold.log', 'no eof');
		wr($c, ok_answer("held\n"));
		return 0;
	},
	'/forever' => sub {
		my ($c) = @_;
		wr($c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		my $start = time();
		while (time() - $start < 15) {
			unless (wr($c, "400\r\n" . ('f' x 1024) . "\r\n")) {
				note_line('forever.log', sprintf("stopped %.2f", time() - $start));
				return 0;
			}
			sleep 0.01;
		}
		note_line('forever.log', 'still writing');
		return 0;
	},
	'/enormous' => sub {
		my ($c) = @_;
		my $mb = 'e' x 1048576;
		wr($c, "HTTP/1.1 200 OK\r\nContent-Length: " . (100 * 1048576) . "\r\n\r\n");
		for (1 .. 100) {
			wr($c, $mb) or return 0;
		}
		return 0;
	},

	# keep-alive: answers and waits for the next request on the connection
	'/k/ok' => sub {
		my ($c, undef, undef, $id) = @_;
		return wr($c, ok_answer("ok\n", "X-Conn: $id"));
	},
	'/k/longer' => sub {
		my ($c, undef, undef, $id) = @_;
		return wr($c, "HTTP/1.1 200 OK\r\nX-Conn: $id\r\nContent-Length: 5\r\n\r\nhello"
			. "HTTP/1.1 200 OK\r\nX-Smuggled: 1\r\nContent-Length: 6\r\n\r\nEVIL!!");
	},
	'/k/later' => sub {
		# the extra bytes come a moment after the response
		my ($c, undef, undef, $id) = @_;
		wr($c, "HTTP/1.1 200 OK\r\nX-Conn: $id\r\nContent-Length: 5\r\n\r\nhello");
		sleep 0.2;
		return wr($c, "HTTP/1.1 200 OK\r\nX-Smuggled: 1\r\nContent-Length: 6\r\n\r\nEVIL!!");
	},
	'/k/204' => sub {
		my ($c, undef, undef, $id) = @_;
		return wr($c, "HTTP/1.1 204 No Content\r\nX-Conn: $id\r\n\r\n"
			. "HTTP/1.1 200 OK\r\nX-Smuggled: 1\r\nContent-Length: 6\r\n\r\nEVIL!!");
	},
	'/k/304' => sub {
		my ($c, undef, undef, $id) = @_;
		return wr($c, "HTTP/1.1 304 Not Modified\r\nX-Conn: $id\r\nContent-Length: 6\r\n\r\n"
			. "HTTP/1.1 200 OK\r\nX-Smuggled: 1\r\nContent-Length: 6\r\n\r\nEVIL!!");
	},
	'/k/head' => sub {
		my ($c, undef, undef, $id) = @_;
		return wr($c, "HTTP/1.1 200 OK\r\nX-Conn: $id\r\nContent-Length: 6\r\n\r\n"
			. "HTTP/1.1 200 OK\r\nX-Smuggled: 1\r\nContent-Length: 6\r\n\r\nEVIL!!");
	},
	'/k/short' => sub {
		my ($c, undef, undef, $id) = @_;
		wr($c, "HTTP/1.1 200 OK\r\nX-Conn: $id\r\nContent-Length: 100\r\n\r\n0123456789");
		return 0;
	},
	'/k/echo' => sub {
		my ($c, $head, $body, $id) = @_;
		return wr($c, ok_answer("$head$body", "X-Conn: $id"));
	},
	'/k/count' => sub {
		my ($c, $head, $body, $id) = @_;
		return wr($c, ok_answer('len ' . length($body) . ' '
			. ($body =~ /^(b{1024})+\z/ ? 'intact' : 'broken'), "X-Conn: $id"));
	},
	'/k/delay' => sub {
		my ($c, $head, undef, $id) = @_;
		my ($ms) = $head =~ m{/delay/(\d+)};
		sleep(($ms || 0) / 1000);
		return wr($c, ok_answer("delay $ms\n", "X-Conn: $id"));
	},
);

my $b1 = start_backend(port(8081));
my $nonreader = port(8082);
{
	# accepts, never reads
	my $s = IO::Socket::INET->new(Proto => 'tcp', LocalAddr => '127.0.0.1',
		LocalPort => $nonreader, Listen => 16, ReuseAddr => 1) or die "8082: $!\n";
	setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 4096));
	my $pid = fork();
	if ($pid == 0) {
		setpgid(0, 0);
		alarm 60;
		my @keep;
		while (my $c = $s->accept()) {
			push @keep, $c;
			note_line('nonreader.log', 'accepted');
		}
		POSIX::_exit(0);
	}
	setpgid($pid, $pid);
	close $s;
	push @backends, $pid;
}

###############################################################################

my $conf = <<'END';
%%TEST_GLOBALS%%
daemon off;
worker_processes 1;
events { worker_connections %%WC%%; }
http {
    log_format up '$request_uri $status $upstream_status';
    access_log %%TESTDIR%%/access.log up;
    proxy_temp_path %%TESTDIR%%/logs/ptemp;
    client_body_temp_path %%TESTDIR%%/logs/btemp;

    upstream ka {
        server 127.0.0.1:%%PORT_8081%%;
        keepalive 8;
    }

    upstream three {
        server 127.0.0.1:%%PORT_8084%%;
        server 127.0.0.1:%%PORT_8085%%;
        server 127.0.0.1:%%PORT_8086%%;
    }

    proxy_read_timeout 5s;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;

        location /r/ {
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /u/ {
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /small/ {
            proxy_buffer_size 1k;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /ck/ {
            proxy_cookie_domain ~.* example.org;
            proxy_cookie_path ~^/(.*) /p/$1;
            proxy_cookie_flags ~. secure samesite=strict;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /k/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://ka;
        }

        location /ku/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_pass http://ka/k/;
        }

        location /t/ {
            proxy_read_timeout 1s;
            proxy_send_timeout 1s;
            client_max_body_size 8m;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /nr/ {
            proxy_send_timeout 1s;
            client_max_body_size 8m;
            proxy_pass http://127.0.0.1:%%PORT_8082%%;
        }

        location /big/ {
            proxy_buffers 4 16k;
            proxy_max_temp_file_size 1m;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /nrb/ {
            proxy_request_buffering off;
            proxy_http_version 1.1;
            client_max_body_size 10k;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/k/;
        }

        location /nrbbig/ {
            proxy_request_buffering off;
            proxy_http_version 1.1;
            client_max_body_size 0;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/k/;
        }

        location /rb/ {
            client_max_body_size 10k;
            proxy_pass http://127.0.0.1:%%PORT_8081%%/k/;
        }

        location /fz/ {
            proxy_read_timeout 1s;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /fzu/ {
            proxy_read_timeout 1s;
            proxy_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /fzk/ {
            proxy_read_timeout 1s;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://ka/k/;
        }

        location /ws/ {
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 1s;
            proxy_pass http://127.0.0.1:%%PORT_8081%%;
        }

        location /lb/ {
            proxy_pass http://three;
        }
    }
}
END

sub write_conf {
	my ($wc) = @_;
	my $c = $conf;
	$c =~ s/%%WC%%/$wc/;
	$t->write_file_expand('lintel.conf', $c);
}

write_conf(1024);
$t->run();

my ($worker) = wait_until(sub { $t->workers() });
my $errlen = 0;

# new_errors(): what the error log got since the last call
sub new_errors {
	my $log = $t->read_file('error.log');
	my $new = substr($log, $errlen);
	$errlen = length $log;
	return $new;
}

sub get {
	my ($uri, %opts) = @_;
	my $method = $opts{method} || 'GET';
	return http("$method $uri HTTP/1.1\nHost: localhost\nConnection: close\n\n",
		timeout => $opts{timeout} || 8);
}

###############################################################################
# invalid responses

my $r = get('/r/garbage');
is($r, "this is no HTTP at all\r\n\r\nreally not\n",
	'garbage status line: passed as HTTP/0.9, as nginx does');
like(new_errors(), qr/upstream sent no valid HTTP\/1.0 header/, 'garbage: logged');

$r = get('/r/split');
is(http_status($r), 200, 'status line and header in 1-byte writes');
is(http_body($r), "split\n", 'split: the body');
is(http_header($r, 'X-Split'), 'yes', 'split: a header');

$r = get('/small/bighdr');
is(http_status($r), 502, 'header over proxy_buffer_size: 502');
like(new_errors(), qr/upstream sent too big header/, 'too big header: logged');

$r = get('/r/manyhdr');
is(http_status($r), 502, '10000 header lines: 502');

$r = get('/r/nul');
is(http_status($r), 502, 'NUL in a header line: 502');
like(new_errors(), qr/upstream sent invalid header/, 'NUL: logged as an invalid header');

$r = get('/r/barecr');
is(http_status($r), 502, 'bare CR in a header line: 502');
unlike($r, qr/^Set-Cookie: evil/mi, 'bare CR: nothing injected');

$r = get('/r/loccr');
is(http_status($r), 502, 'bare CR in Location: 502');
unlike($r, qr/evil/, 'bare CR in Location: nothing injected');

$r = get('/r/loclf');
is(http_header($r, 'Location'), '/x%0d%0aSet-Cookie:%20evil=1',
	'escaped CRLF in Location: passed as it is');
unlike($r, qr/^Set-Cookie/mi, 'escaped CRLF in Location: no header made of it');

$r = get('/r/obsfold');
is(http_status($r), 502, 'obs-fold header line: 502');

$r = get('/r/spacecolon');
is(http_status($r), 502, 'space before the colon: 502');

$r = get('/r/dupcl');
ok(http_status($r) == 502 || http_status($r) == 200,
	'two different Content-Length: 502 (nginx 1.23) or one of them (1.22)');
unlike($r, qr/Smuggled/, 'two different Content-Length: nothing more passed');

$r = get('/r/clte');
ok(http_status($r) == 502 || http_body($r) eq 'hello',
	'Content-Length and Transfer-Encoding: 502 (nginx 1.23) or chunked wins (1.22)');
ok(http_status($r) == 502 || $r !~ /^Content-Length/mi,
	'Content-Length and Transfer-Encoding: no length passed');

for my $loc (qw(r u)) {
	for my $s (qw(chunkover chunknocrlf chunkneg)) {
		$r = get("/$loc/$s");
		ok($r !~ /0\r\n\r\n\z/ && $r !~ /xx/, "$s ($loc): no complete-looking body");
	}
}
like(new_errors(), qr/upstream sent invalid chunked response/, 'invalid chunked: logged');

# trailers bigger than proxy_buffer_size: the body (which is whole) ends
# without them, as nginx 1.22 (which skips trailers of any size) answers
$r = get('/r/hugetrailer');
like($r, qr/\AHTTP\/1.1 200 OK\r\n.*\r\n\r\n5\r\nhello\r\n0\r\n\r\n\z/s,
	'huge trailer: the whole body, ended without the trailers');
like(new_errors(), qr/upstream sent too big trailers, ignored/, 'huge trailer: logged');

# an interim 1xx is dropped and the final response passed (nginx 1.22 passes
# the 1xx on as the final status, and the rest as a body)
$r = get('/r/e100');
like($r, qr/\AHTTP\/1.1 200 OK\r\n.*\r\n\r\nafter100\n\z/s,
	'100 Continue then 200: the 200 is the response');

$r = get('/r/e103');
like($r, qr/\AHTTP\/1.1 200 OK\r\n.*\r\n\r\nafter103\n\z/s,
	'103 Early Hints then 200: the 200 is the response');
unlike($r, qr/^Link:/mi, '103 Early Hints: its headers are not those of the response');

# invalid framing: nginx 1.23 and lintel refuse it (1.22 passes some on)
for my $v (qw(cl_big cl_neg cl_junk te_gzip te_twice)) {
	$r = get("/r/$v");
	ok(http_status($r) == 502 || http_body($r) eq 'ok', "invalid framing $v: 502 or the body");
}

$r = get('/r/cookie');
my @ck = http_header($r, 'Set-Cookie');
is(scalar @ck, 6, 'odd Set-Cookie lines passed');
is($ck[0], "a=\x01\x7f\xff\xfe; Path=/; Domain=127.0.0.1", 'odd bytes passed unchanged');

$r = get('/ck/cookie');
@ck = http_header($r, 'Set-Cookie');
is(scalar @ck, 6, 'odd Set-Cookie lines through proxy_cookie_*');
like($ck[0], qr/^a=\x01\x7f\xff\xfe; Path=\/p\/; Domain=example.org; Secure; SameSite=Strict$/i,
	'odd cookie rewritten');

$r = get('/r/xarloop');
is(http_status($r), 500, 'X-Accel-Redirect loop: 500');
is(scalar(received(qr{^GET /r/xarloop }m)), 11, 'X-Accel-Redirect loop: stopped after 10 redirects');
like(new_errors(), qr/rewrite or internal redirection cycle/, 'X-Accel-Redirect loop: logged');

get('/r/xarcrlf');
my @xr = received(qr{^GET /r/x%}m);
like($xr[-1] || '', qr{^GET /r/x%0D%0AX-Evil:%201 HTTP/1.0\r$}m,
	'X-Accel-Redirect with an escaped CRLF: escaped again for the backend');

is(http_status(get('/r/xarunsafe')), 404, 'X-Accel-Redirect to an unsafe URI: 404');

# a few hundred mutated responses: buffered, unbuffered, keep-alive
my (%fz, @fzslow);
my $fzstart = time();
for my $i (1 .. 20) {
	for my $loc (qw(fz fzu fzk)) {
		my $t1 = time();
		$r = http("GET /$loc/fuzz?i=$i HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
			raw => 1, timeout => 3);
		$fz{http_status($r) || 'none'}++;
		push @fzslow, sprintf("%s/%d %.1fs %d bytes", $loc, $i, time() - $t1, length $r)
			if time() - $t1 > 2.5;
	}
}
ok(time() - $fzstart < 15, 'mutated responses: ' . join(', ',
	map { "$_ x$fz{$_}" } sort keys %fz)) or diag("slow: @fzslow");
my ($r1, $r2) = ka_pair('/k/ok');
ok(http_status($r1) == 200 && http_status($r2) == 200, 'after them: keep-alive pool sane');

is($t->workers() && ($t->workers())[0], $worker, 'invalid responses: the same worker');

###############################################################################
# keep-alive to the backend: extra bytes never taken for the next response

sub ka_pair {
	my ($first, %opts) = @_;
	my $s = http_connect();
	my $m = $opts{method} || 'GET';
	http_send($s, "$m $first HTTP/1.1\r\nHost: localhost\r\n\r\n");
	my $r1 = http_read_response($s, $m eq 'HEAD' ? 0.5 : 5, one => $m ne 'HEAD');
	sleep($opts{pause}) if $opts{pause};
	http_send($s, "GET /k/ok HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	my $r2 = http_read_response($s, 5);
	return ($r1, $r2);
}

($r1, $r2) = ka_pair('/k/longer');
is(http_body($r1), 'hello', 'longer than Content-Length: the announced part');
like($r2, qr/^HTTP\/1.1 200.*ok\n\z/s, 'longer: the next response is the right one');
unlike($r2, qr/Smuggled/, 'longer: the extra bytes are not a response');

($r1, $r2) = ka_pair('/k/later', pause => 0.4);
is(http_body($r1), 'hello', 'extra bytes later: the announced part');
unlike($r2, qr/Smuggled/, 'extra bytes later: not taken for the next response');
is(http_status($r2), 200, 'extra bytes later: the next request served');

($r1, $r2) = ka_pair('/ku/longer');
is(http_body($r1), 'hello', 'unbuffered, longer than Content-Length: the announced part');
unlike($r2, qr/Smuggled/, 'unbuffered, longer: the extra bytes are not a response');

($r1, $r2) = ka_pair('/k/204');
like($r1, qr/^HTTP\/1.1 204/, '204 with a body: 204');
unlike($r1 . $r2, qr/Smuggled|EVIL/, '204 with a body: the body is dropped');
is(http_status($r2), 200, '204 with a body: the next request served');

($r1, $r2) = ka_pair('/ku/204');
unlike($r1 . $r2, qr/Smuggled|EVIL/, 'unbuffered, 204 with a body: the body is dropped');
is(http_status($r2), 200, 'unbuffered, 204 with a body: the next request served');

($r1, $r2) = ka_pair('/ku/head', method => 'HEAD');
unlike($r1 . $r2, qr/Smuggled|EVIL/, 'unbuffered, HEAD answered with a body: no body');

($r1, $r2) = ka_pair('/k/304');
like($r1, qr/^HTTP\/1.1 304/, '304 with a body: 304');
unlike($r1 . $r2, qr/Smuggled|EVIL/, '304 with a body: the body is dropped');

($r1, $r2) = ka_pair('/k/head', method => 'HEAD');
like($r1, qr/^HTTP\/1.1 200/, 'HEAD answered with a body: 200');
unlike($r1 . $r2, qr/Smuggled|EVIL/, 'HEAD answered with a body: no body passed');
is(http_status($r2), 200, 'HEAD with a body: the next request served');

$r = get('/k/short');
like($r, qr/0123456789\z/, 'shorter than Content-Length: what came');
my $s = http_connect();
http_send($s, "GET /k/short HTTP/1.1\r\nHost: localhost\r\n\r\n");
$r = http_read_response($s, 5);
is(() = $r =~ /^HTTP/mg, 1, 'shorter: the client connection is closed after it');
close $s;

$r = get('/ku/short');
like($r, qr/0123456789\z/, 'unbuffered, shorter: what came, then close');

is(($t->workers())[0], $worker, 'keep-alive abuse: the same worker');

###############################################################################
# backends that hang, do not read, reset, flood

my $start = time();
$r = get('/t/never');
is(http_status($r), 504, 'no answer: 504');
ok(time() - $start < 3, 'no answer: after proxy_read_timeout');

$start = time();
$r = http("POST /nr/x HTTP/1.1\nHost: localhost\nConnection: close\n"
	. "Content-Length: 4000000\n\n" . ('p' x 4000000), timeout => 10);
is(http_status($r), 504, 'backend that never reads a big POST: 504');
ok(time() - $start < 6, 'never reads: bounded by proxy_send_timeout');
like(new_errors(), qr/upstream timed out .* while sending request to upstream/,
	'never reads: logged');

$r = get('/r/reset');
ok(length($r) < 100000 && length($r) > 0, 'reset in the body: a truncated response');
like(new_errors(), qr/(reset by peer|prematurely closed)/, 'reset: logged');

# an enormous response through a slow client: the worker's memory is bounded
sub rss {
	my ($pid) = @_;
	my $st = $t->read_file("/proc/$pid/status");
	return $st =~ /VmRSS:\s+(\d+)/ ? $1 : 0;
}

my $rss0 = rss($worker);
$s = http_connect();
http_send($s, "GET /big/enormous HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 65536));
my $got = 0;
my $peak = 0;
my $sel = IO::Select->new($s);
my $end = time() + 30;
while (time() < $end) {
	last unless $sel->can_read(5);
	my $n = sysread($s, my $buf, $got < 2000000 ? 4096 : 1048576);
	last unless $n;
	$got += $n;
	if ($got < 2000000) {
		sleep 0.002;
		my $m = rss($worker);
		$peak = $m if $m > $peak;
	}
}
close $s;
ok($got > 100 * 1048576, "enormous response: all of it ($got)");
ok($peak - $rss0 < 16384, "enormous, slow client: worker memory bounded ($rss0 -> $peak kB)");
ok(rss($worker) - $rss0 < 16384, 'enormous: memory after it');

# a backend that streams forever and a client that goes away
$s = http_connect();
http_send($s, "GET /r/forever HTTP/1.1\r\nHost: localhost\r\n\r\n");
http_read_response($s, 0.5);
close $s;
my $fl = wait_until(sub { $t->read_file('forever.log') }, 8);
like($fl, qr/^stopped/, 'streaming forever, client gone: upstream closed');
my ($secs) = $fl =~ /stopped ([\d.]+)/;
ok(defined $secs && $secs < 3, 'streaming forever: promptly');

# the same, unbuffered
unlink "$dir/forever.log";
$s = http_connect();
http_send($s, "GET /u/forever HTTP/1.1\r\nHost: localhost\r\n\r\n");
http_read_response($s, 0.5);
close $s;
$fl = wait_until(sub { $t->read_file('forever.log') }, 8);
like($fl, qr/^stopped/, 'unbuffered, streaming forever, client gone: upstream closed');

# a client that sends half of an unbuffered body and goes away
$s = http_connect();
http_send($s, "POST /nrbbig/count HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n"
	. ('b' x 300000));
sleep 0.3;
close $s;
$s = http_connect();
http_send($s, "POST /nrbbig/count HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
	. "10000\r\n" . ('b' x 30000));
sleep 0.3;
close $s;
sleep 0.3;
is(http_status(get('/r/x')), 200, 'clients gone in the middle of a streamed body: still serving');

sub close_wait {
	my ($port) = @_;
	my $out = `ss -tan state close-wait 2>/dev/null`;
	return scalar grep { /127\.0\.0\.1:$port\s/ } split /\n/, $out;
}
ok(!wait_until(sub { !close_wait(port(8081)) }, 3) ? 0 : 1,
	'nothing left in CLOSE_WAIT towards the backend');

# WebSocket tunnels: idle past proxy_read_timeout, closed by the backend,
# 101 to a request that asked for no upgrade
{
	my $ws = "HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
	my $sock = http_connect();
	http_send($sock, "GET /ws/wsidle $ws");
	my $got = http_read_response($sock, 0.5);
	http_send($sock, 'ping');
	$got .= http_read_response($sock, 0.5);
	like($got, qr/^HTTP\/1.1 101 .*\r\n\r\nhiping\z/s, 'websocket: the tunnel carries data');
	my $t1 = time();
	$got = http_read_response($sock, 5);
	ok(time() - $t1 < 3, 'websocket idle: closed after proxy_read_timeout');
	close $sock;
	like(wait_until(sub { $t->read_file('ws.log') }, 5), qr/^eof/,
		'websocket idle: the upstream connection closed');

	# ten times: the 101, its data and the close often come in one read
	$t1 = time();
	my $byes = 0;
	for (1 .. 10) {
		$r = http("GET /ws/wsclose $ws", raw => 1, timeout => 5);
		$byes++ if $r =~ /\r\n\r\nbye\z/;
	}
	is($byes, 10, 'websocket closed by the backend: its data passed');
	ok(time() - $t1 < 5, 'websocket closed by the backend: the client connection closed');

	# the client goes away in the middle of a tunnel
	unlink "$dir/ws.log";
	$sock = http_connect();
	http_send($sock, "GET /ws/wsidle $ws");
	http_read_response($sock, 0.3);
	http_send($sock, 'ping');
	http_read_response($sock, 0.3);
	close $sock;
	like(wait_until(sub { $t->read_file('ws.log') }, 5), qr/^eof 0\.[0-5]/,
		'websocket, client gone: the upstream connection closed at once');

	# nginx 1.22 passes it on and keeps the client connection (as keep-alive)
	$r = http("GET /ws/wsclose HTTP/1.1\r\nHost: localhost\r\n\r\n", raw => 1, timeout => 1);
	like($r, qr/^HTTP\/1.1 101 .*\r\n\r\nbye\z/s, '101 to a request without Upgrade: passed on');
}

# CR LF in the request URI is escaped again for the backend
$r = http("GET /rb/a%0d%0aX-Injected:%201 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
	raw => 1);
my @inj = received(qr{^GET /k/a}m);
like($inj[-1] || '', qr{^GET /k/a%0D%0AX-Injected:%201 HTTP/1.0\r$}m,
	'CRLF in the URI: escaped for the backend');
unlike($inj[-1] || '', qr/^X-Injected/m, 'CRLF in the URI: no header made of it');

is(($t->workers())[0], $worker, 'hostile backends: the same worker');

###############################################################################
# the client side: smuggling attempts

my @smuggle = (
	[ 'CL and TE', "Content-Length: 40\nTransfer-Encoding: chunked\n", 400 ],
	[ 'two different CL', "Content-Length: 5\nContent-Length: 40\n", 400 ],
	[ 'two equal CL', "Content-Length: 40\nContent-Length: 40\n", 400 ],
	[ 'CL with a sign', "Content-Length: +40\n", 400 ],
	[ 'CL in hex', "Content-Length: 0x28\n", 400 ],
	[ 'TE not chunked', "Transfer-Encoding: xchunked\n", 501 ],
	[ 'TE chunked, identity', "Transfer-Encoding: chunked, identity\n", 501 ],
	[ 'TE twice', "Transfer-Encoding: chunked\nTransfer-Encoding: chunked\n", 400 ],
	[ 'TE obs-fold', "Transfer-Encoding:\n chunked\n", 400 ],
	[ 'TE with space before colon', "Transfer-Encoding : chunked\n", 400 ],
	[ 'NUL in a header', "X-A: a\0b\n", 400 ],
);

my $inner = "GET /r/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
for my $sm (@smuggle) {
	my ($name, $h, $code) = @$sm;
	$h =~ s/\n/\r\n/g;
	my $body = "0\r\n\r\n" . $inner;
	$r = http("POST /r/sm HTTP/1.1\r\nHost: localhost\r\n$h\r\n$body", raw => 1,
		timeout => 3);
	is(http_status($r), $code, "smuggling, $name: $code");
}

for my $sm (['chunk size overflow', "ffffffffffffffffff1\r\n"],
	['chunk size negative', "-5\r\n"],
	['no CRLF after the chunk', "5\r\nhelloXX0\r\n\r\n"])
{
	my ($name, $body) = @$sm;
	$r = http("POST /r/sm HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
		. $body . $inner, raw => 1, timeout => 3);
	is(http_status($r), 400, "smuggling, $name: 400");
}

# accepted ones: re-framed for the backend
$r = http("POST /nrb/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	. "Transfer-Encoding: chunked\r\n\r\n5;ext=\"a\r\nb\"\r\nhello\r\n0\r\n\r\n",
	raw => 1, timeout => 3);
is(http_status($r), 400, 'chunk extension with CRLF in a quoted string: 400');

$r = http("POST /rb/echo HTTP/1.1\nHost: localhost\nConnection: close\n"
	. "Transfer-Encoding: chunked\n\n5;a=b\r\nhello\r\n0\r\n\r\n", raw => 1, timeout => 3);
is(http_status($r), 200, 'bare LF lines and a chunk extension: accepted');
my @sm = received(qr/smuggled/);
is(scalar @sm, 0, 'no smuggled request reached the backend');

@sm = received(qr{^POST /k/echo }m);
like($sm[-1], qr/^Content-Length: 5\r$/m, 'buffered chunked body: re-framed with a length');
unlike($sm[-1], qr/Transfer-Encoding|a=b/i, 'buffered: no TE, no extension');

$s = http_connect();
http_send($s, "POST /nrb/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
	. "Transfer-Encoding: chunked\r\n\r\n");
sleep 0.2;
http_send($s, "5;a=b\r\nhello\r\n");
sleep 0.2;
http_send($s, "0\r\n\r\n");
$r = http_read_response($s, 3);
close $s;
@sm = received(qr{^POST /k/echo }m);
like($sm[-1], qr/\r\n\r\n5\r\nhello\r\n0\r\n\r\n\n\z/, 'unbuffered: re-chunked, no extension');
unlike($sm[-1], qr/^Content-Length/mi, 'unbuffered: no Content-Length');

# a chunked body over client_max_body_size, unbuffered and buffered
for my $loc (qw(nrb rb)) {
	my $sock = http_connect();
	http_send($sock, "POST /$loc/echo HTTP/1.1\r\nHost: localhost\r\n"
		. "Transfer-Encoding: chunked\r\n\r\n");
	for (1 .. 40) {
		last unless http_send($sock, "400\r\n" . ('b' x 1024) . "\r\n");
	}
	http_send($sock, "0\r\n\r\n");
	$r = http_read_response($sock, 3);
	close $sock;
	like($r, qr/^HTTP\/1.1 413/, "chunked body over client_max_body_size ($loc): 413");
}

my @big = grep { length > 10240 } received(qr{^POST /k/echo }m);
is(scalar @big, 0, 'over client_max_body_size: no complete request reached the backend');

# a big chunked body, unbuffered: streamed, memory bounded
{
	my $rss1 = rss($worker);
	my $sock = http_connect();
	http_send($sock, "POST /nrbbig/count HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
		. "Transfer-Encoding: chunked\r\n\r\n");
	my $chunk = sprintf("%x\r\n", 65536) . ('b' x 65536) . "\r\n";
	my $peak1 = 0;
	for (1 .. 48) {
		last unless http_send($sock, $chunk);
		my $m = rss($worker);
		$peak1 = $m if $m > $peak1;
	}
	http_send($sock, "0\r\n\r\n");
	$r = http_read_response($sock, 10);
	close $sock;
	is(http_body($r), 'len ' . 48 * 65536 . ' intact', 'unbuffered 3 MB chunked body: all of it');
	ok($peak1 - $rss1 < 8192, "unbuffered 3 MB body: memory bounded ($rss1 -> $peak1 kB)");
}

###############################################################################
# clients that go away; pipelining

unlink "$dir/hold.log";
$s = http_connect();
http_send($s, "GET /r/hold HTTP/1.1\r\nHost: localhost\r\n\r\n");
sleep 0.3;
close $s;
my $hl = wait_until(sub { $t->read_file('hold.log') }, 8);
like($hl, qr/^eof/, 'client gone while waiting: upstream connection closed');
($secs) = $hl =~ /eof ([\d.]+)/;
ok(defined $secs && $secs < 2, 'client gone: promptly');
like(wait_until(sub { $t->read_file('access.log') =~ m{^/r/hold 499}m }, 3) ? 'y' : 'n',
	qr/y/, 'client gone: 499 logged');

$s = http_connect();
http_send($s, join '', map { "GET /k/delay/$_ HTTP/1.1\r\nHost: localhost\r\n\r\n" }
	300, 0, 100);
http_send($s, "GET /k/delay/1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
$r = http_read_response($s, 5);
close $s;
my @order = $r =~ /^delay (\d+)$/mg;
is("@order", '300 0 100 1', 'pipelined requests: answered in order');

is(($t->workers())[0], $worker, 'hostile clients: the same worker');

###############################################################################
# 200 concurrent clients, 3 backends, one killed midway

my @lb = map { start_backend(port($_), prefork => 6) } 8084, 8085, 8086;

# run_clients(N, SECONDS, CODE): N clients doing GET /lb/ in a loop; CODE runs
# once halfway; returns (ok, failed, a failure example)
sub run_clients {
	my ($n, $secs, $mid, $uri) = @_;
	my (%conn, $ok, $bad, $example);
	$ok = $bad = 0;
	my $sel = IO::Select->new();
	my $open = sub {
		my $c = IO::Socket::INET->new(Proto => 'tcp', PeerAddr => '127.0.0.1',
			PeerPort => port(8080), Blocking => 0);
		return unless $c;
		$conn{fileno $c} = { s => $c, buf => '', sent => 0 };
		$sel->add($c);
	};
	$open->() for 1 .. $n;
	my $t0 = time();
	my $midrun = 0;
	my $wsel = IO::Select->new(map { $_->{s} } values %conn);

	while (%conn) {
		my $stop = time() - $t0 > $secs;
		if (!$midrun && time() - $t0 > $secs / 2) {
			$midrun = 1;
			$mid->() if $mid;
		}
		last if time() - $t0 > $secs + 10;

		my ($rd, $wr) = IO::Select->select($sel, $wsel, undef, 0.5);
		for my $c (@{$wr || []}) {
			my $e = $conn{fileno $c} or next;
			my $req = "GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n";
			my $w = syswrite($c, $req);
			$wsel->remove($c);
			$e->{sent} = 1 if defined $w && $w == length $req;
		}
		for my $c (@{$rd || []}) {
			my $e = $conn{fileno $c} or next;
			my $k = sysread($c, $e->{buf}, 65536, length $e->{buf});
			next if !defined $k && $!{EAGAIN};
			next if $k;
			# closed: the response is complete (or not)
			if ($e->{buf} =~ /^HTTP\/1.\d 200 .*\r\n\r\nok \d+\n\z/s) {
				$ok++;
			} else {
				$bad++;
				$example = $e->{buf} . ($k ? '' : " ($!)") unless defined $example;
			}
			$sel->remove($c);
			delete $conn{fileno $c};
			close $c;
			unless ($stop) {
				$open->();
				$wsel->add($_->{s}) for grep { !$_->{sent} } values %conn;
			}
		}
	}
	my $hung = scalar keys %conn;
	return ($ok, $bad + $hung, $example, $hung, time() - $t0);
}

my ($nok, $nbad, $ex) = run_clients(200, 4, sub { kill_backend($lb[1]) }, '/lb/x');
ok($nok > 400, "200 clients, a backend killed midway: $nok answered");
is($nbad, 0, 'a backend killed midway: no client saw an error')
	or diag($ex);
is(($t->workers())[0], $worker, 'a backend killed: the same worker');

###############################################################################
# too few worker_connections: clean failures, the worker survives

write_conf(64);
$t->reload();
my ($w2) = wait_until(sub { $t->workers() });
new_errors();

my ($hung, $took);
($nok, $nbad, $ex, $hung, $took) = run_clients(200, 2, undef, '/lb/x');
ok($nok > 0, "worker_connections 64, 200 clients: some answered ($nok, $nbad failed)");
is($hung, 0, sprintf('too few connections: no client left hanging (%.1f s)', $took));
like(new_errors(), qr/worker_connections are not enough/, 'worker_connections are not enough: logged');
is(($t->workers())[0], $w2, 'too few connections: the same worker');
is(http_status(get('/r/x')), 200, 'too few connections: served again afterwards');
unlike($t->read_file('error.log'), qr/\[alert\](?!.*worker_connections are not enough)/,
	'no other alert');

###############################################################################
