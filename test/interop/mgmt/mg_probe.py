#!/usr/bin/python3
"""What the mgmt suite's Java side cannot do without libraries, in Debian's Python:
  mg_probe.py metrics URL   /metrics parsed by prometheus_client's text parser; prints
                            "TYPE <family> <type>" and "S <sample> <labels as JSON> <value>" lines
  mg_probe.py json URL      a JSON answer flattened: one "<path>\t<JSON value>" line per leaf
                            (paths like [0].name, messages[2].properties.i)
Exit status 1 (reason on stderr) when the answer does not parse: the test then fails."""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def fetch(url):
    with urllib.request.urlopen(url, timeout=20) as r:
        return r.read().decode('utf-8')


def flatten(v, path, out):
    if isinstance(v, dict):
        if not v:
            out.append((path, '{}'))
        for k, x in v.items():
            flatten(x, (path + '.' if path else '') + k, out)
    elif isinstance(v, list):
        if not v:
            out.append((path, '[]'))
        for i, x in enumerate(v):
            flatten(x, '%s[%d]' % (path, i), out)
    else:
        out.append((path, json.dumps(v, ensure_ascii=True)))


def main():
    what, url = sys.argv[1], sys.argv[2]
    text = fetch(url)
    if what == 'metrics':
        for fam in text_string_to_metric_families(text):
            print('TYPE %s %s' % (fam.name, fam.type))
            for s in fam.samples:
                print('S %s %s %r' % (s.name, json.dumps(s.labels, sort_keys=True, ensure_ascii=True), s.value))
    else:
        out = []
        flatten(json.loads(text), '', out)
        for p, v in out:
            print('%s\t%s' % (p, v))


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: the caller only needs to know it did not parse
        print('mg_probe: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
