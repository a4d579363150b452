package org.cvmagent.agent.oci;

/**
 * A kata {@code grpc.Spec} that cannot become a runtime-spec config.json. The message starts with
 * the path of the offending field in config.json terms (e.g. {@code linux.namespaces[2].type}) so
 * the host side can see exactly what it sent wrong.
 */
public final class InvalidOciSpecException extends IllegalArgumentException {

    private final String field;

    public InvalidOciSpecException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
    }

    /** The config.json path of the offending field. */
    public String field() {
        return field;
    }
}
