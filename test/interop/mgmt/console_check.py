#!/usr/bin/python3
"""The console page in a real headless Chromium (Debian's chromium), driven over the DevTools
protocol (python3-websocket):
  console_check.py CHROMIUM BASE_URL QUEUE DEPTH HOSTILE_BODY SCREENSHOT.png
- /admin/ shows QUEUE with DEPTH pending messages in its destinations table;
- the message browser shows HOSTILE_BODY (markup) as text: no element is made from it;
- the page's Pause button pauses QUEUE (the row turns paused after the page's own request);
- a screenshot of the page is written.
Prints one line per check; exit status 1 with the reason on stderr at the first that fails."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket


class Page:
    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=30, suppress_origin=True)
        self.next = 0

    def call(self, method, **params):
        self.next += 1
        self.ws.send(json.dumps({'id': self.next, 'method': method, 'params': params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get('id') == self.next:
                if 'error' in msg:
                    raise RuntimeError('%s: %s' % (method, msg['error']))
                return msg.get('result', {})

    def js(self, expr):
        r = self.call('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True)
        if 'exceptionDetails' in r:
            raise RuntimeError('%s: %s' % (expr, r['exceptionDetails']))
        return r['result'].get('value')

    def wait(self, expr, what, seconds=15):
        end = time.time() + seconds
        while time.time() < end:
            v = self.js(expr)
            if v:
                return v
            time.sleep(0.2)
        raise RuntimeError('%s: not within %d s (page status: %s)' % (
            what, seconds, self.js("document.getElementById('status').textContent")))


def main():
    chromium, base, queue, depth, hostile, shot = sys.argv[1:7]
    profile = tempfile.mkdtemp(prefix='hermod-chromium-')
    proc = subprocess.Popen([chromium, '--headless=new', '--no-sandbox', '--disable-gpu',
                             '--no-first-run', '--remote-debugging-port=0', '--user-data-dir=' + profile,
                             '--window-size=1400,900', 'about:blank'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, 'DevToolsActivePort')
        end = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().strip()) and time.time() < end:
            time.sleep(0.2)
        port = open(port_file).read().split()[0]
        targets = json.loads(urllib.request.urlopen('http://127.0.0.1:%s/json/list' % port, timeout=10).read())
        page = Page([t for t in targets if t['type'] == 'page'][0]['webSocketDebuggerUrl'])
        page.call('Page.enable')
        page.call('Page.navigate', url=base + '/admin/')
        q = json.dumps(queue)
        row = "[...document.querySelectorAll('#dests tbody tr')].find(r => r.dataset.name === %s)" % q
        got = page.wait("(%s || {cells: []}).cells[2]?.textContent" % row, 'the queue in the table')
        if got != depth:
            raise RuntimeError('the table shows %s pending for %s, expected %s' % (got, queue, depth))
        print('OK destinations table shows %s with %s pending' % (queue, depth))
        page.js("[...%s.querySelectorAll('button')].find(b => b.textContent === 'Browse').click()" % row)
        body = page.wait("document.querySelector('#msgs tbody td.body')?.textContent", 'the message browser')
        if body != hostile:
            raise RuntimeError('the browser shows %r, expected %r' % (body, hostile))
        if page.js("document.querySelectorAll('#msgs tbody td.body *').length") != 0:
            raise RuntimeError('the body became markup')
        print('OK message browser shows the body as text')
        page.js("[...%s.querySelectorAll('button')].find(b => b.textContent === 'Pause').click()" % row)
        page.wait("%s?.className === 'paused'" % row, 'the row paused after the Pause button')
        print('OK Pause button paused the queue')
        time.sleep(2.5)        # one more refresh: the depth chart has two points
        png = page.call('Page.captureScreenshot', format='png')['data']
        with open(shot, 'wb') as f:
            f.write(base64.b64decode(png))
        print('OK screenshot %s' % shot)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == '__main__':
    try:
        main()
    except Exception as e:  # noqa: any failure is the test's failure, with its reason
        print('console_check: %s: %s' % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
