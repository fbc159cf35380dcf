#!/usr/bin/env python3
"""Generates the four medallion sources as CSV files, deterministically.

The data looks like the Databricks retail sample the pipeline grew from:
product JSON in sales.csv, ordered_products / clicked_items JSON arrays in
sales_orders.csv, unix-second timestamps, messy emails and phone numbers.
With --messy, a small share of records breaks a silver rule (unknown
customer, bad date, negative price, empty order number, ...) so that the
quarantine has something to show.

  gen_data.py --out DIR [--customers N] [--products N] [--sales N]
              [--orders N] [--messy RATE] [--seed S]

The demo's sample data (test/data/sample) was made with
  gen_data.py --out test/data/sample --customers 60 --products 24 \
              --sales 300 --orders 300 --messy 0.04 --seed 7 --max-price 40
"""
import argparse
import csv
import datetime
import json
import os
import random

CATEGORIES = ["Audio", "Cameras", "Computers", "Gaming", "Home", "Mobile",
              "Office", "Wearables"]
NOUNS = ["Speaker", "Headphones", "Camera", "Lens", "Laptop", "Monitor",
         "Console", "Controller", "Blender", "Lamp", "Phone", "Charger",
         "Desk", "Chair", "Watch", "Tracker"]
ADJECTIVES = ["Compact", "Pro", "Ultra", "Mini", "Wireless", "Smart",
              "Classic", "Portable", "Premium", "Eco"]
FIRST = ["James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael",
         "Linda", "William", "Elizabeth", "David", "Barbara", "Richard",
         "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
         "José", "Zoë", "Ngozi", "Wei"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
        "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
        "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "O'Brien", "Nguyen"]
STATES = ["AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA",
          "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA", "MD", "ME",
          "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE", "NH", "NJ", "NM",
          "NV", "NY", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN",
          "TX", "UT", "VA", "VT", "WA", "WI", "WV", "WY"]
BIG_STATES = ["CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA", "NC", "MI"]
CITIES = ["Springfield", "Riverside", "Franklin", "Greenville", "Bristol",
          "Clinton", "Fairview", "Salem", "Madison", "Georgetown"]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Pine St",
           "Elm St", "Washington Blvd", "Lake Rd"]
DOMAINS = ["example.com", "mail.example.org", "shop.example.net"]

EPOCH_2018 = 1514764800
EPOCH_2024 = 1704067200


def money(rng, lo, hi):
    return round(rng.uniform(lo, hi), 2)


def fmt_price(p):
    # JSON numbers as a shop system writes them: 125.99, 10, 7.5
    s = "%.2f" % p
    s = s.rstrip("0").rstrip(".") if "." in s else s
    return s


def make_products(rng, n, max_price):
    products = []
    for i in range(n):
        cat = CATEGORIES[i % len(CATEGORIES)]
        name = "%s %s %d" % (rng.choice(ADJECTIVES), rng.choice(NOUNS), 100 + i)
        products.append({
            "id": "P%06d" % (i + 1),
            "name": name,
            "category": cat,
            "price": money(rng, 4, max_price),
        })
    return products


def write_products(path, rng, products, messy):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["product_id", "product_name", "product_category",
                    "sales_price", "ean13", "ean5", "product_unit"])
        for p in products:
            price = fmt_price(p["price"])
            if rng.random() < messy:
                price = rng.choice(["", "n/a"])
            w.writerow([p["id"], p["name"], p["category"], price,
                        "%013d" % rng.randrange(10**12, 10**13), "%05d" % rng.randrange(10**5),
                        rng.choice(["pcs", "pcs", "box"])])


def email_for(rng, first, last, messy):
    r = rng.random()
    if r < messy:
        return rng.choice(["", "NULL", "%s at example.com" % first.lower(),
                           "%s.%s@" % (first, last)])
    base = "%s.%s@%s" % (first, last.replace("'", ""), rng.choice(DOMAINS))
    style = rng.random()
    if style < 0.3:
        base = base.upper() if style < 0.05 else base.title()
    if rng.random() < 0.1:
        base = "  " + base + " "
    return base


def phone_for(rng, messy):
    if rng.random() < messy:
        return rng.choice(["", "555-0134", "12345", "call me"])
    a, b, c = rng.randrange(200, 999), rng.randrange(200, 999), rng.randrange(0, 9999)
    return rng.choice([
        "(%d) %d-%04d" % (a, b, c), "%d-%d-%04d" % (a, b, c),
        "1-%d-%d-%04d" % (a, b, c), "+1 %d %d %04d" % (a, b, c),
        "%d%d%04d" % (a, b, c), "%d.%d.%04d" % (a, b, c)])


def make_customers(rng, n, messy, first_id=1):
    """Returns the customer ids and the CSV rows (versions included)."""
    rows = []
    for cid in range(first_id, first_id + n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = "%s %s" % (first, last)
        if rng.random() < 0.05:
            name = "  %s   %s " % (first, last)
        state = rng.choice(BIG_STATES) if rng.random() < 0.5 else rng.choice(STATES)
        if rng.random() < messy:
            state = rng.choice(["ZZ", "", "California"])
        elif rng.random() < 0.1:
            state = state.lower()
        valid_from = rng.randrange(EPOCH_2018, EPOCH_2024)
        base = {
            "customer_id": str(cid), "tax_id": "%09d" % rng.randrange(10**9),
            "tax_code": rng.choice(["A", "B", "C"]), "customer_name": name,
            "state": state, "city": rng.choice(CITIES),
            "postcode": "%05d" % rng.randrange(10**5), "street": rng.choice(STREETS),
            "number": str(rng.randrange(1, 999)), "unit": rng.choice(["", "", "Apt 2", "Suite 100"]),
            "region": rng.choice(["North", "South", "East", "West"]),
            "district": str(rng.randrange(1, 30)),
            "lon": "%.5f" % rng.uniform(-124, -67), "lat": "%.5f" % rng.uniform(25, 49),
            "ship_to_address": "", "valid_from": str(valid_from), "valid_to": "",
            "units_purchased": str(rng.randrange(0, 500)),
            "loyalty_segment": str(rng.randrange(0, 4)),
            "email": email_for(rng, first, last, messy), "phone": phone_for(rng, messy),
        }
        base["ship_to_address"] = "%s %s, %s" % (base["number"], base["street"], base["city"])
        if rng.random() < 0.15:
            base["valid_from"] = ""          # version starts at the batch time
        rows.append(base)
        if rng.random() < 0.12:
            # a later version: moved, or changed email
            v2 = dict(base)
            v2["valid_from"] = str(rng.randrange(max(valid_from, EPOCH_2018) + 86400, EPOCH_2024 + 86400 * 400))
            v2["state"] = rng.choice(STATES)
            v2["email"] = email_for(rng, first, last, 0)
            rows.append(v2)
        if rng.random() < 0.03:
            rows[-1] = dict(rows[-1], valid_to=str(EPOCH_2024 - 86400 * 30))
    if messy > 0:
        bad = dict(rows[0], customer_id=rng.choice(["abc", "-4", "0"]))
        rows.append(bad)
        rows.append(dict(rows[1]))          # an identical duplicate row
    rng.shuffle(rows)
    return rows


CUSTOMER_COLUMNS = ["customer_id", "tax_id", "tax_code", "customer_name", "state", "city",
                    "postcode", "street", "number", "unit", "region", "district", "lon",
                    "lat", "ship_to_address", "valid_from", "valid_to", "units_purchased",
                    "loyalty_segment", "email", "phone"]


def write_customers(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CUSTOMER_COLUMNS)
        for r in rows:
            w.writerow([r[c] for c in CUSTOMER_COLUMNS])


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


DATE_FROM = datetime.date(2019, 1, 1)
DATE_DAYS = 6 * 365


def random_date(rng):
    return DATE_FROM + datetime.timedelta(days=rng.randrange(0, DATE_DAYS))


def random_timestamp(rng):
    start = int(datetime.datetime(DATE_FROM.year, DATE_FROM.month, DATE_FROM.day,
                                  tzinfo=datetime.timezone.utc).timestamp())
    return rng.randrange(start, start + DATE_DAYS * 86400)


def write_sales(path, rng, n, products, ncustomers, names, messy):
    extra = {}  # products only ever seen in sales
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "customer_name", "product_name", "order_date",
                    "product_category", "product", "total_price"])
        for i in range(n):
            if messy > 0 and i == n // 2:
                # two records bronze rejects: a quote in an unquoted field,
                # and too few fields
                f.write('999,Broken "quote",2020-01-01,Toys,{},5\n')
                f.write('998,too,few\n')
            cid = rng.randrange(1, ncustomers + 1)
            if rng.random() < 0.1:
                key = rng.randrange(0, 20)
                p = extra.setdefault(key, {"id": "S%04d" % key, "name": "Accessory %d" % key,
                                           "category": rng.choice(CATEGORIES),
                                           "price": money(rng, 2, 80)})
            else:
                p = rng.choice(products)
            qty = rng.choice([1, 1, 1, 2, 3])
            prod = {"curr": "USD", "id": p["id"], "name": p["name"],
                    "price": float(fmt_price(p["price"]))}
            if rng.random() < 0.7:
                prod["qty"] = qty
            else:
                qty = 1
            total = fmt_price(round(p["price"] * qty, 2))
            date = random_date(rng).isoformat()
            cid_s = str(cid)
            product_s = jdump(prod)
            if rng.random() < messy:
                kind = rng.randrange(5)
                if kind == 0:
                    cid_s = str(ncustomers + 1000 + rng.randrange(50))   # unknown customer
                elif kind == 1:
                    date = rng.choice(["01-08-2019", "2019-02-30", "yesterday", "2099-01-01"])
                elif kind == 2:
                    total = rng.choice(["-5", "abc", ""])
                elif kind == 3:
                    product_s = rng.choice(["{not json", "[]", '{"name":"no id"}'])
                else:
                    cid_s = "x%d" % cid
            w.writerow([cid_s, names.get(cid, ""), p["name"], date, p["category"],
                        product_s, total])


def write_orders(path, rng, n, products, ncustomers, names, messy, order_start):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["customer_id", "customer_name", "order_datetime", "order_number",
                    "ordered_products", "clicked_items", "number_of_line_items", "promo_info"])
        order_number = order_start
        for i in range(n):
            order_number += 1
            cid = rng.randrange(1, ncustomers + 1)
            nitems = rng.choice([1, 2, 3, 4, 5, 6, 7, 8])
            items = []
            for p in rng.sample(products, min(nitems, len(products))):
                qty = rng.choice([1, 1, 2, 3])
                if rng.random() < 0.1:
                    items.append([p["id"], qty])
                else:
                    item = {"curr": "USD", "id": p["id"], "name": p["name"],
                            "price": float(fmt_price(p["price"])),
                            "promotion_info": None, "qty": qty, "unit": "pcs"}
                    if rng.random() < 0.15:
                        item["promotion_info"] = {"promo_code": "SPRING", "discount": 0.1}
                    items.append(item)
            clicks = [[p["id"], str(rng.randrange(1, 12))]
                      for p in rng.sample(products, min(rng.randrange(1, 6), len(products)))]
            ts = random_timestamp(rng)
            when = str(ts)
            if rng.random() < 0.1:
                dt = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
                when = rng.choice([dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                   dt.strftime("%Y-%m-%d %H:%M:%S"),
                                   (dt + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")])
            promo = rng.choice(["NONE", "NONE", "PROMO_CODE_XYZ",
                                jdump([{"promo_code": "WELCOME", "discount": 5}])])
            number = str(order_number)
            count = str(len(items))
            ordered = jdump(items)
            clicked = jdump(clicks)
            cid_s = str(cid)
            if rng.random() < messy:
                kind = rng.randrange(7)
                if kind == 0:
                    number = ""
                elif kind == 1:
                    ordered = rng.choice(["[]", "not json", '{"id":"P000001"}'])
                elif kind == 2:
                    bad = dict(items[0]) if isinstance(items[0], dict) else {"id": items[0][0]}
                    bad["qty"] = 0
                    ordered = jdump([bad] + items[1:])
                elif kind == 3:
                    cid_s = str(ncustomers + 2000 + rng.randrange(50))
                elif kind == 4:
                    when = rng.choice(["01-08-2019 02:47", "yesterday", "-5"])
                elif kind == 5:
                    count = str(len(items) + 1)       # a warning, not quarantine
                else:
                    clicked = "[[broken"               # a warning, not quarantine
            w.writerow([cid_s, names.get(cid, ""), when, number, ordered, clicked, count, promo])
            if messy > 0 and rng.random() < messy / 2 and i > 0:
                # the same order sent again later with other items: it supersedes
                again = rng.sample(products, 1)[0]
                w.writerow([cid_s, names.get(cid, ""), when, number,
                            jdump([{"curr": "USD", "id": again["id"], "name": again["name"],
                                    "price": float(fmt_price(again["price"])), "qty": 1,
                                    "unit": "pcs"}]), clicked, "1", promo])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--customers", type=int, default=100)
    ap.add_argument("--products", type=int, default=50)
    ap.add_argument("--sales", type=int, default=1000)
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--messy", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-price", type=float, default=1500)
    ap.add_argument("--date-from", default="2019-01-01",
                    help="first order date (sales and orders)")
    ap.add_argument("--days", type=int, default=6 * 365, help="days the orders spread over")
    ap.add_argument("--order-start", type=int, default=100000,
                    help="order numbers start after this")
    ap.add_argument("--customer-start", type=int, default=1,
                    help="id of the first customer written (orders use 1..--customers)")
    ap.add_argument("--new-customers", type=int, default=None,
                    help="customers to write (default: --customers)")
    ap.add_argument("--only", choices=["customers", "products", "sales", "sales_orders"])
    a = ap.parse_args()

    global DATE_FROM, DATE_DAYS
    DATE_FROM = datetime.date.fromisoformat(a.date_from)
    DATE_DAYS = a.days
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    products = make_products(rng, a.products, a.max_price)
    customers = make_customers(rng, a.customers if a.new_customers is None else a.new_customers,
                               a.messy, a.customer_start)
    names = {}
    for r in customers:
        if r["customer_id"].isdigit():
            names[int(r["customer_id"])] = r["customer_name"].strip()

    def want(s):
        return a.only is None or a.only == s

    if want("products"):
        write_products(os.path.join(a.out, "products.csv"), rng, products, a.messy)
    if want("customers"):
        write_customers(os.path.join(a.out, "customers.csv"), customers)
    if want("sales"):
        write_sales(os.path.join(a.out, "sales.csv"), random.Random(a.seed + 1), a.sales,
                    products, a.customers, names, a.messy)
    if want("sales_orders"):
        write_orders(os.path.join(a.out, "sales_orders.csv"), random.Random(a.seed + 2),
                     a.orders, products, a.customers, names, a.messy, a.order_start)


if __name__ == "__main__":
    main()
