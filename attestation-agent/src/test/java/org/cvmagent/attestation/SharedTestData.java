package org.cvmagent.attestation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The third-party evidence samples in the shared test data (used in place, never copied); its root is
 * /work/shared/testdata unless -Dcvm.testdata names another, as for the agent's policy cases.
 */
public final class SharedTestData {
    private SharedTestData() {
    }

    public static Path attestation(String relative) {
        Path base = Path.of(System.getProperty("cvm.testdata", "/work/shared/testdata"), "attestation");
        Path p = base.resolve(relative).normalize();
        assertTrue(Files.isRegularFile(p), "shared test data missing: " + p);
        return p;
    }
}
