/*-------------------------------------------------------------------------
 *
 * bulk_insert.c
 *	  Buffered multi-row inserts, the way COPY FROM writes tuples.
 *
 * Tuples are collected in slots and written with table_multi_insert() and a
 * BulkInsertState every BULK_MAX_TUPLES tuples or BULK_MAX_BYTES bytes of
 * input, then the table's indexes are updated (copyfrom.c does the same).
 * Triggers are not fired; medallion's own tables have none.
 *
 * src/bulk_insert.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"

#include "access/heapam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

/*
 * Opens relid for bulk inserts.  The table is opened directly, so nothing
 * else checks privileges: with check_acl, the current user must have INSERT
 * on it; without, the caller writes one of medallion's own catalogs.
 */
void
bulk_inserter_open(BulkInserter *bi, Oid relid, bool check_acl)
{
	memset(bi, 0, sizeof(BulkInserter));

	if (check_acl)
	{
		AclResult	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);

		if (aclresult != ACLCHECK_OK)
			aclcheck_error(aclresult, OBJECT_TABLE, get_rel_name(relid));
	}

	bi->rel = table_open(relid, RowExclusiveLock);
	if (bi->rel->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(bi->rel))));

	bi->estate = CreateExecutorState();
	bi->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(bi->rri, bi->rel, 1, NULL, 0);
	ExecOpenIndices(bi->rri, false);
	bi->bistate = GetBulkInsertState();
	bi->cid = GetCurrentCommandId(true);
}

/*
 * Queues one tuple.  The values are copied into the slot at once, so the
 * caller may reuse their memory; nbytes is the input size of the row.
 */
void
bulk_inserter_add(BulkInserter *bi, Datum *values, bool *nulls, size_t nbytes)
{
	TupleTableSlot *slot = bi->slots[bi->nused];
	int			natts = RelationGetDescr(bi->rel)->natts;

	if (slot == NULL)
	{
		/* slots live as long as the inserter, whatever the caller's context */
		MemoryContext oldcxt = MemoryContextSwitchTo(bi->estate->es_query_cxt);

		slot = bi->slots[bi->nused] = table_slot_create(bi->rel, NULL);
		MemoryContextSwitchTo(oldcxt);
	}

	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, natts * sizeof(Datum));
	memcpy(slot->tts_isnull, nulls, natts * sizeof(bool));
	ExecStoreVirtualTuple(slot);
	ExecMaterializeSlot(slot);

	bi->nused++;
	bi->nbytes += nbytes;
	if (bi->nused >= BULK_MAX_TUPLES || bi->nbytes >= BULK_MAX_BYTES)
		bulk_inserter_flush(bi);
}

/* Writes the queued tuples and their index entries. */
void
bulk_inserter_flush(BulkInserter *bi)
{
	MemoryContext oldcxt;

	if (bi->nused == 0)
		return;

	/* table_multi_insert may leak into the current context */
	oldcxt = MemoryContextSwitchTo(GetPerTupleMemoryContext(bi->estate));
	table_multi_insert(bi->rel, bi->slots, bi->nused, bi->cid, 0, bi->bistate);
	MemoryContextSwitchTo(oldcxt);

	for (int i = 0; i < bi->nused; i++)
	{
		if (bi->rri->ri_NumIndices > 0)
			list_free(ExecInsertIndexTuples(bi->rri, bi->slots[i], bi->estate,
											false, false, NULL, NIL));
		ExecClearTuple(bi->slots[i]);
	}
	ResetPerTupleExprContext(bi->estate);

	bi->ninserted += bi->nused;
	bi->nused = 0;
	bi->nbytes = 0;
}

/* Forgets the queued tuples without writing them. */
void
bulk_inserter_discard(BulkInserter *bi)
{
	for (int i = 0; i < bi->nused; i++)
		ExecClearTuple(bi->slots[i]);
	bi->nused = 0;
	bi->nbytes = 0;
}

/* Flushes what is queued and releases everything but the table lock. */
void
bulk_inserter_close(BulkInserter *bi)
{
	bulk_inserter_flush(bi);

	for (int i = 0; i < BULK_MAX_TUPLES && bi->slots[i] != NULL; i++)
		ExecDropSingleTupleTableSlot(bi->slots[i]);
	FreeBulkInsertState(bi->bistate);
	table_finish_bulk_insert(bi->rel, 0);
	ExecCloseIndices(bi->rri);
	FreeExecutorState(bi->estate);
	table_close(bi->rel, NoLock);
	bi->rel = NULL;
}
