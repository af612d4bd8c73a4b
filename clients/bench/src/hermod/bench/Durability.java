package hermod.bench;

import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;

import org.apache.activemq.ActiveMQConnectionFactory;

/**
 * Restart check used by compare.sh: do persistent messages survive a broker restart?
 *   Durability send URL QUEUE N          sends N persistent messages (each acknowledged by the broker)
 *   Durability receive URL QUEUE TIMEOUT_MS   prints how many messages could be received
 * Why: a benchmark of "persistent" workloads against a broker that keeps them only in memory
 * compares different things; the comparison must say so, and this is how it finds out.
 */
public final class Durability {
    private Durability() {
    }

    public static void main(String[] a) throws Exception {
        if (a.length != 4 || !(a[0].equals("send") || a[0].equals("receive"))) {
            System.err.println("usage: Durability send URL QUEUE N | receive URL QUEUE TIMEOUT_MS");
            System.exit(2);
        }
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory(a[1]);
        f.setAlwaysSyncSend(true);
        Connection c = f.createConnection();
        c.start();
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue(a[2]);
        int n = Integer.parseInt(a[3]);
        if (a[0].equals("send")) {
            MessageProducer p = s.createProducer(q);
            p.setDeliveryMode(DeliveryMode.PERSISTENT);
            for (int i = 0; i < n; i++) {
                p.send(s.createTextMessage("durability probe " + i));
            }
            System.out.println(n);
        } else {
            MessageConsumer mc = s.createConsumer(q);
            int got = 0;
            long timeout = n;
            while (mc.receive(got == 0 ? timeout : 500) != null) {
                got++;
            }
            System.out.println(got);
        }
        c.close();
    }
}
