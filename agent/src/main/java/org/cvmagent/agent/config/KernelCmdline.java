package org.cvmagent.agent.config;

import java.util.Collections;
import java.util.Set;
import java.util.function.Predicate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel command line split into whitespace-separated parameters: {@code key=value} options
 * and bare flags. A later occurrence of a key wins, as the kernel and kata read it.
 */
public final class KernelCmdline {

    private final Map<String, Optional<String>> params;

    private KernelCmdline(Map<String, Optional<String>> params) {
        this.params = params;
    }

    public static KernelCmdline parse(String cmdline) {
        Map<String, Optional<String>> params = new LinkedHashMap<>();
        for (String token : cmdline.trim().split("\\s+")) {
            if (token.isEmpty()) {
                continue;
            }
            int eq = token.indexOf('=');
            if (eq < 0) {
                params.put(token, Optional.empty());
            } else {
                params.put(token.substring(0, eq), Optional.of(token.substring(eq + 1)));
            }
        }
        return new KernelCmdline(params);
    }

    /** True for a bare flag ({@code agent.devmode}) or a true-ish value ({@code agent.devmode=1}). */
    public boolean flag(String key) {
        Optional<String> value = params.get(key);
        if (value == null) {
            return false;
        }
        return value.isEmpty() || ConfigLoader.kataBool(value.get());
    }

    /** The parameters' names, in the order they first appeared. */
    public Set<String> keys() {
        return Collections.unmodifiableSet(params.keySet());
    }

    /** The parameters whose name {@code keep} accepts, values unchanged. */
    public KernelCmdline filter(Predicate<String> keep) {
        Map<String, Optional<String>> kept = new LinkedHashMap<>();
        params.forEach((key, value) -> {
            if (keep.test(key)) {
                kept.put(key, value);
            }
        });
        return new KernelCmdline(kept);
    }

    public Optional<String> value(String key) {
        Optional<String> value = params.get(key);
        return value == null ? Optional.empty() : value;
    }
}
