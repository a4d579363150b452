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
    private final List<List<String>> parts = new ArrayList<>();
    private final List<Value[]> args = new ArrayList<>();
    private final List<String> formatted = new ArrayList<>();

    /** Adds one print() line: per argument, its values (none when undefined). */
    void add(List<List<Value>> argValues) {
        Value[] flat = new Value[argValues.size()];
        List<String> shape = new ArrayList<>(argValues.size());
        for (int i = 0; i < argValues.size(); i++) {
            List<Value> vs = argValues.get(i);
            if (vs.size() == 1) {
                flat[i] = vs.get(0);
                shape.add(null);
            } else {
                List<String> texts = new ArrayList<>();
                vs.forEach(v -> texts.add(Values.toDisplay(v)));
                shape.add(vs.isEmpty() ? "<undefined>" : String.join(" ", texts));
            }
        }
        parts.add(shape);
        args.add(flat);
        formatted.add(null);
    }

    @Override
    public synchronized String get(int index) {
        String s = formatted.get(index);
        if (s == null) {
            StringBuilder sb = new StringBuilder();
            List<String> shape = parts.get(index);
            Value[] flat = args.get(index);
            for (int i = 0; i < flat.length; i++) {
                if (i > 0) {
                    sb.append(' ');
                }
                sb.append(shape.get(i) != null ? shape.get(i) : Values.toDisplay(flat[i]));
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
