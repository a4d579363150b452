package org.cvmagent.agent.policy.rego;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** time.* builtins on java.time; timestamps are nanoseconds since the epoch as in OPA. */
final class TimeBuiltins {
    private static final BigInteger BILLION = BigInteger.valueOf(1_000_000_000L);
    private static final Pattern DURATION_PART = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)");

    private TimeBuiltins() {
    }

    static void register(Builtins b) {
        b.add("time.now_ns", 0, (a, bu) -> Value.num(bu.nowEpochNanos()));
        b.add("time.parse_rfc3339_ns", 1, (a, bu) -> {
            try {
                return nanos(OffsetDateTime.parse(Args.str("time.parse_rfc3339_ns", a, 0)).toInstant());
            } catch (DateTimeParseException e) {
                throw new BuiltinError("eval_builtin_error: time.parse_rfc3339_ns: " + e.getMessage(), e);
            }
        });
        b.add("time.parse_duration_ns", 1, (a, bu) -> Value.num(duration(Args.str("time.parse_duration_ns", a, 0))));
        b.add("time.parse_ns", 2, (a, bu) -> {
            String layout = Args.str("time.parse_ns", a, 0);
            String value = Args.str("time.parse_ns", a, 1);
            try {
                var parsed = goLayout(layout).withZone(ZoneOffset.UTC).parse(value);
                java.time.LocalDate date = parsed.query(java.time.temporal.TemporalQueries.localDate());
                boolean dateOnly = date != null && parsed.query(java.time.temporal.TemporalQueries.localTime()) == null;
                // Go reads a layout without clock fields as midnight; java.time wants the time spelled out
                ZonedDateTime z = dateOnly ? date.atStartOfDay(ZoneOffset.UTC)
                        : parsed.isSupported(ChronoField.OFFSET_SECONDS)
                        ? ZonedDateTime.from(parsed) : LocalDateTime.from(parsed).atZone(ZoneOffset.UTC);
                return nanos(z.toInstant());
            } catch (DateTimeException | IllegalArgumentException e) {
                throw new BuiltinError("eval_builtin_error: time.parse_ns: " + e.getMessage(), e);
            }
        });
        b.add("time.format", 1, (a, bu) -> {
            TimeArg t = timeArg("time.format", a.get(0));
            if (t.layout != null) {
                return Value.str(goLayout(t.layout).format(t.time));
            }
            return Value.str(rfc3339Nano(t.time));
        });
        b.add("time.date", 1, (a, bu) -> {
            ZonedDateTime t = timeArg("time.date", a.get(0)).time;
            return Values.arr(List.of(Value.num(t.getYear()), Value.num(t.getMonthValue()), Value.num(t.getDayOfMonth())));
        });
        b.add("time.clock", 1, (a, bu) -> {
            ZonedDateTime t = timeArg("time.clock", a.get(0)).time;
            return Values.arr(List.of(Value.num(t.getHour()), Value.num(t.getMinute()), Value.num(t.getSecond())));
        });
        b.add("time.weekday", 1, (a, bu) -> Value.str(timeArg("time.weekday", a.get(0)).time.getDayOfWeek()
                .getDisplayName(TextStyle.FULL, Locale.ENGLISH)));
        b.add("time.add_date", 4, (a, bu) -> {
            ZonedDateTime t = timeArg("time.add_date", a.get(0)).time;
            long years = Args.integer("time.add_date", a, 1);
            long months = Args.integer("time.add_date", a, 2);
            long days = Args.integer("time.add_date", a, 3);
            // Go normalises out-of-range dates (Jan 31 + 1 month = Mar 3) instead of clamping
            try {
                LocalDate d = LocalDate.of(Math.toIntExact(t.getYear() + years), 1, 1)
                        .plusMonths(t.getMonthValue() - 1 + months).plusDays(t.getDayOfMonth() - 1 + days);
                ZonedDateTime r = ZonedDateTime.of(d, t.toLocalTime(), t.getZone());
                return nanos(r.toInstant());
            } catch (DateTimeException | ArithmeticException e) {
                // OPA (without strict builtin errors) leaves an out-of-range result undefined
                return null;
            }
        });
        b.add("time.diff", 2, (a, bu) -> {
            ZonedDateTime t1 = timeArg("time.diff", a.get(0)).time;
            ZonedDateTime t2 = timeArg("time.diff", a.get(1)).time.withZoneSameInstant(t1.getZone());
            if (t1.isAfter(t2)) {
                ZonedDateTime x = t1;
                t1 = t2;
                t2 = x;
            }
            long year = t2.getYear() - t1.getYear();
            long month = t2.getMonthValue() - t1.getMonthValue();
            long day = t2.getDayOfMonth() - t1.getDayOfMonth();
            long hour = t2.getHour() - t1.getHour();
            long min = t2.getMinute() - t1.getMinute();
            long sec = t2.getSecond() - t1.getSecond();
            if (sec < 0) {
                sec += 60;
                min--;
            }
            if (min < 0) {
                min += 60;
                hour--;
            }
            if (hour < 0) {
                hour += 24;
                day--;
            }
            if (day < 0) {
                day += t1.toLocalDate().lengthOfMonth();
                month--;
            }
            if (month < 0) {
                month += 12;
                year--;
            }
            return Values.arr(List.of(Value.num(year), Value.num(month), Value.num(day), Value.num(hour),
                    Value.num(min), Value.num(sec)));
        });
    }

    private static Value nanos(Instant i) {
        return Value.num(new BigDecimal(BigInteger.valueOf(i.getEpochSecond()).multiply(BILLION)
                .add(BigInteger.valueOf(i.getNano()))));
    }

    /** A time operand: ns, or [ns, timezone] or [ns, timezone, layout]. */
    private record TimeArg(ZonedDateTime time, String layout) {
    }

    private static TimeArg timeArg(String fn, Value v) throws RegoException {
        Value ns = v;
        String tz = "UTC";
        String layout = null;
        if (v instanceof Value.Arr arr) {
            if (arr.items().isEmpty() || arr.items().size() > 3) {
                throw Args.typeError(fn, 0, "number or array of [number, string(, string)]", v);
            }
            ns = arr.items().get(0);
            if (arr.items().size() > 1) {
                tz = Args.str(fn, arr.items(), 1);
            }
            if (arr.items().size() > 2) {
                layout = Args.str(fn, arr.items(), 2);
            }
        }
        if (!(ns instanceof Value.Num n)) {
            throw Args.typeError(fn, 0, "number or array", v);
        }
        BigInteger[] qr = n.value().toBigInteger().divideAndRemainder(BILLION);
        long secs = qr[0].longValueExact();
        long nano = qr[1].longValue();
        if (nano < 0) {
            secs--;
            nano += 1_000_000_000L;
        }
        ZoneId zone;
        try {
            zone = tz.isEmpty() || tz.equals("UTC") ? ZoneOffset.UTC
                    : tz.equals("Local") ? ZoneId.systemDefault() : ZoneId.of(tz);
        } catch (DateTimeException e) {
            throw new BuiltinError("eval_builtin_error: " + fn + ": unknown time zone " + tz, e);
        }
        return new TimeArg(Instant.ofEpochSecond(secs, nano).atZone(zone), layout);
    }

    private static String rfc3339Nano(ZonedDateTime t) {
        StringBuilder sb = new StringBuilder(DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").format(t));
        if (t.getNano() != 0) {
            // fractions in groups of 3, 6 or 9 digits, as regorus (chrono's AutoSi) writes them
            String frac = String.format("%09d", t.getNano());
            int digits = t.getNano() % 1_000_000 == 0 ? 3 : t.getNano() % 1_000 == 0 ? 6 : 9;
            sb.append('.').append(frac, 0, digits);
        }
        ZoneOffset off = t.getOffset();
        sb.append(off.getTotalSeconds() == 0 ? "Z" : off.getId());
        return sb.toString();
    }

    /** Go's reference-time layouts, translated for the common elements. */
    static DateTimeFormatter goLayout(String layout) {
        DateTimeFormatterBuilder b = new DateTimeFormatterBuilder();
        String[][] tokens = {
            {"2006", "uuuu"}, {"January", "MMMM"}, {"Jan", "MMM"}, {"Monday", "EEEE"}, {"Mon", "EEE"},
            {"MST", "zzz"}, {"01", "MM"}, {"02", "dd"}, {"15", "HH"}, {"03", "hh"}, {"04", "mm"}, {"05", "ss"},
            {"06", "uu"}, {"PM", "a"}, {"_2", "ppd"}, {"1", "M"}, {"2", "d"}, {"3", "h"}, {"4", "m"}, {"5", "s"},
        };
        int i = 0;
        outer:
        while (i < layout.length()) {
            if (layout.startsWith("Z07:00", i)) {
                b.appendOffset("+HH:MM", "Z");
                i += 6;
                continue;
            }
            if (layout.startsWith("-07:00", i)) {
                b.appendOffset("+HH:MM", "+00:00");
                i += 6;
                continue;
            }
            if (layout.startsWith("-0700", i)) {
                b.appendOffset("+HHMM", "+0000");
                i += 5;
                continue;
            }
            if (layout.startsWith(".999999999", i) || layout.startsWith(".000000000", i)) {
                b.optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, layout.charAt(i + 1) == '0' ? 9 : 0, 9, true)
                        .optionalEnd();
                i += 10;
                continue;
            }
            for (String[] t : tokens) {
                if (layout.startsWith(t[0], i)) {
                    b.appendPattern(t[1]);
                    i += t[0].length();
                    continue outer;
                }
            }
            b.appendLiteral(layout.charAt(i));
            i++;
        }
        return b.toFormatter(Locale.ENGLISH);
    }

    private static BigDecimal duration(String s) throws RegoException {
        String text = s;
        boolean neg = false;
        if (text.startsWith("-") || text.startsWith("+")) {
            neg = text.startsWith("-");
            text = text.substring(1);
        }
        if (text.equals("0")) {
            return BigDecimal.ZERO;
        }
        Matcher m = DURATION_PART.matcher(text);
        BigDecimal total = BigDecimal.ZERO;
        int pos = 0;
        while (pos < text.length()) {
            if (!m.find(pos) || m.start() != pos || m.group(1).isEmpty() || m.group(1).equals(".")) {
                throw new BuiltinError("eval_builtin_error: time.parse_duration_ns: invalid duration " + s);
            }
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            total = total.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
            pos = m.end();
        }
        BigDecimal r = total.setScale(0, java.math.RoundingMode.DOWN);
        return neg ? r.negate() : r;
    }
}
