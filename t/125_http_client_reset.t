#!/usr/bin/perl

# Clients that reset the connection right after sending a request whose response
# is large, through an internal redirect (index, try_files, error_page): the write
# fails inside the content phase, and the request must be closed only after the
# handlers above it returned (a use-after-free before: "http request count is zero"
# or an ASan report). The worker goes on serving.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use Socket qw(SOL_SOCKET SO_LINGER);
use Lintel::Test qw(port);
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_index/);
my $dir = $t->testdir();

$t->plan(3);

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root $dir/html;

        location /tf/ {
            try_files /big.html =404;
        }
        location /ep/ {
            error_page 404 /big.html;
        }
    }
}
END

my $big = 'x' x (3 * 1024 * 1024);
$t->write_file('html/index.html', $big);
$t->write_file('html/big.html', $big);

$t->run();

http_get('/tf/x');              # the worker is up
my @before = $t->workers();

sub reset_after_request {
	my ($uri) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => port(8080),
		Timeout => 5) or return;
	print $s "GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n";
	setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
	close $s;
}

for my $uri ('/', '/tf/x', '/ep/missing') {
	reset_after_request($uri) for 1 .. 30;
}

select(undef, undef, undef, 0.3);

is(http_status(http_get('/')), 200, 'serving after 90 resets: index');
is(length(http_body(http_get('/tf/x'))), length($big), 'serving after resets: try_files');
is(join(',', $t->workers()), join(',', @before), 'the same worker');
