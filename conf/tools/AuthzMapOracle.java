import org.apache.activemq.security.*;
import org.apache.activemq.filter.DestinationMapEntry;
import org.apache.activemq.command.*;
import java.util.*;
/* The oracle behind test/unit/conf_test.c's activemq_acls table: entry i (1-based) of the
 * queue patterns grants read to group "g<i>"; prints the groups ActiveMQ's
 * DefaultAuthorizationMap grants for each destination.
 *   java -cp <activemq jars incl. activemq-jaas>:. AuthzMapOracle q:PATTERN... -- q:NAME... */
public class AuthzMapOracle {
  public static void main(String[] a) throws Exception {
    int sep = Arrays.asList(a).indexOf("--");
    List<DestinationMapEntry> entries = new ArrayList<>();
    for (int k = 0; k < sep; k++) {
      AuthorizationEntry e = new AuthorizationEntry();
      e.setQueue(a[k].substring(2));
      e.setRead("g" + (k + 1));
      entries.add(e);
    }
    DefaultAuthorizationMap m = new DefaultAuthorizationMap(entries);
    for (int i = sep + 1; i < a.length; i++) {
      Set<Object> acl = m.getReadACLs(new ActiveMQQueue(a[i].substring(2)));
      TreeSet<String> names = new TreeSet<>();
      for (Object o : acl) names.add(((java.security.Principal) o).getName());
      System.out.println(a[i] + " " + String.join(",", names));
    }
  }
}
