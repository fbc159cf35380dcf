# The JSON of sales and orders parsed on a second thread
# (medallion.parallel_parse): the same silver records as parsed in the
# backend alone, over many chunks, and a parse cancelled or its backend
# terminated while the thread runs leaves nothing behind and the server up.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $data = $ENV{MEDALLION_DATA};
my $node = PostgreSQL::Test::Cluster->new('parse');
$node->init;
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION medallion;
	SELECT medallion_ingest_csv('sales_orders', '$data/big_orders.csv');
	SELECT medallion_ingest_csv('sales', '$data/sample/sales.csv');
});

my $reset = q{
	TRUNCATE silver.order_records, silver.sales_records;
	DELETE FROM medallion.dq_warnings;
	UPDATE medallion.batches SET parsed_at = NULL;
};
# everything the parse writes, as one digest
my $digest = q{
	SELECT md5(string_agg(r::text, '|' ORDER BY r.batch_id, r.line)) FROM silver.order_records r
	UNION ALL
	SELECT md5(string_agg(s::text, '|' ORDER BY s.batch_id, s.line)) FROM silver.sales_records s
	UNION ALL
	SELECT string_agg(warning || '=' || rows, ',' ORDER BY batch_id, warning) FROM medallion.dq_warnings
};

$node->safe_psql('postgres', 'SET medallion.parallel_parse = on; SELECT medallion_parse_products()');
my $threaded = $node->safe_psql('postgres', $digest);
is( $node->safe_psql('postgres', q{
	SELECT count(*) || ' orders, ' || sum(cardinality(items)) || ' items, '
	       || count(*) FILTER (WHERE problem IS NOT NULL) || ' with a problem'
	FROM silver.order_records}),
	'60000 orders, ' . $node->safe_psql('postgres', q{
		SELECT sum(jsonb_array_length(ordered_products::jsonb)) FROM bronze.sales_orders
		WHERE ordered_products IS NOT NULL AND ordered_products <> ''}) . ' items, 0 with a problem',
	'threaded: every order of twelve chunks parsed, with as many items as jsonb counts');

$node->safe_psql('postgres', $reset . 'SET medallion.parallel_parse = off; SELECT medallion_parse_products()');
is($node->safe_psql('postgres', $digest), $threaded,
	'parsed in the backend alone: the same records, item for item, and the same warnings');

# -- a cancel while the thread runs: an error, nothing written, server up
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', $reset);
my ($out, $err) = ('', '');
$node->psql('postgres', q{SET statement_timeout = '200ms'; SELECT medallion_parse_products()},
	stdout => \$out, stderr => \$err);
like($err, qr/canceling statement due to statement timeout/, 'a parse cancelled mid-way reports the cancel');
is( $node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM silver.order_records) || ' ' ||
	       (SELECT count(*) FROM medallion.batches WHERE parsed_at IS NOT NULL)}),
	'0 0', 'and leaves no record and no batch marked parsed');

# -- the backend terminated while the thread runs
my $victim = $node->background_psql('postgres', on_error_stop => 0);
my $pid = $victim->query_safe('SELECT pg_backend_pid()');
$victim->query_until(qr/go/, q{\echo go
SELECT medallion_parse_products();
});
ok( $node->poll_query_until('postgres', qq{
	SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $pid AND query LIKE '%parse_products%')}),
	'a parse is running');
usleep(300_000);
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$node->poll_query_until('postgres', "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $pid)");
eval { $victim->quit };
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started,
	'terminating it (FATAL while the thread runs) does not restart the server');

$node->safe_psql('postgres', 'SELECT medallion_parse_products()');
is($node->safe_psql('postgres', $digest), $threaded, 'the next parse writes everything, the same again');

$node->stop;
done_testing();
