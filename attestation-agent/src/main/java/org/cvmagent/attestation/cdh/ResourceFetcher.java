package org.cvmagent.attestation.cdh;

import java.lang.System.Logger.Level;
import java.util.Objects;
import org.cvmagent.attestation.kbs.KbsClient;
import org.cvmagent.attestation.kbs.KbsException;

/**
 * The CDH's GetResource: a {@code kbs://} URI in, the resource's plaintext out, fetched through
 * the configured KBS.
 *
 * <p>A URI naming a KBS must name the configured one: this guest holds a trust anchor and an
 * attested session for that KBS only, so another host is refused rather than silently
 * redirected (guest-components ignores the host; we fail closed).
 */
public final class ResourceFetcher {
    private static final System.Logger LOG = System.getLogger(ResourceFetcher.class.getName());

    private final KbsClient kbs;

    public ResourceFetcher(KbsClient kbs) {
        this.kbs = Objects.requireNonNull(kbs);
    }

    public byte[] get(String uri) throws InvalidResourceUriException, KbsException {
        ResourceUri parsed = ResourceUri.parse(uri);
        String configured = kbs.config().authority();
        if (parsed.kbsAuthority().isPresent() && !parsed.kbsAuthority().get().equalsIgnoreCase(configured)) {
            throw new InvalidResourceUriException("resource URI '" + uri + "' names KBS " + parsed.kbsAuthority().get()
                    + " but this guest is configured for " + configured + "; use kbs:///" + parsed.path().path());
        }
        byte[] resource = kbs.resource(parsed.path());
        LOG.log(Level.DEBUG, "GetResource {0}: {1} bytes", parsed, resource.length);
        return resource;
    }
}
