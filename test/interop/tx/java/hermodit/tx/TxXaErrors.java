package hermodit.tx;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.log;
import hermodit.Suite;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.Destination;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.QueueBrowser;
import javax.jms.Session;
import javax.jms.TextMessage;
import javax.jms.Topic;
import javax.jms.XAConnection;
import javax.jms.XASession;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import org.apache.activemq.ActiveMQConnection;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQXAConnectionFactory;
import org.apache.activemq.RedeliveryPolicy;
import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.command.ActiveMQQueue;
import static hermodit.tx.TxSuite.*;

/** XA errors as ActiveMQ reports them, and forget (registered by TxSuite). */
final class TxXaErrors {
    private TxXaErrors() {}

    static void xaUnknownXid() throws Exception {
        Xid u = new TestXid(0x3001, "nobody-knows", "b1");
        XAConnection c = xopen();
        try {
            XAResource xr = c.createXASession().getXAResource();
            expectXA(XAException.XAER_NOTA, "commit two-phase of an unknown xid", () -> xr.commit(u, false));
            expectXA(XAException.XAER_NOTA, "commit one-phase of an unknown xid", () -> xr.commit(u, true));
            expectXA(XAException.XAER_NOTA, "rollback of an unknown xid", () -> xr.rollback(u));
            // The reference answers prepare of an unknown xid with a plain JMSException (no
            // xaErrorCode), which the client turns into XAER_RMFAIL.
            XAException pe = expectXA(XAException.XAER_RMFAIL, "prepare of an unknown xid", () -> xr.prepare(u));
            check(pe.getCause() instanceof JMSException && !(pe.getCause().getCause() instanceof XAException),
                    "prepare of an unknown xid: the broker's exception is a JMSException, not an XAException: " + pe.getCause());
            expectXA(XAException.XAER_NOTA, "forget of an unknown xid", () -> xr.forget(u));
            // The connection is still usable afterwards.
            Xid ok = new TestXid(0x3001, "after-errors", "b1");
            xr.start(ok, XAResource.TMNOFLAGS);
            xr.end(ok, XAResource.TMSUCCESS);
            eq(XAResource.XA_RDONLY, xr.prepare(ok), "a new branch after the errors");
        } finally {
            c.close();
        }
    }

    static void xaOutOfOrder() throws Exception {
        String OUT = "TX.XA.ORDER.OUT";
        int F = 0x3002;
        Xid ended = new TestXid(F, "ended-not-prepared", "b1");
        Xid prepared = new TestXid(F, "prepared", "b1");
        XAConnection c = xopen();
        try {
            XASession xs = c.createXASession();
            XAResource xr = xs.getXAResource();
            MessageProducer p = xs.createProducer(q(OUT));
            xr.start(ended, XAResource.TMNOFLAGS);
            p.send(xs.createTextMessage("ended"));
            xr.end(ended, XAResource.TMSUCCESS);
            xr.start(prepared, XAResource.TMNOFLAGS);
            p.send(xs.createTextMessage("prepared"));
            xr.end(prepared, XAResource.TMSUCCESS);
            eq(XAResource.XA_OK, xr.prepare(prepared), "prepare");
            expectXA(XAException.XAER_PROTO, "two-phase commit of a branch that was not prepared",
                    () -> xr.commit(ended, false));
            // The reference answers a repeated prepare with XA_OK again (idempotent).
            eq(XAResource.XA_OK, xr.prepare(prepared), "second prepare of a prepared branch");
            eq(list(), drain(OUT, 700), "nothing committed by the refused calls");
            // Both branches are intact and can still be finished. The reference accepts a
            // one-phase commit of a prepared branch (and commits it).
            xr.commit(prepared, true);
            xr.rollback(ended);
            eq(setOf(), recover(xr, F), "nothing left in doubt");
            expectXA(XAException.XAER_NOTA, "rollback after commit", () -> xr.rollback(prepared));
            expectXA(XAException.XAER_NOTA, "commit after rollback", () -> xr.commit(ended, false));
        } finally {
            c.close();
        }
        eq(list("prepared"), drain(OUT, 5000), "only the properly committed branch");
    }

    static void xaForget() throws Exception {
        String OUT = "TX.XA.FORGET.OUT";
        Xid x = new TestXid(0x1007, "forget", "b1");
        XAConnection c = xopen();
        try {
            XASession xs = c.createXASession();
            XAResource xr = xs.getXAResource();
            xr.start(x, XAResource.TMNOFLAGS);
            xs.createProducer(q(OUT)).send(xs.createTextMessage("forgotten"));
            xr.end(x, XAResource.TMSUCCESS);
            eq(XAResource.XA_OK, xr.prepare(x), "prepare");
            xr.forget(x);
            eq(setOf(), recover(xr, 0x1007), "a forgotten branch is no longer in doubt");
            expectXA(XAException.XAER_NOTA, "commit after forget", () -> xr.commit(x, false));
        } finally {
            c.close();
        }
        eq(list(), drain(OUT, 1000), "the forgotten branch's send is discarded");
    }
}
