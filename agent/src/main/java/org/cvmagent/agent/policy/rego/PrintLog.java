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
    /** One print() line; formatted when first read (under the log's lock). */
    private static final class Line {
        /** Per argument: its one value, or null where {@link #texts} holds the text. */
        final Value[] values;
        /** Null when every argument had one value, else the text of those that had none or several. */
        final String[] texts;
        String formatted;

        Line(Value[] values, String[] texts) {
            this.values = values;
            this.texts = texts;
        }
    }

    private final List<Line> lines = new ArrayList<>();

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
        lines.add(new Line(values, text));
    }

    @Override
    public synchronized String get(int index) {
        Line line = lines.get(index);
        if (line.formatted == null) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < line.values.length; i++) {
                if (i > 0) {
                    sb.append(' ');
                }
                sb.append(line.values[i] != null ? Values.toDisplay(line.values[i]) : line.texts[i]);
            }
            line.formatted = sb.toString();
        }
        return line.formatted;
    }

    @Override
    public synchronized int size() {
        return lines.size();
    }
}
