// SelEval — evaluates selectors over messages with ActiveMQ's own SelectorParser and filter
// classes, for the differential suite (run.sh).  Same input and output format as
// selectors_eval_tool.c (see cases.md).  Each result is BooleanExpression.evaluate(): TRUE,
// FALSE, NULL, or ERROR when it throws, then ':' and matches(): T, F, or E when it throws.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.command.ActiveMQTextMessage;
import org.apache.activemq.command.Message;
import org.apache.activemq.command.MessageId;
import org.apache.activemq.filter.BooleanExpression;
import org.apache.activemq.filter.MessageEvaluationContext;
import org.apache.activemq.selector.SelectorParser;

public class SelEval {
    static String unhex(String h) {
        if (h.equals("-")) return "";
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return new String(b, StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 20);
        List<Message> msgs = new ArrayList<>();
        Message cur = null;
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split(" ");
            if (f.length == 0 || f[0].isEmpty()) continue;
            switch (f[0]) {
            case "MSG":
                if (f.length > 3 && f[2].equals("text")) {
                    ActiveMQTextMessage t = new ActiveMQTextMessage();
                    t.setText(unhex(f[3]));
                    cur = t;
                } else {
                    cur = new ActiveMQMessage();
                }
                msgs.add(cur);
                break;
            case "P": {
                String v = f.length > 3 ? f[3] : "-";
                Object o;
                switch (f[2]) {
                case "bool": o = Boolean.valueOf(v.equals("true")); break;
                case "byte": o = Byte.valueOf(v); break;
                case "short": o = Short.valueOf(v); break;
                case "int": o = Integer.valueOf(v); break;
                case "long": o = Long.valueOf(v); break;
                case "float": o = Float.intBitsToFloat((int) Long.parseLong(v, 16)); break;
                case "double": o = Double.longBitsToDouble(Long.parseUnsignedLong(v, 16)); break;
                default: o = unhex(v); break;
                }
                cur.setProperty(f[1], o);
                break;
            }
            case "H": {
                String v = f.length > 2 ? f[2] : "-";
                switch (f[1]) {
                case "persistent": cur.setPersistent(v.equals("true")); break;
                case "priority": cur.setPriority((byte) Integer.parseInt(v)); break;
                case "redelivery": cur.setRedeliveryCounter(Integer.parseInt(v)); break;
                case "groupSeq": cur.setGroupSequence(Integer.parseInt(v)); break;
                case "timestamp": cur.setTimestamp(Long.parseLong(v)); break;
                case "expiration": cur.setExpiration(Long.parseLong(v)); break;
                case "messageId": cur.setMessageId(new MessageId(unhex(v))); break;
                case "correlationId": cur.setCorrelationId(unhex(v)); break;
                case "type": cur.setType(unhex(v)); break;
                case "groupId": cur.setGroupID(unhex(v)); break;
                default: break;
                }
                break;
            }
            case "SEL": {
                String sel = unhex(f[1]);
                BooleanExpression e;
                try {
                    // its LRU cache is keyed by the text without the convert_string_expressions:
                    // prefix, which would leak that mode into a later plain selector
                    SelectorParser.clearCache();
                    e = SelectorParser.parse(sel);
                } catch (Throwable t) {
                    out.append(f[2]).append(" INVALID\n");
                    break;
                }
                out.append(f[2]);
                for (Message m : msgs) {
                    MessageEvaluationContext ctx = new MessageEvaluationContext();
                    ctx.setMessageReference(m);
                    String r;
                    try {
                        Object v = e.evaluate(ctx);
                        r = v == null ? "NULL" : v == Boolean.TRUE ? "TRUE" : v == Boolean.FALSE ? "FALSE" : "WEIRD:" + v;
                    } catch (Throwable t) {
                        r = "ERROR";
                    }
                    char mv;
                    try {
                        mv = e.matches(ctx) ? 'T' : 'F';
                    } catch (Throwable t) {
                        mv = 'E';
                    }
                    r = r + ":" + mv;
                    out.append(' ').append(r);
                }
                out.append('\n');
                break;
            }
            case "FMTD":
                out.append(f[2]).append(' ').append(Double.toString(Double.longBitsToDouble(Long.parseUnsignedLong(f[1], 16)))).append('\n');
                break;
            case "FMTF":
                out.append(f[2]).append(' ').append(Float.toString(Float.intBitsToFloat((int) Long.parseLong(f[1], 16)))).append('\n');
                break;
            default:
                break;
            }
            if (out.length() > 1 << 16) { System.out.print(out); out.setLength(0); }
        }
        System.out.print(out);
        System.out.flush();
    }
}
