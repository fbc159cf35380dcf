# medallion_ingest_csv reports its progress in pg_stat_progress_copy.
#
# A session holds a lock on bronze.sales_orders, so the load stops right
# after it has started reporting (it opens the table after the header);
# another session then sees the load in pg_stat_progress_copy.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $file = "$ENV{MEDALLION_DATA}/big_orders.csv";
my $size = -s $file;
ok($size > 1_000_000, 'the fixture is big enough to report progress on');

my $node = PostgreSQL::Test::Cluster->new('progress');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION medallion');

my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK bronze.sales_orders IN ACCESS EXCLUSIVE MODE;');

my $loader = $node->background_psql('postgres');
$loader->query_until(qr/started/, "\\echo started\nSELECT status, rows_loaded FROM medallion_ingest_csv('sales_orders', '$file');\n");

ok( $node->poll_query_until(
		'postgres', q{
	SELECT count(*) = 1 FROM pg_stat_progress_copy
	WHERE relid = 'bronze.sales_orders'::regclass AND command = 'COPY FROM'}),
	'the load appears in pg_stat_progress_copy');

my $row = $node->safe_psql('postgres', q{
	SELECT type, bytes_total, bytes_processed > 0, bytes_processed <= bytes_total
	FROM pg_stat_progress_copy WHERE relid = 'bronze.sales_orders'::regclass});
is($row, "FILE|$size|t|t", 'it reports the file size and the bytes read so far');

$locker->query_safe('COMMIT;');
my $result = $loader->query_safe('');
$loader->quit;
$locker->quit;

# the loader printed its result after the lock was released
my $loaded = $node->safe_psql('postgres', 'SELECT status, rows_loaded FROM medallion.batches');
is($loaded, 'loaded|60000', 'the load completed once the lock was released');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_stat_progress_copy'),
	'0', 'and no longer reports progress');

$node->stop;
done_testing();
