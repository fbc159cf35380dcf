#!/usr/bin/env python3
"""An independent model of medallion's silver layer (SPEC.md sections 2, 4, 8).

Written from SPEC.md alone.  Given the CSV files of a case (silver_cases.py),
its plan.json and what the database run recorded that the model cannot know
by itself (the batch ids the loads got, each batch's started_at, each
refresh's current_date and now()), it computes what silver must hold after
every refresh and compares that with the dumps check_silver.sh took, printing
TAP.

    silver_model.py DATA_DIR RUN_DIR [--expected OUT_DIR] [--reading NAME=VALUE ...]

RUN_DIR holds ingests.csv, batches.csv, refreshes.csv, bronze_<source>.csv
and r<N>/<table>.csv for every refresh N (see check_silver.sh).

Where SPEC leaves a choice the model has a named reading (--reading), with
the default printed by --readings.  Stdlib only.
"""

import csv
import datetime
import hashlib
import json
import os
import re
import sys
from decimal import Decimal, ROUND_FLOOR, ROUND_HALF_EVEN, getcontext

getcontext().prec = 400

# --------------------------------------------------------------------------
# readings of the places where SPEC is ambiguous (name -> (default, alternatives, what))

READINGS = {
    'future_sale': ('permanent', ['permanent', 'retry'],
                    'a sale dated after the refresh date: SPEC 4 lists only a missing '
                    'customer or price as retried, so it stays quarantined (permanent); '
                    'or it is retried and admitted once its date has come (retry)'),
    'json_int': ('strict', ['strict', 'lenient'],
                 'qty "a JSON integer": number text without fraction/exponent (strict), '
                 'or any JSON number with an integral value such as 2.0 or 1e1 (lenient)'),
    'neg_product_price': ('use', ['use', 'ignore'],
                          'a negative catalog sales_price or sales JSON price is still the '
                          'product\'s price (use) or is not a price at all (ignore)'),
    'sales_null_category': ('skip', ['skip', 'unknown'],
                            'in products precedence, a sales row without a category is '
                            'skipped (first non-null) or counts as UNKNOWN'),
    'item_source': ('admitted', ['admitted', 'winners'],
                    'order items feeding silver.products: items of every admitted order '
                    'record, superseded ones too (admitted), or of silver.orders only (winners)'),
    'price_fixpoint': ('greatest', ['greatest', 'least'],
                       'orders waiting for a price that an admitted order may give: the '
                       'largest consistent set (an order may price itself) or the smallest'),
    'product_empty_id': ('quarantine', ['quarantine', 'drop'],
                         'a catalog row without product_id is quarantined or silently dropped'),
    'string_price': ('missing', ['missing', 'invalid', 'numeric'],
                     'a JSON price that is not a JSON number (e.g. "5") counts as missing, '
                     'makes the order item invalid, or is read as a number when the string '
                     '(trimmed) has numeric syntax (numeric)'),
    'item_tie': ('first', ['first', 'last'],
                 'the same product twice in one order record: for silver.products the first '
                 'item counts as newest, or the last'),
    'json_depth': ('unlimited', ['unlimited', '32'],
                   'JSON nested deeper than 32 levels is valid JSON (RFC 8259, jsonb) or invalid'),
    'numeric_digits': ('pg', ['pg', '1000'],
                       'numbers: PostgreSQL numeric range (131072 digits before the point, '
                       '16383 after) or at most 1000 characters/digits and |exponent| <= 1000 '
                       '(what medallion does; a departure from "PostgreSQL numeric syntax")'),
    'sales_identity': ('spec_columns', ['spec_columns', 'all_columns'],
                       'identical sales records: the same text in the columns of the sales '
                       'contract (SPEC 2), or in every bronze column, unknown extra ones too'),
    'ts_lowercase': ('invalid', ['invalid', 'valid'],
                     'timestamps with a lower-case "t" separator or "z" zone (RFC 3339 allows '
                     'them; SPEC writes T and Z)'),
    'json_bigint': ('valid', ['valid', 'invalid'],
                    'JSON with an integer outside -2^63..2^64-1 (e.g. qty 99999999999999999999) '
                    'is valid JSON (RFC 8259, jsonb) or invalid'),
    'unix_negative': ('absent', ['absent', 'allowed'],
                      'valid_from/valid_to "-86400": not unix seconds (absent), or 1969'),
}

# --------------------------------------------------------------------------
# CSV (SPEC 2, 8): strict RFC 4180, physical line numbers, header line 1


def parse_csv(data, delim=','):
    if data.startswith(b'\xef\xbb\xbf'):
        data = data[3:]
    text = data.decode('utf-8')
    n = len(text)
    i = 0
    line = 1
    records = []
    while i < n:
        # blank line?
        if text[i] == '\n':
            i += 1
            line += 1
            continue
        if text.startswith('\r\n', i):
            i += 2
            line += 1
            continue
        start_line = line
        fields = []
        while True:
            if i < n and text[i] == '"':
                i += 1
                buf = []
                while True:
                    if i >= n:
                        raise ValueError('unterminated quote at line %d' % start_line)
                    c = text[i]
                    if c == '"':
                        if i + 1 < n and text[i + 1] == '"':
                            buf.append('"')
                            i += 2
                            continue
                        i += 1
                        break
                    if c == '\n':
                        line += 1
                    buf.append(c)
                    i += 1
                fields.append(''.join(buf))
            else:
                j = i
                while j < n and text[j] not in (delim, '\n') and not text.startswith('\r\n', j):
                    if text[j] == '"':
                        raise ValueError('quote in unquoted field at line %d' % start_line)
                    j += 1
                fields.append(text[i:j])
                i = j
            if i >= n:
                break
            if text[i] == delim:
                i += 1
                continue
            if text[i] == '\n':
                i += 1
                line += 1
                break
            if text.startswith('\r\n', i):
                i += 2
                line += 1
                break
            raise ValueError('text after closing quote at line %d' % start_line)
        records.append((start_line, fields))
    if not records:
        raise ValueError('empty file')
    header_line, header = records[0]
    header = [h.strip(' \t\r\n').lower() for h in header]
    trailing = header and header[-1] == ''
    if trailing:
        header = header[:-1]
    rows = []
    rejects = []
    for ln, fields in records[1:]:
        if trailing and len(fields) == len(header) + 1:
            fields = fields[:-1]
        if len(fields) != len(header):
            rejects.append(ln)                # wrong field count: bronze.rejects
            continue
        rows.append((ln, dict(zip(header, fields))))
    return header, rows, rejects


REQUIRED = {
    'customers': ['customer_id', 'customer_name', 'state'],
    'sales': ['customer_id', 'product_name', 'order_date', 'product_category', 'product',
              'total_price'],
    'sales_orders': ['customer_id', 'order_datetime', 'order_number', 'ordered_products'],
    'products': ['product_id', 'product_name', 'product_category'],
}


# --------------------------------------------------------------------------
# typed values (SPEC 8)

WS = ' \t\r\n'


def clean(v):
    """trimmed text, or None for a null token (SPEC 2: empty or NULL any case)."""
    if v is None:
        return None
    t = v.strip(WS)
    if t == '' or t.lower() == 'null':
        return None
    return t


MAXBIG = 2 ** 63 - 1


def pos_int(v):
    t = clean(v)
    if t is None or not re.fullmatch(r'[0-9]+', t):
        return None
    x = int(t)
    return x if 1 <= x <= MAXBIG else None


NUM_RE = re.compile(r'[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?')


def to_numeric(v):
    """PostgreSQL numeric syntax and range (131072 digits before the point,
    16383 after), without NaN or Infinity."""
    t = clean(v)
    if t is None or not NUM_RE.fullmatch(t):
        return None
    d = Decimal(t)
    if NUMERIC_1000 and (len(t) > 1001 or len(d.as_tuple().digits) > 1000
                         or abs(d.adjusted()) > 1000):
        return None
    if d != 0 and d.adjusted() >= 131072:
        return None
    if -d.as_tuple().exponent > 16383:
        return None
    return d


def to_date(v):
    t = clean(v)
    if t is None:
        return None
    m = re.fullmatch(r'([0-9]{4})-([0-9]{2})-([0-9]{2})', t)
    if not m:
        return None
    try:
        return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


EPOCH = datetime.date(1970, 1, 1)
MAX_EPOCH = 253402300799          # 9999-12-31 23:59:59 UTC: the model's own bound


def unix_seconds(t, allow_negative=False):
    if re.fullmatch(r'[0-9]+', t) or (allow_negative and re.fullmatch(r'-[0-9]+', t)):
        x = int(t)
        if x <= MAX_EPOCH and x >= -62135596800:
            return Decimal(x)
    return None


TS_RE = re.compile(r'([0-9]{4})-([0-9]{2})-([0-9]{2})'
                   r'(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?'
                   r'(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?')


def to_timestamp(v):
    """epoch seconds (Decimal, microseconds) or None."""
    t = clean(v)
    if t is None:
        return None
    u = unix_seconds(t)
    if u is not None:
        return u
    m = TS_RE.fullmatch(t)
    if not m:
        return None
    y, mo, d, hh, mi, ss, frac, zone = m.groups()
    try:
        day = datetime.date(int(y), int(mo), int(d))
    except ValueError:
        return None
    h = int(hh) if hh else 0
    mn = int(mi) if mi else 0
    s = int(ss) if ss else 0
    if h > 23 or mn > 59 or s > 59:
        return None
    off = 0
    if zone and zone != 'Z':
        sign = -1 if zone[0] == '-' else 1
        z = zone[1:].replace(':', '')
        zh = int(z[:2])
        zm = int(z[2:4]) if len(z) > 2 else 0
        if zh > 23 or zm > 59:
            return None
        if len(zone[1:]) == 4 and ':' in zone:        # "+5:0" cannot happen (regex)
            return None
        off = sign * (zh * 3600 + zm * 60)
    sec = Decimal((day - EPOCH).days * 86400 + h * 3600 + mn * 60 + s - off)
    if frac:
        sec += Decimal('0.' + frac).quantize(Decimal('0.000001'), rounding=ROUND_HALF_EVEN)
    return sec


def epoch_date(e):
    days = int((e / 86400).to_integral_value(rounding=ROUND_FLOOR))
    return EPOCH + datetime.timedelta(days=days)


STATE_TZ = dict(x.split() for x in """
AK America/Anchorage|AL America/Chicago|AR America/Chicago|AZ America/Phoenix|
CA America/Los_Angeles|CO America/Denver|CT America/New_York|DC America/New_York|
DE America/New_York|FL America/New_York|GA America/New_York|HI Pacific/Honolulu|
IA America/Chicago|ID America/Boise|IL America/Chicago|
IN America/Indiana/Indianapolis|KS America/Chicago|KY America/New_York|
LA America/Chicago|MA America/New_York|MD America/New_York|ME America/New_York|
MI America/Detroit|MN America/Chicago|MO America/Chicago|MS America/Chicago|
MT America/Denver|NC America/New_York|ND America/Chicago|NE America/Chicago|
NH America/New_York|NJ America/New_York|NM America/Denver|NV America/Los_Angeles|
NY America/New_York|OH America/New_York|OK America/Chicago|OR America/Los_Angeles|
PA America/New_York|PR America/Puerto_Rico|RI America/New_York|SC America/New_York|
SD America/Chicago|TN America/Chicago|TX America/Chicago|UT America/Denver|
VA America/New_York|VT America/New_York|WA America/Los_Angeles|WI America/Chicago|
WV America/New_York|WY America/Denver""".replace('\n', '').split('|'))
assert len(STATE_TZ) == 52


def ascii_upper(s):
    return ''.join(chr(ord(c) - 32) if 'a' <= c <= 'z' else c for c in s)


def ascii_lower(s):
    return ''.join(chr(ord(c) + 32) if 'A' <= c <= 'Z' else c for c in s)


def std_state(v):
    t = clean(v)
    if t is None:
        return None
    t = ascii_upper(t)
    return t if t in STATE_TZ else None


EMAIL_RE = re.compile(r'[^ \t\n\r\f\v@]+@[^ \t\n\r\f\v@]+\.[^ \t\n\r\f\v@]+')


def std_email(v):
    t = clean(v)
    if t is None:
        return None
    t = ascii_lower(t)
    return t if EMAIL_RE.fullmatch(t) else None


def std_phone(v):
    t = clean(v)
    if t is None:
        return None
    d = ''.join(c for c in t if '0' <= c <= '9')
    if len(d) == 11 and d[0] == '1':
        d = d[1:]
    return '+1' + d if len(d) == 10 else None


def std_name(v):
    t = clean(v)
    if t is None:
        return None
    return re.sub(r'[ \t\r\n]+', ' ', t)


def to_int(v, lo=-2 ** 31, hi=2 ** 31 - 1):
    """the unspecified integer columns (units_purchased, loyalty_segment,
    number_of_line_items): an optionally signed integer, else NULL."""
    t = clean(v)
    if t is None or not re.fullmatch(r'[+-]?[0-9]+', t):
        return None
    x = int(t)
    return x if lo <= x <= hi else None


# --------------------------------------------------------------------------
# JSON (strict RFC 8259; numbers keep their text)

class JNum:
    __slots__ = ('text',)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


def _no_const(name):
    raise ValueError('not JSON: ' + name)


JSON_BIGINT_INVALID = False
BRONZE = {}
POINTS = []           # (point, now, kind) of every parse / refresh_silver / refresh
NUMERIC_1000 = False
JSON_MAX_DEPTH = None


def _depth(x):
    if isinstance(x, list):
        return 1 + max([_depth(e) for e in x] or [0])
    if isinstance(x, dict):
        return 1 + max([_depth(e) for e in x.values()] or [0])
    return 0


def _big(x):
    if isinstance(x, JNum):
        return re.fullmatch(r'-?[0-9]+', x.text) is not None and \
            not (-2 ** 63 <= int(x.text) <= 2 ** 64 - 1)
    if isinstance(x, list):
        return any(_big(e) for e in x)
    if isinstance(x, dict):
        return any(_big(e) for e in x.values())
    return False


def parse_json(t):
    if t is None:
        return (False, None)
    try:
        v = json.loads(t, parse_int=JNum, parse_float=JNum, parse_constant=_no_const)
    except (ValueError, RecursionError):
        return (False, None)
    if JSON_BIGINT_INVALID and _big(v):
        return (False, None)
    if JSON_MAX_DEPTH is not None and _depth(v) > JSON_MAX_DEPTH:
        return (False, None)
    return (True, v)


def json_price(x, mode):
    """(price or None, invalid?) of a JSON price value."""
    if x is None:
        return (None, False)
    if isinstance(x, JNum):
        return (Decimal(x.text), False)
    if mode == 'numeric' and isinstance(x, str):
        t = x.strip(WS)
        if NUM_RE.fullmatch(t):
            return (Decimal(t), False)
    return (None, mode == 'invalid')


def json_to_plain(x):
    """for comparing jsonb values: numbers as Decimal."""
    if isinstance(x, JNum):
        return Decimal(x.text)
    if isinstance(x, list):
        return [json_to_plain(e) for e in x]
    if isinstance(x, dict):
        return {k: json_to_plain(v) for k, v in x.items()}
    return x


def json_id(x):
    if isinstance(x, str):
        return x if x != '' else None
    if isinstance(x, JNum):
        return x.text
    return None


def json_posint(x, lenient):
    if isinstance(x, JNum):
        if re.fullmatch(r'-?[0-9]+', x.text):
            v = int(x.text)
        elif lenient:
            d = Decimal(x.text)
            if d != d.to_integral_value():
                return None
            v = int(d)
        else:
            return None
    elif isinstance(x, str):
        if not re.fullmatch(r'[0-9]+', x):
            return None
        v = int(x)
    else:
        return None
    return v if 1 <= v <= MAXBIG else None


def json_num(x):
    return Decimal(x.text) if isinstance(x, JNum) else None


def json_str(x):
    return x if isinstance(x, str) else None


# --------------------------------------------------------------------------
# the model


class Rec:
    __slots__ = ('source', 'batch', 'line', 'f')

    def __init__(self, source, batch, line, f):
        self.source, self.batch, self.line, self.f = source, batch, line, f

    @property
    def key(self):
        return (self.batch, self.line)

    def get(self, col):
        return self.f.get(col)


SALES_SOURCE_COLS = ['customer_id', 'product_name', 'order_date', 'product_category',
                     'product', 'total_price', 'customer_name']


class Model:
    def __init__(self, readings):
        self.rd = readings
        self.batches = []                  # (batch_id, source, [Rec])
        self.started = {}                  # batch_id -> Decimal epoch
        self.quarantine = {}               # (source, batch, line) -> dict(resolved, perm)

    def add_batch(self, batch_id, source, rows, started):
        recs = [Rec(source, batch_id, ln, f) for ln, f in rows]
        self.batches.append((batch_id, source, recs))
        self.started[batch_id] = started

    def records(self, source):
        out = []
        for b, s, recs in self.batches:
            if s == source:
                out.extend(recs)
        return out

    # ---------------------------------------------------------------- refresh
    def refresh(self, today, now, rk=None):
        rd = self.rd
        lenient = rd['json_int'] == 'lenient'
        verdict = {}                       # (source, b, l) -> 'ok' | 'perm' | 'retry'

        def sticky(source, r):
            q = self.quarantine.get((source, r.batch, r.line))
            return q is not None and q['perm']

        # ---- customers
        versions = {}                      # (cid, start) -> (rec, row)
        for r in self.records('customers'):
            cid = pos_int(r.get('customer_id'))
            if cid is None:
                verdict[('customers',) + r.key] = 'perm'
                continue
            verdict[('customers',) + r.key] = 'ok'
            neg = rd['unix_negative'] == 'allowed'
            vf = clean(r.get('valid_from'))
            vf = unix_seconds(vf, neg) if vf is not None else None
            vt = clean(r.get('valid_to'))
            vt = unix_seconds(vt, neg) if vt is not None else None
            start = vf if vf is not None else self.started[r.batch]
            k = (cid, start)
            if k not in versions or versions[k][0].key < r.key:
                versions[k] = (r, vt)
        by_cid = {}
        for (cid, start), (r, vt) in versions.items():
            by_cid.setdefault(cid, []).append((start, r, vt))
        customers = []
        for cid, vs in by_cid.items():
            vs.sort(key=lambda x: x[0])
            for i, (start, r, vt) in enumerate(vs):
                end = vs[i + 1][0] if i + 1 < len(vs) else vt
                current = start <= now and (end is None or end > now)
                st = std_state(r.get('state'))
                customers.append(dict(
                    customer_id=cid, valid_from=start, valid_to=end, is_current=current,
                    customer_name=std_name(r.get('customer_name')), state=st,
                    timezone=STATE_TZ.get(st), email=std_email(r.get('email')),
                    phone=std_phone(r.get('phone')), _batch_id=r.batch, _line=r.line,
                    tax_id=clean(r.get('tax_id')), tax_code=clean(r.get('tax_code')),
                    city=clean(r.get('city')), postcode=clean(r.get('postcode')),
                    street=clean(r.get('street')), number=clean(r.get('number')),
                    unit=clean(r.get('unit')), region=clean(r.get('region')),
                    district=clean(r.get('district')), lon=to_numeric(r.get('lon')),
                    lat=to_numeric(r.get('lat')),
                    ship_to_address=clean(r.get('ship_to_address')),
                    units_purchased=to_int(r.get('units_purchased'), -2 ** 63, MAXBIG),
                    loyalty_segment=to_int(r.get('loyalty_segment'))))
        known = set(by_cid)

        # ---- catalog
        catalog = []                       # (key, pid, attrs)
        for r in self.records('products'):
            pid = clean(r.get('product_id'))
            if pid is None:
                verdict[('products',) + r.key] = 'perm' if rd['product_empty_id'] == 'quarantine' else 'drop'
                continue
            verdict[('products',) + r.key] = 'ok'
            price = to_numeric(r.get('sales_price'))
            if price is not None and price < 0 and rd['neg_product_price'] == 'ignore':
                price = None
            catalog.append((r.key, pid, dict(
                product_name=clean(r.get('product_name')),
                product_category=clean(r.get('product_category')),
                price=price, curr=None, ean13=clean(r.get('ean13')),
                ean5=clean(r.get('ean5')), unit=clean(r.get('product_unit')))))

        # ---- sales
        sales_ok = []                      # (rec, parsed)
        for r in self.records('sales'):
            k = ('sales',) + r.key
            if sticky('sales', r):
                verdict[k] = 'perm'
                continue
            cid = pos_int(r.get('customer_id'))
            d = to_date(r.get('order_date'))
            total = to_numeric(r.get('total_price'))
            okj, prod = parse_json(clean(r.get('product')))
            pid = json_id(prod.get('id')) if okj and isinstance(prod, dict) else None
            if cid is None or d is None:
                verdict[k] = 'perm'
            elif d > today:
                verdict[k] = 'perm' if rd['future_sale'] == 'permanent' else 'retry'
            elif total is None or total < 0 or pid is None:
                verdict[k] = 'perm'
            elif cid not in known:
                verdict[k] = 'retry'
            else:
                verdict[k] = 'ok'
                qty = json_posint(prod.get('qty'), lenient)
                jprice = json_price(prod.get('price'), rd['string_price'])[0]
                if jprice is not None and jprice < 0 and rd['neg_product_price'] == 'ignore':
                    jprice = None
                sales_ok.append((r, dict(
                    customer_id=cid, order_date=d, product_id=pid,
                    category=clean(r.get('product_category')),
                    quantity=qty if qty is not None else 1, amount=total,
                    name=clean(r.get('product_name')) or json_str(prod.get('name')),
                    price=jprice, curr=json_str(prod.get('curr')),
                    ident=tuple(r.get(c) for c in SALES_SOURCE_COLS) + (
                        tuple(sorted((c, v) for c, v in r.f.items() if c not in SALES_SOURCE_COLS))
                        if rd['sales_identity'] == 'all_columns' else ()))))
        groups = {}
        for r, p in sales_ok:
            groups.setdefault(p['ident'], []).append((r, p))
        sales = []
        for ident, members in groups.items():
            members.sort(key=lambda x: x[0].key)
            r, p = members[0]
            sales.append(dict(
                customer_id=p['customer_id'], order_date=p['order_date'],
                product_id=p['product_id'],
                product_category=p['category'] if p['category'] is not None else 'UNKNOWN',
                quantity=p['quantity'], amount=p['amount'], _batch_id=r.batch, _line=r.line,
                product_name=p['name'], price=p['price'], curr=p['curr'],
                copies=[m[0].key for m in members]))

        # sales contributions to products, newest first
        sales_attr = []
        for r, p in sales_ok:
            price = p['price']
            if price is not None and price < 0 and rd['neg_product_price'] == 'ignore':
                price = None
            cat = p['category']
            if cat is None and rd['sales_null_category'] == 'unknown':
                cat = 'UNKNOWN'
            sales_attr.append((r.key, p['product_id'], dict(
                product_name=p['name'], product_category=cat, price=price,
                curr=p['curr'], ean13=None, ean5=None, unit=None)))

        # ---- orders: permanent checks
        cand = []                          # (rec, parsed) passing permanent checks
        for r in self.records('sales_orders'):
            k = ('sales_orders',) + r.key
            num = clean(r.get('order_number'))
            cid = pos_int(r.get('customer_id'))
            odt = r.get('order_datetime')
            if rd['ts_lowercase'] == 'valid' and odt is not None:
                odt = re.sub(r'^(\s*[0-9]{4}-[0-9]{2}-[0-9]{2})t', r'\1T', odt)
                odt = re.sub(r'z(\s*)$', r'Z\1', odt)
            ts = to_timestamp(odt)
            okj, arr = parse_json(clean(r.get('ordered_products')))
            items = None
            if okj and isinstance(arr, list) and arr:
                items = []
                for e in arr:
                    if isinstance(e, dict):
                        pid = json_id(e.get('id'))
                        qty = json_posint(e.get('qty'), lenient)
                        price, bad_price = json_price(e.get('price'), rd['string_price'])
                        if price is not None and price < 0:
                            bad_price = True
                        if pid is None or qty is None or bad_price:
                            items = None
                            break
                        items.append(dict(product_id=pid, qty=qty, price=price,
                                          curr=json_str(e.get('curr')),
                                          name=json_str(e.get('name')),
                                          unit=json_str(e.get('unit')),
                                          promotion_info=e.get('promotion_info')))
                    elif isinstance(e, list) and len(e) == 2:
                        pid = json_id(e[0])
                        qty = json_posint(e[1], lenient)
                        if pid is None or qty is None:
                            items = None
                            break
                        items.append(dict(product_id=pid, qty=qty, price=None,
                                          curr=None, name=None, unit=None,
                                          promotion_info=None))
                    else:
                        items = None
                        break
            if num is None or cid is None or ts is None or items is None:
                verdict[k] = 'perm'
                continue
            p = dict(order_number=num, customer_id=cid, ts=ts, items=items)
            if cid not in known:
                verdict[k] = 'retry'
                continue
            cand.append((r, p))

        # ---- prices: the fixed point over orders that need a product price
        def item_attrs(admitted):
            if rd['item_source'] == 'winners':
                admitted = winners_of(admitted)
            out = []
            for r, p in admitted:
                for n, it in enumerate(p['items']):
                    tie = -n if rd['item_tie'] == 'first' else n
                    out.append((r.key + (tie,), it['product_id'], dict(
                        product_name=it['name'], product_category=None, price=it['price'],
                        curr=it['curr'], ean13=None, ean5=None, unit=it['unit'])))
            return out

        def winners_of(admitted):
            best = {}
            for r, p in admitted:
                n = p['order_number']
                if n not in best or best[n][0].key < r.key:
                    best[n] = (r, p)
            return list(best.values())

        def resolve(attr_sources):
            """attr_sources: lists in precedence order, each [(key, pid, attrs)]."""
            prods = {}
            for src in attr_sources:
                for key, pid, attrs in sorted(src, key=lambda x: x[0], reverse=True):
                    d = prods.setdefault(pid, {})
                    for a, v in attrs.items():
                        if v is not None and a not in d:
                            d[a] = v
            return prods

        def priced(p, prods):
            for it in p['items']:
                if it['price'] is None and prods.get(it['product_id'], {}).get('price') is None:
                    return False
            return True

        needs = [(r, p) for r, p in cand if any(it['price'] is None for it in p['items'])]
        free = [(r, p) for r, p in cand if all(it['price'] is not None for it in p['items'])]
        if rd['price_fixpoint'] == 'greatest':
            S = list(cand)
        else:
            S = list(free)
        for _ in range(100):
            prods = resolve([catalog, sales_attr, item_attrs(S)])
            S2 = free + [(r, p) for r, p in needs if priced(p, prods)]
            if set(x[0].key for x in S2) == set(x[0].key for x in S):
                break
            S = S2
        else:
            raise RuntimeError('price fixed point did not converge')
        admitted_keys = set(r.key for r, p in S)
        for r, p in cand:
            verdict[('sales_orders',) + r.key] = 'ok' if r.key in admitted_keys else 'retry'

        # ---- products
        prods = resolve([catalog, sales_attr, item_attrs(S)])
        products = []
        for pid, d in prods.items():
            products.append(dict(product_id=pid, product_name=d.get('product_name'),
                                 product_category=d.get('product_category', 'UNKNOWN'),
                                 price=d.get('price'), curr=d.get('curr'),
                                 ean13=d.get('ean13'), ean5=d.get('ean5'), unit=d.get('unit')))

        # ---- orders, items, clicks
        orders, items, clicks = [], [], []
        for r, p in winners_of(S):
            num = p['order_number']
            okp, promo = parse_json(clean(r.get('promo_info')))
            if clean(r.get('promo_info')) is None:
                promo_v = None
            elif okp and isinstance(promo, list):
                promo_v = json_to_plain(promo)
            else:
                promo_v = clean(r.get('promo_info'))
            orders.append(dict(order_number=num, customer_id=p['customer_id'],
                               order_datetime=p['ts'], order_date=epoch_date(p['ts']),
                               number_of_line_items=to_int(r.get('number_of_line_items')),
                               item_count=len(p['items']), promo_info=promo_v,
                               _batch_id=r.batch, _line=r.line))
            for n, it in enumerate(p['items'], 1):
                unit_price = it['price'] if it['price'] is not None else \
                    prods[it['product_id']]['price']
                items.append(dict(order_number=num, item_no=n, product_id=it['product_id'],
                                  qty=it['qty'], price=it['price'], unit_price=unit_price,
                                  amount=it['qty'] * unit_price, curr=it['curr'],
                                  name=it['name'], unit=it['unit'],
                                  promotion_info=it['promotion_info']))
            okc, cl = parse_json(clean(r.get('clicked_items')))
            good = []
            if okc and isinstance(cl, list):
                for e in cl:
                    if isinstance(e, list) and len(e) == 2 and json_id(e[0]) is not None:
                        c = e[1]
                        cnt = None
                        if isinstance(c, JNum) and re.fullmatch(r'-?[0-9]+', c.text):
                            cnt = int(c.text)
                        elif isinstance(c, str) and re.fullmatch(r'[0-9]+', c):
                            cnt = int(c)
                        if cnt is not None:
                            good.append((json_id(e[0]), cnt))
                            continue
                    good = None
                    break
            else:
                good = None
            for n, (pid, cnt) in enumerate(good or [], 1):
                clicks.append(dict(order_number=num, click_no=n, product_id=pid, clicks=cnt))
            if good is None:
                clicks.append(dict(order_number=num, click_no=None, unparseable=True))

        # ---- quarantine bookkeeping
        for k, v in verdict.items():
            q = self.quarantine.get(k)
            if v in ('perm', 'retry'):
                if q is None:
                    self.quarantine[k] = dict(resolved=False, perm=(v == 'perm'), first=rk,
                                              resolved_in=None)
                elif q['resolved']:
                    # admitted before, out again: must not happen (monotone rules)
                    q['resolved'] = False
                    q['reopened'] = True
                else:
                    q['perm'] = q['perm'] or v == 'perm'
            elif v == 'ok' and q is not None and not q['resolved']:
                q['resolved'] = True
                q['resolved_in'] = rk
        quarantine = [dict(source=k[0], batch_id=k[1], line=k[2], resolved=q['resolved'],
                           first=q['first'], resolved_in=q['resolved_in'])
                      for k, q in self.quarantine.items()]
        return dict(customers=customers, products=products, sales=sales, orders=orders,
                    order_items=items, order_clicks=clicks, quarantine=quarantine)


# --------------------------------------------------------------------------
# reading the run

NULL = '\\N'


def read_dump(path):
    with open(path, newline='', encoding='utf-8') as f:
        return [[None if v == NULL else v for v in row] for row in csv.reader(f)]


def D(v):
    if v is None:
        return None
    d = Decimal(v)
    if d == 0:
        return '0'
    s = format(d.normalize(), 'f')
    return s


def B(v):
    return None if v is None else v in ('t', 'true', True)


def I(v):
    return None if v is None else int(v)


def fmt(v):
    if isinstance(v, Decimal):
        return D(v)
    if isinstance(v, datetime.date):
        return v.isoformat()
    return v


def short(v):
    if v is None:
        return 'NULL'
    r = repr(v)
    return r if len(r) <= 70 else r[:50] + '...(%d chars)' % len(r)


def rowstr(cols, vals):
    return '(' + ', '.join('%s=%s' % (c, short(v)) for c, v in zip(cols, vals)) + ')'


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, good, name, diag=()):
        self.n += 1
        if good:
            print('ok %d - %s' % (self.n, name))
        else:
            self.failed += 1
            print('not ok %d - %s' % (self.n, name))
            for line in diag:
                print('#   ' + line)
        sys.stdout.flush()

    def done(self):
        print('1..%d' % self.n)


def keyed_diff(cols, keyn, mine, theirs, limit=40, notes=None):
    """mine/theirs: lists of tuples (first keyn values are the key); notes:
    key -> text shown after medallion's rows."""
    notes = notes or {}
    diag = []
    dm, dt = {}, {}
    for t in mine:
        dm.setdefault(t[:keyn], []).append(t)
    for t in theirs:
        dt.setdefault(t[:keyn], []).append(t)
    for k in sorted(set(dm) | set(dt), key=lambda k: tuple(str(x) for x in k)):
        a = sorted(dm.get(k, []), key=str)
        b = sorted(dt.get(k, []), key=str)
        if a == b:
            continue
        if len(diag) >= limit:
            diag.append('... more differences')
            break
        if len(a) == 1 and len(b) == 1:
            ch = [c for c, x, y in zip(cols, a[0], b[0]) if x != y]
            diag.append('key %s differs in %s:' % (rowstr(cols[:keyn], k), ', '.join(ch)))
            diag.append('    medallion %s%s' % (rowstr(cols, b[0]), notes.get(k, '')))
            diag.append('    model     %s' % rowstr(cols, a[0]))
        else:
            for t in b:
                diag.append('medallion only %s%s' % (rowstr(cols, t), notes.get(k, '')))
            for t in a:
                diag.append('model only     %s' % rowstr(cols, t))
    return diag


def main(argv):
    args = argv[1:]
    readings = {k: v[0] for k, v in READINGS.items()}
    expected_out = None
    pos = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == '--readings':
            for k, (dflt, alts, what) in READINGS.items():
                print('%s=%s  (%s) -- %s' % (k, dflt, '|'.join(alts), what))
            return 0
        if a == '--reading':
            k, v = args[i + 1].split('=', 1)
            if k not in READINGS or v not in READINGS[k][1]:
                sys.exit('unknown reading %s' % args[i + 1])
            readings[k] = v
            i += 2
            continue
        if a == '--expected':
            expected_out = args[i + 1]
            i += 2
            continue
        pos.append(a)
        i += 1
    if len(pos) != 2:
        sys.stderr.write(__doc__)
        return 2
    data_dir, run_dir = pos
    plan = json.load(open(os.path.join(data_dir, 'plan.json')))
    ingests = {int(r[0]): (I(r[1]), r[2]) for r in read_dump(os.path.join(run_dir, 'ingests.csv'))}
    batches = {int(r[0]): dict(source=r[1], status=r[2], rows_loaded=int(r[3]),
                               rows_rejected=int(r[4]), started=Decimal(r[5]))
               for r in read_dump(os.path.join(run_dir, 'batches.csv'))}
    refreshes = [(int(r[0]), int(r[1]), datetime.date.fromisoformat(r[2]), Decimal(r[3]), r[4])
                 for r in read_dump(os.path.join(run_dir, 'refreshes.csv'))]
    tap = Tap()
    global JSON_BIGINT_INVALID, JSON_MAX_DEPTH, NUMERIC_1000
    NUMERIC_1000 = readings['numeric_digits'] == '1000'
    JSON_BIGINT_INVALID = readings['json_bigint'] == 'invalid'
    JSON_MAX_DEPTH = None if readings['json_depth'] == 'unlimited' else int(readings['json_depth'])
    print('# readings: ' + ' '.join('%s=%s' % kv for kv in sorted(readings.items())))

    model = Model(readings)
    seen_sha = {}
    parsed = {}
    expect_status = []
    ref_i = 0
    results = []
    for si, st in enumerate(plan['steps']):
        if st['op'] == 'ingest':
            path = os.path.join(data_dir, st['file'])
            data = open(path, 'rb').read()
            sha = hashlib.sha256(data).hexdigest()
            bid, status = ingests[si]
            want = 'duplicate' if (st['source'], sha) in seen_sha and not st.get('force') \
                else 'loaded'
            header, rows, rejects = parse_csv(data)
            if any(c not in header for c in REQUIRED[st['source']]):
                want = 'failed'
            expect_status.append((st['file'], want, status, len(rows), len(rejects), bid))
            if want == 'loaded':
                seen_sha[(st['source'], sha)] = bid
            if status == 'loaded' and bid is not None:
                model.add_batch(bid, st['source'], rows, batches[bid]['started'])
                parsed[bid] = (st['source'], rows)
        elif st['op'] in ('refresh', 'refresh_silver', 'parse'):
            rk, rsi, today, now, kind = refreshes[ref_i]
            assert rsi == si and kind == st['op'], 'refreshes.csv out of step with plan'
            ref_i += 1
            POINTS.append((rk, now, kind))
            if kind == 'parse':
                continue
            exp = model.refresh(today, now, rk)
            if kind == 'refresh':
                results.append((rk, st, today, now, exp))

    # ---- batches
    diag = []
    for f, want, got, nrows, nrej, bid in expect_status:
        if want != got:
            diag.append('%s: status %s, model %s' % (f, got, want))
        elif got == 'loaded' and batches[bid]['rows_loaded'] != nrows:
            diag.append('%s: rows_loaded %d, model %d' % (f, batches[bid]['rows_loaded'], nrows))
        elif got == 'loaded' and batches[bid]['rows_rejected'] != nrej:
            diag.append('%s: rows_rejected %d, model %d' % (f, batches[bid]['rows_rejected'], nrej))
    tap.ok(not diag, 'batches: statuses and row counts', diag)

    # ---- bronze (the model's input equals medallion's)
    diag = []
    for source in ('customers', 'products', 'sales', 'sales_orders'):
        got = {}
        for r in read_dump(os.path.join(run_dir, 'bronze_%s.csv' % source)):
            got[(int(r[0]), int(r[1]))] = json.loads(r[2])
        want = {}
        for bid, (s, rows) in parsed.items():
            if s == source:
                for ln, f in rows:
                    want[(bid, ln)] = f
                    BRONZE[(source, bid, ln)] = f
        for k in sorted(set(got) | set(want)):
            if k not in got:
                diag.append('%s %s: missing in bronze: %r' % (source, k, want[k]))
            elif k not in want:
                diag.append('%s %s: not in the model: %r' % (source, k, got[k]))
            else:
                g, w = got[k], want[k]
                for c in sorted(set(g) | set(w)):
                    if g.get(c) != w.get(c):
                        diag.append('%s %s column %s: bronze %r, model %r'
                                    % (source, k, c, g.get(c), w.get(c)))
    tap.ok(not diag, 'bronze holds the records the model parsed (batch, line, text)', diag[:40])

    # ---- per refresh
    for rk, st, today, now, exp in results:
        d = os.path.join(run_dir, 'r%d' % rk)
        tag = 'refresh %d (%s%s, date %s)' % (rk, st['timezone'], ', full' if st['full'] else '', today)
        if expected_out:
            write_expected(os.path.join(expected_out, 'r%d' % rk), exp)
        compare(tap, tag, d, exp)
    tap.done()
    return 1 if tap.failed else 0


CUST_SPEC = ['customer_id', 'valid_from', 'valid_to', 'is_current', 'customer_name', 'state',
             'timezone', 'email', 'phone', '_batch_id', '_line']
CUST_SOFT = ['customer_id', 'valid_from', 'tax_id', 'tax_code', 'city', 'postcode', 'street',
             'number', 'unit', 'region', 'district', 'lon', 'lat', 'ship_to_address',
             'units_purchased', 'loyalty_segment']
PROD_COLS = ['product_id', 'product_name', 'product_category', 'price', 'curr', 'ean13',
             'ean5', 'unit']
SALES_SPEC = ['sale', 'customer_id', 'order_date', 'product_id', 'product_category',
              'quantity', 'amount']
SALES_SOFT = ['sale', 'product_name', 'price', 'curr']
ORDER_COLS = ['order_number', 'customer_id', 'order_datetime', 'order_date',
              'item_count', '_batch_id', '_line']
ORDER_SOFT = ['order_number', 'number_of_line_items', 'promo_info']
ITEM_COLS = ['order_number', 'item_no', 'product_id', 'qty', 'price', 'unit_price', 'amount',
             'curr', 'name', 'unit']
CLICK_COLS = ['order_number', 'click_no', 'product_id', 'clicks']
Q_COLS = ['source', 'batch_id', 'line', 'resolved']


def compare(tap, tag, d, exp):
    # customers
    got = [(I(r[0]), D(r[1]), D(r[2]), B(r[3]), r[4], r[5], r[6], r[7], r[8], I(r[9]), I(r[10]))
           for r in read_dump(os.path.join(d, 'customers.csv'))]
    mine = [tuple(fmt(c[k]) for k in CUST_SPEC) for c in exp['customers']]
    diag = keyed_diff(CUST_SPEC, 2, mine, got)
    tap.ok(not diag, '%s: silver.customers (versions, bounds, is_current, standardised columns, lineage)' % tag, diag)
    got = [(I(r[0]), D(r[1])) + tuple(r[11:20]) + (D(r[20]), D(r[21]), r[22], I(r[23]), I(r[24]))
           for r in read_dump(os.path.join(d, 'customers.csv'))]
    mine = [tuple(fmt(c[k]) for k in CUST_SOFT) for c in exp['customers']]
    diag = keyed_diff(CUST_SOFT, 2, mine, got)
    tap.ok(not diag, '%s: silver.customers other columns (trim/null tokens; typing not in SPEC)' % tag, diag)

    # products
    got = [(r[0], r[1], r[2], D(r[3]), r[4], r[5], r[6], r[7])
           for r in read_dump(os.path.join(d, 'products.csv'))]
    mine = [tuple(fmt(p[k]) for k in PROD_COLS) for p in exp['products']]
    diag = keyed_diff(PROD_COLS, 1, mine, got)
    tap.ok(not diag, '%s: silver.products' % tag, diag)

    # sales: a medallion row is matched to the model's sale holding its (batch, line)
    copy_of = {}
    for s in exp['sales']:
        for c in s['copies']:
            copy_of[c] = s['copies'][0]
    rows = read_dump(os.path.join(d, 'sales.csv'))
    got, got_soft, lineage = [], [], []
    for r in rows:
        bl = (I(r[6]), I(r[7]))
        key = '%d:%d' % copy_of.get(bl, bl) if bl in copy_of else '?%d:%d' % bl
        got.append((key, I(r[0]), r[1], r[2], r[3], I(r[4]), D(r[5])))
        got_soft.append((key, r[8], D(r[9]), r[10]))
        lineage.append((key, '%d:%d' % bl))
    mine = [('%d:%d' % s['copies'][0], s['customer_id'], fmt(s['order_date']), s['product_id'],
             s['product_category'], s['quantity'], fmt(s['amount'])) for s in exp['sales']]
    diag = keyed_diff(SALES_SPEC, 1, mine, got)
    tap.ok(not diag, '%s: silver.sales (sale = "batch:line" of its first admitted copy)' % tag, diag)
    mine_soft = [('%d:%d' % s['copies'][0], s['product_name'], fmt(s['price']), s['curr'])
                 for s in exp['sales']]
    diag = keyed_diff(SALES_SOFT, 1, mine_soft, got_soft)
    tap.ok(not diag, '%s: silver.sales product_name/price/curr (not defined by SPEC)' % tag, diag)
    diag = ['sale %s carries %s (copies: %s)' % (k, bl, ' '.join(
        '%d:%d' % c for s in exp['sales'] if '%d:%d' % s['copies'][0] == k for c in s['copies']))
        for k, bl in lineage if not k.startswith('?') and k != bl]
    tap.ok(not diag, '%s: silver.sales lineage is the first copy (SPEC does not say which)' % tag, diag)

    # orders
    rows = read_dump(os.path.join(d, 'orders.csv'))
    got = [(r[0], I(r[1]), D(r[2]), r[3], I(r[5]), I(r[7]), I(r[8])) for r in rows]
    mine = [tuple(fmt(o[k]) for k in ORDER_COLS) for o in exp['orders']]
    diag = keyed_diff(ORDER_COLS, 1, mine, got)
    tap.ok(not diag, '%s: silver.orders' % tag, diag)
    got = [(r[0], I(r[4]), None if r[6] is None else json.dumps(json_to_plain(
        json.loads(r[6], parse_int=JNum, parse_float=JNum)), sort_keys=True, default=str))
        for r in rows]
    mine = [(o['order_number'], o['number_of_line_items'],
             None if o['promo_info'] is None else json.dumps(o['promo_info'], sort_keys=True,
                                                           default=str))
            for o in exp['orders']]
    diag = keyed_diff(ORDER_SOFT, 1, mine, got)
    tap.ok(not diag, '%s: silver.orders number_of_line_items, promo_info (typing not in SPEC)' % tag, diag)

    got = [(r[0], I(r[1]), r[2], I(r[3]), D(r[4]), D(r[5]), D(r[6]), r[7], r[8], r[9])
           for r in read_dump(os.path.join(d, 'order_items.csv'))]
    mine = [tuple(fmt(it[k]) for k in ITEM_COLS) for it in exp['order_items']]
    diag = keyed_diff(ITEM_COLS, 2, mine, got)
    tap.ok(not diag, '%s: silver.order_items' % tag, diag)

    def js(v):
        return json.dumps(json_to_plain(v), sort_keys=True, default=str)
    got = [(r[0], I(r[1]), js(json.loads(r[10], parse_int=JNum, parse_float=JNum)))
           for r in read_dump(os.path.join(d, 'order_items.csv')) if r[10] not in (None, 'null')]
    mine = [(it['order_number'], it['item_no'], js(it['promotion_info']))
            for it in exp['order_items'] if it['promotion_info'] is not None]
    diag = keyed_diff(['order_number', 'item_no', 'promotion_info'], 2, mine, got)
    tap.ok(not diag, '%s: silver.order_items promotion_info kept (SPEC 4)' % tag, diag)

    skip = set(c['order_number'] for c in exp['order_clicks'] if c.get('unparseable'))
    got = [(r[0], I(r[1]), r[2], I(r[3])) for r in read_dump(os.path.join(d, 'order_clicks.csv'))
           if r[0] not in skip]
    mine = [tuple(c[k] for k in CLICK_COLS) for c in exp['order_clicks'] if not c.get('unparseable')]
    diag = keyed_diff(CLICK_COLS, 2, mine, got)
    tap.ok(not diag, '%s: silver.order_clicks (orders whose clicked_items parse)' % tag, diag)

    rows = read_dump(os.path.join(d, 'quarantine.csv'))
    got = [(r[0], I(r[1]), I(r[2]), B(r[3])) for r in rows]
    why = {(r[0], I(r[1]), I(r[2])): '   [%s: %s]' % (r[4], short(r[5])[1:-1]) for r in rows}
    mine = [(q['source'], q['batch_id'], q['line'], q['resolved']) for q in exp['quarantine']]
    diag = keyed_diff(Q_COLS, 3, mine, got, notes=why)
    tap.ok(not diag, '%s: silver.quarantine (source, batch, line, resolved)' % tag, diag)

    def refresh_of(epoch):
        """the refresh (or refresh_silver) an event at epoch belongs to: the last
        point that started before it, or the first refresh after a parse."""
        if epoch is None:
            return None
        e = Decimal(epoch)
        i = None
        for n, (rk, now, kind) in enumerate(POINTS):
            if now <= e:
                i = n
        if i is None:
            return 'before any refresh'
        while i < len(POINTS) and POINTS[i][2] == 'parse':
            i += 1
        return POINTS[i][0] if i < len(POINTS) else 'after the last refresh'
    got = [(r[0], I(r[1]), I(r[2]), refresh_of(r[6]), refresh_of(r[7])) for r in rows]
    mine = [(q['source'], q['batch_id'], q['line'], q['first'], q['resolved_in'])
            for q in exp['quarantine']]
    diag = keyed_diff(['source', 'batch_id', 'line', 'first_seen_in_refresh',
                       'resolved_in_refresh'], 3, mine, got)
    tap.ok(not diag, '%s: silver.quarantine first_seen / resolved_at fall in the right refresh'
           % tag, diag)

    bronze = BRONZE
    diag = []
    for r in rows:
        k = (r[0], I(r[1]), I(r[2]))
        rec = json.loads(r[8])
        want = bronze.get(k)
        if want is None:
            diag.append('%s: no such bronze record' % (k,))
            continue
        bad = [c for c in want if rec.get(c) != want[c]]
        if bad:
            diag.append('%s: record differs from bronze in %s: %s' % (k, bad, short(r[8])))
    tap.ok(not diag, '%s: silver.quarantine.record holds the bronze record' % tag, diag[:20])
    return


def write_expected(d, exp):
    os.makedirs(d, exist_ok=True)
    for t, rows in exp.items():
        with open(os.path.join(d, t + '.txt'), 'w') as f:
            for r in sorted(rows, key=lambda r: tuple(str(v) for v in r.values())):
                f.write(repr({k: fmt(v) for k, v in r.items()}) + '\n')


if __name__ == '__main__':
    sys.exit(main(sys.argv))
