# pg_dump and pg_restore of a database using medallion: what was loaded
# survives (bronze, silver, the quarantine, the logs), gold is rebuilt from
# silver by the next refresh, and everything numbered by an identity goes
# on numbering after the restored rows.
use strict;
use warnings;
use File::Copy;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $data = $ENV{MEDALLION_DATA};
my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
my $landing = $node->basedir . '/landing';
mkdir $landing or die "mkdir $landing: $!";
$node->append_conf('postgresql.conf', qq{medallion.landing_dir = '$landing'});
$node->start;

# the sample data through a run (runs, run_steps, batches), a late order
# (quarantined, then a second refresh), an expectation (dq_results)
copy("$data/sample/$_.csv", "$landing/${_}_1.csv") or die $! for qw(customers products sales sales_orders);
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
	CREATE EXTENSION medallion;
	UPDATE medallion.settings SET value = '0' WHERE name = 'settle_seconds';
	INSERT INTO medallion.expectations (name, target_table, predicate, action)
	VALUES ('positive_amounts', 'silver.sales', 'amount >= 0', 'warn');
});
$node->safe_psql('src', 'CALL medallion_run()');
copy("$data/ops_sales_orders_late.csv", "$landing/ops_late.csv") or die $!;   # no source's name
$node->safe_psql('src', qq{SELECT medallion_ingest_csv('sales_orders', '$landing/ops_late.csv')});
$node->safe_psql('src', 'SELECT medallion_refresh_gold()');

# every table that holds data, as one checksum each
my @silver = qw(medallion.batches bronze.customers bronze.products bronze.sales bronze.sales_orders
  silver.customers silver.products silver.sales silver.orders silver.order_items silver.order_clicks
  silver.quarantine medallion.dq_warnings medallion.dq_results medallion.runs medallion.run_steps);
my @gold = qw(gold.sales_metrics gold.category_metrics gold.period_metrics gold.product_performance
  gold.marketing_customers);
sub checksums
{
	my ($db, @tables) = @_;
	return $node->safe_psql($db, join(' UNION ALL ', map {
		"SELECT '$_', count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM $_ t"
	} @tables));
}
my $silver_before = checksums('src', @silver);
my $gold_before = checksums('src', @gold);
like($node->safe_psql('src', 'SELECT count(*) FROM silver.quarantine'), qr/^[1-9]/,
	'the source database has quarantined records');

# dump, restore into a new database
my $dump = $node->basedir . '/medallion.dump';
command_ok([ 'pg_dump', '-h', $node->host, '-p', $node->port, '-Fc', '-f', $dump, 'src' ],
	'pg_dump of the database');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
my ($stdout, $stderr);
my $restored = IPC::Run::run([ 'pg_restore', '-h', $node->host, '-p', $node->port, '-d', 'dst', $dump ],
	'>', \$stdout, '2>', \$stderr);
ok($restored, 'pg_restore exits 0');
is($stderr, '', 'pg_restore reports no error');

is(checksums('dst', @silver), $silver_before,
	'bronze, silver, the quarantine and the logs are restored row for row');

# gold: rebuilt from silver by the next refresh, equal to the source's
$node->safe_psql('dst', 'SELECT medallion_refresh_gold()');
is(checksums('dst', @gold), $gold_before, 'the first refresh after the restore gives the same gold');

# identities go on after the restored rows: a new run loads a new file,
# quarantines, checks the expectation (settings are re-applied after a
# restore, as the README says: their rows come with the extension)
$node->safe_psql('dst', q{UPDATE medallion.settings SET value = '0' WHERE name = 'settle_seconds'});
copy("$data/customers_basic.csv", "$landing/customers_2.csv") or die $!;
open(my $fh, '>', "$landing/sales_9.csv") or die $!;
print $fh "customer_id,product_name,order_date,product_category,product,total_price\n";
print $fh "x9,Widget,2019-01-01,Tools,\"{\"\"id\"\"\:\"\"P1\"\"}\",5\n";
close $fh;
my ($rc, $out, $err) = $node->psql('dst', 'CALL medallion_run()');
is($err, '', 'a run after the restore raises no error');
is( $node->safe_psql('dst', q{
	SELECT status || ' ' || files FROM medallion.runs ORDER BY run_id DESC LIMIT 1}),
	'succeeded 2', 'and succeeds, loading the two new files');
is( $node->safe_psql('dst', q{
	SELECT (SELECT count(*) FROM medallion.batches) = (SELECT count(DISTINCT batch_id) FROM medallion.batches)
	   AND (SELECT max(batch_id) FROM medallion.batches WHERE path LIKE '%sales_9.csv') >
	       (SELECT max(batch_id) FROM medallion.batches WHERE path NOT LIKE '%sales_9.csv')
	   AND (SELECT count(*) FROM silver.quarantine WHERE record->>'customer_id' = 'x9') = 1
	   AND (SELECT count(*) FROM medallion.runs) = 2}),
	't', 'new batches, quarantine rows and runs are numbered after the restored ones');

$node->stop;
done_testing();
