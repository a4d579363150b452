package org.cvmagent.agent.config;

/**
 * What the agent starts with: its settings, the mode they were read in, and the host's inputs
 * (kernel command line, environment) as far as that mode lets the agent act on them.
 *
 * @param agent     the settings
 * @param mode      confidential (the guest image) or development
 * @param testImage a confidential image built for tests without a TEE ({@code test_image = true}
 *                  in its measured configuration): it serves without a TEE, with the sample attester
 *                  and unverified init-data, and says so in its log
 * @param host      the kernel command line and environment, filtered by {@link HostInputs#forMode}
 */
public record StartConfig(AgentConfig agent, TrustMode mode, boolean testImage, HostInputs host) {

    public boolean confidential() {
        return mode == TrustMode.CONFIDENTIAL;
    }
}
