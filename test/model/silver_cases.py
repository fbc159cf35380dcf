#!/usr/bin/env python3
"""Adversarial CSV batches for the silver differential test.

Writes, into OUTDIR, CSV files for the four sources (customers, products,
sales, sales_orders) and plan.json: the order in which check_silver.sh loads
them and where it refreshes (and in which session TimeZone).

    python3 silver_cases.py OUTDIR [--seed N] [--random]

--random writes another kind of case: many small batches over small key
spaces, refreshed at random points (no hand-written scenarios).

Hand-written scenario rows (each commented with what it is about) are mixed
with random filler drawn from pools of valid and invalid values, decorated
with random whitespace, null tokens, quoting, header case/order, CRLF, BOM.
Everything is deterministic for a given seed, except the dates that depend
on "today": the sale dated "today in UTC+14" that the first refresh (in
UTC-12) must see as a future date and the last one (in UTC+14) as today.

Only the Python standard library is used.  Nothing here knows what is valid:
the model (silver_model.py) decides that from SPEC.md.
"""

import datetime
import json
import os
import random
import sys

SEED = 20261202
BOUNDARY_S = 40        # see customers 61-63

# --------------------------------------------------------------------------
# decorations

WS = ['', '', '', ' ', '  ', '\t', ' \t', '\r\n', '\n', '\t\r\n ']
NULLS = ['', 'NULL', 'null', ' NuLl ', 'Null', '\tNULL\r\n', '  ']


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def ws(self, v, p=0.5):
        """v with random ASCII whitespace around it (p: chance of any)."""
        if self.r.random() >= p:
            return v
        return self.r.choice(WS) + v + self.r.choice(WS)

    def null(self):
        return self.r.choice(NULLS)

    def pick(self, seq):
        return self.r.choice(seq)


# --------------------------------------------------------------------------
# CSV writing

def csv_field(v, delim, force_quote=False):
    if v is None:
        v = ''
    if force_quote or any(c in v for c in (delim, '"', '\r', '\n')):
        return '"' + v.replace('"', '""') + '"'
    return v


class CsvFile:
    """A CSV file to write: header spelled per file, rows as dicts."""

    def __init__(self, name, columns, crlf=False, bom=False, shuffle=None,
                 header_case=None, trailing_delim=False, blank_lines=False,
                 quote_all=False, no_final_newline=False):
        self.name = name
        self.columns = list(columns)
        self.crlf = crlf
        self.bom = bom
        self.shuffle = shuffle
        self.header_case = header_case
        self.trailing_delim = trailing_delim
        self.blank_lines = blank_lines
        self.quote_all = quote_all
        self.no_final_newline = no_final_newline
        self.rows = []

    def add(self, **kw):
        for k in kw:
            if k not in self.columns:
                raise KeyError('%s: unknown column %s' % (self.name, k))
        self.rows.append(kw)

    def write(self, outdir, g):
        cols = list(self.columns)
        if self.shuffle:
            g.r.shuffle(cols)
        eol = '\r\n' if self.crlf else '\n'
        heads = []
        for c in cols:
            h = c
            if self.header_case == 'upper':
                h = c.upper()
            elif self.header_case == 'mixed':
                h = ''.join(ch.upper() if i % 2 else ch for i, ch in enumerate(c))
            elif self.header_case == 'spaced':
                h = ' ' + c.title() + ' '
            heads.append(h)
        out = []
        line = ','.join(csv_field(h, ',') for h in heads)
        if self.trailing_delim:
            line += ','
        out.append(line + eol)
        for i, row in enumerate(self.rows):
            fields = [csv_field(row.get(c), ',', self.quote_all) for c in cols]
            if row.get('note') == 'too few fields':
                fields = fields[:2]
            line = ','.join(fields)
            if self.trailing_delim and i % 3 == 0:
                line += ','          # rows may carry the trailing empty field
            elif self.trailing_delim and i % 3 == 1:
                line += ',dropped'   # a value under the empty header name is dropped
            is_last = i == len(self.rows) - 1
            if is_last and self.no_final_newline:
                out.append(line)
            else:
                out.append(line + eol)
            if self.blank_lines and i % 7 == 3:
                out.append(eol)      # a blank line: skipped, but counted
        data = ''.join(out).encode('utf-8')
        if self.bom:
            data = b'\xef\xbb\xbf' + data
        path = os.path.join(outdir, self.name)
        with open(path, 'wb') as f:
            f.write(data)
        return path


# --------------------------------------------------------------------------
# columns

CUSTOMER_COLS = ['customer_id', 'customer_name', 'state', 'tax_id', 'tax_code',
                 'city', 'postcode', 'street', 'number', 'unit', 'region',
                 'district', 'lon', 'lat', 'ship_to_address', 'valid_from',
                 'valid_to', 'units_purchased', 'loyalty_segment', 'email',
                 'phone']
PRODUCT_COLS = ['product_id', 'product_name', 'product_category', 'sales_price',
                'ean13', 'ean5', 'product_unit']
SALES_COLS = ['customer_id', 'customer_name', 'product_name', 'order_date',
              'product_category', 'product', 'total_price']
ORDER_COLS = ['customer_id', 'customer_name', 'order_datetime', 'order_number',
              'number_of_line_items', 'ordered_products', 'clicked_items',
              'promo_info']

# --------------------------------------------------------------------------
# value pools (valid and invalid mixed; the model decides)

NAMES = ['Alice  Smith', '  Bob\t\tJones ', 'Carol\r\nDay', 'Dan', 'Eve   Q  Public',
         'Frank O\'Neil', 'Gina "G" Lopez', 'Hé Ñandú', 'Ivan,Petrov', 'J']
STATES = ['ca', ' Ny ', 'XX', 'dc', 'pr', 'Pr', 'cal', 'gu', ' tx\t', 'WA', 'wy',
          'In', 'hi', 'AK', 'C A', '', 'ca\x0c', '\u00a0ca', 'ＣＡ', 'ı']
EMAILS = [' Alice@Example.COM ', 'bad@', 'a@b', 'a b@c.de', 'x@y.z', '@x.com',
          'a@@b.com', 'first.last+tag@Sub.Domain.org', 'NULL', 'a@b.c.',
          'no-at-sign.com', 'UPPER@CASE.IO', 'tab\t@x.com', 'q@w.e\t', 'JOSÉ@X.COM']
PHONES = ['(415) 555-0134', '1-415-555-0134', '+1 415 555 0134', '415.555.013',
          '2-415-555-0134', '14155550134', '555-0134', 'phone', '',
          '0014155550134', '1 (800) FLOWERS', '4155550134', ' 212 555 0000 x',
          '+44 20 7946 0958', '11234567890']
CITIES = ['San Francisco', '  Austin ', 'New\tYork', 'NULL', '', 'Boston']
INTS = ['1', ' 2 ', '3', '', 'NULL', '10', '007']
BAD_INTS = ['abc', '1.5']
LONLAT = ['-122.4194', ' 37.7749 ', '0', '', 'NULL', '12.5e1', '+45.5']

# customer_id forms for sales/orders filler: (text, kind) kind only for the
# generator's own choice of how often to use it
BAD_CUSTOMER_IDS = ['0', '-3', '+4', '4.0', '9223372036854775808', 'abc', '',
                    'NULL', '1e3', '12 3', '0x10', '１２', '\x0c12', '12\x0b', '\u00a012',
                    '12\u00a0', '١٢']

SALE_DATES_OK = ['2024-01-15', ' 2024-02-29 ', '2023-12-31', '2019-06-01',
                 '2025-11-30', '\t2024-07-04\r\n', '2000-02-29', '0001-01-01']
SALE_DATES_BAD = ['2023-02-29', '2024-1-5', '01/15/2024', '2024-01-15T00:00:00',
                  'yesterday', 'today', '20240115', '2024-13-01', '2024-01-32',
                  '15-01-2024', '2024-01-15 00:00', 'epoch', 'J2451187',
                  'Jan 15 2024', '2024-01-15Z', '+2024-01-15', '2030-01-01',
                  '9999-12-31', '2100-02-29', '0000-01-01', '2024-3-01', '02024-03-01',
                  '2024-03-01T', '\x0c2024-03-01', '2024-03-01\x0b', '\u00a02024-03-01',
                  '２０２４-03-01']
PRICES_OK = ['10', '10.50', ' 1e2 ', '-0', '.5', '5.', '+7', '0', '1E-2', '1e+2', '-0e5',
             '0.000', '\t\r\n12\r\n',
             '123456789012345678901234567890.123456789', '0003.10']
PRICES_BAD = ['-1', 'NaN', 'Infinity', '-Infinity', 'inf', '$5', '1,000',
              '1_000', '0x10', '', 'NULL', '1.2.3', 'e5', '.', '- 1', 'nan', '1e', '1e+',
              '\x0c1', '1\x0b', '\u00a01', '１', '+-1', '--1', '1,5', 'Inf', '+Infinity',
              '-nan', '1d2', '0b1']
CATEGORIES = ['Electronics', ' Books ', 'Toys\t', '', 'NULL', 'electronics',
              'Home & Garden', 'Garden,Outdoor']

ORDER_DT_OK = ['1700000000', ' 1700000000 ', '0', '2024-03-01',
               '2024-03-01T10:20', '2024-03-01 10:20:30', '2024-03-01T10:20:30.5',
               '2024-03-01T23:30:00-05:00', '2024-03-01T23:30:00-05',
               '2024-03-01T23:30:00-0500', '2024-03-02T01:00:00+0300',
               '2024-03-01T10:20:30Z', '2024-03-01T10:20:30.123456789Z',
               '2024-03-01T10:20:30.1234567+01:30', '2031-05-05T00:00:00Z',
               '2024-02-29T23:59:59.9999996Z', '20190108', '2024-03-01T00:00+14:00',
               '2024-03-01 12:00-11', '1999-12-31T23:59:59+00:00',
               '0001700000000', '2024-03-01T10:20Z', '2024-03-01 10:20:30+00',
               '2024-03-01T10:20:30-00:00', '2024-03-01T10:20:30+0000', '00',
               '2024-03-01T10:20:30.123+0100', '2024-03-01T10:20:30.000000001Z',
               '2024-03-01T10:00:00+23:59', '2024-03-01T10:00:00-23:59', '253402300799',
               '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '2000-02-29 00:00',
               ' 2024-03-01T10:20:30Z\t']
ORDER_DT_BAD = ['yesterday', '01-08-2019 02:47', '2024-03-01T10',
                '2024-03-01T10:20:30 +05:00', '2024/03/01', '2024-13-01',
                '2024-02-30T00:00', '-1', '1.7e9', '2024-03-01T24:00',
                '2024-03-01T10:20:30+5', 'now', 'epoch', 'J2451187',
                '1/8/1999', 'Jan 8 1999', '2024-03-01 10:20:30 PST',
                '2024-03-01T10:20:30UTC', '2024-03-01Z', '2024-03-01T1:20',
                '2024-03-01T10:20:30.', '2024-03-01T10:60', '1700000000.5',
                '+1700000000', '2024-03-01T10:20:30+05:0', '',
                '2024-03-01T10:20:30,5', '2024-03-01T10:20:30+01:3',
                '2024-03-01T10:20:30+1:30', '2024-03-01  10:20', '2024-W09-5', '2024-061',
                '20240301T102030Z', '1 700 000 000', '2024-03-01T', '\x0c1700000000',
                '1700000000\x0b', '\u00a01700000000', '１７００００００００', '0000-01-01T00:00',
                '2100-02-29T00:00', '2024-03-01T10:20:30.+01:00']

SALE_PRODUCTS = [
    # (json text, comment)
    '{"curr":"USD","id":"P1","name":"Widget","price":10.5,"qty":2}',
    '{"id":42,"price":3,"curr":"EUR","name":"Answer"}',
    '{"id":"P3","name":"Gadget","price":7.25,"qty":"3"}',
    '{"id":"P4","name":"Sprocket","price":1.5E1,"qty":"0"}',
    '{"id":"P1","qty":0}',
    '{"id":"P2","name":"Gizmo","price":4,"qty":-1}',
    '{"id":"P3","qty":"x"}',
    '{"id":"P4","qty":" 4"}',
    '{"id":"P1","qty":99999999999999999999}',
    '{"id":"P2","qty":"12345678901"}',
    '{"id":"P3","extra":{"a":[1,2,{"b":null}]},"qty":5}',
    '{"id":"P5","name":"Doohickey","curr":"USD","price":0}',
    '{ "id" : "P1" , "qty" : 1 }',
    # invalid product JSON
    '{"id":""}', '{"id":null}', '{"name":"no id"}', '[{"id":"P1"}]', '"P1"',
    '{"id":"P1"', '{"id":true}', '{"id":"P1","price":NaN}', 'P1', '',
    'NULL', '{"id":{"x":1}}', '{"id":["P1"]}', '{"id":"P1","price":01}',
    '{"id":"P1",}',
    '{"id":"P1","qty":"007"}', '{"id":"P1","qty":"+3"}', '{"id":"p1","qty":1}',
    '{"id":1E2,"qty":1}', '{"id":"P1","qty":3,"qty":4}',
]

ORDER_ITEMS_OK = [
    '{"id":"P1","qty":2,"price":10.5,"curr":"USD","name":"Widget","unit":"ea"}',
    '{"id":"P6","qty":1}',
    '["P1", 2]',
    '[42, "3"]',
    '["P6", 1]',
    '{"id":"P3","qty":"4","price":1.25e1,"name":"Gadget"}',
    '{"id":"P2","qty":1,"price":null}',
    '{"id":"P5","qty":3,"price":0}',
    '{"id":"P8","qty":1,"price":-0.0}',
    '{"id":"P1","qty":1,"price":9.99,"promotion_info":{"code":"X","pct":10}}',
    '{"id":7,"qty":2,"price":2}',
    '["P3","10"]',
    '{"id":"P1","qty":"007","price":1}',
    '{"id":1E2,"qty":1,"price":1}',
    '[-0, 1]',
]
ORDER_ITEMS_BAD = [
    '{"id":"","qty":1,"price":1}', '{"qty":1,"price":1}', '{"id":"P1","qty":0}',
    '{"id":"P1","qty":-1}', '{"id":"P1","qty":"0"}', '{"id":"P1","qty":1.5}',
    '{"id":"P1","qty":"1.5"}', '{"id":"P1"}', '{"id":"P1","qty":2,"price":-1}',
    '["P1"]', '["P1",0]', '"P1"', '5', 'null', '{"id":"P1","qty":" 2"}',
    '{"id":null,"qty":1,"price":1}', '["",1]', '[null,1]', '{"id":"P1","qty":true}',
    '{"id":"P1","qty":"-2"}', '{"id":"P1","qty":99999999999999999999,"price":1}',
]
CLICKS = ['[["P1",3],["P2","5"]]', '[[42,1]]', '[]', '', 'not json',
          'NULL', '[["P3", 2], ["P1", 1]]', '{"P1":3}']
PROMOS = ['["PROMO10","SPRING"]', '[{"code":"X","pct":10}]', 'PROMO_CODE_XYZ',
          'NONE', '', ' NULL ', '  PROMO_CODE_ABC  ', '[]']
LINE_COUNTS = ['2', ' 3 ', 'x', '', 'NULL', '1', '0', '+2', '-1', '99999999999', '2.0']


def jarr(items):
    return '[' + ','.join(items) + ']'


# --------------------------------------------------------------------------

def build(outdir, seed):
    g = Gen(seed)
    os.makedirs(outdir, exist_ok=True)
    files = {}

    # dates that depend on today
    utc14_today = datetime.datetime.now(
        datetime.timezone(datetime.timedelta(hours=14))).date()
    utc14_tomorrow = utc14_today + datetime.timedelta(days=1)
    utcm12_yesterday = datetime.datetime.now(
        datetime.timezone(datetime.timedelta(hours=-12))).date() - datetime.timedelta(days=1)
    now_s = int(datetime.datetime.now(datetime.timezone.utc).timestamp())
    future_s = now_s + 400 * 86400            # far from any refresh time
    past_s = now_s - 400 * 86400

    def valid_customer(cid):
        return g.ws(g.pick([str(cid), str(cid), '00' + str(cid)]), 0.4)

    def customer_row(f, cid_text, **kw):
        row = dict(customer_id=cid_text,
                   customer_name=kw.pop('customer_name', g.pick(NAMES)),
                   state=kw.pop('state', g.ws(g.pick(STATES), 0.3)))
        row.update(kw)
        for c in ('email', 'phone', 'city'):
            if c not in row:
                pool = {'email': EMAILS, 'phone': PHONES, 'city': CITIES}[c]
                row[c] = g.ws(g.pick(pool), 0.3) if g.r.random() < 0.85 else g.null()
        for c in ('units_purchased', 'loyalty_segment'):
            if c not in row:
                row[c] = g.ws(g.pick(INTS), 0.3) if g.r.random() < 0.9 else g.pick(BAD_INTS)
        for c in ('lon', 'lat'):
            if c not in row:
                row[c] = g.pick(LONLAT)
        for c in ('tax_id', 'tax_code', 'postcode', 'street', 'number', 'unit',
                  'region', 'district', 'ship_to_address'):
            if c in f.columns and c not in row:
                row[c] = g.ws(g.pick(['A1', ' b 2 ', 'x\ty', '12345', '']), 0.3) \
                    if g.r.random() < 0.8 else g.null()
        f.add(**{k: v for k, v in row.items() if k in f.columns})

    # ====================================================================
    # customers_1
    c1 = CsvFile('customers_1.csv', CUSTOMER_COLS, shuffle=True, blank_lines=True)
    for cid in range(1, 26):                              # plain customers
        customer_row(c1, valid_customer(cid))
    # SCD2 scenarios (ids 31..)
    customer_row(c1, '31')                                # C31: two load-time versions (b1, b2)
    customer_row(c1, '32', valid_from='1500000000')       # C32: same start in b1 and b2: b2 wins
    customer_row(c1, '33', customer_name='First of two')  # C33: twice in one batch, no valid_from:
    customer_row(c1, ' 33 ', customer_name='Second of two')  # same start, the higher line wins
    customer_row(c1, '34', valid_from='1600000000', valid_to='1650000000')  # C34: closed, not current
    customer_row(c1, '35', valid_from='1600000000', valid_to=str(future_s))  # C35: ends in future: current
    customer_row(c1, '36', valid_from='1600000000')       # C36: b2 brings an older start
    customer_row(c1, '37', valid_from=str(future_s))      # C37: only version starts in future
    customer_row(c1, '38', valid_from='1600000000')       # C38: v2 starts in the future
    customer_row(c1, '38', valid_from=str(future_s))
    customer_row(c1, '39', valid_from='1.6e9', valid_to='tomorrow')  # C39: junk bounds = absent
    customer_row(c1, '40', valid_from='  1600000000\t', valid_to='\t1650000000 ')  # trimmed bounds
    customer_row(c1, '41', valid_from='1600000000', valid_to='1500000000')  # C41: ends before start
    customer_row(c1, '42', valid_from='1500000000', valid_to='1510000000')  # C42: v1 ends at v2's start,
    customer_row(c1, '42', valid_from='1600000000')                        # not at its own valid_to
    customer_row(c1, '43', valid_from='1600000000', valid_to=str(future_s))  # C43: b2 load-time version
    customer_row(c1, '44', valid_from='0')                # C44: 1970
    customer_row(c1, '45', valid_from='-86400')           # C45: negative: absent (see model notes)
    customer_row(c1, '46', valid_from='0001600000000')    # C46: leading zeros
    customer_row(c1, '47', valid_from='99999999999999999999')  # C47: out of range: absent
    customer_row(c1, '48', valid_from='+1600000000')      # C48: signed: absent
    customer_row(c1, '49', valid_from='1600000000', valid_to=str(past_s))  # C49: closed, then b2 reopens
    customer_row(c1, '50', valid_from=' ', valid_to='NULL')  # C50: null tokens
    customer_row(c1, '64', valid_from='1600000000.5')     # not unix seconds: load time
    customer_row(c1, '65', valid_from='1600000000', valid_to='1650000000.0')  # open
    customer_row(c1, '9223372036854775807')               # the largest positive integer
    # email / phone / state / name standardisation, one each
    customer_row(c1, '51', customer_name='\t Ann \r\n  Lee\t\t ', state=' ny\t',
                 email='  Ann.Lee@Example.COM\t', phone=' +1 (212) 555-0199 ')
    customer_row(c1, '52', customer_name='NULL', state='NULL', email='null', phone='NULL')
    customer_row(c1, '53', customer_name='  ', state='Zz', email='a@b', phone='1-212-555-019')
    customer_row(c1, '54', customer_name='x', state='pR', email='A@B.CO', phone='12125550199')
    customer_row(c1, '55', customer_name='y', state='dC', email='JOSÉ@X.COM',
                 phone='22125550199')
    # invalid customer ids
    for bad in ['0', '-3', '+4', '4.0', '9223372036854775808', 'abc', '', 'NULL',
                '1e3', '12 3', ' null ', '00', '0x1F']:
        customer_row(c1, g.ws(bad, 0.3))
    # versions that start or end BOUNDARY_S seconds after generation: the plan
    # sleeps past that before its last refreshes, so is_current must change
    # for customers no new batch touches
    boundary = now_s + BOUNDARY_S
    customer_row(c1, '61', valid_from=str(boundary))                       # starts later
    customer_row(c1, '62', valid_from='1600000000', valid_to=str(boundary))  # ends later
    customer_row(c1, '63', valid_from='1600000000')                        # v1, then v2
    customer_row(c1, '63', valid_from=str(boundary))                       # takes over
    # every standardisation value once (ids 200..)
    cid = 200
    for pool, col in ((NAMES, 'customer_name'), (STATES, 'state'), (EMAILS, 'email'),
                      (PHONES, 'phone')):
        for v in pool:
            customer_row(c1, str(cid), **{col: v})
            cid += 1
    customer_row(c1, '60', valid_from='1600000000', customer_name='C60 first')  # same start,
    customer_row(c1, '60', valid_from='1600000000', customer_name='C60 second')  # one batch
    files['customers_1'] = c1

    # customers_2: new versions, late customers
    c2 = CsvFile('customers_2.csv', CUSTOMER_COLS, header_case='upper', crlf=True,
                 quote_all=True)
    for cid in range(1, 6):                               # second load-time version
        customer_row(c2, valid_customer(cid))
    customer_row(c2, '31')
    customer_row(c2, '32', valid_from=' 1500000000 ', customer_name='C32 from b2')
    customer_row(c2, '36', valid_from='1550000000')
    customer_row(c2, '42', valid_from='1500000000', customer_name='C42 v1 again')  # replaces v1
    customer_row(c2, '43')                                # starts at b2's load time
    customer_row(c2, '49')                                # reopens C49 at b2's load time
    customer_row(c2, '101')                               # late customer (orders in b1)
    customer_row(c2, '103', valid_from='1500000000', valid_to='1510000000')  # all closed
    customer_row(c2, '+104')                              # never valid
    customer_row(c2, '105', valid_from=str(future_s))     # exists, not current
    files['customers_2'] = c2

    # customers_3: spelled differently
    c3 = CsvFile('customers_3.csv',
                 ['customer_id', 'customer_name', 'state', 'email', 'phone',
                  'valid_from', 'valid_to', 'loyalty_segment'],
                 header_case='spaced', bom=True, trailing_delim=True,
                 no_final_newline=True)
    customer_row(c3, '102')                               # late customer (sale, order)
    customer_row(c3, ' 6 ', valid_from='1400000000')      # an old version of C6
    customer_row(c3, '32', valid_from='1500000000', customer_name='C32 from b3')  # wins again
    customer_row(c3, '106', valid_from='1600000000', valid_to=str(past_s))
    files['customers_3'] = c3

    # ====================================================================
    # products
    p1 = CsvFile('products_1.csv', PRODUCT_COLS, shuffle=True)
    p1.add(product_id='P1', product_name='Widget (catalog)', product_category='Electronics',
           sales_price='10.00', ean13='1234567890123', ean5='12345', product_unit='ea')
    p1.add(product_id=' P2 ', product_name='Gizmo', product_category='Toys',
           sales_price='NULL')                            # no price: from sales
    p1.add(product_id='P3', product_name='Gadget', product_category='',
           sales_price=' 7 ')                             # no category: from sales
    p1.add(product_id='P6', product_name='Priced by catalog', product_category='Home',
           sales_price='10')                              # repriced in products_2/_3
    p1.add(product_id='P7', product_name='Seven', product_category='Seven Cat',
           sales_price='7', ean13='7777777777777')
    p1.add(product_id='P8', product_name='Eight old', product_category='Eight',
           sales_price='8')
    p1.add(product_id='P8', product_name='Eight new', product_category='NULL',
           sales_price='NaN')                             # same batch, higher line
    p1.add(product_id='42', product_name='Forty-two', product_category='Numbers',
           sales_price='Infinity')
    p1.add(product_id='P10', product_name='Ten', product_category='Tens',
           sales_price='null')                            # price comes from a sale later
    p1.add(product_id='P13', product_name='Thirteen', product_category='Unlucky',
           sales_price='-5')                              # negative catalog price
    p1.add(product_id='P14', product_name='Fourteen', product_category='Fourteen',
           sales_price='1e2')
    p1.add(product_id='', product_name='No id', product_category='X', sales_price='1')
    p1.add(product_id='NULL', product_name='Null id', product_category='X', sales_price='1')
    p1.add(product_id='P15', product_name=' Spaced  Name ', product_category=' Cat ',
           sales_price='+3.50', ean5=' 00042 ', product_unit=' kg ')
    files['products_1'] = p1

    p2 = CsvFile('products_2.csv', ['product_id', 'product_name', 'product_category',
                                    'sales_price'], crlf=True)
    p2.add(product_id='P6', product_name='NULL', product_category='', sales_price='12')
    p2.add(product_id='P7', product_name='', product_category='Seven New', sales_price='')
    p2.add(product_id='P9', product_name='Nine', product_category='Nines',
           sales_price='9')                               # prices orders waiting since b1
    p2.add(product_id='P14', product_name='Fourteen b2', product_category='Fourteen',
           sales_price='abc')                             # junk: the older price stays
    files['products_2'] = p2

    p3 = CsvFile('products_3.csv', PRODUCT_COLS, header_case='mixed')
    p3.add(product_id='P6', product_name='Priced by catalog v3', product_category='Home',
           sales_price=' 12.345 ')
    p3.add(product_id='P23', product_name='Twenty-three', product_category='23',
           sales_price='23')
    p3.add(product_id='P17', product_name='Seventeen catalog', product_category='NULL',
           sales_price='')                                # catalog name over the sale's
    files['products_3'] = p3

    # ====================================================================
    # sales
    def sale(f, cid, date, total, product, name=None, cat=None, cname=None):
        row = dict(customer_id=cid, order_date=date, product=product,
                   product_name=g.pick(['Widget', '', 'NULL', 'Named']) if name is None else name,
                   product_category=g.ws(g.pick(CATEGORIES), 0.3) if cat is None else cat)
        if 'total_price' in f.columns:
            row['total_price'] = total
        if 'customer_name' in f.columns:
            row['customer_name'] = g.pick(NAMES) if cname is None else cname
        f.add(**row)

    s1 = CsvFile('sales_1.csv', SALES_COLS, shuffle=True, blank_lines=True)
    dup = dict(cid='7', date='2024-05-05', total='19.99',
               product='{"curr":"USD","id":"P1","name":"Widget","price":10,"qty":2}',
               name='Widget', cat='Electronics', cname='Dup')
    sale(s1, **dup)                                       # identical x2 here, x1 in sales_2: one sale
    sale(s1, **dup)
    sale(s1, **dict(dup, cid=' 7'))                       # differs by whitespace: another sale
    sale(s1, '101', '2024-05-06', '5', '{"id":"P1","qty":1}')       # late customer (b2)
    sale(s1, '102', '2024-05-06', '6', '{"id":"P1","qty":1}')       # late customer (b3)
    sale(s1, '999', '2024-05-06', '7', '{"id":"P1","qty":1}')       # never arrives
    sale(s1, '103', '2024-05-06', '8', '{"id":"P2","qty":1}')       # arrives closed (b2)
    sale(s1, '34', '2024-05-07', '9', '{"id":"P3","qty":1}')        # closed customer exists
    sale(s1, '37', '2024-05-07', '9', '{"id":"P3","qty":1}')        # future-only customer exists
    sale(s1, '+104', '2024-05-07', '9', '{"id":"P3","qty":1}')      # invalid id
    sale(s1, '104', '2024-05-07', '9', '{"id":"P3","qty":1}')       # valid id, never a customer
    sale(s1, '8', utc14_today.isoformat(), '11', '{"id":"P1","qty":1}')  # future at refresh 1 only
    sale(s1, '8', utc14_tomorrow.isoformat(), '12', '{"id":"P1","qty":1}')  # future at every refresh
    sale(s1, '8', utcm12_yesterday.isoformat(), '13', '{"id":"P1","qty":1}')  # never future
    sale(s1, '9', '2024-06-01', '20', '{"id":"P2","name":"Gizmo JSON","price":4.5,"curr":"USD"}',
         name='NULL', cat='NULL')                         # P2 price from a sale, name from JSON
    sale(s1, '9', '2024-06-02', '21', '{"id":"P4","name":"Sprocket JSON","price":15}',
         name='Sprocket Column', cat='Hardware')          # P4: sales only
    sale(s1, '9', '2024-06-03', '22', '{"id":"P4","name":"Sprocket old","price":14}',
         name='', cat='Old Hardware')                     # older P4 row (lower line)
    sale(s1, '10', '2024-06-04', '1', '{"id":"P13","price":6,"qty":1}')     # P13 catalog -5
    sale(s1, '10', '2024-06-04', '1', '{"id":"P3","price":8,"qty":1}', cat='Gadgets')
    sale(s1, '10', '2024-06-05', '2', '{"id":"P3","qty":2.0}')      # 2.0: integer or not?
    sale(s1, '10', '2024-06-05', '2', '{"id":"P3","qty":1e1}')
    sale(s1, '10', '2024-06-05', '3', '{"id":7.50,"price":1,"qty":1}')  # number id: its text
    sale(s1, '10', '2024-06-05', '3', '{"id":-7,"price":1,"qty":1}')
    sale(s1, '11', '2024-06-06', '4', '{"id":"P16","price":-3,"name":"Neg"}', cat='Neg')
    sale(s1, '11', '2024-06-06', '4', '{"id":"P10","price":10.10,"name":"Ten JSON"}')
    sale(s1, '12', '2030-01-01', '4', '{"id":"P1"}')                # far future date
    # the largest qty, alone in its year and product: two of them in one gold
    # group overflow medallion's bigint units (the refresh fails for good)
    sale(s1, '13', '2001-02-03', '1', '{"id":"PMAX","qty":9223372036854775807}',
         cat='Max')
    for _ in range(45):                                   # random filler
        if g.r.random() < 0.75:
            cid = valid_customer(g.r.randint(1, 25))
        else:
            cid = g.ws(g.pick(BAD_CUSTOMER_IDS + ['101', '102', '999']), 0.3)
        date = g.ws(g.pick(SALE_DATES_OK), 0.3) if g.r.random() < 0.75 else g.pick(SALE_DATES_BAD)
        total = g.ws(g.pick(PRICES_OK), 0.3) if g.r.random() < 0.75 else g.pick(PRICES_BAD)
        prod = g.ws(g.pick(SALE_PRODUCTS[:13]), 0.2) if g.r.random() < 0.75 \
            else g.pick(SALE_PRODUCTS[13:])
        sale(s1, cid, date, total, prod)
    # every pool value once, the rest of the row valid
    for v in SALE_DATES_OK + SALE_DATES_BAD:
        sale(s1, '14', v, '1', '{"id":"P1","qty":1}', cat='Dates')
    for v in PRICES_OK + PRICES_BAD + [' 1E+3 ', '1e-20', '-0.00']:
        sale(s1, '15', '2024-08-01', v, '{"id":"P1","qty":1}', cat='Prices')
    for v in SALE_PRODUCTS:
        sale(s1, '16', '2024-08-02', '2', v, cat='Products')
    sale(s1, '9223372036854775807', '2024-08-03', '2', '{"id":"P1","qty":1}')  # largest id
    sale(s1, '0009223372036854775807', '2024-08-03', '2', '{"id":"P1","qty":1}')
    sale(s1, '999', '2024-08-03', '2', '{"id":"P24","price":24,"name":"Only quarantined"}')
    sale(s1, '102', '2024-08-03', '2', '{"id":"P25","price":25,"name":"Late"}', cat='Late')
    ws_a = dict(cid='17', date='2024-08-04', total='3', product='{"id":"P1","qty":1}',
                name='W', cat='C', cname='N')
    sale(s1, **ws_a)
    sale(s1, **dict(ws_a, product='{"id":"P1", "qty":1}'))  # JSON spacing differs: 2 sales
    sale(s1, **dict(ws_a, cname='N '))                      # customer_name differs: 2 sales
    sale(s1, '9', '2024-08-05', '1', '{"id":"P28","price":28,"name":"early"}', cat='P28')
    for v in ['1' * 1001, '1e-1001', '1e131072', '1e-16384', '0.' + '0' * 1000 + '1']:
        sale(s1, '15', '2024-08-06', v, '{"id":"P1","qty":1}', cat='Huge')  # numeric range
    sale(s1, '16', '2024-08-07', '1', '{"id":"D40","x":' + '[' * 40 + '1' + ']' * 40 + '}')
    sale(s1, '16', '2024-08-07', '1', '{"id":"D20","x":' + '[' * 20 + '1' + ']' * 20 + '}')
    sale(s1, '16', '2024-08-07', '1', '{"id":12345678901234567890123}')  # id: its text
    sale(s1, '16', '2024-08-07', '1', '{"id":"\\u0050\\u0031x"}')   # escaped id "P1x"
    files['sales_1'] = s1

    s2 = CsvFile('sales_2.csv', SALES_COLS, crlf=True, header_case='upper')
    for _ in range(15):
        cid = valid_customer(g.r.randint(1, 25)) if g.r.random() < 0.8 \
            else g.pick(BAD_CUSTOMER_IDS)
        sale(s2, cid, g.ws(g.pick(SALE_DATES_OK), 0.3),
             g.ws(g.pick(PRICES_OK + PRICES_BAD[:3]), 0.3),
             g.ws(g.pick(SALE_PRODUCTS), 0.2))
    sale(s2, **dup)                                       # third copy, another batch
    sale(s2, '9', '2024-06-10', '21', '{"id":"P4","name":"Sprocket newest","price":16}',
         name='NULL', cat='NULL')                         # newest P4 row: name from JSON, no category
    sale(s2, '11', '2024-06-11', '4', '{"id":"P11","price":11,"name":"Eleven"}', cat='Elevens')
    sale(s2, '102', '2024-06-12', '6', '{"id":"P1","qty":"2"}')     # late customer (b3)
    sale(s2, '101', '2024-06-12', '6', '{"id":"P1","qty":"2"}')     # customer already there
    sale(s2, '11', '2024-06-13', '4', '{"id":"P17","price":17,"name":"Seventeen"}')
    sale(s2, '102', '2024-08-08', '1', '{"id":"P28","price":29,"name":"late newest"}',
         cat='P28 late')                                  # newest P28 row once 102 arrives
    files['sales_2'] = s2

    # sales_3 has no customer_name column
    s3 = CsvFile('sales_3.csv', [c for c in SALES_COLS if c != 'customer_name'])
    sale(s3, **{k: v for k, v in dup.items() if k != 'cname'})  # lacks customer_name: not identical
    sale(s3, '105', '2024-07-01', '5', '{"id":"P1","qty":1}')     # customer with future-only version
    sale(s3, '106', '2024-07-01', '5', '{"id":"P1","qty":1}')     # arrives in the same step

    # sales_4: all columns, a trailing empty header name with values under it
    s4 = CsvFile('sales_4.csv', SALES_COLS, trailing_delim=True, crlf=True)
    sale(s4, **dup)                                       # fourth copy of dup
    sale(s4, **dup)
    sale(s4, '102', '2024-08-03', '2', '{"id":"P25","price":25,"name":"Late"}', cat='Late',
         cname=None)
    sale(s4, '8', utc14_today.isoformat(), '11', '{"id":"P1","qty":1}', cat='Electronics',
         name='Widget', cname='copy')                     # future at refresh 1 only
    sale(s4, '9', '2024-08-09', '1', '{"id":"P2","price":5.5}', cat='NULL')  # newest P2 price

    # sales_5: an extra column the contract does not know
    s5 = CsvFile('sales_5.csv', SALES_COLS + ['note'])
    sale(s5, **dup)
    s5.rows[-1]['note'] = 'an extra column'           # one sale with dup, or not?
    s5.add(customer_id='21', note='too few fields')      # malformed: rejected by bronze
    sale(s5, '21', '2024-09-02', '1', '{"id":"P1","qty":1}', cname='after the reject')
    s5.rows[-1]['note'] = 'an extra column'           # one sale with dup, or not?

    # refused: no total_price column
    s6 = CsvFile('sales_6.csv', [c for c in SALES_COLS if c != 'total_price'])
    sale(s6, '21', '2024-09-01', None, '{"id":"P1","qty":1}')
    files['sales_6'] = s6
    files['sales_5'] = s5
    files['sales_4'] = s4
    files['sales_3'] = s3

    # ====================================================================
    # sales_orders
    def order(f, num, cid, dt, items, clicks=None, promo=None, nli=None, cname=None):
        row = dict(order_number=num, customer_id=cid, order_datetime=dt,
                   ordered_products=items)
        if 'clicked_items' in f.columns:
            row['clicked_items'] = g.pick(CLICKS) if clicks is None else clicks
        if 'promo_info' in f.columns:
            row['promo_info'] = g.pick(PROMOS) if promo is None else promo
        if 'number_of_line_items' in f.columns:
            row['number_of_line_items'] = g.pick(LINE_COUNTS) if nli is None else nli
        if 'customer_name' in f.columns:
            row['customer_name'] = g.pick(NAMES) if cname is None else cname
        f.add(**row)

    it = ORDER_ITEMS_OK
    o1 = CsvFile('sales_orders_1.csv', ORDER_COLS, shuffle=True, blank_lines=True)
    order(o1, 'O-1', '1', '2024-03-01T10:00:00Z', jarr([it[0]]))    # replaced in b1 and b2
    order(o1, 'O-1', '1', '2024-03-02T10:00:00Z', jarr([it[0], it[2]]))  # higher line wins
    order(o1, 'O-2', '2', '1700000000', jarr([it[1]]))    # P6 priceless: 10, then 12, then 12.345
    order(o1, 'O-3', '3', '1700000000', jarr(['{"id":"P9","qty":2}']))   # P9 unknown until b2
    order(o1, 'O-4', '101', '1700000000', jarr([it[0]]))  # late customer (b2)
    order(o1, 'O-5', '102', '1700000000', jarr([it[0]]))  # late customer (b3)
    order(o1, 'O-6', '999', '1700000000', jarr([it[0]]))  # never
    order(o1, 'O-7', '4', '1700000000', jarr(['{"id":"P2","qty":1}']))  # P2 price from a sale
    order(o1, 'O-8', '4', '1700000000', jarr(['["P10", 2]']))  # P10: catalog null, sale 10.10
    order(o1, 'O-9', '4', '1700000000', jarr(['["P11", 1]']))  # P11 priced by a sale in b2
    order(o1, 'O-10', '5', '1700000000',
          jarr(['{"id":"P12","price":4}', '["P12",3]']))  # qty missing in the first item!
    order(o1, 'O-11', '5', '1700000000',
          jarr(['{"id":"P12","qty":1,"price":4}', '["P12",3]']))  # prices itself
    order(o1, 'O-12', '5', '1700000000', jarr(['["P18", 1]']))  # priced only by O-13's item
    order(o1, 'O-13', '5', '1700000000',
          jarr(['{"id":"P18","qty":1,"price":18,"name":"Eighteen","curr":"USD","unit":"box"}']))
    order(o1, 'O-14', '5', '1700000000',
          jarr(['{"id":"P19","qty":1,"price":-2}']))     # negative price: for good
    order(o1, 'O-15', '5', '1700000000', jarr(['{"id":"P8","qty":2}']))  # P8: catalog 8 (older row)
    order(o1, ' O-16 ', '6', '2024-03-01T23:30:00-05:00', jarr([it[0]]))  # trimmed number
    order(o1, 'O-16', '6', '2024-03-01T23:30:00-05:00', jarr([it[2]]))   # same order, later line
    order(o1, 'O-17', '6', '2024-03-01T10:00:00Z', jarr([it[0]]))  # valid; b2 record quarantined
    order(o1, 'O-18', '6', '2024-03-01T10:00:00Z', jarr([it[0]]))  # valid; b2 record late customer
    order(o1, 'O-19', '6', '2024-03-01T10:00:00Z', jarr([it[0]]))  # b2 record invalid for good
    order(o1, '', '6', '1700000000', jarr([it[0]]))       # empty order_number
    order(o1, 'NULL', '6', '1700000000', jarr([it[0]]))   # null token order_number
    order(o1, 'O-20', '7', '1700000000', '[]')
    order(o1, 'O-21', '7', '1700000000', '{}')
    order(o1, 'O-22', '7', '1700000000', 'NULL')
    order(o1, 'O-23', '7', '1700000000', 'not json')
    order(o1, 'O-24', '7', '1700000000', '"[]"')
    order(o1, 'O-25', '7', '1700000000', jarr([it[0], it[1], it[2], it[3], it[4]]),
          clicks='[["P1",3],["P2","5"]]', promo='["A","B"]', nli='5')
    order(o1, 'O-26', '7', '1700000000', jarr(['{"id":"P3","qty":2.0,"price":1}']))  # 2.0
    order(o1, 'O-27', '7', '1700000000', jarr(['{"id":"P13","qty":1}']))  # P13 catalog price -5
    order(o1, 'O-28', '7', '1700000000', jarr(['{"id":"P16","qty":1}']))  # P16 sale price -3
    order(o1, 'O-29', '7', '2031-05-05T00:00:00Z', jarr([it[0]]))  # future order: admitted
    order(o1, 'O-30', '7', '1700000000', jarr(['{"id":"P20","qty":1,"price":"5"}']))  # string price
    order(o1, 'O-31', '34', '1700000000', jarr([it[0]]))  # closed customer
    for i in range(40, 80):                               # random filler
        num = 'O-%d' % i
        if g.r.random() < 0.1:
            num = g.ws(num, 1.0)
        cid = valid_customer(g.r.randint(1, 25)) if g.r.random() < 0.85 \
            else g.ws(g.pick(BAD_CUSTOMER_IDS + ['101', '999']), 0.3)
        dt = g.ws(g.pick(ORDER_DT_OK), 0.3) if g.r.random() < 0.7 else g.pick(ORDER_DT_BAD)
        n = g.r.randint(1, 3)
        items = [g.pick(ORDER_ITEMS_OK) if g.r.random() < 0.9 else g.pick(ORDER_ITEMS_BAD)
                 for _ in range(n)]
        order(o1, num, cid, dt, g.ws(jarr(items), 0.2),
              clicks=g.ws(g.pick(CLICKS), 0.2), promo=g.ws(g.pick(PROMOS), 0.2))
    # every pool value once, the rest of the order valid
    for n, v in enumerate(ORDER_DT_OK + ORDER_DT_BAD):
        order(o1, 'DT-%d' % n, '18', v, jarr([it[0]]), clicks='', promo='', nli='1')
    for n, v in enumerate(ORDER_ITEMS_OK + ORDER_ITEMS_BAD):
        order(o1, 'IT-%d' % n, '19', '1700000000', jarr([v]), clicks='', promo='', nli='1')
    for n, v in enumerate(CLICKS):
        order(o1, 'CL-%d' % n, '20', '1700000000', jarr([it[0]]), clicks=v)
    for n, v in enumerate(PROMOS):
        order(o1, 'PR-%d' % n, '20', '1700000000', jarr([it[0]]), promo=v)
    for n, v in enumerate(LINE_COUNTS):
        order(o1, 'NL-%d' % n, '20', '1700000000', jarr([it[0]]), nli=v)
    order(o1, 'O-36', '21', '1700000000',
          jarr(['{"id":"P22","qty":1,"price":22,"name":"Twenty-two","unit":"u"}']))  # superseded
    order(o1, 'O-37', '21', '1700000000', jarr([it[0]]))   # b2 record waits for P23's price
    order(o1, 'O-38', '21', '1700000000', jarr(['["P22", 2]']))  # P22 only from superseded O-36
    order(o1, 'O-39', '21', '1700000000', jarr([it[0]]))   # two valid records, one batch:
    order(o1, 'O-39', '22', '1700000001', jarr([it[2]]))   # the higher line wins
    order(o1, 'O-40', '9223372036854775807', '1700000000', jarr([it[0]]))
    order(o1, 'O-41', '22', '1700000000',
          jarr(['{"id":"P26","qty":1,"price":3,"name":"first"}',
                '{"id":"P26","qty":1,"price":4,"name":"second"}']))  # same product twice
    order(o1, 'O-43', '102', '1700000000',
          jarr(['{"id":"P27","qty":1,"price":27}']))   # late customer; prices O-44
    order(o1, 'O-44', '21', '1700000000', jarr(['["P27", 1]']))  # waits for O-43
    order(o1, 'O-45', '102', '1700000000', jarr([it[0]]))  # late; superseded in b2 before
    order(o1, 'O-46', '21', '1700000000', jarr(['["P28", 1]']))  # P28: sale price 28, then 29
    order(o1, 'O-47', '21', '1700000000', jarr(['["P2", 3]']))   # P2: sales price, changes
    order(o1, 'o-1', '21', '1700000000', jarr([it[0]]))   # not O-1
    order(o1, 'O-48', '102', '1700000000', jarr(['["P23", 1]']))  # customer and price late
    order(o1, 'O-49', '21', '1700000000', jarr(['["P24", 1]']))  # P24 only in a quarantined sale
    order(o1, 'O-50', '102', '1700000000', jarr([it[0]]))  # late; b2 record invalid
    order(o1, 'O-51', '102', '1700000000', jarr([it[0]]))  # late; b2 record late too
    order(o1, 'O-52', '21', '2024-03-01t10:20:30z', jarr([it[0]]))  # lower-case t and z
    order(o1, 'O-53', '21', '2024-03-01T10:20:30z', jarr([it[0]]))
    files['sales_orders_1'] = o1

    o2 = CsvFile('sales_orders_2.csv', ORDER_COLS, crlf=True, header_case='upper')
    order(o2, 'O-1', '2', '2024-03-03T10:00:00Z', jarr([it[2], it[3]]))  # b2 wins, items replaced
    order(o2, 'O-17', '6', 'yesterday', jarr([it[0]]))    # invalid: O-17 stays b1's record
    order(o2, 'O-18', '102', '2024-03-05T00:00:00Z', jarr([it[2]]))  # wins once 102 arrives (b3)
    order(o2, 'O-19', '6', '2024-03-05T00:00:00Z', jarr(['{"id":"P1","qty":1,"price":-1}']))
    order(o2, 'O-32', '8', '2024-03-06T00:00:00Z', jarr(['["P9", 1]']))   # P9 known now
    order(o2, 'O-33', '8', '2024-03-06T00:00:00Z', jarr(['["P21", 1]']))  # P21 never priced
    for i in range(80, 95):
        num = 'O-%d' % g.r.randint(40, 99)                # some replace b1 orders
        cid = valid_customer(g.r.randint(1, 25))
        items = [g.pick(ORDER_ITEMS_OK) for _ in range(g.r.randint(1, 3))]
        order(o2, num, cid, g.ws(g.pick(ORDER_DT_OK), 0.3), jarr(items))
    order(o2, 'O-36', '21', '1700000000', jarr([it[0]]))  # supersedes O-36 (P22's only source)
    order(o2, 'O-37', '21', '1700000000', jarr(['["P23", 1]']))  # unknown price until products_3
    order(o2, 'O-13', '5', '1700000000', jarr([it[0]]))  # supersedes O-13 (P18's only source)
    order(o2, 'O-45', '21', '1700000000', jarr([it[2]]))  # wins over the late b1 record
    order(o2, 'O-50', '21', 'not a time', jarr([it[2]]))
    order(o2, 'O-51', '102', '1700000001', jarr([it[2]]))
    files['sales_orders_2'] = o2

    # sales_orders_3 without the optional columns
    o3 = CsvFile('sales_orders_3.csv', ['order_number', 'ordered_products',
                                        'order_datetime', 'customer_id'], shuffle=True)
    order(o3, 'O-1', '3', '2024-03-04T10:00:00Z', jarr([it[5]]))   # third record wins
    order(o3, 'O-34', '106', '1700000000', jarr([it[0]]))  # customer arrives in the same step
    order(o3, 'O-35', '8', '1700000000', jarr(['["P17", 2]']))  # P17 from a b2 sale
    order(o3, 'O-42', '8', '1700000000',
          jarr(['{"id":"P18","qty":1,"price":19}']))   # newer P18 price: O-12 repriced
    files['sales_orders_3'] = o3

    # ====================================================================
    paths = {}
    for key, f in files.items():
        paths[key] = f.write(outdir, g)

    steps = []

    def ingest(key, force=False):
        source = key.rsplit('_', 1)[0]
        steps.append({'op': 'ingest', 'source': source, 'file': os.path.basename(paths[key]),
                      'force': force})

    def refresh(tz, full=False):
        steps.append({'op': 'refresh', 'timezone': tz, 'full': full})

    for k in ('customers_1', 'products_1', 'sales_1', 'sales_orders_1'):
        ingest(k)
    # parsed in UTC+14 (the sale dated today there is not in the future), then
    # refreshed in UTC-12 (where it is): the refresh date decides
    steps.append({'op': 'parse', 'timezone': 'Pacific/Kiritimati'})
    refresh('Etc/GMT+12')                                 # UTC-12: today in UTC+14 is future
    for k in ('customers_2', 'products_2', 'sales_2', 'sales_orders_2'):
        ingest(k)
    steps.append({'op': 'refresh_silver', 'timezone': 'UTC'})
    refresh('UTC')
    ingest('sales_orders_3')
    ingest('sales_3')
    ingest('customers_1')                                 # re-sent: a duplicate batch
    ingest('customers_3')
    ingest('products_3')
    ingest('sales_4')
    ingest('sales_5')
    ingest('sales_6')
    refresh('Pacific/Kiritimati')
    # the same files again, forced: new batches with the same content
    ingest('products_1', force=True)                      # newest catalog rows again: P6 10
    ingest('sales_1', force=True)                         # every sale again: no new sale
    ingest('sales_orders_1', force=True)                  # every order's newest record
    ingest('customers_3', force=True)                     # load-time versions again
    refresh('Pacific/Kiritimati')                         # UTC+14
    steps.append({'op': 'sleep_until', 'epoch': now_s + BOUNDARY_S + 2})
    refresh('Pacific/Kiritimati')                         # nothing new, but time passed
    refresh('Pacific/Kiritimati', full=True)
    with open(os.path.join(outdir, 'plan.json'), 'w') as f:
        json.dump({'seed': seed, 'steps': steps}, f, indent=1)
    return steps


def build_random(outdir, seed, rounds=8):
    """Many small batches over small key spaces, refreshed at random points:
    supersessions, version collisions, late customers and prices, repricing."""
    g = Gen(seed)
    r = g.r
    os.makedirs(outdir, exist_ok=True)
    steps = []
    utc14_today = datetime.datetime.now(
        datetime.timezone(datetime.timedelta(hours=14))).date()
    sale_dates = ['2024-01-%02d' % d for d in range(1, 15)] + \
        [utc14_today.isoformat(), '2030-01-01', '2024-02-30']
    cats = ['A', 'B', ' C ', '', 'NULL']
    history = []                  # sales rows written so far (for verbatim repeats)
    tzs = ['Etc/GMT+12', 'Etc/GMT+12', 'UTC', 'UTC']
    refreshes = 0

    def ingest(f, source):
        """writes the CSV file f and loads it into source as the next step"""
        steps.append({'op': 'ingest', 'source': source,
                      'file': os.path.basename(f.write(outdir, g))})

    def cid_text(lo, hi):
        if r.random() < 0.06:
            return g.pick(BAD_CUSTOMER_IDS)
        return g.ws(str(r.randint(lo, hi)), 0.2)

    def product_json(sale):
        pid = 'P%d' % r.randint(1, 15)
        parts = ['"id":"%s"' % pid] if r.random() < 0.98 else ['"id":""']
        if r.random() < 0.6:
            parts.append('"price":%s' % g.pick(['1', '2.5', '10', '0', '7.25', '3e1', '-1']
                                               if sale else ['1', '2.5', '10', '0', '7.25']))
        if r.random() < 0.5:
            parts.append('"name":"%s"' % g.pick(['n1', 'n2', 'n3']))
        if r.random() < 0.3:
            parts.append('"curr":"%s"' % g.pick(['USD', 'EUR']))
        if sale:
            if r.random() < 0.5:
                parts.append('"qty":%s' % g.pick(['1', '2', '"3"', '0', '-1', '"x"']))
        else:
            parts.append('"qty":%s' % ('0' if r.random() < 0.03 else
                                       g.pick(['1', '2', '"3"', '1', '1'])))
        r.shuffle(parts)
        obj = '{' + ','.join(parts) + '}'
        if not sale and r.random() < 0.25:
            return '["%s", %s]' % (pid, g.pick(['1', '2', '"4"']))
        return obj

    for rnd in range(1, rounds + 1):
        late_hi = 12 + rnd * 2             # customers 13.. arrive round by round
        if r.random() < 0.8:
            f = CsvFile('customers_r%d.csv' % rnd, CUSTOMER_COLS, shuffle=True,
                        crlf=r.random() < 0.5)
            for _ in range(r.randint(5, 15)):
                vf = r.random()
                vf = (None if vf < 0.5 else g.pick(['1500000000', '1600000000', '1700000000'])
                      if vf < 0.75 else g.pick(['2000000000', 'junk', 'NULL', '-5']))
                vt = None if r.random() < 0.7 else g.pick(['1550000000', '1650000000',
                                                           '2100000000', 'junk'])
                row = dict(customer_id=cid_text(1, late_hi),
                           customer_name=g.pick(NAMES), state=g.pick(STATES),
                           email=g.pick(EMAILS), phone=g.pick(PHONES))
                if vf is not None:
                    row['valid_from'] = g.ws(vf, 0.2)
                if vt is not None:
                    row['valid_to'] = vt
                f.add(**row)
            ingest(f, 'customers')
        if r.random() < 0.5:
            f = CsvFile('products_r%d.csv' % rnd, PRODUCT_COLS, shuffle=True)
            for _ in range(r.randint(1, 5)):
                f.add(product_id=g.ws('P%d' % r.randint(1, 12), 0.2),
                      product_name=g.pick(['cat name %d' % rnd, 'NULL', '']),
                      product_category=g.pick(cats),
                      sales_price=g.pick(['1', '5', '9.99', '20', 'NULL', '', 'NaN', '-2',
                                          str(rnd)]))
            ingest(f, 'products')
        if r.random() < 0.85:
            f = CsvFile('sales_r%d.csv' % rnd, SALES_COLS, shuffle=True)
            for _ in range(r.randint(1, 12)):
                if history and r.random() < 0.15:
                    f.add(**g.pick(history))          # the same record again: one sale
                    continue
                row = dict(customer_id=cid_text(1, late_hi + 3), customer_name=g.pick(NAMES[:3]),
                           product_name=g.pick(['x', '', 'NULL', 'y']),
                           order_date=g.pick(sale_dates), product_category=g.pick(cats),
                           product=product_json(True),
                           total_price=g.pick(['1', '2.50', '10', '3', '7.5', '0', '-1']))
                history.append(row)
                f.add(**row)
            ingest(f, 'sales')
        if r.random() < 0.85:
            f = CsvFile('sales_orders_r%d.csv' % rnd, ORDER_COLS, shuffle=True)
            for _ in range(r.randint(1, 12)):
                items = [product_json(False) for _ in range(r.randint(1, 3))]
                if r.random() < 0.04:
                    items.append('{"id":"P1","qty":1,"price":-3}')
                f.add(order_number=g.ws('O-%d' % r.randint(1, 30), 0.1),
                      customer_id=cid_text(1, late_hi + 3),
                      order_datetime=g.pick(['1700000000', '2024-03-01T10:00:00Z',
                                             '2024-03-01T23:30:00-05:00', str(1700000000 + rnd),
                                             '2024-03-02', '2024-03-03 12:00', 'yesterday']),
                      ordered_products=jarr(items),
                      clicked_items=g.pick(CLICKS), promo_info=g.pick(PROMOS),
                      number_of_line_items=str(len(items)))
            ingest(f, 'sales_orders')
        if r.random() < 0.3:
            steps.append({'op': 'parse', 'timezone': g.pick(['Pacific/Kiritimati', 'UTC',
                                                             'Etc/GMT+12'])})
        if r.random() < 0.15:
            f = g.pick([x for x in steps if x['op'] == 'ingest'])
            steps.append(dict(f, force=True))                 # a file again, forced
        if rnd == rounds or r.random() < 0.6:
            tz = tzs[refreshes] if refreshes < len(tzs) else 'Pacific/Kiritimati'
            if rnd == rounds:
                tz = 'Pacific/Kiritimati'
            refreshes += 1
            if r.random() < 0.3:
                steps.append({'op': 'refresh_silver', 'timezone': tz})
            steps.append({'op': 'refresh', 'timezone': tz, 'full': False})
    steps.append({'op': 'refresh', 'timezone': 'Pacific/Kiritimati', 'full': True})
    with open(os.path.join(outdir, 'plan.json'), 'w') as f:
        json.dump({'seed': seed, 'random': True, 'steps': steps}, f, indent=1)
    return steps


def main(argv):
    args = list(argv[1:])
    seed = SEED
    rand = False
    if '--random' in args:
        args.remove('--random')
        rand = True
    if '--seed' in args:
        i = args.index('--seed')
        seed = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    if rand:
        build_random(args[0], seed)
    else:
        build(args[0], seed)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
