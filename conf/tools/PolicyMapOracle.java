import org.apache.activemq.broker.region.policy.*;
import org.apache.activemq.command.*;
import java.util.*;
/* The oracle behind test/unit/conf_test.c's activemq_choices table: asks ActiveMQ's own
 * PolicyMap which entry applies to a destination.
 *   java -cp <activemq jars>:. PolicyMapOracle q:PATTERN... -- q:NAME...
 * prints "q:NAME i j ..." for each query: every answer (1-based entry; 0 = none) given over
 * 40 fresh maps with shuffled entries.  One answer: ActiveMQ is deterministic there and
 * hermod must agree; several: ActiveMQ's choice depends on hash order.  See policy_golden.py. */
public class PolicyMapOracle {
  public static void main(String[] a) throws Exception {
    int sep = Arrays.asList(a).indexOf("--");
    for (int i = sep + 1; i < a.length; i++) {
      TreeSet<Integer> answers = new TreeSet<>();
      for (int rep = 0; rep < 40; rep++) {
        List<PolicyEntry> entries = new ArrayList<>();
        for (int k = 0; k < sep; k++) {
          PolicyEntry e = new PolicyEntry();
          if (a[k].startsWith("q:")) e.setQueue(a[k].substring(2)); else e.setTopic(a[k].substring(2));
          e.setMaxPageSize(k + 1);
          entries.add(e);
        }
        Collections.shuffle(entries);
        PolicyMap pm = new PolicyMap();
        pm.setPolicyEntries((List) entries);
        ActiveMQDestination d = a[i].startsWith("q:") ? new ActiveMQQueue(a[i].substring(2)) : new ActiveMQTopic(a[i].substring(2));
        PolicyEntry e = pm.getEntryFor(d);
        answers.add(e == null ? 0 : e.getMaxPageSize());
      }
      StringBuilder sb = new StringBuilder(a[i]);
      for (int x : answers) sb.append(' ').append(x);
      System.out.println(sb);
    }
  }
}
