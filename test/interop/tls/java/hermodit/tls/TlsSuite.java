package hermodit.tls;

import static hermodit.Suite.check;
import static hermodit.Suite.eq;
import static hermodit.Suite.log;

import hermodit.RawWire;
import hermodit.Suite;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.jms.BytesMessage;
import javax.jms.Connection;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Queue;
import javax.jms.Session;
import javax.jms.TextMessage;
import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQSslConnectionFactory;

/**
 * The JMS client over TLS (issue 13, the transport layer): certificates made by OpenSSL in
 * run.sh; port it.port is ssl:// (connectAttemptTimeout 2 s), it.port2 ssl:// with
 * needClientAuth=true.  The broker must stay up throughout (run.sh).
 */
public final class TlsSuite {
    static final int PORT = Integer.getInteger("it.port", 62960);
    static final int PORT2 = Integer.getInteger("it.port2", 62961);
    static final int PORT3 = Integer.getInteger("it.port3", 62962);
    static final int PORT4 = Integer.getInteger("it.port4", 62963);
    static final int PORT5 = Integer.getInteger("it.port5", 62964);
    static final int PORT6 = Integer.getInteger("it.port6", 62965);
    static final String PKI = System.getProperty("it.pki", "");
    static final String LOG = System.getProperty("it.log", "");
    static final String PID = System.getProperty("it.pid", "");
    static final String RUN = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);

    public static void main(String[] args) throws Exception {
        Suite s = new Suite(60);
        s.add("tls_text_round_trip", TlsSuite::textRoundTrip);
        s.add("tls_large_messages_8mib", TlsSuite::largeMessages);
        s.add("tls_2000_messages_to_a_listener", TlsSuite::manyMessages);
        s.add("tls_client_certificate_required", TlsSuite::clientCertRequired);
        s.add("tls_plain_openwire_on_tls_port_closed", TlsSuite::plainOnTlsPort);
        s.add("tls_garbage_and_silence_closed", TlsSuite::garbageAndSilence);
        s.add("auto_ssl_serves_openwire", TlsSuite::autoSsl);
        s.add("certificates_reloaded_on_sighup", TlsSuite::reloadOnSighup);
        s.add("certificate_login", TlsSuite::certificateLogin);
        s.add("dual_login_certificate_or_password", TlsSuite::dualLogin);
        System.exit(s.run(args) == 0 ? 0 : 1);
    }

    static ActiveMQSslConnectionFactory cf(int port, boolean withClientCert) throws Exception {
        return cf(port, withClientCert ? "client" : null);
    }

    /** keyName: the client certificate's PKCS#12 file (PKI/keyName.p12), or null for none. */
    static ActiveMQSslConnectionFactory cf(int port, String keyName) throws Exception {
        ActiveMQSslConnectionFactory f = new ActiveMQSslConnectionFactory("ssl://127.0.0.1:" + port
                + "?connectionTimeout=5000&soTimeout=0");
        f.setTrustStore(PKI + "/trust.p12");
        f.setTrustStorePassword("secret");
        f.setTrustStoreType("PKCS12");
        if (keyName != null) {
            f.setKeyStore(PKI + "/" + keyName + ".p12");
            f.setKeyStorePassword("secret");
            f.setKeyStoreType("PKCS12");
        }
        f.setCloseTimeout(3000);
        f.setConnectResponseTimeout(5000);
        f.setSendTimeout(20000);
        return f;
    }

    static void roundTrip(Connection c, String text) throws JMSException {
        Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
        Queue q = s.createQueue("it.tls." + text + "." + RUN);
        s.createProducer(q).send(s.createTextMessage(text));
        Message m = s.createConsumer(q).receive(10_000);
        check(m instanceof TextMessage && ((TextMessage) m).getText().equals(text), "'" + text + "' did not come back over TLS");
        s.close();
    }

    static void textRoundTrip() throws Exception {
        Connection c = cf(PORT, false).createConnection();
        try {
            c.start();
            roundTrip(c, "hello-tls");
        } finally {
            c.close();
        }
    }

    /** 8 MiB bodies cross many TLS records and partial writes, both ways, byte for byte. */
    static void largeMessages() throws Exception {
        Connection c = cf(PORT, false).createConnection();
        try {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("it.tls.large." + RUN);
            MessageProducer p = s.createProducer(q);
            byte[] body = new byte[8 * 1024 * 1024];
            new Random(13).nextBytes(body);
            for (int i = 0; i < 3; i++) {
                BytesMessage m = s.createBytesMessage();
                m.writeBytes(body);
                m.setIntProperty("i", i);
                p.send(m, DeliveryMode.NON_PERSISTENT, 4, 0);
            }
            MessageConsumer mc = s.createConsumer(q);
            for (int i = 0; i < 3; i++) {
                Message m = mc.receive(20_000);
                check(m instanceof BytesMessage, "8 MiB message " + i + " not received over TLS");
                BytesMessage b = (BytesMessage) m;
                eq((long) body.length, b.getBodyLength(), "body length");
                byte[] got = new byte[body.length];
                b.readBytes(got);
                check(java.util.Arrays.equals(body, got), "8 MiB body " + i + " differs after TLS");
                eq(i, b.getIntProperty("i"), "order");
            }
        } finally {
            c.close();
        }
    }

    /** Many small messages pushed to an asynchronous listener: TLS records hold several frames. */
    static void manyMessages() throws Exception {
        Connection c = cf(PORT, false).createConnection();
        try {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("it.tls.many." + RUN);
            int n = 2000;
            CountDownLatch done = new CountDownLatch(n);
            AtomicInteger next = new AtomicInteger();
            AtomicInteger wrong = new AtomicInteger();
            s.createConsumer(q).setMessageListener(m -> {
                try {
                    if (((TextMessage) m).getText().equals("m" + next.getAndIncrement())) done.countDown();
                    else wrong.incrementAndGet();
                } catch (JMSException e) {
                    wrong.incrementAndGet();
                }
            });
            Session ps = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            MessageProducer p = ps.createProducer(q);
            for (int i = 0; i < n; i++) p.send(ps.createTextMessage("m" + i), DeliveryMode.NON_PERSISTENT, 4, 0);
            check(done.await(30, TimeUnit.SECONDS), "only " + (n - done.getCount()) + " of " + n + " arrived");
            eq(0, wrong.get(), "messages out of order or unreadable");
        } finally {
            c.close();
        }
    }

    /** needClientAuth=true: no certificate, no connection; the CA's client certificate gets in,
     * and the broker logs the refused handshake. */
    static void clientCertRequired() throws Exception {
        boolean refused = false;
        try {
            Connection c = cf(PORT2, false).createConnection();
            c.start();
            c.close();
        } catch (JMSException e) {
            refused = true;
            log("without a client certificate: " + e);
        }
        check(refused, "a client without a certificate got in with needClientAuth=true");
        Connection c = cf(PORT2, true).createConnection();
        try {
            c.start();
            roundTrip(c, "with-client-cert");
        } finally {
            c.close();
        }
        String log = new String(Files.readAllBytes(Paths.get(LOG)));
        check(log.contains("TLS handshake failed"), "the refused handshake was not logged");
    }

    /** A plain OpenWire client on the TLS port gets no service and is closed; the broker stays up. */
    static void plainOnTlsPort() throws Exception {
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + PORT + "?connectionTimeout=3000");
        f.setConnectResponseTimeout(3000);
        boolean failed = false;
        try {
            Connection c = f.createConnection();
            c.start();
            c.close();
        } catch (JMSException e) {
            failed = true;
            log("plain client on the TLS port: " + e);
        }
        check(failed, "a plain OpenWire client was served on the TLS port");
        textRoundTrip();
    }

    /** Random bytes end the connection at once; a silent one is closed by the 2 s handshake deadline. */
    static void garbageAndSilence() throws Exception {
        try (RawWire junk = new RawWire(PORT, 1 << 20); RawWire silent = new RawWire(PORT, 1 << 20)) {
            byte[] b = new byte[4096];
            new Random(5).nextBytes(b);
            junk.send(b);
            check(junk.waitClosed(3000) == null, "random bytes on the TLS port did not close the connection");
            long t0 = System.currentTimeMillis();
            check(silent.waitClosed(6000) == null, "a silent TLS connection was not closed by the handshake deadline");
            log("silent TLS connection closed after " + (System.currentTimeMillis() - t0) + " ms");
        }
        textRoundTrip();
    }

    /** auto+ssl://: TLS first, then the protocol is told from the client's first bytes. */
    static void autoSsl() throws Exception {
        Connection c = cf(PORT3, false).createConnection();
        try {
            c.start();
            roundTrip(c, "auto-ssl");
        } finally {
            c.close();
        }
    }

    /** The subject of the certificate the broker presents now, as Java names it (RFC 2253). */
    static String presented() throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(Paths.get(PKI, "trust.p12"))) {
            ks.load(in, "secret".toCharArray());
        }
        javax.net.ssl.TrustManagerFactory tmf =
                javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (javax.net.ssl.SSLSocket sock = (javax.net.ssl.SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", PORT)) {
            sock.startHandshake();
            return ((java.security.cert.X509Certificate) sock.getSession().getPeerCertificates()[0])
                    .getSubjectX500Principal().getName();
        }
    }

    static void sighup() throws Exception {
        check(!PID.isEmpty(), "it.pid is not set");
        eq(0, new ProcessBuilder("kill", "-HUP", PID).inheritIO().start().waitFor(), "kill -HUP");
    }

    /**
     * Renewed certificate files and SIGHUP: new connections get the new certificate, a connection
     * open across it keeps working, the broker keeps running; a broken key file and SIGHUP keep
     * the certificate in use and say so in the log.
     */
    static void reloadOnSighup() throws Exception {
        check(!presented().contains("reloaded"), "the first certificate is not the one presented");
        Connection c = cf(PORT, false).createConnection();
        c.start();
        java.nio.file.Path cert = Paths.get(PKI, "broker.pem"), key = Paths.get(PKI, "broker.key");
        try {
            Files.copy(Paths.get(PKI, "broker2.pem"), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(Paths.get(PKI, "broker2.key"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            sighup();
            long deadline = System.nanoTime() + 5_000_000_000L;
            String now;
            while (!(now = presented()).contains("O=reloaded")) {
                check(System.nanoTime() < deadline, "still presenting " + now + " 5 s after SIGHUP");
                Thread.sleep(100);
            }
            roundTrip(c, "across-reload");
            Files.write(key, "not a key".getBytes("UTF-8"));
            sighup();
            Thread.sleep(500);
            check(presented().contains("O=reloaded"), "a broken reload changed the certificate");
            String log = new String(Files.readAllBytes(Paths.get(LOG)));
            check(log.contains("certificates not reloaded, the previous ones stay"), "the broken reload was not logged");
            Connection d = cf(PORT, false).createConnection();
            d.start();
            roundTrip(d, "after-broken-reload");
            d.close();
        } finally {
            Files.copy(Paths.get(PKI, "broker2.key"), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            c.close();
        }
    }

    /**
     * jaasCertificateAuthenticationPlugin (port it.port4, wantClientAuth): the client certificate's
     * DN, as Java prints it, names the user "app" of users.properties; the user's groups
     * authorize; JMSXUserID is that user; a certificate nobody listed, or none, is refused with
     * ActiveMQ's texts.
     */
    static void certificateLogin() throws Exception {
        certificateLogin(PORT4);
    }

    /**
     * jaasDualAuthenticationPlugin: on its TLS connector (it.port5) exactly the certificate
     * login above; on its plain one (it.port6) passwords (app/apppw), a certificate unused.
     */
    static void dualLogin() throws Exception {
        certificateLogin(PORT5);
        ActiveMQConnectionFactory f = new ActiveMQConnectionFactory("tcp://127.0.0.1:" + PORT6);
        f.setConnectResponseTimeout(5000);
        Connection c = f.createConnection("app", "apppw");
        try {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("APP.DUAL." + RUN);
            s.createProducer(q).send(s.createTextMessage("by password"));
            check(s.createConsumer(q).receive(10_000) != null, "app's message on the plain connector");
        } finally {
            c.close();
        }
        javax.jms.JMSSecurityException e = Suite.expectThrows(javax.jms.JMSSecurityException.class,
                "a wrong password on the plain connector", () -> {
                    Connection x = f.createConnection("app", "wrong");
                    try { x.start(); } finally { x.close(); }
                });
        eq("User name [app] or password is invalid.", e.getMessage(), "plain refusal");
    }

    static void certificateLogin(int port) throws Exception {
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(Paths.get(PKI, "client.p12"))) {
            ks.load(in, "secret".toCharArray());
        }
        String dn = ((java.security.cert.X509Certificate) ks.getCertificate("client")).getSubjectDN().getName();
        eq("O=hermod tests, CN=jms client", dn, "the client certificate's DN as Java prints it (run.sh's users.properties)");
        Connection c = cf(port, "client").createConnection();
        try {
            c.start();
            Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue q = s.createQueue("APP.CERT." + RUN);
            MessageConsumer k = s.createConsumer(q);
            s.createProducer(q).send(s.createTextMessage("by certificate"));
            Message m = k.receive(10_000);
            check(m != null, "the certificate user's message did not come back");
            eq("app", m.getStringProperty("JMSXUserID"), "JMSXUserID of a certificate user");
            javax.jms.JMSSecurityException e = Suite.expectThrows(javax.jms.JMSSecurityException.class,
                    "app's producer outside APP.>", () -> s.createProducer(s.createQueue("OTHER.Q")));
            // ActiveMQ names a certificate user by its DN in refusals (JMSXUserID is the user)
            eq("User O=hermod tests, CN=jms client is not authorized to write to: queue://OTHER.Q",
                    e.getMessage(), "refusal text");
        } finally {
            c.close();
        }
        javax.jms.JMSSecurityException e = Suite.expectThrows(javax.jms.JMSSecurityException.class,
                "an unlisted certificate", () -> {
                    Connection x = cf(port, "stranger").createConnection();
                    try { x.start(); } finally { x.close(); }
                });
        eq("User name [null] or password is invalid. No user for client certificate: CN=stranger", e.getMessage(),
                "unlisted certificate");
        e = Suite.expectThrows(javax.jms.JMSSecurityException.class, "no certificate", () -> {
            Connection x = cf(port, (String) null).createConnection();
            try { x.start(); } finally { x.close(); }
        });
        eq("Unable to authenticate transport without SSL certificate.", e.getMessage(), "no certificate");
    }
}
