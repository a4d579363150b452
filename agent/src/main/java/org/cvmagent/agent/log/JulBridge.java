package org.cvmagent.agent.log;

import java.util.logging.Handler;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;

/** Sends java.util.logging records (grpc-java and netty log there) to the JSON sink. */
public final class JulBridge extends Handler {

    private final LogSink sink;

    public JulBridge(LogSink sink) {
        this.sink = sink;
    }

    /** Replaces the root JUL handlers with this bridge. */
    public static void install(LogSink sink) {
        var root = LogManager.getLogManager().getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        root.addHandler(new JulBridge(sink));
    }

    @Override
    public void publish(LogRecord record) {
        String message = record.getMessage();
        if (record.getParameters() != null && record.getParameters().length > 0 && message != null) {
            message = java.text.MessageFormat.format(message, record.getParameters());
        }
        String logger = record.getLoggerName() == null ? "jul" : record.getLoggerName();
        sink.log(LogLevel.of(record.getLevel()), JsonLoggerFinder.subsystemOf(logger), message, record.getThrown());
    }

    @Override
    public void flush() {
        // every record is flushed as it is written
    }

    @Override
    public void close() {
        // the sink outlives the bridge
    }
}
