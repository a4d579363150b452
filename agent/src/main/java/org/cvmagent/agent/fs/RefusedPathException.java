package org.cvmagent.agent.fs;

import java.io.IOException;

/**
 * A host-named path was refused for what it is, not for a failure of the file system: a symbolic
 * link where none may be followed, a way out of the confined root, or the wrong kind of file.
 * Callers answer it as the request's fault (INVALID_ARGUMENT), not as an internal error.
 */
public final class RefusedPathException extends IOException {

    public RefusedPathException(String message) {
        super(message);
    }
}
