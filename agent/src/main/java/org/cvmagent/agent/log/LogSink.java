package org.cvmagent.agent.log;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes log records as JSON lines (time, level, msg, subsystem, name, pid, error), the shape
 * kata's agent logs in, so the runtime and log tooling read ours the same way.
 */
public final class LogSink {

    private static final JsonFactory JSON = new JsonFactory();

    private final ReentrantLock lock = new ReentrantLock();
    private final long pid = ProcessHandle.current().pid();
    private volatile OutputStream out;
    private volatile LogLevel threshold;

    public LogSink(OutputStream out, LogLevel threshold) {
        this.out = Objects.requireNonNull(out, "out");
        this.threshold = Objects.requireNonNull(threshold, "threshold");
    }

    public void setThreshold(LogLevel threshold) {
        this.threshold = Objects.requireNonNull(threshold, "threshold");
    }

    public void setOutput(OutputStream out) {
        this.out = Objects.requireNonNull(out, "out");
    }

    public LogLevel threshold() {
        return threshold;
    }

    public boolean enabled(LogLevel level) {
        return level.compareTo(threshold) >= 0;
    }

    public void log(LogLevel level, String subsystem, String message, Throwable error) {
        if (!enabled(level)) {
            return;
        }
        byte[] line = format(level, subsystem, message, error);
        lock.lock();
        try {
            out.write(line);
            out.flush();
        } catch (IOException e) {
            // The log is the channel of last resort; losing it must not take the agent down.
            System.err.println("log sink failed: " + e);
        } finally {
            lock.unlock();
        }
    }

    private byte[] format(LogLevel level, String subsystem, String message, Throwable error) {
        var buffer = new java.io.ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(buffer)) {
            json.writeStartObject();
            json.writeStringField("time", Instant.now().toString());
            json.writeStringField("level", level.wireName());
            json.writeStringField("msg", message == null ? "" : message);
            json.writeStringField("subsystem", subsystem);
            json.writeStringField("name", "cvm-agent");
            json.writeNumberField("pid", pid);
            if (error != null) {
                json.writeStringField("error", error.toString());
                if (enabled(LogLevel.DEBUG)) {
                    StringWriter trace = new StringWriter();
                    error.printStackTrace(new PrintWriter(trace));
                    json.writeStringField("stack", trace.toString());
                }
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        buffer.write('\n');
        return buffer.toByteArray();
    }
}
