package org.cvmagent.image;

/** Receives pull progress; called from the threads pulling layers, so it must be thread-safe. */
@FunctionalInterface
public interface ProgressListener {
    void onProgress(ProgressEvent event);

    ProgressListener NONE = e -> { };
}
