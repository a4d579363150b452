package org.cvmagent.agent.config;

import java.time.Duration;

/**
 * Durations as kata's options and our CLI write them: whole seconds ({@code 3}) or a number with
 * {@code ms} or {@code s} ({@code 500ms}, {@code 30s}).
 */
public final class DurationText {

    private DurationText() {
    }

    /** @throws IllegalArgumentException the text is not such a duration */
    public static Duration parse(String text) {
        String v = text.trim();
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
            }
            return Duration.ofSeconds(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (e.g. 3, 500ms, 30s)");
        }
    }
}
