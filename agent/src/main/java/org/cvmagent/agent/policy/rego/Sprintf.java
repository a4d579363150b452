package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * sprintf: Go-style verbs v s d f e g x X o b q t and % with flags, width, precision, where regorus
 * (which kata runs) agrees with Go; where it does not, regorus's answer: a verb without an argument
 * is an error (Go prints "%!d(MISSING)"), %f without a precision prints the number as it is (Go
 * pads to six decimals), and %o prefixes "0O" (Go prints bare octal digits).
 */
final class Sprintf {
    private Sprintf() {
    }

    static String format(String fmt, Value.Arr args) throws RegoException {
        StringBuilder out = new StringBuilder();
        int argi = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                out.append(c);
                continue;
            }
            int j = i + 1;
            StringBuilder flags = new StringBuilder();
            while (j < fmt.length() && "+-# 0".indexOf(fmt.charAt(j)) >= 0) {
                flags.append(fmt.charAt(j++));
            }
            int width = -1;
            int ws = j;
            while (j < fmt.length() && Character.isDigit(fmt.charAt(j))) {
                j++;
            }
            if (j > ws) {
                width = Integer.parseInt(fmt.substring(ws, j));
            }
            int prec = -1;
            if (j < fmt.length() && fmt.charAt(j) == '.') {
                j++;
                int ps = j;
                while (j < fmt.length() && Character.isDigit(fmt.charAt(j))) {
                    j++;
                }
                prec = j > ps ? Integer.parseInt(fmt.substring(ps, j)) : 0;
            }
            if (j >= fmt.length()) {
                out.append("%!(NOVERB)");
                break;
            }
            char verb = fmt.charAt(j);
            i = j;
            if (verb == '%') {
                out.append('%');
                continue;
            }
            if (argi >= args.items().size()) {
                throw new BuiltinError("eval_builtin_error: sprintf: no argument specified for format verb " + argi);
            }
            Value v = args.items().get(argi++);
            out.append(pad(one(verb, v, prec, flags.toString()), width, flags.toString()));
        }
        if (argi < args.items().size()) {
            out.append("%!(EXTRA ");
            for (int k = argi; k < args.items().size(); k++) {
                Value v = args.items().get(k);
                if (k > argi) {
                    out.append(", ");
                }
                out.append(Values.typeName(v)).append('=').append(Values.toDisplay(v));
            }
            out.append(')');
        }
        return out.toString();
    }

    private static String pad(String s, int width, String flags) {
        if (width < 0 || s.length() >= width) {
            return s;
        }
        String fill = " ".repeat(width - s.length());
        if (flags.contains("-")) {
            return s + fill;
        }
        if (flags.contains("0")) {
            boolean neg = s.startsWith("-");
            String digits = neg ? s.substring(1) : s;
            return (neg ? "-" : "") + "0".repeat(width - s.length()) + digits;
        }
        return fill + s;
    }

    private static String one(char verb, Value v, int prec, String flags) {
        if (v instanceof Value.Num n) {
            BigDecimal d = n.value();
            String sign = flags.contains("+") && d.signum() >= 0 ? "+" : "";
            switch (verb) {
                case 'd':
                    if (Values.isInteger(d)) {
                        return sign + d.toBigIntegerExact();
                    }
                    return "%!d(float64=" + Values.numberText(d) + ")";
                case 'f':
                case 'F':
                    return sign + (prec < 0 ? Values.numberText(d) : d.setScale(prec, RoundingMode.HALF_EVEN).toPlainString());
                case 'e':
                    return sign + String.format(Locale.ROOT, "%." + (prec < 0 ? 6 : prec) + "e", d);
                case 'g':
                    return sign + Values.numberText(d);
                case 'x':
                case 'X':
                case 'o':
                case 'b':
                    if (Values.isInteger(d)) {
                        String s = d.toBigIntegerExact().toString(verb == 'o' ? 8 : verb == 'b' ? 2 : 16);
                        return verb == 'X' ? s.toUpperCase(Locale.ROOT) : verb == 'o' ? "0O" + s : s;
                    }
                    return Values.numberText(d);
                case 'v':
                case 's':
                    return sign + Values.numberText(d);
                default:
                    return "%!" + verb + "(number=" + Values.numberText(d) + ")";
            }
        }
        if (v instanceof Value.Str s) {
            return switch (verb) {
                case 'q' -> {
                    StringBuilder sb = new StringBuilder();
                    Values.quote(sb, s.value());
                    yield sb.toString();
                }
                case 'x' -> hex(s.value(), false);
                case 'X' -> hex(s.value(), true);
                case 's', 'v' -> prec >= 0 && prec < s.value().length() ? s.value().substring(0, prec) : s.value();
                default -> "%!" + verb + "(string=" + s.value() + ")";
            };
        }
        return Values.toDisplay(v);
    }

    private static String hex(String s, boolean upper) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            sb.append(String.format(upper ? "%02X" : "%02x", b));
        }
        return sb.toString();
    }
}
