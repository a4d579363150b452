package org.cvmagent.image.signature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Reads policy files, registries.d files and keys from a local path or from the KBS. Everything a
 * policy names by location goes through here, so a KBS-provisioned policy can name KBS keys.
 */
public final class ResourceLoader {

    /** Larger than any policy or keyring we expect; bounds memory if a location names a huge file. */
    static final int MAX_RESOURCE_BYTES = 16 * 1024 * 1024;

    private final ResourceFetcher kbs;

    public ResourceLoader(ResourceFetcher kbs) {
        this.kbs = Objects.requireNonNull(kbs);
    }

    public byte[] load(String location) throws SignatureVerificationException {
        byte[] data;
        try {
            if (KbsResourceUri.isKbs(location)) {
                data = kbs.fetch(KbsResourceUri.parse(location));
            } else {
                Path path = Path.of(location);
                if (!path.isAbsolute()) {
                    throw SignatureVerificationException.invalidPolicy(
                            "path \"" + location + "\" is not absolute");
                }
                if (Files.size(path) > MAX_RESOURCE_BYTES) {
                    throw SignatureVerificationException.invalidPolicy(
                            "\"" + location + "\" is larger than " + MAX_RESOURCE_BYTES + " bytes");
                }
                data = Files.readAllBytes(path);
            }
        } catch (IllegalArgumentException e) {
            throw new SignatureVerificationException(
                    SignatureVerificationException.Reason.INVALID_POLICY, e.getMessage(), e);
        } catch (IOException e) {
            throw new SignatureVerificationException(SignatureVerificationException.Reason.RESOURCE_UNAVAILABLE,
                    "cannot read \"" + location + "\": " + e.getMessage(), e);
        }
        if (data == null || data.length > MAX_RESOURCE_BYTES) {
            throw new SignatureVerificationException(SignatureVerificationException.Reason.RESOURCE_UNAVAILABLE,
                    "\"" + location + "\" returned no data or too much data");
        }
        return data;
    }
}
