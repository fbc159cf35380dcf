#!/usr/bin/env python3
"""Independent reference model of medallion's GOLD layer.

Derived from /work/shared/SPEC.md only (section 5 "Gold" and the "Gold" part
of section 8), not from medallion's code.  It reads medallion's SILVER tables
(silver.sales, silver.orders, silver.order_items, silver.products,
silver.customers) and medallion.settings, computes every gold table with
exact decimal arithmetic, reads the gold tables, and compares every column of
every row.  Output is TAP; the exit status is 1 when anything differs, 2
when the model itself failed (query error, crash).

  gold_model.py --host /tmp/model-gold --port 55462 --db postgres \
                [--label NAME] [--refresh-start EPOCH] [--max-diff N] \
                [--timezone-from table|silver]

It also checks a few silver facts gold depends on (order_date = UTC date of
order_datetime, item amount = qty * price, one current version per customer,
is_current at refresh time when --refresh-start is given, timezone = the
state's zone in medallion.state_timezones).

Model decisions (SPEC reading; the alternatives are listed in the report):
  * fact = silver.sales rows (order key = the sale: ('S', order_date,
    record_hash); date = order_date; category = the row's product_category;
    units = quantity; amount = amount) UNION silver.order_items (order key =
    ('O', order_number); date = UTC date of silver.orders.order_datetime,
    computed here from the epoch; category = silver.products.product_category
    of the item's product; units = qty; amount = qty * (own price, else the
    product's price in silver.products)).
  * grains: day; week = the Monday on or before the date (ISO week); month;
    quarter (Jan/Apr/Jul/Oct 1st); year = calendar year (Jan 1st).
  * money: exact sums, rounded only at the end with ROUND_HALF_UP (what
    PostgreSQL's round(numeric, 2) does: half away from zero, for negative
    amounts too, as Decimal's ROUND_HALF_UP).  avg_order_value = round(exact revenue / orders, 2).
  * product_performance: one row per product with at least one fact row;
    product_name and product_category from silver.products; units, revenue,
    order_count over all the product's fact rows (whatever the fact row's
    category); category_rank = rank() over products of the same
    silver.products category by exact revenue descending.
  * marketing_customers: versions with is_current (silver) whose email or
    phone is not NULL; attributes of that version, but timezone looked up in
    medallion.state_timezones as it is now (the DBA may edit it; with
    --timezone-from silver: silver.customers.timezone); purchases of the
    customer_id (all versions, both channels); total_orders = distinct order
    keys; total_spend = round(exact sum, 2), 0 when none; last_purchase_date
    = max fact date; categories = sorted (byte order) distinct fact
    categories; ltv_segment from the exact sum: >= ltv_high_threshold High,
    >= ltv_medium_threshold Medium, else Low.
"""
import argparse
import csv
import io
import json
import math
import os
import re
import subprocess
import sys
from decimal import Decimal, ROUND_HALF_UP, getcontext

getcontext().prec = 80

GRAINS = ("day", "week", "month", "quarter", "year")
CENT = Decimal("0.01")

# Dates are day numbers (days since 1970-01-01, proleptic Gregorian), so that
# years past 9999 (PostgreSQL has them, Python's datetime has not) work.


def days_from_civil(y, m, d):
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d


def date_of(s):
    """'YYYY-MM-DD' (4 or more year digits) -> day number."""
    if s is None:
        return None
    if s.endswith(" BC") or s.count("-") != 2:
        raise ValueError("unexpected date %r" % s)
    y, m, d = (int(x) for x in s.split("-"))
    return days_from_civil(y, m, d)


def date_text(z):
    return "%04d-%02d-%02d" % civil_from_days(z)


def r2(x):
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def period_start(z, grain):
    """First day (a day number) of the period of day number z."""
    if grain == "day":
        return z
    if grain == "week":
        return z - (z + 3) % 7          # 1970-01-01 was a Thursday; Monday = 0
    y, m, d = civil_from_days(z)
    if grain == "month":
        return days_from_civil(y, m, 1)
    if grain == "quarter":
        return days_from_civil(y, 3 * ((m - 1) // 3) + 1, 1)
    if grain == "year":
        return days_from_civil(y, 1, 1)
    raise ValueError(grain)


def byte_key(s):
    return s.encode("utf-8")


class DB:
    def __init__(self, a):
        self.a = a

    def rows(self, sql):
        """Rows of a query as dicts (row_to_json, so NULL and '' differ)."""
        sql = " ".join(sql.split())
        copy = ("\\copy (SELECT row_to_json(_r)::text FROM (%s) _r) TO STDOUT WITH CSV" % sql)
        cmd = [self.a.psql, "-X", "-q", "-h", self.a.host, "-p", str(self.a.port),
               "-U", self.a.user, "-d", self.a.db, "-v", "ON_ERROR_STOP=1", "-c", copy]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            sys.stderr.write(p.stderr.decode())
            print("not ok - query failed: " + sql)
            sys.exit(2)
        out = []
        for rec in csv.reader(io.StringIO(p.stdout.decode("utf-8"), newline="")):
            out.append(json.loads(rec[0], parse_float=Decimal))
        return out


def dec(v):
    return None if v is None else Decimal(str(v))


def utc_date(epoch):
    return math.floor(epoch) // 86400


class Tap:
    def __init__(self, label, max_diff):
        self.n = 0
        self.failed = 0
        self.label = label
        self.max_diff = max_diff

    def check(self, name, problems):
        self.n += 1
        name = "%s: %s" % (self.label, name) if self.label else name
        if problems:
            self.failed += 1
            print("not ok %d - %s (%d differences)" % (self.n, name, len(problems)))
            for p in problems[: self.max_diff]:
                print("#   " + p)
            if len(problems) > self.max_diff:
                print("#   ... %d more" % (len(problems) - self.max_diff))
        else:
            print("ok %d - %s" % (self.n, name))
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        if self.failed:
            print("# %s: %d of %d failed" % (self.label, self.failed, self.n))


def fmt(v):
    if isinstance(v, list):
        return "{" + ",".join(v) + "}"
    return "NULL" if v is None else str(v)


def compare(tap, table, keycols, cols, model, gold, money=()):
    """model, gold: {key tuple: {col: value}}."""
    missing = sorted(k for k in model if k not in gold)
    extra = sorted(k for k in gold if k not in model)
    probs = ["missing in gold (model has it): %s -> %s" % (
        dict(zip(keycols, k)), {c: fmt(model[k][c]) for c in cols}) for k in missing]
    probs += ["extra in gold (model has not): %s -> %s" % (
        dict(zip(keycols, k)), {c: fmt(gold[k][c]) for c in cols}) for k in extra]
    tap.check("%s rows (%d model, %d gold)" % (table, len(model), len(gold)), probs)
    common = sorted(k for k in model if k in gold)
    for c in cols:
        probs = []
        for k in common:
            mv, gv = model[k][c], gold[k][c]
            if mv != gv:
                probs.append("%s: gold %s, model %s" % (dict(zip(keycols, k)), fmt(gv), fmt(mv)))
        tap.check("%s.%s" % (table, c), probs)
    if money:
        probs = []
        for k, row in sorted(gold.items()):
            for c in money:
                t = row.get(c + "_text")
                if t is not None and not re.fullmatch(r"-?[0-9]+\.[0-9]{2}", t):
                    probs.append("%s: %s = %s (not round(..., 2))" % (dict(zip(keycols, k)), c, t))
        tap.check("%s money columns are round(..., 2) (scale 2)" % table, probs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default=os.environ.get("PGHOST", "/tmp/model-gold"))
    ap.add_argument("--port", default=os.environ.get("PGPORT", "55462"))
    ap.add_argument("--db", default="postgres")
    ap.add_argument("--user", default="postgres")
    ap.add_argument("--psql", default="/usr/lib/postgresql/15/bin/psql")
    ap.add_argument("--label", default="")
    ap.add_argument("--max-diff", type=int, default=12)
    ap.add_argument("--refresh-start", type=float, default=None,
                    help="epoch just before the last refresh (for the is_current cross-check)")
    ap.add_argument("--timezone-from", choices=["table", "silver"],
                    default=os.environ.get("MODEL_TIMEZONE_FROM", "table"),
                    help="marketing timezone: the state's zone in medallion.state_timezones as it is "
                         "now (SPEC reading A, default), or silver.customers.timezone as stored "
                         "(reading B: an edit applies only to versions written after it)")
    a = ap.parse_args()
    db = DB(a)
    tap = Tap(a.label, a.max_diff)

    # ------------------------------------------------------------ silver
    products = {r["product_id"]: r for r in db.rows(
        "SELECT product_id, product_name, product_category, price::text AS price FROM silver.products")}
    for p in products.values():
        p["price"] = dec(p["price"])
    sales = db.rows("""SELECT encode(record_hash, 'hex') AS h, customer_id, order_date::text AS d,
                       product_id, product_category, quantity, amount::text AS amount FROM silver.sales""")
    orders = {r["order_number"]: r for r in db.rows(
        """SELECT order_number, customer_id, extract(epoch FROM order_datetime)::text AS epoch,
                  order_date::text AS d FROM silver.orders""")}
    items = db.rows("""SELECT order_number, item_no, product_id, qty, price::text AS price,
                       unit_price::text AS unit_price, amount::text AS amount FROM silver.order_items""")
    customers = db.rows(
        """SELECT customer_id, extract(epoch FROM valid_from)::text AS vf,
                  extract(epoch FROM valid_to)::text AS vt, is_current, customer_name, email, phone,
                  state, timezone, loyalty_segment FROM silver.customers""")
    settings = {r["name"]: r["value"] for r in db.rows("SELECT name, value FROM medallion.settings")}
    zones = {r["state"]: r["timezone"] for r in db.rows("SELECT state, timezone FROM medallion.state_timezones")}
    now = Decimal(db.rows("SELECT extract(epoch FROM clock_timestamp())::text AS now")[0]["now"])

    # ------------------------------------------------------------ silver sanity (inputs of gold)
    probs = []
    for o in orders.values():
        ud = utc_date(Decimal(o["epoch"]))
        if date_text(ud) != o["d"]:
            probs.append("order %s: order_date %s, UTC date of order_datetime %s" % (o["order_number"], o["d"], date_text(ud)))
    tap.check("silver.orders.order_date is the UTC date of order_datetime", probs)

    probs = []
    for it in items:
        own = dec(it["price"])
        p = products.get(it["product_id"])
        unit = own if own is not None else (p["price"] if p else None)
        if it["order_number"] not in orders:
            probs.append("item %s/%s: order not in silver.orders" % (it["order_number"], it["item_no"]))
        if p is None:
            probs.append("item %s/%s: product %s not in silver.products" % (it["order_number"], it["item_no"], it["product_id"]))
        if unit is None:
            probs.append("item %s/%s: no price at all" % (it["order_number"], it["item_no"]))
            continue
        it["_amount"] = it["qty"] * unit
        va = dec(it["amount"])
        if va != it["_amount"] or dec(it["unit_price"]) != unit:
            probs.append("item %s/%s (%s, qty %s, own price %s, product price %s): view unit_price %s amount %s, model %s %s"
                         % (it["order_number"], it["item_no"], it["product_id"], it["qty"], own,
                            p["price"] if p else None, it["unit_price"], it["amount"], unit, it["_amount"]))
    tap.check("silver.order_items: amount = qty * (own price, else silver.products price)", probs)

    probs = []
    for s in sales:
        if s["product_id"] not in products:
            probs.append("sale %s: product %s not in silver.products" % (s["h"], s["product_id"]))
    tap.check("every sold product is in silver.products", probs)

    cur = {}
    probs = []
    for c in customers:
        if c["is_current"]:
            if c["customer_id"] in cur:
                probs.append("customer %s: two current versions" % c["customer_id"])
            cur[c["customer_id"]] = c
    tap.check("at most one current version per customer", probs)

    # SPEC 4: timezone = the zone of the state in medallion.state_timezones
    # (editable by the DBA): checked against the table as it is now
    probs = []
    for c in customers:
        z = zones.get(c["state"]) if c["state"] is not None else None
        if c["state"] is not None and c["state"] not in zones:
            probs.append("customer %s: state %s not in medallion.state_timezones" % (c["customer_id"], c["state"]))
        if z != c["timezone"]:
            probs.append("customer %s version %s: state %s, timezone %s, medallion.state_timezones says %s"
                         % (c["customer_id"], c["vf"], c["state"], c["timezone"], z))
    if a.timezone_from == "table":
        tap.check("silver.customers.timezone is the zone of the state in medallion.state_timezones", probs)

    if a.refresh_start is not None:
        lo, hi = Decimal(repr(a.refresh_start)), now
        probs = []
        for c in customers:
            vf, vt = Decimal(c["vf"]), dec(c["vt"])
            expect = vf <= now and (vt is None or vt > now)
            ambiguous = (lo <= vf <= hi) or (vt is not None and lo <= vt <= hi)
            if expect != c["is_current"] and not ambiguous:
                probs.append("customer %s version from %s to %s: is_current %s, expected %s at refresh time"
                             % (c["customer_id"], c["vf"], c["vt"], c["is_current"], expect))
        tap.check("silver.customers.is_current matches valid_from/valid_to at refresh time", probs)

    # ------------------------------------------------------------ the sales fact
    # (channel order key, customer_id, date, product_id, category, amount, units)
    fact = []
    for s in sales:
        fact.append((("S", s["d"], s["h"]), s["customer_id"], date_of(s["d"]), s["product_id"],
                     s["product_category"], Decimal(s["amount"]), s["quantity"]))
    for it in items:
        o = orders.get(it["order_number"])
        if o is None or "_amount" not in it:
            continue
        p = products.get(it["product_id"])
        cat = p["product_category"] if p else "UNKNOWN"
        fact.append((("O", it["order_number"]), o["customer_id"], utc_date(Decimal(o["epoch"])),
                     it["product_id"], cat, it["_amount"], it["qty"]))

    def agg():
        return [Decimal(0), 0, set()]

    sm, cm, pm, pp = {}, {}, {}, {}
    cust = {}
    for key, cid, d, pid, cat, amt, units in fact:
        for g in GRAINS:
            ps = date_text(period_start(d, g))
            for tbl, k in ((sm, (g, ps, pid, cat)), (cm, (g, ps, cat)), (pm, (g, ps))):
                x = tbl.setdefault(k, agg())
                x[0] += amt
                x[1] += units
                x[2].add(key)
        x = pp.setdefault(pid, agg())
        x[0] += amt
        x[1] += units
        x[2].add(key)
        c = cust.setdefault(cid, {"spend": Decimal(0), "keys": set(), "last": None, "cats": set()})
        c["spend"] += amt
        c["keys"].add(key)
        c["last"] = d if c["last"] is None or d > c["last"] else c["last"]
        c["cats"].add(cat)

    def measures(x):
        return {"revenue": r2(x[0]), "units": x[1], "order_count": len(x[2]),
                "avg_order_value": r2(x[0] / len(x[2]))}

    m_sm = {k: measures(x) for k, x in sm.items()}
    m_cm = {k: measures(x) for k, x in cm.items()}
    m_pm = {k: measures(x) for k, x in pm.items()}

    m_pp = {}
    exact = {}
    for pid, x in pp.items():
        p = products.get(pid)
        cat = p["product_category"] if p else None
        exact[pid] = (cat, x[0])
        m_pp[(pid,)] = {"product_name": p["product_name"] if p else None, "product_category": cat,
                        "units_sold": x[1], "revenue": r2(x[0]), "order_count": len(x[2])}
    for pid, (cat, rev) in exact.items():
        m_pp[(pid,)]["category_rank"] = 1 + sum(1 for q, (c2, r) in exact.items() if c2 == cat and r > rev)

    high = Decimal(settings["ltv_high_threshold"].strip())
    medium = Decimal(settings["ltv_medium_threshold"].strip())
    m_mc = {}
    for cid, c in cur.items():
        if c["email"] is None and c["phone"] is None:
            continue
        b = cust.get(cid)
        spend = b["spend"] if b else Decimal(0)
        m_mc[(cid,)] = {
            "customer_name": c["customer_name"], "email": c["email"], "phone": c["phone"],
            "state": c["state"],
            "timezone": (zones.get(c["state"]) if c["state"] is not None else None)
                        if a.timezone_from == "table" else c["timezone"],
            "loyalty_segment": c["loyalty_segment"],
            "total_orders": len(b["keys"]) if b else 0,
            "total_spend": r2(spend) if b else Decimal(0),
            "last_purchase_date": date_text(b["last"]) if b else None,
            "categories": sorted(b["cats"], key=byte_key) if b else [],
            "ltv_segment": "High" if spend >= high else "Medium" if spend >= medium else "Low",
        }

    # ------------------------------------------------------------ gold
    def gold(sql, keycols, money):
        out = {}
        for r in db.rows(sql):
            for c in money:
                r[c + "_text"] = r[c]
                r[c] = dec(r[c])
            k = tuple(r[c] for c in keycols)
            if k in out:
                tap.check("duplicate key in gold: %s" % (k,), ["duplicate"])
            out[k] = r
        return out

    meas = ["revenue", "units", "order_count", "avg_order_value"]
    money = ("revenue", "avg_order_value")
    g = gold("""SELECT grain, period_start::text AS period_start, product_id, product_category,
                revenue::text AS revenue, units, order_count, avg_order_value::text AS avg_order_value
                FROM gold.sales_metrics""", ["grain", "period_start", "product_id", "product_category"], money)
    compare(tap, "gold.sales_metrics", ["grain", "period_start", "product_id", "product_category"],
            meas, m_sm, g, money)
    g = gold("""SELECT grain, period_start::text AS period_start, product_category,
                revenue::text AS revenue, units, order_count, avg_order_value::text AS avg_order_value
                FROM gold.category_metrics""", ["grain", "period_start", "product_category"], money)
    compare(tap, "gold.category_metrics", ["grain", "period_start", "product_category"], meas, m_cm, g, money)
    g = gold("""SELECT grain, period_start::text AS period_start,
                revenue::text AS revenue, units, order_count, avg_order_value::text AS avg_order_value
                FROM gold.period_metrics""", ["grain", "period_start"], money)
    compare(tap, "gold.period_metrics", ["grain", "period_start"], meas, m_pm, g, money)
    g = gold("""SELECT product_id, product_name, product_category, units_sold, revenue::text AS revenue,
                order_count, category_rank FROM gold.product_performance""", ["product_id"], ("revenue",))
    compare(tap, "gold.product_performance", ["product_id"],
            ["product_name", "product_category", "units_sold", "revenue", "order_count", "category_rank"],
            m_pp, g, ("revenue",))
    g = gold("""SELECT customer_id, customer_name, email, phone, state, timezone, loyalty_segment,
                total_orders, total_spend::text AS total_spend, last_purchase_date::text AS last_purchase_date,
                categories, ltv_segment FROM gold.marketing_customers""", ["customer_id"], ("total_spend",))
    compare(tap, "gold.marketing_customers", ["customer_id"],
            ["customer_name", "email", "phone", "state", "timezone", "loyalty_segment", "total_orders",
             "total_spend", "last_purchase_date", "categories", "ltv_segment"], m_mc, g, ("total_spend",))

    # standardised contact data in the export
    probs = []
    for k, r in sorted(g.items()):
        if r["email"] is not None and not re.fullmatch(r"[^\s@]+@[^\s@]+\.[^\s@]+", r["email"]):
            probs.append("customer %s: email %r" % (k[0], r["email"]))
        # SPEC 8: "email regex on the lower-cased trimmed ASCII value": at
        # least the ASCII letters are lower-case (non-ASCII: see the report)
        if r["email"] is not None and re.search(r"[A-Z]", r["email"]):
            probs.append("customer %s: email not lower-case %r" % (k[0], r["email"]))
        if r["phone"] is not None and not re.fullmatch(r"\+1[0-9]{10}", r["phone"]):
            probs.append("customer %s: phone %r" % (k[0], r["phone"]))
        if r["email"] is None and r["phone"] is None:
            probs.append("customer %s: neither email nor phone" % k[0])
    tap.check("gold.marketing_customers: email/phone standardised, one of them present", probs)

    # the sales tables hold no customer identifier or attribute
    expected = {
        "sales_metrics": ["grain", "period_start", "product_id", "product_category", "revenue", "units",
                          "order_count", "avg_order_value"],
        "category_metrics": ["grain", "period_start", "product_category", "revenue", "units",
                             "order_count", "avg_order_value"],
        "period_metrics": ["grain", "period_start", "revenue", "units", "order_count", "avg_order_value"],
        "product_performance": ["product_id", "product_name", "product_category", "units_sold", "revenue",
                                "order_count", "category_rank"],
    }
    cols = {}
    for r in db.rows("""SELECT table_name, column_name FROM information_schema.columns
                        WHERE table_schema = 'gold' ORDER BY table_name, ordinal_position"""):
        cols.setdefault(r["table_name"], []).append(r["column_name"])
    probs = ["gold.%s columns %s, expected %s" % (t, cols.get(t), c) for t, c in expected.items()
             if cols.get(t) != c]
    tap.check("gold sales tables have exactly the SPEC columns (no customer data)", probs)

    print("# %s: %d sales, %d orders, %d items, %d products, %d customer versions (%d current); "
          "gold model rows: %d sales_metrics, %d category_metrics, %d period_metrics, %d products, %d marketing"
          % (a.label, len(sales), len(orders), len(items), len(products), len(customers), len(cur),
             len(m_sm), len(m_cm), len(m_pm), len(m_pp), len(m_mc)))
    tap.done()
    return 1 if tap.failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SystemExit:
        raise
    except BaseException as e:      # a crash is a failure, not a pass
        import traceback
        traceback.print_exc()
        print("not ok - the model crashed: %r" % (e,))
        sys.exit(2)
