package hermodit;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** A Serializable class of the tests' own, carried in ObjectMessages (the broker must treat it as opaque bytes). */
public class Payload implements Serializable {
    private static final long serialVersionUID = 7L;
    public final String name;
    public final int number;
    public final double[] values;
    public final List<String> tags;

    public Payload(String name, int number, double[] values, List<String> tags) {
        this.name = name;
        this.number = number;
        this.values = values;
        this.tags = tags;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Payload)) return false;
        Payload p = (Payload) o;
        return name.equals(p.name) && number == p.number && Arrays.equals(values, p.values) && tags.equals(p.tags);
    }

    @Override
    public int hashCode() { return Objects.hash(name, number, tags); }

    @Override
    public String toString() { return "Payload(" + name + "," + number + "," + Arrays.toString(values) + "," + tags + ")"; }
}
