package org.cvmagent.agent.log;

import java.util.Locale;

/**
 * The agent's log levels, named as kata names them (logrus names for compatibility with the
 * runtime's {@code agent.log=} option and {@code KATA_AGENT_LOG_LEVEL}).
 */
public enum LogLevel {
    TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL;

    /** Parses kata/logrus level names; unknown names are an error. */
    public static LogLevel parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "trace" -> TRACE;
            case "debug" -> DEBUG;
            case "info" -> INFO;
            case "warn", "warning" -> WARN;
            case "error" -> ERROR;
            case "critical", "fatal", "panic" -> CRITICAL;
            default -> throw new IllegalArgumentException("invalid log level '" + name
                    + "' (expected trace, debug, info, warn, error, critical)");
        };
    }

    static LogLevel of(System.Logger.Level level) {
        return switch (level) {
            case ALL, TRACE -> TRACE;
            case DEBUG -> DEBUG;
            case INFO -> INFO;
            case WARNING -> WARN;
            case ERROR -> ERROR;
            case OFF -> CRITICAL;
        };
    }

    static LogLevel of(java.util.logging.Level level) {
        int v = level.intValue();
        if (v >= java.util.logging.Level.SEVERE.intValue()) {
            return ERROR;
        } else if (v >= java.util.logging.Level.WARNING.intValue()) {
            return WARN;
        } else if (v >= java.util.logging.Level.INFO.intValue()) {
            return INFO;
        } else if (v >= java.util.logging.Level.FINE.intValue()) {
            return DEBUG;
        }
        return TRACE;
    }

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
