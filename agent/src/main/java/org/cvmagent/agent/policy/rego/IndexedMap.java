package org.cvmagent.agent.policy.rego;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The sorted map of an object value that is looked up far more often than it is built (the input
 * document, folded constants such as genpolicy's policy_data): iteration stays sorted as OPA needs,
 * while get of a string key answers from a hash index built on first use. Filled once, then only
 * ever read through {@link Values#obj}'s unmodifiable view.
 */
final class IndexedMap extends TreeMap<Value, Value> {
    /** Below this size a tree lookup costs no more than hashing the key. */
    private static final int MIN_INDEXED = 8;

    /** Built on first lookup; an immutable map (final fields), so a racy publication is safe. */
    private Map<String, Value> index;

    @Override
    public Value get(Object key) {
        if (key instanceof Value.Str s && size() >= MIN_INDEXED) {
            Map<String, Value> ix = index;
            if (ix == null) {
                ix = buildIndex();
            }
            return ix.get(s.value());
        }
        return super.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return get(key) != null; // values are never null
    }

    private Map<String, Value> buildIndex() {
        Map<String, Value> m = new HashMap<>();
        for (Map.Entry<Value, Value> e : entrySet()) {
            if (e.getKey() instanceof Value.Str k) {
                m.put(k.value(), e.getValue());
            }
        }
        Map<String, Value> ix = Map.copyOf(m);
        index = ix;
        return ix;
    }
}
