package org.cvmagent.agent.policy;

import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;

/** A System.Logger that keeps what it is given, at a chosen threshold. */
final class RecordingLogger implements System.Logger {

    record Entry(Level level, String message) {
    }

    final List<Entry> entries = new CopyOnWriteArrayList<>();
    private final Level threshold;

    RecordingLogger(Level threshold) {
        this.threshold = threshold;
    }

    @Override
    public String getName() {
        return "test";
    }

    @Override
    public boolean isLoggable(Level level) {
        return level.getSeverity() >= threshold.getSeverity();
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        entries.add(new Entry(level, msg));
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        entries.add(new Entry(level, format));
    }
}
