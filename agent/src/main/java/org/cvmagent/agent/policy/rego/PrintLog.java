package org.cvmagent.agent.policy.rego;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;

/**
 * The print() output of one query. Policies print large documents on every request while the
 * output is read only when a request is denied, so lines keep their (immutable) values and are
 * formatted when first read.
 */
final class PrintLog extends AbstractList<String> {
    /** Per line, per argument: its one value, or null where {@link #texts} holds the text. */
    private final List<Value[]> args = new ArrayList<>();
    /** Per line: null when every argument had one value, else the text of those that had none or several. */
    private final List<String[]> texts = new ArrayList<>();
    private final List<String> formatted = new ArrayList<>();

    /**
     * Adds one print() line. values[i] is argument i's value when it had exactly one; otherwise
     * values[i] is null and others[i] lists its values (none when undefined). others is null when
     * every argument had one value.
     */
    void add(Value[] values, List<Value>[] others) {
        String[] text = null;
        if (others != null) {
            text = new String[values.length];
            for (int i = 0; i < values.length; i++) {
                List<Value> vs = others[i];
                if (values[i] == null) {
                    List<String> parts = new ArrayList<>();
                    vs.forEach(v -> parts.add(Values.toDisplay(v)));
                    text[i] = vs.isEmpty() ? "<undefined>" : String.join(" ", parts);
                }
            }
        }
        args.add(values);
        texts.add(text);
        formatted.add(null);
    }

    @Override
    public synchronized String get(int index) {
        String s = formatted.get(index);
        if (s == null) {
            StringBuilder sb = new StringBuilder();
            Value[] flat = args.get(index);
            String[] text = texts.get(index);
            for (int i = 0; i < flat.length; i++) {
                if (i > 0) {
                    sb.append(' ');
                }
                sb.append(flat[i] != null ? Values.toDisplay(flat[i]) : text[i]);
            }
            s = sb.toString();
            formatted.set(index, s);
        }
        return s;
    }

    @Override
    public synchronized int size() {
        return formatted.size();
    }
}
