package org.cvmagent.agent.policy;

import org.cvmagent.agent.initdata.MeasuredInitData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The policy the agent starts with, and where it came from.
 * <ol>
 *   <li>init-data's {@code policy.rego}, when init-data arrived: it wins, since init-data is
 *       measured into the attestation while the image's default file is not chosen per pod;</li>
 *   <li>otherwise the policy file ({@code policy_file}, by default
 *       {@code /etc/kata-opa/default-policy.rego}) when it exists;</li>
 *   <li>otherwise none: in development mode kata then allows every request until SetPolicy
 *       installs one; a confidential agent refuses to serve.</li>
 * </ol>
 *
 * @param text   the Rego source
 * @param origin where it came from, for messages
 */
public record PolicySource(String text, String origin) {

    /** @throws IOException when the policy file exists but cannot be read */
    public static Optional<PolicySource> resolve(Path policyFile, Optional<MeasuredInitData> initData)
            throws IOException {
        if (initData.isPresent()) {
            Optional<String> policy = initData.get().entry(InitData.POLICY_ENTRY);
            if (policy.isPresent()) {
                return Optional.of(new PolicySource(policy.get(), initData.get().origin() + " (" + InitData.POLICY_ENTRY + ")"));
            }
        }
        if (Files.exists(policyFile)) {
            return Optional.of(new PolicySource(Files.readString(policyFile), policyFile.toString()));
        }
        return Optional.empty();
    }
}
