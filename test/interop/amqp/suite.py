#!/usr/bin/python3
# The AMQP 1.0 suite: hermod judged through Qpid Proton's Python client (Debian's
# python3-qpid-proton), raw bytes for hostile input, and the ActiveMQ JMS client (OwPeer.java)
# for messages crossing to and from OpenWire.  Prints one "PASS: name" / "FAIL: name" per test.
#   suite.py --list                      the test names
#   suite.py [--only a,b]                run (env: AMQP_PORT, OW_PORT, OW_CP, BROKERCTL, BROKER_DIR)
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
import uuid

from proton import Message, Condition, Delivery, symbol, byte, short, int32, float32, ulong, char, timestamp
from proton.handlers import MessagingHandler, TransactionHandler
from proton.reactor import AtMostOnce, Container, Copy, DurableSubscription, Selector, Filter
from proton import ConnectionException
from proton.utils import BlockingConnection, ConnectionClosed, LinkDetached, SendException

PORT = int(os.environ.get("AMQP_PORT", "62200"))
OW_PORT = os.environ.get("OW_PORT", "62201")
URL = "127.0.0.1:%d" % PORT
TESTS = []
RUN = str(int(time.time()))


def test(f):
    TESTS.append(f)
    return f


def conn(cid=None, **kw):
    c = Container()
    if cid:
        c.container_id = cid
    return BlockingConnection(URL, timeout=10, container=c, **kw)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def drain(c, addr, n, timeout=5, **kw):
    """Receives n messages from addr, accepting each."""
    r = c.create_receiver(addr, credit=max(n, 1), **kw)
    out = []
    for _ in range(n):
        out.append(r.receive(timeout=timeout))
        r.accept()
    r.close()
    return out


def nothing_left(c, addr, wait=1.0):
    r = c.create_receiver(addr, credit=10)
    try:
        m = r.receive(timeout=wait)
        return False if m is not None else True
    except Exception:
        return True
    finally:
        r.close()


def wait_idle(c, seconds):
    try:
        c.wait(lambda: False, timeout=seconds)
    except Exception:
        pass


PROPS = {"pBool": True, "pByte": byte(-7), "pShort": short(-300), "pInt": int32(7),
         "pLong": 1 << 40, "pFloat": float32(1.5), "pDouble": -2.25, "pString": "héllo"}


# ------------------------------------------------------------------ basics

@test
def queue_roundtrip_unsettled():
    c = conn()
    q = "q.rt." + RUN
    s = c.create_sender(q)
    for i in range(5):
        s.send(Message(body="m%d" % i, durable=True, properties=dict(PROPS, i=int32(i))))
    got = drain(c, q, 5)
    check([m.body for m in got] == ["m%d" % i for i in range(5)], "bodies in order")
    check(all(m.durable for m in got), "durable kept")
    check(got[2].properties == dict(PROPS, i=2), "properties with their types: %r" % got[2].properties)
    check(nothing_left(c, q), "accepted messages are gone")
    c.close()


@test
def presettled_at_most_once():
    c = conn()
    q = "q.presettled." + RUN
    s = c.create_sender(q, options=AtMostOnce())
    for i in range(3):
        s.send(Message(body=i))
    r = c.create_receiver(q, credit=5, options=AtMostOnce())
    got = [r.receive(timeout=5).body for _ in range(3)]
    check(got == [0, 1, 2], "presettled messages arrive: %r" % got)
    r.close()
    check(nothing_left(c, q), "presettled deliveries are consumed without an outcome")
    c.close()


@test
def credit_is_respected():
    c = conn()
    q = "q.credit." + RUN
    s = c.create_sender(q)
    for i in range(10):
        s.send(Message(body=i))
    r = c.create_receiver(q, credit=0)
    r.link.flow(3)
    wait_idle(c, 1.0)
    check(len(r.fetcher.incoming) == 3, "3 credits bring 3 messages, got %d" % len(r.fetcher.incoming))
    r.link.flow(4)
    wait_idle(c, 1.0)
    check(len(r.fetcher.incoming) == 7, "4 more credits bring 4 more, got %d" % len(r.fetcher.incoming))
    c.close()
    c = conn()
    check(len(drain(c, q, 10)) == 10, "unacknowledged messages come back after the connection closes")
    c.close()


@test
def released_modified_rejected():
    c = conn()
    q = "q.outcomes." + RUN
    s = c.create_sender(q)
    s.send(Message(body="a", durable=True))
    r = c.create_receiver(q, credit=1)
    m = r.receive(timeout=5)
    check(m.delivery_count == 0, "first delivery count 0")
    r.release(delivered=False)                     # released: not counted
    m = r.receive(timeout=5)
    check(m.body == "a" and m.delivery_count == 0, "released comes back uncounted (%d)" % m.delivery_count)
    r.fetcher.unsettled[0].local.failed = True
    r.settle(Delivery.MODIFIED)                    # modified(delivery-failed): counted
    m = r.receive(timeout=5)
    check(m.delivery_count == 1, "modified(delivery-failed) counts a delivery (%d)" % m.delivery_count)
    r.reject()
    r.close()
    check(nothing_left(c, q), "rejected leaves the queue")
    dlq = drain(c, "ActiveMQ.DLQ", 1)
    check(dlq[0].body == "a", "rejected persistent message is dead-lettered")
    c.close()


@test
def topic_fan_out():
    c = conn()
    t = "topic://t.fan." + RUN
    r1 = c.create_receiver(t, credit=10, name="r1")
    r2 = c.create_receiver(t, credit=10, name="r2")
    s = c.create_sender(t)
    for i in range(3):
        s.send(Message(body=i))
    for r in (r1, r2):
        got = [r.receive(timeout=5).body for _ in range(3)]
        r.accept()
        check(got == [0, 1, 2], "each subscriber gets every message: %r" % got)
    c.close()


@test
def attach_echoes_address():
    c = conn()
    for addr in ("q.echo." + RUN, "queue://q.echo2." + RUN, "topic://t.echo." + RUN):
        r = c.create_receiver(addr, credit=1)
        check(r.link.remote_source.address == addr, "source echoed: %r" % r.link.remote_source.address)
        s = c.create_sender(addr)
        check(s.link.remote_target.address == addr, "target echoed: %r" % s.link.remote_target.address)
    c.close()


@test
def selector_filter():
    c = conn()
    q = "q.sel." + RUN
    s = c.create_sender(q)
    for i in range(6):
        s.send(Message(body=i, properties={"k": int32(i)}))
    r = c.create_receiver(q, credit=10, options=Selector("k > 3"))
    fd = r.link.remote_source.filter
    fd.rewind()
    fd.next()
    f = fd.get_object()
    check(isinstance(f, dict) and len(f) == 1, "the accepted filter is echoed: %r" % f)
    got = sorted(r.receive(timeout=5).body for _ in range(2))
    r.accept()
    check(got == [4, 5], "only matches: %r" % got)
    r.close()
    check(len(drain(c, q, 4)) == 4, "the others stay")
    c.close()


@test
def invalid_selector_refused_connection_stays():
    c = conn()
    try:
        c.create_receiver("q.badsel." + RUN, credit=1, options=Selector("k >>> 3"))
        raise AssertionError("an invalid selector was accepted")
    except LinkDetached as e:
        check("invalid-field" in str(e), "amqp:invalid-field: %s" % e)
    s = c.create_sender("q.badsel." + RUN)
    s.send(Message(body="still open"))
    check(drain(c, "q.badsel." + RUN, 1)[0].body == "still open", "the connection goes on")
    c.close()


@test
def no_local_filter():
    c = conn()
    t = "topic://t.nolocal." + RUN
    nl = Filter({symbol("no-local"): _described("apache.org:no-local-filter:list", [])})
    r = c.create_receiver(t, credit=5, options=nl)
    s = c.create_sender(t)
    s.send(Message(body="mine"))
    other = conn()
    other.create_sender(t).send(Message(body="theirs"))
    m = r.receive(timeout=5)
    r.accept()
    check(m.body == "theirs", "no-local drops the connection's own messages: %r" % m.body)
    other.close()
    c.close()


def _described(name, value):
    from proton import Described
    return Described(symbol(name), value)


@test
def durable_subscription_detach_and_resume():
    t = "topic://t.durable." + RUN
    cid = "cid-durable-" + RUN
    c = conn(cid)
    r = c.create_receiver(t, name="sub1", credit=10, options=DurableSubscription())
    r.link.detach()                                # closed=false: the subscription stays
    c.wait(lambda: r.link.state & r.link.REMOTE_CLOSED, timeout=5)
    c.close()
    p = conn()
    s = p.create_sender(t)
    for i in range(3):
        s.send(Message(body=i, durable=True))
    p.close()
    c = conn(cid)
    r = c.create_receiver(t, name="sub1", credit=10, options=DurableSubscription())
    got = [r.receive(timeout=5).body for _ in range(3)]
    r.accept()
    check(got == [0, 1, 2], "the backlog kept while detached: %r" % got)
    r.close()                                      # closed=true: unsubscribed
    c.close()
    p = conn()
    p.create_sender(t).send(Message(body="after"))
    p.close()
    c = conn(cid)
    r = c.create_receiver(t, name="sub1", credit=10, options=DurableSubscription())
    try:
        m = r.receive(timeout=1)
        check(m is None, "a removed subscription collected nothing: %r" % m.body)
    except Exception as e:
        check("Timeout" in type(e).__name__ or "timeout" in str(e).lower(), repr(e))
    r.close()
    c.close()


@test
def durable_subscription_by_name_across_restart():
    t = "topic://t.durable2." + RUN
    cid = "cid-durable2-" + RUN
    c = conn(cid)
    r = c.create_receiver(t, name="sub2", credit=10, options=[DurableSubscription(), Selector("k = 1")])
    r.link.detach()
    c.wait(lambda: r.link.state & r.link.REMOTE_CLOSED, timeout=5)
    c.close()
    p = conn()
    s = p.create_sender(t)
    s.send(Message(body="match", durable=True, properties={"k": int32(1)}))
    s.send(Message(body="other", durable=True, properties={"k": int32(2)}))
    p.close()
    subprocess.run([os.environ["BROKERCTL"], os.environ["BROKER_DIR"], "kill9"], check=True, timeout=30)
    subprocess.run([os.environ["BROKERCTL"], os.environ["BROKER_DIR"], "start"], check=True, timeout=60)
    c = conn(cid)
    r = c.create_receiver(None, name="sub2", credit=10)   # no source: the subscription by name
    src = r.link.remote_source
    check(src.address == t, "the subscription's topic comes back in the attach: %r" % src.address)
    m = r.receive(timeout=5)
    r.accept()
    check(m.body == "match", "the backlog survived kill -9, selector kept: %r" % m.body)
    r.close()                                      # unsubscribe
    c.close()
    c = conn(cid)
    try:
        c.create_receiver(None, name="sub2", credit=1)
        ok = False
    except LinkDetached as e:
        ok = "not-found" in str(e)
    check(ok, "after closing, the name finds no subscription")
    c.close()


@test
def dynamic_temporary_queue():
    c = conn()
    r = c.create_receiver(None, dynamic=True, credit=5)
    addr = r.link.remote_source.address
    check(addr and addr.startswith("temp-queue://"), "a temporary address: %r" % addr)
    c.create_sender(addr).send(Message(body="to temp"))
    check(r.receive(timeout=5).body == "to temp", "a message reaches the temporary queue")
    r.accept()
    c.close()
    c = conn()
    try:
        c.create_sender(addr).send(Message(body="late"))
        ok = False
    except (SendException, LinkDetached, ConnectionException, ConnectionClosed):
        ok = True
    check(ok, "the temporary queue went with its connection")
    c.close()


@test
def anonymous_relay():
    c = conn()
    caps = c.conn.remote_offered_capabilities
    check(caps and symbol("ANONYMOUS-RELAY") in caps, "ANONYMOUS-RELAY offered: %r" % caps)
    s = c.create_sender(None)
    q = "q.relay." + RUN
    s.send(Message(address="queue://" + q, body="relayed"))
    s.send(Message(address=q + ".bare", body="bare"))
    check(drain(c, q, 1)[0].body == "relayed", "sent by the message's to")
    check(drain(c, q + ".bare", 1)[0].body == "bare", "a bare to is a queue")
    try:
        s.send(Message(body="nowhere"))
        ok = False
    except SendException:
        ok = True
    check(ok, "a message without a to is rejected")
    c.close()


@test
def duplicate_container_id_refused():
    cid = "cid-dup-" + RUN
    c = conn(cid)
    try:
        conn(cid)
        ok = False
    except (ConnectionException, ConnectionClosed) as e:
        ok = "invalid-field" in str(e)
    check(ok, "a second connection with the same container-id is refused with amqp:invalid-field")
    c.create_sender("q.dup." + RUN).send(Message(body="first still works"))
    c.close()


@test
def sasl_plain_and_anonymous():
    for kw in ({"user": "u", "password": "p", "allowed_mechs": "PLAIN"}, {"allowed_mechs": "ANONYMOUS"}):
        c = conn(**kw)
        c.create_sender("q.sasl." + RUN).send(Message(body="x"))
        c.close()
    c = conn()
    check(len(drain(c, "q.sasl." + RUN, 2)) == 2, "both logins could send")
    c.close()


@test
def large_message_multi_frame():
    c = conn()
    q = "q.large." + RUN
    body = bytes(range(256)) * (8 * 1024 * 1024 // 256)
    c.create_sender(q).send(Message(body=body, durable=True))
    got = drain(c, q, 1, timeout=30)[0]
    check(got.body == body, "8 MiB arrive intact (%d bytes)" % len(got.body or b""))
    c.close()


@test
def sections_kept_exactly():
    c = conn()
    q = "q.sections." + RUN
    m = Message(body={"nested": {"k": [1, "two", None]}, "u": ulong(5), "c": char("x")},
                annotations={symbol("x-custom"): "ann"},
                properties={"ulong": ulong(1 << 63), "sym": symbol("s")},
                id=uuid.UUID("12345678-1234-5678-1234-567812345678"), user_id=b"someone",
                content_type="application/x-custom")
    c.create_sender(q).send(m)
    got = drain(c, q, 1)[0]
    check(got.body == m.body, "body: %r" % got.body)
    check(got.annotations.get(symbol("x-custom")) == "ann", "annotations: %r" % got.annotations)
    check(got.properties == m.properties and type(got.properties["ulong"]) is ulong, "properties: %r" % got.properties)
    check(got.id == m.id and got.user_id == b"someone" and got.content_type == "application/x-custom", "properties section")
    c.close()


@test
def priority_and_expiry():
    c = conn()
    q = "q.prio." + RUN
    s = c.create_sender(q)
    s.send(Message(body="low", priority=1))
    s.send(Message(body="gone", ttl=0.2))
    s.send(Message(body="high", priority=9))
    time.sleep(0.5)
    got = [m.body for m in drain(c, q, 2)]
    check(got == ["high", "low"], "priority order, expired message dropped: %r" % got)
    c.close()


@test
def scheduled_delivery_annotations():
    c = conn()
    caps = c.conn.remote_offered_capabilities
    check(symbol("DELAYED_DELIVERY") in caps, "DELAYED_DELIVERY offered: %r" % caps)
    q = "q.delayed." + RUN
    s = c.create_sender(q)
    s.send(Message(body="later", annotations={symbol("x-opt-delivery-delay"): 1500}))
    s.send(Message(body="at", annotations={symbol("x-opt-delivery-time"): timestamp(int(time.time() * 1000) + 1500)}))
    s.send(Message(body="now"))
    r = c.create_receiver(q, credit=10)
    first = r.receive(timeout=5)
    r.accept()
    check(first.body == "now", "the undelayed message first: %r" % first.body)
    start = time.time()
    later = sorted([r.receive(timeout=10).body, r.receive(timeout=10).body])
    r.accept()
    waited = time.time() - start
    check(later == ["at", "later"], "delayed messages arrive: %r" % later)
    check(waited > 0.8, "after their delay (%.2f s)" % waited)
    c.close()


@test
def auto_connector_serves_amqp_and_openwire():
    q = "q.auto." + RUN
    c = BlockingConnection("127.0.0.1:%s" % os.environ["AUTO_PORT"], timeout=10)
    r = c.create_receiver(q, credit=5)
    ow_port = os.environ["AUTO_PORT"]
    out = subprocess.run(["java", "-Xmx128m", "-cp", os.environ["OW_CP"], "hermodit.amqp.OwPeer", ow_port,
                          "sendtext", q, "over openwire on auto"], capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "OpenWire on the auto:// port: %s" % out.stderr[-500:])
    m = r.receive(timeout=10)
    r.accept()
    check(m.body == "over openwire on auto", "AMQP on the same port receives it: %r" % m.body)
    c.close()


@test
def amqp_over_tls():
    from proton import SSLDomain
    d = SSLDomain(SSLDomain.MODE_CLIENT)
    d.set_trusted_ca_db(os.environ["CA_PEM"])
    d.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME)
    c = BlockingConnection("amqps://127.0.0.1:%s" % os.environ["SSL_PORT"], ssl_domain=d, timeout=10)
    q = "q.tls." + RUN
    c.create_sender(q).send(Message(body="secret", durable=True))
    check(drain(c, q, 1)[0].body == "secret", "a round trip over amqp+ssl://")
    c.close()
    closed, _ = raw_to(int(os.environ["SSL_PORT"]), AMQP_HDR + b"\x00" * 32)
    check(closed, "plain AMQP on the TLS port is refused")


@test
def statistics_count_amqp_consumers():
    q = "q.stats." + RUN
    c = conn()
    r1 = c.create_receiver(q, credit=1, name="s1")
    r2 = c.create_receiver(q, credit=1, name="s2")
    s = c.create_sender(q)
    for i in range(3):
        s.send(Message(body=i))
    replies = c.create_receiver(None, dynamic=True, credit=5)
    reply_to = replies.link.remote_source.address
    c.create_sender("queue://ActiveMQ.Statistics.Destination." + q).send(Message(body="", reply_to=reply_to))
    m = replies.receive(timeout=10)
    replies.accept()
    check(isinstance(m.body, dict), "the statistics reply is a map: %r" % m.body)
    check(m.body.get("consumerCount") == 2, "two AMQP consumers counted: %r" % m.body)
    check(m.body.get("enqueueCount") == 3 and m.body.get("destinationName") == "queue://" + q,
          "three sent to it: %r" % m.body)
    c.close()


# ------------------------------------------------------------------ users and permissions

def sec_conn(**kw):
    return BlockingConnection("127.0.0.1:%s" % os.environ["SEC_PORT"], timeout=10, **kw)


@test
def sasl_refusals_with_users():
    for kw, what in (({"user": "admin", "password": "wrong", "allowed_mechs": "PLAIN"}, "a wrong password"),
                     ({"allowed_mechs": "ANONYMOUS"}, "ANONYMOUS without anonymousAccessAllowed"),
                     ({"sasl_enabled": False}, "no SASL at all")):
        start = time.time()
        try:
            sec_conn(**kw).close()
            ok = False
        except (ConnectionException, ConnectionClosed) as e:
            ok = True
            reason = str(e)
        check(ok, "%s is refused" % what)
        if "password" in what:
            check("auth" in reason.lower(), "SASL outcome auth: %s" % reason)
            check(time.time() - start >= 0.9, "a refused login is answered after a delay")
    c = sec_conn(user="admin", password="adminpw", allowed_mechs="PLAIN")
    c.create_sender("SEC.a").send(Message(body="in"))
    c.close()


@test
def link_permissions_with_users():
    c = sec_conn(user="reader", password="readerpw", allowed_mechs="PLAIN")
    try:
        c.create_sender("SEC.b")
        ok, why = False, ""
    except LinkDetached as e:
        ok, why = "unauthorized-access" in str(e), str(e)
    check(ok, "a reader's sender is refused with amqp:unauthorized-access: %s" % why)
    check("User reader is not authorized to write to: queue://SEC.b" in why, "ActiveMQ's text: %s" % why)
    try:
        c.create_receiver("OTHER.q", credit=1)
        ok, why = False, ""
    except LinkDetached as e:
        ok, why = "unauthorized-access" in str(e), str(e)
    check(ok and "not authorized to read from: queue://OTHER.q" in why, "reading elsewhere refused: %s" % why)
    a = sec_conn(user="admin", password="adminpw", allowed_mechs="PLAIN")
    a.create_sender("SEC.b").send(Message(body="for reader"))
    a.close()
    r = c.create_receiver("SEC.b", credit=1)
    m = r.receive(timeout=5)
    r.accept()
    check(m.body == "for reader", "a permitted receiver works: %r" % m.body)
    c.close()


@test
def console_asks_admin_credentials():
    import base64
    import urllib.error
    import urllib.request
    url = "http://127.0.0.1:%s/metrics" % os.environ["SEC_HTTP_PORT"]

    def get(user=None, password=None):
        req = urllib.request.Request(url)
        if user:
            req.add_header("Authorization", "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode())
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()
    st, hd, _ = get()
    check(st == 401 and "Basic" in (hd.get("WWW-Authenticate") or ""), "no credentials: 401 with a Basic challenge (%s)" % st)
    check(get("admin", "wrong")[0] == 401, "a wrong password: 401")
    check(get("reader", "readerpw")[0] == 401, "a user outside the admins group: 401")
    st, _, body = get("admin", "adminpw")
    check(st == 200 and b"hermod_" in body, "an admin gets the metrics (%s)" % st)


# ------------------------------------------------------------------ other clients: rhea, Proton C

def rhea(*args):
    here = os.path.dirname(os.path.abspath(__file__))
    out = subprocess.run(["node", os.path.join(here, "node", "rhea_client.js"), str(PORT)] + list(args),
                         capture_output=True, text=True, timeout=40)
    import json
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    check(lines, "rhea printed a result: %s %s" % (out.stdout[-300:], out.stderr[-500:]))
    return json.loads(lines[-1])


@test
def rhea_roundtrip_and_selector():
    q = "q.rhea." + RUN
    r = rhea("roundtrip", q)
    check(r.get("selected") == "rhea 2" and r.get("props") == {"k": 2}, "rhea: sent, selected back: %r" % r)
    check(r.get("echoedFilter"), "rhea sees the selector filter echoed")
    c = conn()
    check(sorted(m.body for m in drain(c, q, 2)) == ["rhea 0", "rhea 1"], "the unselected ones stay for others")
    c.close()


@test
def rhea_durable_subscription():
    r = rhea("durable", "topic://t.rhea." + RUN, RUN)
    check(r.get("resumed") == "kept", "rhea: the durable subscription kept a message across a detach: %r" % r)


@test
def drain_completes_when_output_backlog_drains():
    """A drain that meets a connection whose output is over its 8 MiB budget completes once the
    held deliveries went out, not at the client's next flow (rhea sends one flow for it)."""
    q = "q.drainbacklog." + RUN
    c = conn()
    snd = c.create_sender(q)
    body = b"d" * (1 << 20)
    for i in range(30):
        snd.send(Message(body=body, durable=False, properties={"i": int32(i)}))
    c.close()
    r = rhea("drain", q)
    check(r.get("drained") and r.get("got") == 30, "rhea: all 30 arrived and the drain completed: %r" % r)
    c = conn()
    check(nothing_left(c, q), "nothing left on the queue")
    c.close()


@test
def proton_c_examples_send_receive():
    q = "q.cexamples." + RUN
    send = subprocess.run([os.environ["PN_SEND"], "127.0.0.1", str(PORT), q, "100"],
                          capture_output=True, text=True, timeout=60)
    check(send.returncode == 0 and "100 messages sent and acknowledged" in send.stdout,
          "Proton's send example: %s %s" % (send.stdout[-300:], send.stderr[-300:]))
    got = ow("recv", q, "1")
    check(got and got[0]["kind"] == "map" and "sequence=" in got[0]["body"], "its map body as a MapMessage: %r" % got)
    recv = subprocess.run([os.environ["PN_RECEIVE"], "127.0.0.1", str(PORT), q, "99"],
                          capture_output=True, text=True, timeout=60)
    check(recv.returncode == 0 and "99 messages received" in recv.stdout,
          "Proton's receive example: %s %s" % (recv.stdout[-300:], recv.stderr[-300:]))


# ------------------------------------------------------------------ crossing protocols

def ow(*args):
    cp = os.environ["OW_CP"]
    out = subprocess.run(["java", "-Xmx128m", "-cp", cp, "hermodit.amqp.OwPeer", OW_PORT] + list(args),
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise AssertionError("OwPeer %s failed: %s" % (args[0], out.stderr[-2000:]))
    return [dict(f.split("=", 1) for f in line.split("\t")) for line in out.stdout.splitlines() if "\t" in line]


@test
def openwire_to_amqp_every_kind():
    q = "q.ow2amqp." + RUN
    ow("send", q)
    c = conn()
    got = drain(c, q, 7)
    c.close()
    kinds = [m.annotations.get(symbol("x-opt-jms-msg-type")) for m in got]
    check(kinds == [5, 3, 2, 4, 1, 0, 5], "x-opt-jms-msg-type per JMS kind: %r" % kinds)
    t, b, mp, st, ob, plain, grouped = got
    check(t.body == "text body ünïcode", "text → amqp-value string: %r" % t.body)
    check(b.body == b"\x00\x01\x02\xff", "bytes → data: %r" % b.body)
    check(mp.body == {"s": "v", "i": 42, "l": -5, "b": False, "d": 0.5, "bytes": b"\x09\x08"}, "map: %r" % mp.body)
    check(st.body == ["one", 2, True], "stream → sequence: %r" % st.body)
    check(ob.content_type == "application/x-java-serialized-object" and ob.body[:2] == b"\xac\xed", "object: serialized bytes")
    check(plain.body is None, "plain message: no body")
    for i, m in enumerate(got[:6]):
        check(m.properties == dict(PROPS, pString="héllo wörld", pInt=100000 + i), "props %d: %r" % (i, m.properties))
        check(m.correlation_id == "corr-%d" % i and m.subject == "type-%d" % i, "correlation and JMSType")
        check(m.reply_to == "queue://reply.queue", "reply-to: %r" % m.reply_to)
        check(m.priority == 7 and m.durable, "priority and durable")
        check(str(m.id).startswith("ID:"), "message id: %r" % m.id)
    check(0 < t.ttl <= 600 and not b.ttl, "ttl from the expiration")
    check(not grouped.durable and grouped.priority == 4, "non-persistent")


# java.util.ArrayList with one String "obj", as ObjectOutputStream writes it
SERIALIZED_LIST = (b"\xac\xed\x00\x05sr\x00\x13java.util.ArrayListx\x81\xd2\x1d\x99\xc7a\x9d\x03\x00\x01I"
                   b"\x00\x04sizexp\x00\x00\x00\x01w\x04\x00\x00\x00\x01t\x00\x03objx")


@test
def amqp_to_openwire_every_kind():
    q = "q.amqp2ow." + RUN
    c = conn()
    s = c.create_sender("queue://" + q)
    s.send(Message(body="amqp text", durable=True, properties=PROPS, id="ID:abc", correlation_id="corr",
                   subject="subj", reply_to="queue://rq", priority=6, ttl=60, group_id="g1", group_sequence=3))
    s.send(Message(body=b"\x00\x01\xff", inferred=True, properties=PROPS, id=ulong(5)))
    s.send(Message(body={"a": int32(1), "b": "x"}, properties=PROPS, id=uuid.UUID("12345678-1234-5678-1234-567812345678")))
    s.send(Message(body=["x", int32(3), True], inferred=True, properties=PROPS, id=b"\x01\x02"))
    s.send(Message(body=None, properties=PROPS, annotations={symbol("x-opt-jms-msg-type"): byte(0)}))
    s.send(Message(body=SERIALIZED_LIST, inferred=True, content_type="application/x-java-serialized-object"))
    s.send(Message(body="plain id", id="noprefix"))
    c.close()
    got = ow("recv", q, "7")
    check(len(got) == 7, "all 7 arrive over OpenWire: %r" % got)
    t, b, mp, st, plain, ob, np = got
    check(t["kind"] == "text" and t["body"] == "string:amqp text", "text: %r" % t)
    check(t["id"] == "ID:abc" and t["correlation"] == "corr" and t["type"] == "subj", "ids and type: %r" % t)
    check(t["priority"] == "6" and t["persistent"] == "true" and t["expiring"] == "true", "header: %r" % t)
    check(t["replyto"] == "queue://rq" and t["group"] == "g1" and "JMSXGroupSeq=integer:3;" in t["props"], "reply-to, group: %r" % t)
    for p in ("pBool=boolean:true;", "pByte=byte:-7;", "pShort=short:-300;", "pInt=integer:7;",
              "pLong=long:1099511627776;", "pFloat=float:1.5;", "pDouble=double:-2.25;", "pString=string:héllo;"):
        check(p in t["props"], "property %s in %s" % (p, t["props"]))
    check(b["kind"] == "bytes" and b["body"] == "bytes:0001ff" and b["id"] == "ID:AMQP_ULONG:5", "bytes: %r" % b)
    check(mp["kind"] == "map" and mp["body"] == "{a=integer:1;b=string:x;}", "map: %r" % mp)
    check(mp["id"] == "ID:AMQP_UUID:12345678-1234-5678-1234-567812345678", "uuid id: %r" % mp["id"])
    check(st["kind"] == "stream" and st["body"] == "[string:x;integer:3;boolean:true;]", "stream: %r" % st)
    check(st["id"] == "ID:AMQP_BINARY:0102", "binary id: %r" % st["id"])
    check(plain["kind"] == "message", "plain: %r" % plain)
    check(ob["kind"] == "object" and ob["body"] == "arraylist:[obj]", "object: %r" % ob)
    check(np["id"] == "ID:AMQP_NO_PREFIX:noprefix", "string id without prefix: %r" % np["id"])


@test
def large_messages_cross_both_ways():
    n = 8 * 1024 * 1024
    pattern = bytes(i % 251 for i in range(251)) * (n // 251 + 1)
    q = "q.bigcross." + RUN
    ow("sendbig", q, str(n))
    c = conn()
    m = drain(c, q, 1, timeout=30)[0]
    check(m.body == pattern[:n], "8 MiB from OpenWire arrive over AMQP intact (%d bytes)" % len(m.body or b""))
    c.create_sender(q).send(Message(body=pattern[:n], inferred=True, durable=True))
    c.close()
    got = ow("recvbig", q)
    check(got and got[0]["size"] == str(n) and got[0]["pattern"] == "ok", "8 MiB from AMQP arrive over OpenWire: %r" % got)


@test
def unconvertible_for_openwire_dead_lettered():
    """An AMQP message whose body cannot be expressed over OpenWire (a data section followed by
    an amqp-value: mixed body sections) is dead-lettered when an OpenWire consumer gets it,
    instead of staying in flight for ever; the good message behind it still arrives."""
    q = "q.unconvertible." + RUN
    c = conn()
    snd = c.create_sender(q)
    raw = (b"\x00\x53\x70\xc0\x02\x01\x41"             # header: durable
           b"\x00\x53\x75\xa0\x03abc"                    # data section
           b"\x00\x53\x77\xa1\x03xyz")                   # amqp-value section after it
    link = snd.link
    dlv = link.delivery("bad-" + RUN)
    link.send(raw)
    link.advance()
    c.wait(lambda: dlv.remote_state != 0 or dlv.settled, timeout=10, msg="the broker settles the raw message")
    check(dlv.remote_state == Delivery.ACCEPTED, "the broker took the raw message (%s)" % dlv.remote_state)
    snd.send(Message(body="good", durable=True))
    got = ow("recv", q, "1")
    check(len(got) == 1 and got[0].get("kind") == "text", "the good one reached OpenWire: %r" % got)
    check(nothing_left(c, q), "nothing left in flight or waiting on the queue")
    r = c.create_receiver("ActiveMQ.DLQ", credit=50)
    bodies = []
    while True:
        try:
            m = r.receive(timeout=2)
        except Exception:
            break
        bodies.append(m.body)
        r.accept()
    r.close()
    check(any(b in ("xyz", b"abc") for b in bodies), "dead-lettered: %r" % bodies[-5:])
    c.close()


@test
def amqp_selector_sees_openwire_headers():
    q = "q.crosssel." + RUN
    ow("send", q)
    c = conn()
    r = c.create_receiver(q, credit=10, options=Selector("JMSType = 'type-2' AND pInt = 100002"))
    m = r.receive(timeout=5)
    r.accept()
    check(isinstance(m.body, dict), "the MapMessage was selected: %r" % m.body)
    r.close()
    c.close()


class Pipeline(MessagingHandler):
    """Sends n durable messages without waiting for each outcome; counts the outcomes."""

    def __init__(self, addr, n):
        super(Pipeline, self).__init__()
        self.addr, self.n, self.sent, self.accepted, self.other = addr, n, 0, 0, 0

    def on_start(self, event):
        self.conn = event.container.connect(URL)
        event.container.create_sender(self.conn, self.addr)

    def on_sendable(self, event):
        while event.sender.credit and self.sent < self.n:
            event.sender.send(Message(body="p%d" % self.sent, durable=True))
            self.sent += 1

    def on_accepted(self, event):
        self.accepted += 1
        if self.accepted + self.other == self.n:
            self.conn.close()

    def on_rejected(self, event):
        self.other += 1
        if self.accepted + self.other == self.n:
            self.conn.close()


@test
def pipelined_unsettled_sends():
    q = "q.pipeline." + RUN
    h = Pipeline(q, 3000)
    c = Container(h)
    c.run()
    check(h.accepted == 3000, "every pipelined send accepted: %d accepted, %d not" % (h.accepted, h.other))
    c = conn()
    got = drain(c, q, 3000, timeout=10)
    check([m.body for m in got[:3]] == ["p0", "p1", "p2"] and got[-1].body == "p2999", "all in order")
    c.close()


class HeldProducer(MessagingHandler):
    """Sends n messages to a queue with a 1 MB memory limit and no consumer; after 3 s notes how
    many were accepted, then drains the queue on the same connection."""

    def __init__(self, addr, n):
        super(HeldProducer, self).__init__(prefetch=0)
        self.addr, self.n, self.sent, self.accepted, self.received = addr, n, 0, 0, 0
        self.accepted_while_full = None

    def on_start(self, event):
        self.container = event.container
        self.conn = event.container.connect(URL)
        event.container.create_sender(self.conn, self.addr)
        event.container.schedule(3.0, self)

    def on_sendable(self, event):
        while event.sender.credit and self.sent < self.n:
            event.sender.send(Message(body=b"f" * 4096))
            self.sent += 1

    def on_accepted(self, event):
        self.accepted += 1

    def on_timer_task(self, event):
        self.accepted_while_full = self.accepted
        self.receiver = self.container.create_receiver(self.conn, self.addr)
        self.receiver.flow(500)

    def on_message(self, event):
        self.received += 1
        if self.receiver.credit < 100:
            self.receiver.flow(400)
        if self.received == self.n:
            self.conn.close()


@test
def producer_held_by_memory_limit_then_resumes():
    h = HeldProducer("q.flow." + RUN, 2000)      # 8 MB against a 1 MB destination limit
    c = Container(h)
    c.run()
    check(h.accepted_while_full is not None and h.accepted_while_full < 1000,
          "a full destination holds the producer: %r of 2000 accepted" % h.accepted_while_full)
    check(h.received == 2000 and h.accepted == 2000, "all sent and received once drained: %d/%d" % (h.accepted, h.received))


# ------------------------------------------------------------------ transactions

class TxClient(MessagingHandler, TransactionHandler):
    """Declares a transaction, sends `send` messages to addr and/or accepts `take` from it within
    it, then commits or aborts."""

    def __init__(self, addr, send=0, take=0, commit=True):
        super(TxClient, self).__init__(prefetch=0, auto_accept=False)
        self.addr, self.send, self.take, self.commit = addr, send, take, commit
        self.result, self.taken, self.sent_ok = None, [], 0

    def on_start(self, event):
        self.conn = event.container.connect(URL)
        self.sender = event.container.create_sender(self.conn, self.addr) if self.send else None
        self.receiver = event.container.create_receiver(self.conn, self.addr) if self.take else None
        event.container.declare_transaction(self.conn, handler=self)

    def on_transaction_declared(self, event):
        self.txn = event.transaction
        for i in range(self.send):
            self.txn.send(self.sender, Message(body="tx%d" % i, durable=True))
        if self.take:
            self.receiver.flow(self.take)
        else:
            self.finish()

    def on_accepted(self, event):
        self.sent_ok += 1

    def on_message(self, event):
        self.taken.append(event.message.body)
        self.txn.accept(event.delivery)
        if len(self.taken) == self.take:
            self.finish()

    def finish(self):
        if self.commit:
            self.txn.commit()
        else:
            self.txn.abort()

    def on_transaction_committed(self, event):
        self.result = "committed"
        self.conn.close()

    def on_transaction_aborted(self, event):
        self.result = "aborted"
        self.conn.close()

    def on_transaction_declare_failed(self, event):
        self.result = "declare failed"
        self.conn.close()

    def on_transaction_commit_failed(self, event):
        self.result = "commit failed"
        self.conn.close()


def run_tx(**kw):
    h = TxClient(**kw)
    c = Container(h)
    c.timeout = 10
    c.run()
    return h


@test
def transactions_commit_and_rollback():
    q = "q.tx." + RUN
    h = run_tx(addr=q, send=3, commit=False)
    check(h.result == "aborted", "rollback: %s" % h.result)
    c = conn()
    check(nothing_left(c, q), "rolled-back sends never arrive")
    c.close()
    h = run_tx(addr=q, send=3, commit=True)
    check(h.result == "committed", "commit: %s" % h.result)
    h = run_tx(addr=q, take=2, commit=False)
    check(h.result == "aborted" and h.taken == ["tx0", "tx1"], "took in a rolled-back transaction: %r" % h.taken)
    subprocess.run([os.environ["BROKERCTL"], os.environ["BROKER_DIR"], "kill9"], check=True, timeout=30)
    subprocess.run([os.environ["BROKERCTL"], os.environ["BROKER_DIR"], "start"], check=True, timeout=60)
    h = run_tx(addr=q, take=2, commit=True)
    check(h.result == "committed" and h.taken == ["tx0", "tx1"],
          "committed sends survive kill -9, rolled-back acknowledgements come back: %r" % h.taken)
    c = conn()
    got = drain(c, q, 1)
    check(got[0].body == "tx2", "committed acknowledgements consumed: %r" % got[0].body)
    check(nothing_left(c, q), "nothing more")
    c.close()


# ------------------------------------------------------------------ durability

@test
def persistent_survives_restart():
    q = "q.restart." + RUN
    c = conn()
    s = c.create_sender(q)
    for i in range(20):
        s.send(Message(body="p%d" % i, durable=True, properties={"i": int32(i)},
                       annotations={symbol("x-keep"): "yes"}))
    c.close()
    subprocess.run([os.environ["BROKERCTL"], os.environ["BROKER_DIR"], "kill9"], check=True, timeout=30)
    subprocess.run([os.environ["BROKERCTL"], os.environ["BROKER_DIR"], "start"], check=True, timeout=60)
    c = conn()
    got = drain(c, q, 20)
    check([m.body for m in got] == ["p%d" % i for i in range(20)], "every confirmed message after kill -9")
    check(got[5].properties == {"i": 5} and got[5].annotations.get(symbol("x-keep")) == "yes", "sections kept in the store")
    check(got[0].durable, "still durable")
    c.close()


# ------------------------------------------------------------------ hostile input

def raw(data, expect_close=True, wait=5.0):
    """Sends data on a raw connection; returns (closed, bytes received)."""
    return raw_to(PORT, data, wait)


def raw_to(port, data, wait=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    got = b""
    try:
        s.sendall(data)
        end = time.time() + wait
        while time.time() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return False, got
            if not chunk:
                return True, got
            got += chunk
        return False, got
    except (ConnectionResetError, BrokenPipeError):
        return True, got
    finally:
        s.close()


def frame(body, ftype=0, channel=0):
    return struct.pack(">IBBH", 8 + len(body), 2, ftype, channel) + body


AMQP_HDR = b"AMQP\x00\x01\x00\x00"


def still_serves():
    c = conn()
    q = "q.alive." + RUN
    c.create_sender(q).send(Message(body="alive"))
    ok = drain(c, q, 1)[0].body == "alive"
    c.close()
    return ok


@test
def hostile_random_bytes_after_header():
    watcher = conn()
    closed, got = raw(AMQP_HDR + os.urandom(4096))
    check(closed, "random bytes close the connection")
    check(got.startswith(AMQP_HDR), "the broker answered with its protocol header first")
    watcher.create_sender("q.watch." + RUN).send(Message(body="other connection unaffected"))
    watcher.close()
    check(still_serves(), "the broker still serves")


@test
def hostile_frame_size_below_minimum():
    closed, _ = raw(AMQP_HDR + struct.pack(">IBBH", 4, 2, 0, 0) + b"\x00" * 16)
    check(closed, "a frame smaller than its own header closes the connection")
    check(still_serves(), "the broker still serves")


@test
def hostile_oversized_frame():
    closed, _ = raw(AMQP_HDR + struct.pack(">IBBH", 0x7FFFFFFF, 2, 0, 0) + b"\x00" * 1024)
    check(closed, "a frame over the maximum closes the connection")
    check(still_serves(), "the broker still serves")


@test
def hostile_wrong_protocol_header():
    closed, got = raw(b"AMQP\x01\x01\x00\x0a" + b"\x00" * 64)
    check(closed, "an unknown AMQP version closes the connection")
    check(still_serves(), "the broker still serves")


@test
def hostile_attach_flood():
    c = conn()
    try:
        for i in range(1100):
            c.create_sender("q.flood.%d" % i)
        ok = False
    except (ConnectionException, LinkDetached, Exception) as e:
        ok = "resource-limit" in str(e) or "closed" in str(e).lower()
    check(ok, "more than the link limit closes the connection")
    try:
        c.close()
    except Exception:
        pass
    check(still_serves(), "the broker still serves")


@test
def hostile_link_before_open():
    # a begin and an attach on a connection whose open was never sent
    closed, _ = raw(AMQP_HDR + frame(b"\x00\x53\x11\x45") + b"\x00" * 8)
    check(closed, "frames before open close the connection")
    check(still_serves(), "the broker still serves")


def handshake_bytes(receiver=None, credit=0):
    """A valid client's first bytes (header, open, begin and optionally a receiver with credit),
    from Proton's own engine, for raw-socket attacks that go past the handshake."""
    from proton import Transport, Connection
    t, c = Transport(), Connection()
    c.container = "raw-%s-%d" % (RUN, int(time.time() * 1e6))
    t.bind(c)
    c.open()
    ssn = c.session()
    ssn.open()
    if receiver:
        l = ssn.receiver("raw-recv")
        l.source.address = receiver
        l.open()
        l.flow(credit)
    out = b""
    while t.pending() > 0:
        n = t.pending()
        out += t.peek(n)
        t.pop(n)
    return out


def broker_rss_kb():
    pid = open(os.path.join(os.environ["BROKER_DIR"], "hermod.pid")).read().strip()
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@test
def hostile_silent_and_half_handshakes_closed():
    socks = []
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        if i % 2:
            s.sendall(AMQP_HDR)                    # a header, then silence before the open
        socks.append(s)
    check(still_serves(), "a real client works meanwhile")
    start = time.time()
    closed = 0
    for s in socks:
        try:
            s.settimeout(max(0.1, 8 - (time.time() - start)))
            while s.recv(4096):
                pass
            closed += 1
        except (socket.timeout, OSError):
            pass
        s.close()
    check(closed == 40, "every silent or half-way connection closed by the handshake deadline (%d of 40)" % closed)


@test
def hostile_trickled_frames_hold_little_memory():
    before = broker_rss_kb()
    socks = []
    head = handshake_bytes()
    for i in range(50):
        s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        # past the handshake, a frame declaring 120,000 bytes (under the 128 KiB maximum), trickled
        s.sendall(head + struct.pack(">IBBH", 120000, 2, 0, 0) + b"\x00" * 1000)
        socks.append(s)
    for round_ in range(3):
        for s in socks:
            try:
                s.sendall(b"\x00" * 2000)
            except OSError:
                pass
        time.sleep(0.2)
    grown = broker_rss_kb() - before
    check(still_serves(), "the broker serves while 50 frames trickle")
    for s in socks:
        s.close()
    check(grown < 40 * 1024, "50 trickled frames cost %d KiB (bound 40 MiB)" % grown)


@test
def hostile_unread_consumer_reset():
    q = "q.unread." + RUN
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(handshake_bytes(receiver=q, credit=5000))    # then never reads
    c = conn()
    snd = c.create_sender(q)
    body = b"x" * 10240
    for i in range(1500):
        snd.send(Message(body=body, durable=True, properties={"i": int32(i)}))
    time.sleep(0.5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()                                              # a reset with output queued for it
    got = drain(c, q, 1500, timeout=10)
    check(sorted(m.properties["i"] for m in got) == list(range(1500)), "every message back after the reset")
    c.close()
    check(still_serves(), "the broker still serves")


# ------------------------------------------------------------------ runner

class TestTimeout(Exception):
    pass


def on_alarm(signum, frame):
    raise TestTimeout("no verdict within %d s" % TEST_TIMEOUT_S)


TEST_TIMEOUT_S = 60


def main():
    signal.signal(signal.SIGALRM, on_alarm)
    if "--list" in sys.argv:
        for t in TESTS:
            print(t.__name__)
        return
    only = None
    if "--only" in sys.argv:
        only = set(sys.argv[sys.argv.index("--only") + 1].split(","))
    for t in TESTS:
        if only and t.__name__ not in only:
            continue
        start = time.time()
        signal.alarm(TEST_TIMEOUT_S)
        try:
            t()
            print("PASS: %s" % t.__name__, flush=True)
        except BaseException as e:
            print("FAIL: %s" % t.__name__, flush=True)
            sys.stderr.write("%s: %s\n" % (t.__name__, "".join(traceback.format_exception(type(e), e, e.__traceback__))[-3000:]))
        signal.alarm(0)
        sys.stderr.write("%s: %.1f s\n" % (t.__name__, time.time() - start))


if __name__ == "__main__":
    main()
