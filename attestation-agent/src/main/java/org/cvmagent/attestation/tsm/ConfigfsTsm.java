package org.cvmagent.attestation.tsm;

import java.io.IOException;

/**
 * The attribute operations of configfs-tsm report requests. The kernel gives them their meaning
 * (writing inblob makes the TEE produce outblob); {@link KernelConfigfsTsm} is the real tree, and
 * tests stand in a fake kernel with the same semantics.
 */
public interface ConfigfsTsm {
    /** Whether the report interface exists at all. */
    boolean available();

    /** Makes a new report request (a directory) and returns its name. */
    String createRequest() throws IOException;

    byte[] read(String request, String attribute) throws IOException;

    void write(String request, String attribute, byte[] value) throws IOException;

    boolean has(String request, String attribute);

    /** Ends the request; its attributes go with it. */
    void remove(String request) throws IOException;
}
