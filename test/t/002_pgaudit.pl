# The documented pgaudit configuration logs every read of a PII column.
#
# pgaudit is preloaded with object auditing through the role
# medallion_auditor; medallion_apply_access() grants that role SELECT on
# every column medallion.column_classification marks as PII.  A marketing
# read of gold.marketing_customers then leaves an AUDIT line in the server
# log; a sales read of gold.sales_metrics, or of the non-PII columns of
# silver.customers, does not.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $data = "$ENV{MEDALLION_DATA}/sample";

my $node = PostgreSQL::Test::Cluster->new('audit');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pgaudit'
pgaudit.role = 'medallion_auditor'
pgaudit.log = 'none'
pgaudit.log_parameter = off
});
$node->start;

# the README's set-up, in its order
$node->safe_psql('postgres', q{
	CREATE EXTENSION pgaudit;
	CREATE EXTENSION medallion;
	CREATE ROLE medallion_auditor NOLOGIN;
	SELECT medallion_apply_access();
});
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM information_schema.column_privileges
	WHERE grantee = 'medallion_auditor' AND privilege_type = 'SELECT'}),
	$node->safe_psql('postgres', q{
	SELECT count(*) FROM medallion.column_classification WHERE classification = 'pii'}),
	'the auditor role holds SELECT on every PII column, and on nothing else');
is( $node->safe_psql('postgres', q{
	SELECT has_column_privilege('medallion_auditor', 'gold.marketing_customers', 'total_spend', 'SELECT')}),
	'f', 'not on a column that is not PII');

for my $source (qw(customers products sales sales_orders))
{
	$node->safe_psql('postgres', "SELECT medallion_ingest_csv('$source', '$data/$source.csv')");
}
$node->safe_psql('postgres', q{
	SELECT medallion_refresh_gold();
	CREATE ROLE regress_marketing LOGIN IN ROLE medallion_marketing;
	CREATE ROLE regress_sales LOGIN IN ROLE medallion_sales;
	INSERT INTO medallion.marketing_territories VALUES ('regress_marketing', '*');
});

# reads as a role, returns what they added to the server log
sub log_of
{
	my ($role, $sql) = @_;
	my $offset = -s $node->logfile;
	my $out = $node->safe_psql('postgres', $sql, extra_params => [ '-U', $role ]);
	# the log line is written before the result is sent; a checkpoint-free
	# round trip makes sure the logger has flushed it
	$node->safe_psql('postgres', 'SELECT 1');
	return (slurp_file($node->logfile, $offset), $out);
}

my ($log, $out) = log_of('regress_marketing',
	'SELECT customer_name, email FROM gold.marketing_customers ORDER BY customer_id LIMIT 3');
ok($out ne '', 'marketing reads its customers');
like($log, qr/AUDIT: OBJECT,\d+,\d+,READ,SELECT,TABLE,gold\.marketing_customers,/,
	'a marketing read of gold.marketing_customers is audited');

($log, $out) = log_of('regress_sales',
	"SELECT period_start, revenue FROM gold.sales_metrics WHERE grain = 'month' LIMIT 3");
ok($out ne '', 'sales reads gold.sales_metrics');
unlike($log, qr/AUDIT/, 'a sales read of gold.sales_metrics is not audited');

($log, $out) = log_of('regress_sales',
	'SELECT customer_id, state, loyalty_segment FROM silver.customers LIMIT 3');
ok($out ne '', 'sales reads the non-PII columns of silver.customers');
unlike($log, qr/AUDIT/, 'reading only non-PII columns is not audited');

($log, $out) = log_of('postgres', 'SELECT email FROM silver.customers LIMIT 1');
like($log, qr/AUDIT: OBJECT,\d+,\d+,READ,SELECT,TABLE,silver\.customers,/,
	'a read of a PII column of silver.customers is audited, whoever reads it');

$node->stop;
done_testing();
