# medallion: a sales & marketing medallion ETL pipeline as a PostgreSQL extension

MODULE_big = medallion
OBJS = \
	src/medallion.o \
	src/csv_reader.o \
	src/bulk_insert.o \
	src/bronze.o \
	src/values.o \
	src/values_sql.o \
	src/json_items.o \
	src/json_batch.o \
	src/parse.o \
	src/steps.o \
	src/aggregates.o \
	src/silver.o \
	src/gold.o \
	src/gold_state.o \
	src/run.o

EXTENSION = medallion
DATA = medallion--1.0.sql
PGFILEDESC = "medallion - CSV to bronze, silver and gold inside PostgreSQL"

REGRESS = bronze bronze_files silver_rules silver_scd2 silver_retry silver_products silver_values gold_values gold_incremental access operations
REGRESS_OPTS = --inputdir=. --outputdir=.
ISOLATION = bronze_concurrent
ISOLATION_OPTS = --inputdir=. --outputdir=isolation_output

JSONC_CFLAGS := $(shell pkg-config --cflags json-c)
JSONC_LIBS := $(shell pkg-config --libs json-c)

# libcsv has no pkg-config file: header <csv.h>, library -lcsv
PG_CPPFLAGS = -Isrc $(JSONC_CFLAGS)
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers -Wno-clobbered
SHLIB_LINK = -lcsv $(JSONC_LIBS) -pthread

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: every object is rebuilt when a header
# changes (a struct laid out differently in two objects is silent garbage)
$(OBJS): $(wildcard src/*.h)
