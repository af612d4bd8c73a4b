#!/usr/bin/python3
"""Writes the differential suite's case file (format: cases.md) to stdout:
the messages, the hand-written selectors of hand.txt, then N random selectors (seeded, so the
same run every time).  Usage: gen.py HAND_FILE COUNT SEED"""
import random
import struct
import sys


def hx(s):
    b = s.encode('utf-8')
    return b.hex() if b else '-'


def fbits(x):
    return '%08x' % struct.unpack('<I', struct.pack('<f', x))[0]


def dbits(x):
    return '%016x' % struct.unpack('<Q', struct.pack('<d', x))[0]


XML1 = "<order type='x' id='7'><!-- note --><item sku='a'>3</item><item sku='b'>4</item><?pi x?></order>"
XML2 = "<order type='y'><item sku='c'/></order>"

# name: list of (type, value) per message, None = absent
MESSAGES = [
    dict(text=XML1, headers=dict(persistent='true', priority='4', timestamp='1700000000000',
                                 messageId=hx('ID:host-1:1:1:1'), correlationId=hx('corr-1'),
                                 type=hx('order'), redelivery='0', groupId=hx('g1'), groupSeq='3')),
    dict(text=XML2, headers=dict(persistent='false', priority='9', timestamp='0', redelivery='2')),
    dict(text="not xml <", headers=dict(persistent='true', priority='0', type=hx(''))),
    dict(text=None, headers=dict()),
    dict(text="<!DOCTYPE order [<!ENTITY e 'x'>]><order type='x'>&e;</order>", headers=dict(priority='1')),
    dict(text=None, headers=dict(persistent='true', correlationId=hx("it's"))),
]
PROPS = {
    'b':  [('byte', '5'), ('byte', '-128'), ('byte', '127'), None, ('byte', '0'), ('byte', '1')],
    'sh': [('short', '5'), ('short', '-32768'), ('short', '300'), None, ('short', '0'), ('short', '1')],
    'i':  [('int', '5'), ('int', '2147483647'), ('int', '-2147483648'), None, ('int', '0'), ('int', '1')],
    'l':  [('long', '5'), ('long', '9223372036854775807'), ('long', '-9223372036854775808'),
           None, ('long', '2147483648'), ('long', '16777217')],
    'f':  [('float', fbits(5.0)), ('float', fbits(1.1)), ('float', fbits(float('nan'))), None,
           ('float', fbits(-0.0)), ('float', fbits(16777216.0))],
    'd':  [('double', dbits(5.0)), ('double', dbits(1.1)), ('double', dbits(float('nan'))), None,
           ('double', dbits(-0.0)), ('double', dbits(float('inf')))],
    's':  [('string', hx('abc')), ('string', hx('5')), ('string', hx('')), None,
           ('string', hx("it's 100%")), ('string', hx('\u00e9t\u00e9_\U0001F600\uFF01'))],
    't':  [('bool', 'true'), ('bool', 'false'), None, ('bool', 'true'), ('bool', 'false'), None],
    'x':  [('int', '5'), ('string', hx('5')), ('double', dbits(5.0)), None, ('bool', 'true'), ('long', '5')],
    'y':  [('short', '7'), ('byte', '7'), ('float', fbits(7.0)), ('long', '7'), ('int', '7'), ('double', dbits(7.0))],
    'ns': [('string', hx(' 5 ')), ('string', hx('127')), ('string', hx('128')), ('string', hx('5.0f')),
           ('string', hx('-0x1p3')), ('string', hx('TRUE'))],
    'nt': [('string', hx('NaN')), ('string', hx('+7')), ('string', hx('1e400')), ('string', hx('-Infinity')),
           ('string', hx('7.')), ('string', hx('0x7'))],
    'JMSXUserID': [('string', hx('alice')), None, None, None, None, None],
    'JMSType': [('string', hx('shadowed')), None, None, None, None, None],
}


def write_messages(out):
    for k, m in enumerate(MESSAGES):
        line = 'MSG m%d' % k
        if m['text'] is not None:
            line += ' text ' + hx(m['text'])
        out.append(line)
        for h, v in m['headers'].items():
            out.append('H %s %s' % (h, v))
        for name, vals in PROPS.items():
            if vals[k] is not None:
                out.append('P %s %s %s' % (name, vals[k][0], vals[k][1]))
        out.append('END')


def unescape(line):
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c == '\\' and i + 1 < len(line):
            n = line[i + 1]
            if n in 'ntrf\\':
                out.append({'n': '\n', 't': '\t', 'r': '\r', 'f': '\f', '\\': '\\'}[n])
                i += 2
                continue
            if n == 'u' and line[i + 2] == '{':
                j = line.index('}', i)
                out.append(chr(int(line[i + 3:j], 16)))
                i = j + 1
                continue
        out.append(c)
        i += 1
    return ''.join(out)


# ---- random selectors ----
R = random.Random()
VALUE_PROPS = ['ns', 'nt', 'b', 'sh', 'i', 'l', 'f', 'd', 's', 't', 'x', 'y', 'n', 'JMSPriority', 'JMSTimestamp',
               'JMSType', 'JMSDeliveryMode', 'JMSXDeliveryCount', 'JMSCorrelationID', 'JMSRedelivered',
               'JMSXGroupSeq', 'JMSXUserID', 'JMSMessageID', 'JMSExpiration']
NUMS = ['0', '1', '5', '7', '-1', '2147483647', '2147483648', '-2147483648', '9223372036854775807',
        '9223372036854775808', '-9223372036854775808', '18446744073709551616', '99999999999999999999',
        '5L', '0x10', '0X7fffffff', '0x80000000', '017', '00', '5.0', '5.', '.5', '1.1', '1e3',
        '1E400', '0.0', '7.0', '16777217', '16777216', '1.5e-7', '123456789.0', '3.4028235e38']
STRS = ["'abc'", "'5'", "''", "'it''s 100%'", "'ABC'", "'order'", "'PERSISTENT'", "'NON_PERSISTENT'",
        "'a_c'", "'%'", "'\u00e9t\u00e9_\U0001F600\uFF01'", "'corr-1'"]
LIKES = ["'a%'", "'%c'", "'_b_'", "'%'", "'abc'", "'it''s%'", "'%!%' ESCAPE '!'", "'%\\%' ESCAPE '\\'",
         "'a\\_c' ESCAPE '\\'", "'5'", "'%100!%' ESCAPE '!'", "'__'", "'\u00e9%'", "'%\uFF01'",
         "'\u00e9t\u00e9__\uFF01'", "'%%'", "'x%%' ESCAPE '%'", "'a' ESCAPE 'ab'", "'' ESCAPE '!'",
         "'%' ESCAPE ''", "'ab' ESCAPE 'a'", "'%_%' ESCAPE '_'"]


def kw(w):
    r = R.random()
    if r < 0.6:
        return w
    if r < 0.8:
        return w.lower()
    return ''.join(c.upper() if R.random() < 0.5 else c.lower() for c in w)


def value(d):
    r = R.random()
    if d <= 0 or r < 0.35:
        return R.choice(VALUE_PROPS)
    if r < 0.5:
        return R.choice(NUMS)
    if r < 0.58:
        return R.choice(STRS)
    if r < 0.62:
        return R.choice([kw('TRUE'), kw('FALSE'), kw('NULL')])
    if r < 0.85:
        return '%s %s %s' % (value(d - 1), R.choice(['+', '-', '*', '/', '%']), value(d - 1))
    if r < 0.92:
        return R.choice(['-', '+']) + value(d - 1)
    return '(%s)' % value(d - 1)


def cond(d):
    r = R.random()
    if d <= 0 or r < 0.3:
        op = R.choice(['=', '<>', '<', '<=', '>', '>=', '=', '='])
        return '%s %s %s' % (value(1), op, value(1))
    if r < 0.38:
        return '%s %s %s' % (value(1), kw('LIKE') if R.random() < 0.7 else kw('NOT') + ' ' + kw('LIKE'),
                             R.choice(LIKES))
    if r < 0.45:
        items = ', '.join(R.choice(STRS) for _ in range(R.randint(1, 6)))
        return '%s %s (%s)' % (R.choice(VALUE_PROPS) if R.random() < 0.9 else value(1),
                               kw('IN') if R.random() < 0.6 else kw('NOT') + ' ' + kw('IN'), items)
    if r < 0.52:
        return '%s %s %s %s %s' % (value(1), kw('BETWEEN') if R.random() < 0.6 else kw('NOT') + ' ' + kw('BETWEEN'),
                                   value(0), kw('AND'), value(0))
    if r < 0.57:
        return '%s %s' % (value(1), kw('IS NULL') if R.random() < 0.5 else kw('IS NOT NULL'))
    if r < 0.65:
        return '%s %s' % (kw('NOT'), cond(d - 1))
    if r < 0.82:
        return '%s %s %s' % (cond(d - 1), kw(R.choice(['AND', 'OR'])), cond(d - 1))
    if r < 0.88:
        return '(%s)' % cond(d - 1)
    if r < 0.92:
        return R.choice(['t', 'x', 'n', 'JMSRedelivered', kw('TRUE'), kw('FALSE'), kw('NULL')])
    if r < 0.95:
        return "%s '%s'" % (kw('XPATH'), R.choice(["//order[@type=''x'']", "//item", "count(//item) > 1",
                                                  "//order/@id = 7", "//nothing", "][", "/order/item[2]/@sku = ''b''"]))
    return '%s %s %s' % (value(2), R.choice(['=', '<>', '>']), value(2))


SOUP = ['NOT', 'AND', 'OR', 'BETWEEN', 'LIKE', 'ESCAPE', 'IN', 'IS', 'NULL', 'TRUE', 'FALSE', 'XPATH',
        'XQUERY', 'i', 's', 't', 'n', 'x', '5', '0x1F', '07', '1.5', '.5', "'a'", "'%'", "'!'", '=', '<>',
        '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '(', ')', ',', '--\n', '/**/']


def soup():
    """A short random token sequence: mostly invalid, checks that both accept the same set."""
    return ' '.join(R.choice(SOUP) for _ in range(R.randint(1, 7)))


def mutate(s):
    r = R.random()
    i = R.randint(0, len(s))
    if r < 0.3:
        return s[:i] + s[i + R.randint(1, 3):]
    if r < 0.6:
        return s[:i] + R.choice([' AND ', ')', '(', "'", ' NOT ', ',', '--', '/*', '*/', '\n', ' IS ', '!', '0x']) + s[i:]
    if r < 0.8:
        return s + R.choice([' --c', ' --c\n', ' /* c */', ' /* c', ' AND', ')'])
    return s.replace(' ', '', 1)


def main():
    hand, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    R.seed(seed)
    out = []
    write_messages(out)
    n = 0
    with open(hand, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            n += 1
            out.append('SEL %s h%03d' % (hx(unescape(line)), n))
    for k in range(count):
        s = cond(R.randint(1, 4)) if R.random() < 0.9 else soup()
        if R.random() < 0.12:
            s = mutate(s)
        if R.random() < 0.15:
            s = 'convert_string_expressions:' + s
        out.append('SEL %s r%05d' % (hx(s), k))
    # Java's Double/Float.toString, used when a number is concatenated to a string.  JDK 17's
    # algorithm prints a longer, inexact text for some values (e.g. 1.0E23 as
    # 9.999999999999999E22, the float 8.0E13 as 7.9999999E13); hermod follows the JDK 19+
    # specification (shortest text), so only values where both agree are compared here:
    # up to 15 significant digits below 1e15 (double), up to 6 below 1e7 (float).
    for k in range(count // 4):
        r = R.random()
        if r < 0.6:
            x = float('%.*e' % (R.randint(0, 14), R.uniform(-1, 1) * 10 ** R.randint(-30, 14)))
        elif r < 0.75:
            x = R.choice([1e-3, 1e7, 9999999.0, 0.001, 0.00099999, 1e-4, 1e-5, 100.0, 0.5, 2e-3,
                          1e-300, 123456789012345.0, 0.0, -0.0, 1.0, float('inf'), float('-inf'),
                          float('nan'), 16777216.0, 0.1, 0.2, 0.1 + 0.2, 1.0 / 3, 5e-324])
        else:
            x = R.randint(-10 ** 8, 10 ** 8) / 10 ** R.randint(0, 9)
        out.append('FMTD %s d%05d' % (dbits(x), k))
        y = float('%.*e' % (R.randint(0, 5), R.uniform(-1, 1) * 10 ** R.randint(-10, 6)))
        out.append('FMTF %s f%05d' % (fbits(y), k))
    sys.stdout.write('\n'.join(out) + '\n')


main()
