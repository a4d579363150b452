package org.cvmagent.agent.policy.rego;

/** trace and glob.quote_meta. */
final class MiscBuiltins {
    private MiscBuiltins() {
    }

    static void register(Builtins b) {
        // OPA adds the note to the query's trace, which this engine does not keep; the call itself is true
        b.add("trace", 1, (a, bu) -> {
            Args.str("trace", a, 0);
            return Value.TRUE;
        });
        b.add("glob.quote_meta", 1, (a, bu) -> Value.str(quoteMeta(Args.str("glob.quote_meta", a, 0))));
    }

    /** Escapes the characters glob.match reads specially outside a class or alternative: * ? \ [ ] { } . */
    static String quoteMeta(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("*?\\[]{}".indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
