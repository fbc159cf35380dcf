# A hostile public schema does not run with elevated rights.
#
# An unprivileged role that may create objects in public plants functions,
# an aggregate and an operator shadowing built-ins medallion's SQL uses,
# each a better match for some argument types than pg_catalog's, each
# recording current_user when it runs.  Some are planted before CREATE
# EXTENSION, some before a refresh.  The superuser then installs medallion,
# loads the sample data and refreshes silver and gold, incrementally and in
# full: none of the traps may have run.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $data = "$ENV{MEDALLION_DATA}/sample";

my $node = PostgreSQL::Test::Cluster->new('hostile');
$node->init;
$node->start;

$node->safe_psql('postgres', q{
	CREATE ROLE regress_attacker LOGIN;
	GRANT CREATE ON SCHEMA public TO regress_attacker;
});

# each trap logs who ran it, then behaves like the built-in it shadows
my $traps_before = q{
	CREATE TABLE public.pwned (who text, trap text);
	GRANT INSERT, SELECT ON public.pwned TO PUBLIC;
	CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, 'lower'); SELECT pg_catalog.lower($1::text) $$;
	CREATE FUNCTION public.upper(varchar) RETURNS text LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, 'upper'); SELECT pg_catalog.upper($1::text) $$;
	CREATE FUNCTION public.format(text, text) RETURNS text LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, 'format'); SELECT pg_catalog.format($1, $2) $$;
	CREATE FUNCTION public.date_trunc(text, date) RETURNS timestamp LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, 'date_trunc'); SELECT pg_catalog.date_trunc($1, $2::timestamp) $$;
	CREATE FUNCTION public.trap_mul(bigint, numeric) RETURNS numeric LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, '*'); SELECT $1::numeric * $2 $$;
	CREATE OPERATOR public.* (LEFTARG = bigint, RIGHTARG = numeric, FUNCTION = public.trap_mul);
	CREATE FUNCTION public.trap_eq(text, varchar) RETURNS boolean LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, '='); SELECT $1 = $2::text $$;
	CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = varchar, FUNCTION = public.trap_eq);
	CREATE FUNCTION public.trap_agg(text[], text) RETURNS text[] LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, 'array_agg'); SELECT $1 || $2 $$;
	CREATE AGGREGATE public.array_agg(text) (SFUNC = public.trap_agg, STYPE = text[]);
};
my $traps_after = q{
	CREATE FUNCTION public.md5(varchar) RETURNS text LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, 'md5'); SELECT pg_catalog.md5($1::text) $$;
	CREATE FUNCTION public.round(numeric, bigint) RETURNS numeric LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, 'round'); SELECT pg_catalog.round($1, $2::int) $$;
	CREATE FUNCTION public.trap_sum(numeric, integer) RETURNS numeric LANGUAGE sql AS
		$$ INSERT INTO public.pwned VALUES (current_user, 'sum'); SELECT coalesce($1, 0) + $2 $$;
	CREATE AGGREGATE public.sum(integer) (SFUNC = public.trap_sum, STYPE = numeric);
};
$node->safe_psql('postgres', $traps_before, extra_params => [ '-U', 'regress_attacker' ]);

# the traps are armed: with public first, a superuser's query springs them
$node->safe_psql('postgres', q{
	SET search_path = public, pg_catalog;
	SELECT date_trunc('month', current_date), lower('X'::varchar), array_agg(x) FROM (VALUES ('a')) v(x);
});
is($node->safe_psql('postgres', q{SELECT string_agg(trap, ',' ORDER BY trap) FROM public.pwned WHERE who = 'postgres'}),
	'array_agg,date_trunc,lower', 'the traps work when public is searched first');
$node->safe_psql('postgres', 'TRUNCATE public.pwned');

# the DBA installs medallion with public in search_path, as usual
$node->safe_psql('postgres', 'CREATE EXTENSION medallion');
for my $source (qw(customers products sales))
{
	$node->safe_psql('postgres', "SELECT medallion_ingest_csv('$source', '$data/$source.csv')");
}
$node->safe_psql('postgres', 'SELECT medallion_refresh_gold()');

$node->safe_psql('postgres', $traps_after, extra_params => [ '-U', 'regress_attacker' ]);
$node->safe_psql('postgres', qq{
	SELECT medallion_ingest_csv('sales_orders', '$data/sales_orders.csv');
	SELECT medallion_parse_products();
	SELECT medallion_refresh_silver();
	SELECT medallion_refresh_gold();
	SELECT medallion_refresh_gold(full => true);
	SELECT medallion_apply_access();
	SELECT count(*) FROM silver.order_items;
	SELECT count(*) FROM silver.sales_fact;
	SELECT count(*) FROM medallion.silver_accounting;
});
ok($node->safe_psql('postgres', 'SELECT count(*) FROM gold.sales_metrics') > 0,
	'the pipeline ran to gold');
is($node->safe_psql('postgres', 'SELECT coalesce(string_agg(DISTINCT who || \':\' || trap, \',\'), \'none\') FROM public.pwned'),
	'none', 'no trap ran, neither at install nor in any refresh');

$node->stop;
done_testing();
