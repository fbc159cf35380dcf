# Operations against real processes: CALL medallion_run() scheduled by
# pg_cron, an overlapping run skipped, a failing expectation announced by
# NOTIFY, and loads interrupted by kill -9 and by an immediate shutdown.
use strict;
use warnings;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $data = $ENV{MEDALLION_DATA};
my $node = PostgreSQL::Test::Cluster->new('ops');
$node->init;
my $landing = $node->basedir . '/landing';
mkdir $landing or die "mkdir $landing: $!";
my $host = $node->host;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.host = '$host'
restart_after_crash = on
medallion.landing_dir = '$landing'
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_cron;
	CREATE EXTENSION medallion;
	UPDATE medallion.settings SET value = '0' WHERE name = 'settle_seconds';
});

# -- pg_cron: a job every minute; files dropped into the landing directory
$node->safe_psql('postgres', q{SELECT cron.schedule('medallion', '* * * * *', 'CALL medallion_run()')});
copy("$data/sample/$_.csv", "$landing/${_}_1.csv") or die $! for qw(customers products sales sales_orders);
ok( $node->poll_query_until('postgres', q{
	SELECT EXISTS (SELECT 1 FROM cron.job_run_details WHERE status = 'succeeded'
	                 AND command = 'CALL medallion_run()')
	   AND EXISTS (SELECT 1 FROM medallion.runs WHERE status = 'succeeded' AND files = 4)
	   AND EXISTS (SELECT 1 FROM gold.sales_metrics)}),
	'pg_cron ran medallion_run, and gold has the data (within 3 minutes)');
$node->safe_psql('postgres', q{SELECT cron.unschedule('medallion')});
# a job already started finishes; wait until nothing runs
$node->poll_query_until('postgres', q{SELECT NOT EXISTS (SELECT 1 FROM medallion.runs WHERE status = 'running')});
is( $node->safe_psql('postgres', q{
	SELECT string_agg(coalesce(source, step) || ':' || status, ',' ORDER BY step_no) FROM medallion.run_steps
	WHERE run_id = (SELECT min(run_id) FROM medallion.runs WHERE files = 4)}),
	'customers:succeeded,products:succeeded,sales:succeeded,sales_orders:succeeded,parse:succeeded,refresh:succeeded',
	'the run loaded the four files in load order, then parsed and refreshed');

# -- overlap: a run while another holds the lock is skipped at once
my $holder = $node->background_psql('postgres');
$holder->query_safe('SELECT pg_advisory_lock(1835270147, 0)');
my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN medallion');
$node->safe_psql('postgres', 'CALL medallion_run()');
is( $node->safe_psql('postgres', 'SELECT status FROM medallion.runs ORDER BY run_id DESC LIMIT 1'),
	'skipped', 'a run finding the lock held is recorded as skipped');
my $heard = $listener->query_safe('SELECT 1');
like($heard, qr/Asynchronous notification "medallion" with payload "\{.*"status": "skipped"/,
	'and announced on the medallion channel');
$holder->query_safe('SELECT pg_advisory_unlock(1835270147, 0)');
$holder->quit;

# -- a fail expectation: the run fails, gold stays, a listener hears it
my $gold_before = $node->safe_psql('postgres',
	q{SELECT count(*) || '/' || sum(revenue) FROM gold.sales_metrics});
$node->safe_psql('postgres', q{
	INSERT INTO medallion.expectations (name, target_table, predicate, action)
	VALUES ('no_big_sales', 'silver.sales', 'amount < 50', 'fail')});
$node->safe_psql('postgres', 'CALL medallion_run()');
is( $node->safe_psql('postgres', q{SELECT status || ': ' || error FROM medallion.runs ORDER BY run_id DESC LIMIT 1}) =~ /^failed: refresh: expectation "no_big_sales" failed/ ? 1 : 0,
	1, 'the run failed at the refresh step, naming the expectation');
is( $node->safe_psql('postgres', q{SELECT count(*) || '/' || sum(revenue) FROM gold.sales_metrics}),
	$gold_before, 'gold was left as it was');
$heard = $listener->query_safe('SELECT 1');
like($heard, qr/Asynchronous notification "medallion" with payload "\{.*"status": "failed"/,
	'a listening session received the failed run');
$listener->quit;
$node->safe_psql('postgres', q{DELETE FROM medallion.expectations});

# -- crashes during a large ingest
# a big sales_orders file: the header, then the fixture's rows $copies times
sub big_file
{
	my ($name, $copies) = @_;
	open(my $in, '<', "$data/big_orders.csv") or die $!;
	my $header = <$in>;
	local $/;
	my $body = <$in>;
	close $in;
	open(my $out, '>', "$landing/$name.tmp") or die $!;
	print $out $header;
	print $out $body for 1 .. $copies;
	close $out;
	rename("$landing/$name.tmp", "$landing/$name") or die $!;
}

sub crash_during_load
{
	my ($how, $name, $copies) = @_;
	big_file($name, $copies);
	my $orders_before = $node->safe_psql('postgres', 'SELECT count(*) FROM bronze.sales_orders');
	my $runner = $node->background_psql('postgres', on_error_stop => 0);
	$runner->query_until(qr/started/, "\\echo started\nCALL medallion_run();\n");
	ok( $node->poll_query_until('postgres', q{
		SELECT EXISTS (SELECT 1 FROM pg_stat_progress_copy
		               WHERE relid = 'bronze.sales_orders'::regclass AND tuples_processed > 0)}),
		"$how: the load of $name is under way");
	my $pid = $node->safe_psql('postgres', q{
		SELECT pid FROM pg_stat_progress_copy WHERE relid = 'bronze.sales_orders'::regclass});
	if ($how eq 'kill -9')
	{
		kill 'KILL', $pid;
	}
	else
	{
		$node->stop('immediate');
		$node->start;
	}
	eval { $runner->quit };
	$node->poll_query_until('postgres', 'SELECT true');
	is( $node->safe_psql('postgres', qq{
		SELECT count(*) FROM medallion.batches WHERE path LIKE '%/$name'}),
		'0', "$how: after restart the batch is not in medallion.batches");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM bronze.sales_orders'),
		$orders_before, "$how: no row of it is in bronze");
	$node->safe_psql('postgres', 'CALL medallion_run()');
	my $expect = $orders_before + big_rows($copies);
	is( $node->safe_psql('postgres', qq{
		SELECT status || ' ' || rows_loaded FROM medallion.batches WHERE path LIKE '%/$name'}),
		'loaded ' . big_rows($copies), "$how: the next run loads it whole");
	is( $node->safe_psql('postgres', q{
		SELECT string_agg(status, ',' ORDER BY run_id) FROM (
		  SELECT run_id, status FROM medallion.runs ORDER BY run_id DESC LIMIT 2) r}),
		'failed,succeeded', "$how: the interrupted run is marked failed, the next succeeded");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM bronze.sales_orders'),
		$expect, "$how: bronze has every row once");
}

my $fixture_rows = do {
	open(my $in, '<', "$data/big_orders.csv") or die $!;
	<$in>;
	my $n = 0;
	$n++ while <$in>;    # one line per record: the fixture has no newline in a field
	$n;
};
sub big_rows { return $fixture_rows * $_[0]; }

crash_during_load('kill -9', 'sales_orders_big1.csv', 8);
crash_during_load('immediate shutdown', 'sales_orders_big2.csv', 7);

# -- a crash between the silver refresh and the gold one: the fact changes
# silver recorded are unlogged, as the gold state they apply to; both come
# back empty, and the next gold refresh rebuilds in full, the new sale in it
my $year_2019 = q{SELECT revenue FROM gold.period_metrics WHERE grain = 'year' AND period_start = '2019-01-01'};
$node->safe_psql('postgres', 'SELECT medallion_refresh_gold()');
my $year_before = $node->safe_psql('postgres', $year_2019);
open(my $sale, '>', "$landing/sales_after_crash.csv") or die $!;
print $sale "customer_id,customer_name,product_name,order_date,product_category,product,total_price\n";
print $sale qq{15,David Thomas,Eco Console 112,2019-07-01,Home,"{""curr"":""USD"",""id"":""P000013"",""name"":""Eco Console 112"",""price"":1000.00,""qty"":1}",1000.00\n};
close $sale;
$node->safe_psql('postgres', qq{SELECT medallion_ingest_csv('sales', '$landing/sales_after_crash.csv')});
$node->safe_psql('postgres', 'SELECT medallion_refresh_silver()');
is($node->safe_psql('postgres', 'SELECT count(*) > 0 FROM medallion.fact_delta'),
	't', 'the silver refresh recorded the new sale as a fact change');
$node->stop('immediate');
$node->start;
is( $node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM medallion.fact_delta) || ' ' || (SELECT count(*) FROM medallion.gold_build)}),
	'0 0', 'after the crash no fact change is left, and gold is marked as not built');
is( $node->safe_psql('postgres', 'SELECT mode FROM medallion_refresh_gold()'),
	'full', 'so the next gold refresh rebuilds in full');
is($node->safe_psql('postgres', "SELECT ($year_2019) - $year_before"),
	'1000.00', 'gold holds the sale recorded before the crash');
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT period_start, revenue FROM gold.period_metrics WHERE grain = 'year') g
	FULL JOIN (SELECT date_trunc('year', order_date)::date AS period_start, round(sum(revenue), 2) AS revenue
	           FROM silver.sales_fact GROUP BY 1) s USING (period_start)
	WHERE g.revenue IS DISTINCT FROM s.revenue}),
	'0', 'and every year\'s revenue is silver\'s');
$node->stop;
done_testing();
