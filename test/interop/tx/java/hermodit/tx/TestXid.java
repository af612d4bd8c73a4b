package hermodit.tx;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.transaction.xa.Xid;

/**
 * The tests' own Xid, as a transaction manager would have one: the broker must hand back the
 * same format id and the same global-transaction and branch bytes from recover(), whatever
 * class the client uses for them.
 */
public final class TestXid implements Xid {
    private final int format;
    private final byte[] gtrid;
    private final byte[] bqual;

    public TestXid(int format, String gtrid, String bqual) {
        this.format = format;
        this.gtrid = gtrid.getBytes(StandardCharsets.UTF_8);
        this.bqual = bqual.getBytes(StandardCharsets.UTF_8);
    }

    @Override public int getFormatId() { return format; }
    @Override public byte[] getGlobalTransactionId() { return gtrid.clone(); }
    @Override public byte[] getBranchQualifier() { return bqual.clone(); }

    /** Same transaction branch, whatever the Xid class. */
    public static boolean same(Xid a, Xid b) {
        return a.getFormatId() == b.getFormatId()
                && Arrays.equals(a.getGlobalTransactionId(), b.getGlobalTransactionId())
                && Arrays.equals(a.getBranchQualifier(), b.getBranchQualifier());
    }

    public static String show(Xid x) {
        return x.getFormatId() + ":" + new String(x.getGlobalTransactionId(), StandardCharsets.UTF_8)
                + ":" + new String(x.getBranchQualifier(), StandardCharsets.UTF_8);
    }

    @Override public boolean equals(Object o) { return o instanceof Xid && same(this, (Xid) o); }
    @Override public int hashCode() { return format * 31 + Arrays.hashCode(gtrid) * 17 + Arrays.hashCode(bqual); }
    @Override public String toString() { return show(this); }
}
