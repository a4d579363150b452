package org.cvmagent.agent.policy;

import org.cvmagent.agent.config.KernelCmdline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The policy the agent starts with, and where it came from.
 * <ol>
 *   <li>init-data, when given: the kernel command line's {@code agent.initdata=<gzip+base64>}, or
 *       the file named by {@code CVM_AGENT_INITDATA} (plain TOML or gzip+base64). Its
 *       {@code policy.rego} wins, since init-data is measured into the attestation while the
 *       image's default file is not chosen per pod;</li>
 *   <li>otherwise the policy file ({@code policy_file}, by default
 *       {@code /etc/kata-opa/default-policy.rego}) when it exists;</li>
 *   <li>otherwise none: kata then allows every request until SetPolicy installs one.</li>
 * </ol>
 *
 * @param text   the Rego source
 * @param origin where it came from, for messages
 */
public record PolicySource(String text, String origin) {

    public static final String INITDATA_PARAMETER = "agent.initdata";
    public static final String INITDATA_ENVIRONMENT = "CVM_AGENT_INITDATA";

    /**
     * The CoCo init-data TOML the host passed: the kernel command line's {@value #INITDATA_PARAMETER}
     * (gzip+base64 or plain, as {@link InitData#parse} reads it) or the file {@value #INITDATA_ENVIRONMENT} names.
     */
    public static Optional<String> initDataText(KernelCmdline cmdline, Map<String, String> environment)
            throws IOException {
        Optional<String> initData = cmdline.value(INITDATA_PARAMETER);
        String file = environment.get(INITDATA_ENVIRONMENT);
        if (initData.isEmpty() && file != null && !file.isBlank()) {
            initData = Optional.of(Files.readString(Path.of(file.strip())));
        }
        return initData;
    }

    /**
     * @throws IOException              when a named file cannot be read
     * @throws IllegalArgumentException when init-data is given but malformed: starting with some
     *                                  other policy than the one the owner measured would be wrong
     */
    public static Optional<PolicySource> resolve(Path policyFile, KernelCmdline cmdline, Map<String, String> environment)
            throws IOException {
        Optional<String> initData = initDataText(cmdline, environment);
        String initDataOrigin = cmdline.value(INITDATA_PARAMETER).isPresent()
                ? "kernel command line " + INITDATA_PARAMETER
                : "init-data " + String.valueOf(environment.get(INITDATA_ENVIRONMENT)).strip();
        if (initData.isPresent()) {
            Optional<String> policy = InitData.parse(initData.get()).policy();
            if (policy.isPresent()) {
                return Optional.of(new PolicySource(policy.get(), initDataOrigin + " (" + InitData.POLICY_ENTRY + ")"));
            }
        }
        if (Files.exists(policyFile)) {
            return Optional.of(new PolicySource(Files.readString(policyFile), policyFile.toString()));
        }
        return Optional.empty();
    }
}
