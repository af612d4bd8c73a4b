package hermodit;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.activemq.openwire.OpenWireFormat;
import org.apache.activemq.util.ByteSequence;

/**
 * One raw TCP connection speaking hand-made OpenWire, for the suites that attack the broker
 * (hostile, limits).
 *
 * OpenWire facts used (ActiveMQ's OpenWireFormat, loose encoding): a frame is a big-endian int
 * size (bytes after the size) then a type byte then the body; WireFormatInfo (type 1) is the
 * 8-byte magic "ActiveMQ", an int version and a byte sequence (boolean present, int length,
 * bytes) holding a primitive map of options; negotiated booleans are the AND of both sides, so
 * sending TightEncodingEnabled=false and CacheEnabled=false makes everything after it loose and
 * uncached, which is also the format before the handshake.  Valid commands are marshalled with
 * the client library's OpenWireFormat (loose, version 12).
 */
public final class RawWire implements Closeable {
    public static final int RESPONSE = 30, EXCEPTION_RESPONSE = 31, WIREFORMAT_INFO = 1;

    public final Socket sock = new Socket();
    public final DataInputStream in;
    public final OutputStream out;
    public boolean writeRefused;  // the broker closed while we were still writing
    private final int maxFrame;
    private final OpenWireFormat wf = new OpenWireFormat(12);

    public RawWire(int port, int maxFrame) throws IOException {
        this.maxFrame = maxFrame;
        sock.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        sock.setSoTimeout(5000);
        sock.setTcpNoDelay(true);
        in = new DataInputStream(sock.getInputStream());
        out = sock.getOutputStream();
    }

    /** Writes bytes; a reset/broken pipe (the broker closing on us) is remembered, not thrown. */
    public void send(byte[] b) {
        try {
            out.write(b);
            out.flush();
        } catch (IOException e) {
            writeRefused = true;
            Suite.log("write ended by the broker: " + e.getMessage());
        }
    }

    /** Marshals a command with the client's own OpenWireFormat (loose, uncached, v12) and sends it. */
    public void sendCommand(Object cmd) throws IOException {
        ByteSequence bs = wf.marshal(cmd);
        send(Arrays.copyOfRange(bs.data, bs.offset, bs.offset + bs.length));
    }

    /** Reads one size-prefixed frame and returns type byte + body. */
    public byte[] readFrame() throws IOException {
        int size = in.readInt();
        Suite.check(size > 0 && size <= maxFrame, "frame size from the broker out of range: " + size);
        byte[] b = new byte[size];
        in.readFully(b);
        return b;
    }

    /** Reads frames until a Response or ExceptionResponse; returns its type. */
    public int readResponse() throws IOException {
        while (true) {
            byte[] f = readFrame();
            if (f[0] == RESPONSE || f[0] == EXCEPTION_RESPONSE) return f[0];
        }
    }

    /** Reads the broker's WireFormatInfo (it speaks first) and answers with ours: loose, no cache. */
    public void handshake() throws IOException {
        handshake(30_000, 10_000);
    }

    public void handshake(long maxInactivity, long initialDelay) throws IOException {
        byte[] f = readFrame();
        Suite.eq(WIREFORMAT_INFO, (int) f[0], "type of the broker's first frame (WireFormatInfo)");
        Suite.eq("ActiveMQ", new String(f, 1, 8, StandardCharsets.US_ASCII), "WireFormatInfo magic");
        send(wireFormatInfo(maxInactivity, initialDelay));
    }

    /** Still open: nothing (or data) arrives within ms, no end of stream. */
    public boolean openAfter(long ms) {
        return waitClosed(ms) != null;
    }

    /**
     * Waits until the broker closes this connection: null if it did within ms, otherwise
     * what was seen instead. Everything the broker sends meanwhile is read and dropped.
     */
    public String waitClosed(long ms) {
        long end = System.currentTimeMillis() + ms;
        byte[] buf = new byte[65536];
        long got = 0;
        try {
            while (true) {
                long left = end - System.currentTimeMillis();
                if (left <= 0) return "still open after " + ms + " ms (" + got + " bytes received)";
                sock.setSoTimeout((int) Math.max(1, left));
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                if (n < 0) return null;
                got += n;
            }
        } catch (SocketException e) {
            return null;  // reset by the broker: closed
        } catch (IOException e) {
            return null;
        }
    }

    /** Ends the connection with a TCP reset instead of a FIN. */
    public void reset() {
        try {
            sock.setSoLinger(true, 0);
        } catch (IOException e) { /* closing anyway */ }
        close();
    }

    @Override
    public void close() {
        try { sock.close(); } catch (IOException e) { /* already gone */ }
    }

    public static byte[] frame(byte[] typeAndBody) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(b);
        d.writeInt(typeAndBody.length);
        d.write(typeAndBody);
        return b.toByteArray();
    }

    /** WireFormatInfo, loose encoding, options as a hand-written primitive map. */
    public static byte[] wireFormatInfo(long maxInactivity, long initialDelay) throws IOException {
        ByteArrayOutputStream pb = new ByteArrayOutputStream();
        DataOutputStream p = new DataOutputStream(pb);
        p.writeInt(8);
        boolOpt(p, "TightEncodingEnabled", false);
        boolOpt(p, "CacheEnabled", false);
        boolOpt(p, "SizePrefixDisabled", false);
        boolOpt(p, "TcpNoDelayEnabled", true);
        boolOpt(p, "StackTraceEnabled", false);
        longOpt(p, "MaxInactivityDuration", maxInactivity);
        longOpt(p, "MaxInactivityDurationInitalDelay", initialDelay);
        longOpt(p, "MaxFrameSize", 100L * 1024 * 1024);
        ByteArrayOutputStream bb = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bb);
        d.writeByte(WIREFORMAT_INFO);
        d.write("ActiveMQ".getBytes(StandardCharsets.US_ASCII));
        d.writeInt(12);                                       // version
        d.writeBoolean(true);                                 // properties present
        d.writeInt(pb.size());
        d.write(pb.toByteArray());
        return frame(bb.toByteArray());
    }

    private static void boolOpt(DataOutputStream p, String k, boolean v) throws IOException {
        p.writeUTF(k);
        p.writeByte(1);  // BOOLEAN_TYPE
        p.writeBoolean(v);
    }

    private static void longOpt(DataOutputStream p, String k, long v) throws IOException {
        p.writeUTF(k);
        p.writeByte(6);  // LONG_TYPE
        p.writeLong(v);
    }
}
