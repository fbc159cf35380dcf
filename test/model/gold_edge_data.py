#!/usr/bin/env python3
"""Hand-made edge cases for the gold differential test (gold_model.py).

  gold_edge_data.py --out DIR --soon EPOCH

writes DIR/batch1/{customers,products,sales,sales_orders}.csv,
DIR/batch2/{customers,products,sales,sales_orders}.csv and
DIR/batch3/{customers,products}.csv.  EPOCH is a moment a
few seconds ahead: a version starting then (customer 11) and one ending then
(customer 12) change is_current between two refreshes without any new data.

Every case is commented where it is written.  Formats follow SPEC section 2
and section 8 "Typed values".
"""
import argparse
import csv
import json
import os

CUST_HDR = ["customer_id", "customer_name", "state", "email", "phone", "valid_from", "valid_to",
            "loyalty_segment"]
PROD_HDR = ["product_id", "product_name", "product_category", "sales_price"]
SALES_HDR = ["customer_id", "product_name", "order_date", "product_category", "product", "total_price"]
ORD_HDR = ["customer_id", "order_datetime", "order_number", "ordered_products"]

T0 = "1500000000"   # 2017-07-14: an old version start
T1 = "1600000000"   # 2020-09-13
T2 = "1650000000"   # 2022-04-15
T3 = "1700000000"   # 2023-11-14


def pj(pid, name=None, price=None, qty=None):
    """sales.product JSON text (price/total written as given: exact decimals)."""
    parts = ['"curr":"USD"', '"id":%s' % json.dumps(pid)]
    if name is not None:
        parts.append('"name":%s' % json.dumps(name))
    if price is not None:
        parts.append('"price":%s' % price)
    if qty is not None:
        parts.append('"qty":%s' % (qty if isinstance(qty, int) else json.dumps(qty)))
    return "{" + ",".join(parts) + "}"


def item(pid, qty, price=None, name=None):
    parts = ['"id":%s' % json.dumps(pid), '"qty":%s' % qty, '"curr":"USD"', '"unit":"pcs"']
    if price is not None:
        parts.append('"price":%s' % price)
    if name is not None:
        parts.append('"name":%s' % json.dumps(name))
    return "{" + ",".join(parts) + "}"


def pair(pid, qty):
    return "[%s,%s]" % (json.dumps(pid), qty)


def arr(*xs):
    return "[" + ",".join(xs) + "]"


def write(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--soon", type=int, required=True)
    a = ap.parse_args()
    soon = str(a.soon)
    b1 = os.path.join(a.out, "batch1")
    b2 = os.path.join(a.out, "batch2")
    b3 = os.path.join(a.out, "batch3")

    # ------------------------------------------------------------------ batch 1
    write(os.path.join(b1, "customers.csv"), CUST_HDR, [
        # current, email and phone need standardising
        ["1", "  Alice   Smith ", "ca", "  Alice@Example.COM ", "(555) 123-4567", T0, "", "3"],
        # current, no email and no phone: not in marketing, but buys
        ["2", "Bob", "NY", "", "", T0, "", "1"],
        # all versions closed (valid_to in the past): not current, still buys
        ["3", "Carol", "TX", "carol@example.org", "", T0, T1, "2"],
        # phone only (11 digits with leading 1), no purchases at all
        ["4", "Dan", "WA", "", "1-206-555-0100", T0, "", "0"],
        # invalid email and phone: standardised to NULL, not in marketing
        ["5", "Eve", "FL", "not-an-email", "12345", T0, "", ""],
        # version 1 has an email, the current version 2 has none
        ["6", "Frank", "IL", "frank@example.com", "", T0, "", "1"],
        ["6", "Frank", "IL", "", "", T1, "", "1"],
        # state not a code: NULL state and timezone
        ["7", "Grace", "zz", "grace@example.com", "", T0, "", ""],
        # LTV: exact spend 999.995 (rounds to 1000.00, but is below 1000 -> Medium)
        ["8", "Heidi", "CA", "heidi@example.com", "", T0, "", "5"],
        # LTV: exact spend 500.000 -> Medium (>=)
        ["9", "Ivan", "OR", "ivan@example.com", "", T0, "", ""],
        # LTV: exact spend 499.999 (rounds to 500.00) -> Low
        ["10", "Judy", "NV", "judy@example.com", "", T0, "", ""],
        # only version starts a few seconds from now: exists, not yet current
        ["11", "Nina", "CO", "nina@example.com", "", soon, "", "2"],
        # only version ends a few seconds from now: current now, not later
        ["12", "Omar", "UT", "omar@example.com", "", T0, soon, "4"],
        # no purchases; start / end a few seconds from now (is_current flips
        # with nothing else changing)
        ["22", "Wes", "OH", "wes@example.com", "", soon, "", ""],
        ["23", "Xia", "OK", "", "405-555-0123", T0, soon, ""],
        # email only, no purchases
        ["14", "Ken", "MA", "KEN@EXAMPLE.COM", "", T0, "", ""],
        # two versions, both closed: not current, still has orders
        ["15", "Leo", "AZ", "leo@example.com", "", T0, T1, ""],
        ["15", "Leo", "AZ", "leo2@example.com", "", T1, T2, ""],
        # gets an order that is superseded in batch 2
        ["16", "Mia", "GA", "mia@example.com", "", T0, "", ""],
        # (customer 17 arrives only in batch 2: its order O10 and a sale wait
        # in quarantine; customer 18 arrives in batch 3)
        # the largest customer id
        ["9223372036854775807", "Max", "DC", "max@example.com", "", T0, "", "1"],
        # odd categories and high-precision amounts
        ["19", "Pat", "PR", "pat@example.com", "", T0, "", ""],
        # only order is moved to customer 1 in batch 2: back to no purchases
        ["20", "Uma", "KS", "uma@example.com", "", T0, "", ""],
        # old dates (before 2000 and before 1970)
        ["21", "Vic", "KY", "vic@example.com", "", T0, "", ""],
    ])
    write(os.path.join(b1, "products.csv"), PROD_HDR, [
        ["PA", "Alpha", "Audio", "10.00"],
        ["PB", "Beta", "Audio", "20.00"],
        ["PC", "Gamma", "Cameras", "5.005"],      # 3 decimals: items without own price
        ["PE", "Eps", "Ties", ""],
        ["PF", "Phi", "Ties", ""],
        ["PG", "Gee", "Ties", ""],
        ["PH", "Aitch", "Ties", ""],
        ["P0", "Zero", "Ties", ""],
        # categories that sort differently in byte order and in a linguistic
        # collation (the edge database uses ICU en-US)
        ["PZ", "Zed", "zeta", "1.00"],
        ["PU", "Uml", "Éclair", "2.50"],
        ["PW", "Wee", "_under", "3.00"],
        # in the catalog, never sold: not in product_performance
        ["PNOSALE", "Unsold", "Audio", "1.00"],
    ])
    write(os.path.join(b1, "sales.csv"), SALES_HDR, [
        # year boundary: 2020-12-31 (Thursday; ISO week 2020-W53 from 2020-12-28)
        ["1", "Alpha", "2020-12-31", "Audio", pj("PA", "Alpha", "10.00", 1), "10.00"],
        # Monday 2021-01-04: a sale and an order (O1) of the same product, same day
        ["1", "Alpha", "2021-01-04", "Audio", pj("PA", "Alpha", "10.00", 1), "10.00"],
        # the same product sold under another category (the row's category counts)
        ["1", "Alpha", "2021-01-04", "audio", pj("PA", "Alpha", "10.00", 2), "20.00"],
        # Sunday 2021-01-03 belongs to the week of Monday 2020-12-28 (ISO 2020-W53)
        ["2", "Beta", "2021-01-03", "Audio", pj("PB", "Beta", "20.00", 1), "20.00"],
        # ... and the same record again: one sale
        ["2", "Beta", "2021-01-03", "Audio", pj("PB", "Beta", "20.00", 1), "20.00"],
        # a closed customer's sales; quarter boundary 2021-03-31 / 2021-04-01
        ["3", "Gamma", "2021-03-31", "Cameras", pj("PC", "Gamma", "5.005", 3), "15.015"],
        # empty category -> UNKNOWN; qty not an integer -> quantity 1
        ["3", "Gamma", "2021-04-01", "", pj("PC", "Gamma", "5.005", "x"), "5.005"],
        # LTV sums
        ["8", "Alpha", "2022-06-15", "Audio", pj("PA", "Alpha", "10.00", 1), "999.995"],
        ["9", "Beta", "2022-06-15", "Audio", pj("PB", "Beta", "20.00", 1), "250.000"],
        ["9", "Beta", "2022-06-16", "Audio", pj("PB", "Beta", "20.00", 1), "250"],
        ["10", "Beta", "2022-06-16", "Audio", pj("PB", "Beta", "20.00", 1), "499.999"],
        # rank ties in category Ties: PG 30.004 (1), PE 30.00 (2), PF 10+20 (2),
        # PH 29.999 (4, although it rounds to 30.00), P0 0 (5)
        ["2", "Eps", "2023-05-01", "Ties", pj("PE", "Eps", "30.00", 1), "30.00"],
        ["2", "Phi", "2023-05-01", "Ties", pj("PF", "Phi", "10.00", 1), "10.00"],
        ["2", "Phi", "2023-05-02", "Ties", pj("PF", "Phi", "20.00", 1), "20.00"],
        ["2", "Gee", "2023-05-01", "Ties", pj("PG", "Gee", "30.004", 1), "30.004"],
        ["2", "Aitch", "2023-05-01", "Ties", pj("PH", "Aitch", "29.999", 1), "29.999"],
        ["2", "Zero", "2023-05-03", "Ties", pj("P0", "Zero", "0", 1), "0"],
        # categories in byte order: {Audio, _under, zeta, Éclair} for customer 1
        ["1", "Zed", "2024-02-29", "zeta", pj("PZ", "Zed", "1.00", 1), "1.00"],
        ["1", "Uml", "2024-02-29", "Éclair", pj("PU", "Uml", "2.50", 1), "2.50"],
        ["1", "Wee", "2024-02-29", "_under", pj("PW", "Wee", "3.00", 1), "3.00"],
        # a product known only from sales (category Sonly; batch 2 renames it)
        ["1", "Sonly", "2024-03-01", "Sonly", pj("PS", None, "7", None), "7.00"],
        # half-cent rounding: revenue 0.025 -> 0.03 (half away from zero, not
        # half-even 0.02); the day's avg 0.05/2 = 0.025 -> 0.03
        ["1", "Alpha", "2019-07-01", "Audio", pj("PA", "Alpha", "0.025", 1), "0.025"],
        ["1", "Beta", "2019-07-01", "Audio", pj("PB", "Beta", "0.025", 1), "0.025"],
        # a recent Monday
        ["7", "Alpha", "2026-11-30", "Audio", pj("PA", "Alpha", "10.00", 1), "10.00"],
        # customer 12 (ends soon) has a purchase
        ["12", "Beta", "2025-05-06", "Audio", pj("PB", "Beta", "20.00", 1), "20.00"],
        # exact sums: 3 x 0.335 = 1.005 -> 1.01 (binary floats give 1.00);
        # avg 0.335 -> 0.34
        ["1", "Gamma", "2019-08-01", "Cameras", pj("PC", "Gamma", "0.335", 1), "0.335"],
        ["2", "Gamma", "2019-08-01", "Cameras", pj("PC", "Gamma", "0.335", 1), "0.335"],
        ["3", "Gamma", "2019-08-01", "Cameras", pj("PC", "Gamma", "0.335", 1), "0.335"],
        # numeric syntax with an exponent, and surrounding blanks
        ["7", "Beta", "2025-01-01", "Audio", pj("PB", "Beta", "20.00", 1), " 1.5e2 "],
        # a sale of the late customer 17 (admitted in batch 2)
        ["17", "Beta", "2022-03-11", "Audio", pj("PB", "Beta", "20.00", 1), "20.00"],
        # categories that need quoting in a text[] (customer 19's categories)
        ["19", "Odd", "2018-01-01", "Home, Garden", pj("PO1", "Odd", "1", 1), "1"],
        ["19", "Odd", "2018-01-01", 'Say "hi"', pj("PO1", "Odd", "1", 1), "1"],
        ["19", "Odd", "2018-01-01", "back\\slash", pj("PO1", "Odd", "1", 1), "1"],
        ["19", "Odd", "2018-01-01", "{braces}", pj("PO1", "Odd", "1", 1), "1"],
        ["19", "Odd", "2018-01-01", "two  spaces", pj("PO1", "Odd", "1", 1), "1"],
        ["19", "Odd", "2018-01-01", "nullx", pj("PO1", "Odd", "1", 1), "1"],
        # high precision: 22 decimals; the day sums to exactly 0.005 -> 0.01
        ["19", "Prec", "2018-02-01", "Prec", pj("PQ1", "Prec", "1", 1), "0.0049999999999999999999"],
        ["19", "Prec", "2018-02-01", "Prec", pj("PQ2", "Prec", "1", 1), "0.0000000000000000000001"],
        # rank by exact revenue: PQ3 5.0000000000000000000001 (1) > PQ4 2.5+2.5 (2)
        ["19", "Prec", "2018-02-02", "Prec", pj("PQ3", "Prec", "1", 1), "5.0000000000000000000001"],
        ["19", "Prec", "2018-02-02", "Prec", pj("PQ4", "Prec", "1", 1), "2.5"],
        ["19", "Prec", "2018-02-03", "Prec", pj("PQ4", "Prec", "1", 1), "2.50"],
        # customer 19 spends exactly 999.98999999999999999999 in all: rounds
        # to 999.99, but is below a threshold of 999.99 (Medium, not High)
        ["19", "Prec", "2018-02-04", "Prec", pj("PQ5", "Prec", "1", 1), "982.9849999999999999999899"],
        # a very large amount (20 integer digits) on its own day
        ["1", "Big", "2018-03-01", "Big", pj("PBIG", "Big", "1", 1), "99999999999999999999.995"],
        # dates before 2000-01-01 (PostgreSQL's day 0) and before 1970: weeks
        # and UTC dates must floor, not truncate toward zero
        ["21", "Old", "1999-12-31", "Old", pj("POLD", "Old", "1", 1), "1.00"],
        ["21", "Old", "2000-01-01", "Old", pj("POLD", "Old", "1", 1), "2.00"],
        ["21", "Old", "1969-12-31", "Old", pj("POLD", "Old", "1", 1), "4.00"],
        ["21", "Old", "1899-12-31", "Old", pj("POLD", "Old", "1", 1), "8.00"],
        ["21", "Old", "1600-02-29", "Old", pj("POLD", "Old", "1", 1), "16.00"],
        ["21", "Old", "0001-01-07", "Old", pj("POLD", "Old", "1", 1), "32.00"],
        # the largest customer id
        ["9223372036854775807", "Alpha", "2024-12-31", "Audio", pj("PA", "Alpha", "10.00", 4), "40.00"],
    ])
    write(os.path.join(b1, "sales_orders.csv"), ORD_HDR, [
        # local Sunday evening -05:00 = UTC Monday 2021-01-04; PA twice in one
        # order (once with no own price: catalog 10.00) -> order counted once
        ["1", "2021-01-03T23:30:00-05:00", "O1", arr(item("PA", 2, "10.00"), pair("PA", 1))],
        # local 2021-01-01 +02:00 = UTC 2020-12-31: year 2020
        ["2", "2021-01-01T01:00:00+02:00", "O2", arr(item("PB", 1, "20.00"))],
        # unix seconds: 2020-12-31T23:59:59Z; PC without own price (5.005 x 2)
        ["2", "1609459199", "O3", arr(pair("PC", 2))],
        # ISO week 2026-W53 (Monday 2026-12-28); orders have no future-date rule
        ["1", "2026-12-28T10:00:00Z", "O4", arr(item("PB", 1, "20.00"))],
        # local 2027-01-02 +05:00 = UTC 2027-01-01 22:00: week 2026-12-28, year 2027
        ["1", "2027-01-02T03:00:00+05:00", "O5", arr(item("PA", 1, "10.00"))],
        # superseded in batch 2 (new date, new items)
        ["16", "2021-02-01T12:00:00Z", "O6", arr(item("PB", 1, "20.00"))],
        # a product known from sales only: its category comes from silver.products
        ["1", "2024-03-02", "O7", arr(item("PS", 1, "7.5"))],
        # customer 15 (all versions closed); ±HHMM zone, space separator
        ["15", "2021-12-31 20:00:00-0400", "O8", arr(item("PB", 1, "20.00"))],
        # local Monday 00:30 +01:00 = UTC Sunday 2021-01-03 23:30 (week 2020-12-28)
        ["3", "2021-01-04T00:30:00+01:00", "O9", arr(pair("PA", '"1"'))],
        # customer 17 is unknown until batch 2 (quarantined, then re-admitted);
        # PNEW appears only in orders (category UNKNOWN)
        ["17", "2022-03-10T10:00:00Z", "O10", arr(pair("PC", 1), item("PNEW", 2, "3.333", "Newbie"))],
        # two categories and the same product twice in one order
        ["1", "2023-05-01T12:00:00Z", "O12",
         arr(item("PA", 1, "10.00"), item("PA", 2, "10.00"), item("PZ", 1, "1.00"))],
        # customer 11 (version starts soon) orders; fractional seconds and Z
        ["11", "2025-05-05T00:00:00.5Z", "O13", arr(item("PA", 1, "10.00"))],
        # midnight UTC exactly, hours-only zone
        ["12", "2025-05-07T02:00:00+02", "O14", arr(item("PB", 1, "20.00"))],
        # a huge quantity times a tiny own price: 1000000 x 0.000001 = 1
        ["19", "2018-02-05T00:00:00Z", "O18", arr(item("PQ6", 1000000, "0.000001"))],
        # before 2000 / 1970 in UTC: 1999-12-31 (2000-01-01 local),
        # 2000-01-01 (1999-12-31 local), 1960-06-15 just before midnight
        ["21", "2000-01-01T00:30:00+01:00", "O30", arr(item("POLD", 1, "1.00"))],
        ["21", "1999-12-31T12:00:00-13:00", "O31", arr(item("POLD", 1, "1.00"))],
        ["21", "1960-06-15T23:59:59Z", "O32", arr(item("POLD", 1, "1.00"))],
        ["21", "1969-12-31T23:00:00-02:00", "O33", arr(item("POLD", 1, "1.00"))],
        # a fraction finer than PostgreSQL's microseconds, a hair before
        # midnight: the instant is on 2021-06-30 (UTC); a timestamp rounded to
        # microseconds is 2021-07-01 00:00:00 (see the report)
        ["21", "2021-06-30T23:59:59.9999999Z", "O34", arr(item("POLD", 1, "1.00"))],
        # the last representable day (orders have no future-date rule), and an
        # instant whose UTC date would be 10000-01-01 (beyond PostgreSQL's
        # to_date range of 4 digits; SPEC: YYYY-MM-DD)
        ["21", "9999-12-31T12:00:00Z", "O35", arr(item("POLD", 1, "1.00"))],
        ["21", "9999-12-31T23:00:00-05:00", "O36", arr(item("POLD", 1, "1.00"))],
        # PX is known only from order items: O20's own price 4.00 prices O21's
        # item without one (2 x 4.00); a newer own price in batch 2 reprices it
        ["21", "2019-03-01T00:00:00Z", "O20", arr(item("PX", 1, "4.00"))],
        ["21", "2019-03-02T00:00:00Z", "O21", arr(pair("PX", 2))],
        # PS (known from sales only, price 7): an item without own price;
        # batch 2's newest PS sale says 8 -> repriced
        ["21", "2019-03-03T00:00:00Z", "O23", arr(pair("PS", 1))],
        # PGONE's only fact: superseded in batch 2, PGONE leaves the gold tables
        ["21", "2019-03-04T00:00:00Z", "O24", arr(item("PGONE", 1, "9.99"))],
        # customer 20's only purchase: moves to customer 1 in batch 2
        ["20", "2019-03-05T00:00:00Z", "O25", arr(item("PA", 1, "10.00"))],
        # an item without a name: product_name NULL in product_performance
        ["1", "2022-05-05T05:05:05Z", "O17", arr(item("PNN", 1, "2"))],
        # the same order number twice in one file: the later line wins
        ["9223372036854775807", "2022-07-01T00:00:00Z", "O16", arr(item("PB", 1, "20.00"))],
        ["9223372036854775807", "2022-07-02T00:00:00Z", "O16", arr(item("PA", 1, "10.00"))],
    ])

    # ------------------------------------------------------------------ batch 2
    write(os.path.join(b2, "customers.csv"), CUST_HDR, [
        # the late customer of O10
        ["17", "Quinn", "MI", "quinn@example.com", "", T0, "", ""],
        # Bob gets a new version with an email: enters marketing
        ["2", "Bob  B", "NY", "bob@example.com", "", T3, "", "1"],
        # Ivan moves: new state and email
        ["9", "Ivan", "WA", "ivan@new.example.com", "", T3, "", "2"],
    ])
    write(os.path.join(b2, "products.csv"), PROD_HDR, [
        # catalog price change: reprices items without own price (O1's 2nd
        # item, O3, O10, and O6's new version); new name for product_performance
        ["PA", "Alpha Two", "Audio", "12.50"],
        ["PC", "Gamma", "Cameras", "6.125"],
    ])
    write(os.path.join(b2, "sales.csv"), SALES_HDR, [
        # the newest sales row of PS has another category: O7's item follows it
        ["1", "Sonly", "2024-03-05", "Sonly2", pj("PS", None, "8", None), "7.00"],
        # identical to a batch-1 record: the same sale, not a new one
        ["2", "Beta", "2021-01-03", "Audio", pj("PB", "Beta", "20.00", 1), "20.00"],
        # Heidi again, on her old day: exact 999.996, still below 1000
        ["8", "Alpha", "2022-06-15", "Audio", pj("PA", "Alpha", "10.00", 1), "0.001"],
    ])
    write(os.path.join(b2, "sales_orders.csv"), ORD_HDR, [
        # supersedes O6: another month, no own price (PC at the new 6.125)
        ["16", "2021-03-15T12:00:00Z", "O6", arr(pair("PC", 3))],
        # a second order on O1's day
        ["2", "2021-01-04T08:00:00Z", "O15", arr(item("PA", 1, "10.00"), item("PB", 1, "20.00"))],
        # O2 changes customer (2 -> 16), same day and items
        ["16", "2021-01-01T01:00:00+02:00", "O2", arr(item("PB", 1, "20.00"))],
        # O8 superseded by a record of customer 18, unknown until batch 3: it
        # waits in quarantine; until then the batch-1 record is the valid one
        # (SPEC 8: only valid records take part in "later record wins")
        ["18", "2022-02-02T12:00:00Z", "O8", arr(item("PZ", 5, "1.00"))],
        # a newer own price of PX (see O21)
        ["21", "2019-04-01T00:00:00Z", "O22", arr(item("PX", 1, "5.00"))],
        # O24 no longer has PGONE
        ["21", "2019-03-04T00:00:00Z", "O24", arr(item("PA", 1, "10.00"))],
        # O25 now belongs to customer 1 (customer 20 has no purchase left)
        ["1", "2019-03-05T00:00:00Z", "O25", arr(item("PA", 1, "10.00"))],
    ])

    # ------------------------------------------------------------------ batch 3
    write(os.path.join(b3, "customers.csv"), CUST_HDR, [
        # customer 18 arrives: O8 becomes its order (new date, new items)
        ["18", "Rita", "VT", "", "802-555-0199", T0, "", ""],
        # Ken re-sent with the same version start and no email: the later row
        # replaces the version; no contact left -> leaves marketing
        ["14", "Ken", "MA", "", "", T0, "", ""],
    ])
    write(os.path.join(b3, "products.csv"), PROD_HDR, [
        # no new facts for these products, only catalog changes:
        # PNEW (orders only) gets a category -> its order items move from
        # UNKNOWN to Gadgets (customer 17's categories change)
        ["PNEW", "Newbie", "Gadgets", ""],
        # a new name only
        ["PU", "Umlaut", "Éclair", "2.50"],
        # PW moves to Audio: ranks in Audio change; its sale keeps the row's
        # category _under in the sales tables
        ["PW", "Wee", "Audio", "3.00"],
    ])


if __name__ == "__main__":
    main()
