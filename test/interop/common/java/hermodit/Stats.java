package hermodit;

import javax.jms.DeliveryMode;
import javax.jms.MapMessage;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;
import javax.jms.TemporaryQueue;

/** The statistics plugin (statisticsBrokerPlugin) as a test reads it, on either broker. */
public final class Stats {
    private Stats() {}

    /** The map of one queue (size, expiredCount, dequeueCount...), or null if none came in 5 s. */
    public static MapMessage queue(Session s, String queue) throws Exception {
        TemporaryQueue reply = s.createTemporaryQueue();
        MessageConsumer rc = s.createConsumer(reply);
        MessageProducer mp = s.createProducer(s.createQueue("ActiveMQ.Statistics.Destination." + queue));
        Message req = s.createMessage();
        req.setJMSReplyTo(reply);
        mp.send(req, DeliveryMode.NON_PERSISTENT, 4, 0);
        Message m = rc.receive(5000);
        rc.close();
        mp.close();
        reply.delete();
        return (MapMessage) m;
    }
}
