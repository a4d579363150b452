package org.cvmagent.agent.sandbox;

/**
 * A read of a stream whose end was already answered (with an empty read). kata runtimes from
 * before Feb 2026 stop reading only on an error, so the sandbox answers this one with an error
 * status; see {@link OutputPump}.
 */
final class OutputEndedException extends Exception {

    OutputEndedException(String stream) {
        super(stream + " is at its end, which was answered already");
    }
}
