package hermodit.tx;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP relay between one client and the broker whose sockets can be reset at once.
 * Why: "the client's socket died" must look to the broker like a real network failure (an RST,
 * no OpenWire goodbye), which the JMS client itself never produces.
 */
public final class KillableProxy implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    public KillableProxy(int listenPort, int brokerPort) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Socket c = server.accept();
                    Socket b = new Socket(InetAddress.getLoopbackAddress(), brokerPort);
                    c.setTcpNoDelay(true);
                    b.setTcpNoDelay(true);
                    sockets.add(c);
                    sockets.add(b);
                    pump(c, b);
                    pump(b, c);
                }
            } catch (IOException e) {
                // server closed
            }
        }, "proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    private static void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[65536];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side went away
            }
            try { to.shutdownOutput(); } catch (IOException e) { /* gone */ }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Resets every relayed connection (SO_LINGER 0 then close sends an RST both ways). */
    public void killAll() {
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException e) {
                // already closed
            }
        }
        sockets.clear();
    }

    @Override public void close() {
        killAll();
        try { server.close(); } catch (IOException e) { /* closed */ }
    }
}
