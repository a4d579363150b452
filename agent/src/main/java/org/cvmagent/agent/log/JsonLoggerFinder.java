package org.cvmagent.agent.log;

import java.util.ResourceBundle;
import java.util.function.Supplier;

/**
 * Routes every {@link System.Logger} of the process to one {@link LogSink}. Installed through
 * {@code META-INF/services}; {@code Main} configures the sink's level and output at start.
 */
public final class JsonLoggerFinder extends System.LoggerFinder {

    private final LogSink sink = new LogSink(System.err, LogLevel.INFO);

    public LogSink sink() {
        return sink;
    }

    /** The sink of the process's finder, when ours is the installed one. */
    public static java.util.Optional<LogSink> installedSink() {
        return System.LoggerFinder.getLoggerFinder() instanceof JsonLoggerFinder finder
                ? java.util.Optional.of(finder.sink) : java.util.Optional.empty();
    }

    @Override
    public System.Logger getLogger(String name, Module module) {
        // The JDK's own debug chatter (e.g. a stack trace for every Runtime.exit) is not the
        // agent's debug log: platform loggers stay at info and above.
        boolean platform = module != null && module.isNamed() && ModuleLayer.boot().modules().contains(module);
        return new JsonLogger(name, sink, platform ? LogLevel.INFO : LogLevel.TRACE);
    }

    /** Subsystem = last segment of the logger name, e.g. {@code org.cvmagent.ttrpc} → {@code ttrpc}. */
    static String subsystemOf(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(dot + 1);
    }

    private record JsonLogger(String name, LogSink sink, LogLevel floor) implements System.Logger {

        @Override
        public String getName() {
            return name;
        }

        @Override
        public boolean isLoggable(Level level) {
            LogLevel ours = LogLevel.of(level);
            return level != Level.OFF && ours.compareTo(floor) >= 0 && sink.enabled(ours);
        }

        @Override
        public void log(Level level, Supplier<String> message) {
            if (isLoggable(level)) {
                sink.log(LogLevel.of(level), subsystemOf(name), message.get(), null);
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
            if (isLoggable(level)) {
                sink.log(LogLevel.of(level), subsystemOf(name), message, thrown);
            }
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            if (isLoggable(level)) {
                String text = params == null || params.length == 0 ? format
                        : java.text.MessageFormat.format(format, params);
                sink.log(LogLevel.of(level), subsystemOf(name), text, null);
            }
        }
    }
}
