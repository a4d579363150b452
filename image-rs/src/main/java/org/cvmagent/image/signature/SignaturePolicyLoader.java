package org.cvmagent.image.signature;

import java.net.http.HttpClient;
import java.util.function.Supplier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Builds a {@link SignaturePolicyVerifier} from configuration locations: the policy from a file or
 * a {@code kbs://} resource, registries.d from a directory or a single {@code kbs://} YAML resource.
 */
public final class SignaturePolicyLoader {

    private final ResourceLoader resources;
    private final Supplier<HttpClient> http;
    private final RegistryReader registry;
    private final Duration requestTimeout;

    public SignaturePolicyLoader(ResourceLoader resources, Supplier<HttpClient> http, RegistryReader registry,
            Duration requestTimeout) {
        this.resources = Objects.requireNonNull(resources);
        this.http = Objects.requireNonNull(http);
        this.registry = Objects.requireNonNull(registry);
        this.requestTimeout = Objects.requireNonNull(requestTimeout);
    }

    /**
     * @param policyLocation absolute path or {@code kbs:///...} of containers-policy.json
     * @param registriesLocation absolute registries.d directory, {@code kbs:///...} of one YAML file,
     *     or null when no lookaside store or attachments are configured
     */
    public SignaturePolicyVerifier load(String policyLocation, String registriesLocation)
            throws SignatureVerificationException {
        Policy policy = new PolicyParser().parse(resources.load(policyLocation));
        RegistriesConfig registries;
        if (registriesLocation == null) {
            registries = RegistriesConfig.empty();
        } else if (KbsResourceUri.isKbs(registriesLocation)) {
            registries = RegistriesConfig.parse(Map.of(registriesLocation, resources.load(registriesLocation)));
        } else {
            Path dir = Path.of(registriesLocation);
            if (!dir.isAbsolute()) {
                throw SignatureVerificationException.invalidPolicy(
                        "registries.d location \"" + registriesLocation + "\" is not absolute");
            }
            registries = RegistriesConfig.loadDirectory(dir);
        }
        return new SignaturePolicyVerifier(policy,
                new LookasideSignatureSource(registries, http, requestTimeout),
                new SigstoreAttachmentSource(registries, registry),
                resources);
    }
}
