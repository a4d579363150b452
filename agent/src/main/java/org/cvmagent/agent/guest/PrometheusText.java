package org.cvmagent.agent.guest;

/**
 * Prometheus text exposition format 0.0.4: each family's HELP and TYPE lines, then its samples,
 * label values escaped as the format requires.
 */
final class PrometheusText {
    private final StringBuilder out = new StringBuilder();

    /** One metric family; samples must be added before the next family starts. */
    final class Family {
        private final String name;

        private Family(String name) {
            this.name = name;
        }

        /** @param labels name, value, name, value… */
        Family sample(double value, String... labels) {
            out.append(name);
            if (labels.length > 0) {
                out.append('{');
                for (int i = 0; i + 1 < labels.length; i += 2) {
                    if (i > 0) {
                        out.append(',');
                    }
                    out.append(labels[i]).append("=\"");
                    escape(labels[i + 1]);
                    out.append('"');
                }
                out.append('}');
            }
            out.append(' ').append(number(value)).append('\n');
            return this;
        }
    }

    Family gauge(String name, String help) {
        return family(name, help, "gauge");
    }

    Family counter(String name, String help) {
        return family(name, help, "counter");
    }

    private Family family(String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n')
                .append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return new Family(name);
    }

    private void escape(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
