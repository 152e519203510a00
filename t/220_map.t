#!/usr/bin/perl

# The map module: exact keys (ignoring case), hostnames with wildcards and the
# trailing dot, regexes in order with captures and named captures, default,
# values with variables, include, volatile, the hash size directives, and every
# configuration error with its file and line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Lintel::Test;
use Lintel::HTTP;

my $t = Lintel::Test->new()->has(qw/http http_map http_rewrite http_index/)->plan(62);
my $dir = $t->testdir();

$t->write_file_expand('lintel.conf', <<"END");
%%TEST_GLOBALS%%
daemon off;
events {}
http {
    map_hash_max_size 4096;
    map_hash_bucket_size 128;

    map \$arg_k \$plain {
        default     dflt;
        foo         bar;
        MiXeD       mixed;
        ""          empty;
        \\default    escaped-default;
        \\~tilde     escaped-tilde;
        hostnames   not-a-flag-here;
    }

    map \$arg_k \$nodefault {
        foo         bar;
    }

    map \$arg_k \$host_map {
        hostnames;
        default                 0;
        example.com             exact;
        *.example.com           star;
        *.a.example.com         star-longer;
        .dot.example.com        dot;
        www.*                   www-tail;
        www.example.*           www-example-tail;
        www.example.com         www-exact;
        *.both.org              head;
        both.*                  tail;
        ~^re\\.                 regex;
    }

    map \$arg_k \$regex_map {
        default                 none;
        ~^a(\\d+)\$             first:\$1;
        ~^a                     second;
        ~*^CASE\$               caseless;
        ~^Case2\$               sensitive;
        "~^(?<word>[a-z]+)-(\\d+)\$"  named:\$word:\$2;
        ~^x(.)(.)               "\$2\$1";
    }

    map \$arg_k \$var_map {
        default     "k=\$arg_k";
        server      \$server_name;
        chain       \$plain;
        text        "pre-\$plain-post";
        include     map-inc.conf;
    }

    map \$arg_k \$cap_then_var {
        ~^c(.)\$                 "\$1\$long";
    }

    map \$arg_l \$long {
        ~^(.+)\$                 "<\$1>";
    }

    map \$arg_a\$arg_b \$complex_src {
        default     no;
        12          one-two;
    }

    map \$uri \$uri_cached {
        /c/             /c/target;
        /c/target       changed;
    }

    map \$uri \$uri_volatile {
        volatile;
        /v/             /v/target;
        /v/target       changed;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name map.test;
        root $dir/html;

        location /plain     { return 200 "[\$plain]"; }
        location /nodefault { return 200 "[\$nodefault]"; }
        location /host      { return 200 "[\$host_map]"; }
        location /regex     { return 200 "[\$regex_map][\$word]"; }
        location /var       { return 200 "[\$var_map]"; }
        location /complex   { return 200 "[\$complex_src]"; }
        location /capvar    { return 200 "[\$cap_then_var]"; }

        location /c/        { index \$uri_cached; }
        location /c/target  { return 200 "[\$uri_cached]"; }
        location /v/        { index \$uri_volatile; }
        location /v/target  { return 200 "[\$uri_volatile]"; }
    }
}
END

$t->write_file('map-inc.conf', "included  from-include;\nincluded2 \"two\";\n");
$t->write_file('html/c/index.html', '');
$t->write_file('html/v/index.html', '');

$t->run();

sub get {
	my ($uri) = @_;
	my $r = http_get($uri);
	return $r =~ /\r\n\r\n\[(.*)\z/s ? "[$1" : 'no body: ' . $r;
}

# exact keys

is(get('/plain?k=foo'), '[bar]', 'exact key');
is(get('/plain?k=FOO'), '[bar]', 'source value matched ignoring case');
is(get('/plain?k=mixed'), '[mixed]', 'key matched ignoring case');
is(get('/plain?k=other'), '[dflt]', 'default');
is(get('/plain'), '[empty]', 'empty key matches an empty value');
is(get('/plain?k=default'), '[escaped-default]', '\default is a key');
is(get('/plain?k=~tilde'), '[escaped-tilde]', '\~ is a string key, not a regex');
is(get('/plain?k=hostnames'), '[not-a-flag-here]', '"hostnames" with a value is a key');
is(get('/nodefault?k=x'), '[]', 'no default: empty string');
is(get('/nodefault?k=foo'), '[bar]', 'no default: match');

# hostnames

is(get('/host?k=example.com'), '[exact]', 'hostnames: exact');
is(get('/host?k=EXAMPLE.COM'), '[exact]', 'hostnames: exact, case');
is(get('/host?k=example.com.'), '[exact]', 'hostnames: trailing dot ignored');
is(get('/host?k=x.example.com'), '[star]', 'hostnames: *.example.com');
is(get('/host?k=x.y.example.com'), '[star]', 'hostnames: *. matches deeper names');
is(get('/host?k=x.a.example.com'), '[star-longer]', 'hostnames: longest suffix wins');
is(get('/host?k=a.example.com'), '[star]', 'hostnames: *.a.example.com needs a label');
is(get('/host?k=dot.example.com'), '[dot]', 'hostnames: .dot.example.com itself');
is(get('/host?k=x.dot.example.com.'), '[dot]', 'hostnames: .dot.example.com below');
is(get('/host?k=www.foo.org'), '[www-tail]', 'hostnames: www.*');
is(get('/host?k=www.example.org'), '[www-example-tail]',
	'hostnames: longest prefix wins');
is(get('/host?k=www.example.com'), '[www-exact]', 'hostnames: exact beats wildcards');
is(get('/host?k=both.both.org'), '[head]', 'hostnames: *.suffix before prefix.*');
is(get('/host?k=www'), '[0]', 'hostnames: prefix.* needs a dot');
is(get('/host?k=re.x'), '[regex]', 'hostnames: regex after wildcards');
is(get('/host?k=com'), '[0]', 'hostnames: default');

# regexes

is(get('/regex?k=a12'), '[first:12][]', 'regex with a capture');
is(get('/regex?k=ab'), '[second][]', 'regexes in order');
is(get('/regex?k=case'), '[caseless][]', '~* is caseless');
is(get('/regex?k=CASE2'), '[none][]', '~ is case-sensitive');
is(get('/regex?k=Case2'), '[sensitive][]', '~ matches');
is(get('/regex?k=bcd-42'), '[named:bcd:42][bcd]', 'named captures');
is(get('/regex?k=xyz'), '[zy][]', 'captures reordered');
is(get('/capvar?k=cX&l=' . 'z' x 60), '[X<' . 'z' x 60 . '>]',
	'captures kept while a variable of the value runs another regex');

# values with variables

is(get('/var?k=server'), '[map.test]', 'value: a variable');
is(get('/var?k=chain'), '[dflt]', 'value: another map');
is(get('/var?k=text'), '[pre-dflt-post]', 'value: text and a variable');
is(get('/var?k=zz'), '[k=zz]', 'default with a variable');
is(get('/var?k=included'), '[from-include]', 'include');
is(get('/var?k=included2'), '[two]', 'include, second line');
is(get('/complex?a=1&b=2'), '[one-two]', 'source: a complex value');
is(get('/complex?a=1'), '[no]', 'source: a complex value, no match');

# volatile

is(get('/c/'), '[/c/target]', 'cached value kept across the redirect');
is(get('/v/'), '[changed]', 'volatile value evaluated again');

# configuration errors

sub conf_error {
	my ($http, $re, $name) = @_;
	$t->write_file('bad.conf', "pid $dir/bad.pid;\nevents {}\nhttp {\n$http\n}\n");
	my ($code, $err) = $t->test_config('bad.conf');
	ok($code == 1 && $err =~ $re, $name) or diag($err);
}

conf_error("map \$a \$b {\n a 1;\n A 2;\n}",
	qr/\[emerg\] conflicting parameter "A" in \Q$dir\E\/bad.conf:6/, 'duplicate key');
conf_error("map \$a \$b {\n hostnames;\n .example.com 1;\n example.com 2;\n}",
	qr/conflicting parameter "example.com" in .*bad.conf:7/, 'duplicate via .name');
conf_error("map \$a \$b {\n hostnames;\n *.example.com 1;\n .example.com 2;\n}",
	qr/conflicting parameter "\.example.com" in .*bad.conf:7/, 'duplicate wildcard');
conf_error("map \$a \$b {\n hostnames;\n *.example.* 1;\n}",
	qr/invalid hostname or wildcard "\*\.example\.\*" in .*bad.conf:6/, 'two stars');
conf_error("map \$a \$b {\n hostnames;\n ex*ample.com 1;\n}",
	qr/invalid hostname or wildcard "ex\*ample.com" in .*bad.conf:6/, 'inner star');
conf_error("map \$a \$b {\n hostnames;\n a..b 1;\n}",
	qr/invalid hostname or wildcard "a\.\.b" in .*bad.conf:6/, 'empty label');
conf_error("map \$a \$b {\n default 1;\n default 2;\n}",
	qr/duplicate default map parameter in .*bad.conf:6/, 'duplicate default');
conf_error("map \$a \$b {\n a 1 2;\n}",
	qr/invalid number of the map parameters in .*bad.conf:5/, 'three parameters');
conf_error("map \$a \$b {\n a;\n}",
	qr/invalid number of the map parameters in .*bad.conf:5/, 'one parameter');
conf_error("map \$a b {\n}",
	qr/invalid variable name "b" in .*bad.conf:4/, 'variable without \$');
conf_error("map \$a \$b {\n ~(a 1;\n}",
	qr/\[emerg\] pcre2_compile\(\) failed: .* in .*bad.conf:5/, 'bad regex');
conf_error("map \$a \$b {\n include nosuch.conf;\n}",
	qr/open\(\) "\Q$dir\E\/nosuch.conf" failed .* in .*bad.conf:5/, 'missing include');
conf_error("map \$a \$b {\n include map-inc.conf;\n included 3;\n}",
	qr/conflicting parameter "included" in .*bad.conf:6/, 'duplicate of an included key');
conf_error("server { map \$a \$b { } }",
	qr/"map" directive is not allowed here in .*bad.conf:4/, 'map in server');
conf_error("map \$a \$b;",
	qr/directive "map" has no opening "\{" in .*bad.conf:4/, 'map without a block');
conf_error("map \$arg_a \$b {\n a \$nosuch;\n}",
	qr/unknown "nosuch" variable/, 'unknown variable in a value');
conf_error("map_hash_max_size abc;",
	qr/invalid value "abc" in "map_hash_max_size" directive in .*bad.conf:4/,
	'bad map_hash_max_size');

$t->write_file('inc-bad.conf', "a 1;\nb 2 3;\n");
conf_error("map \$a \$b {\n include inc-bad.conf;\n}",
	qr/invalid number of the map parameters in \Q$dir\E\/inc-bad.conf:2/,
	'error in an included file: its name and line');
