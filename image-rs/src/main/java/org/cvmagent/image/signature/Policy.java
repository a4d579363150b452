package org.cvmagent.image.signature;

import java.util.List;
import java.util.Map;

/**
 * A parsed containers-policy.json. Only the {@code docker} transport's scopes apply to images this
 * agent pulls; other transports are parsed (so a typo still fails) but never consulted.
 */
public record Policy(List<PolicyRequirement> defaultRequirements, Map<String, List<PolicyRequirement>> dockerScopes) {

    public Policy {
        defaultRequirements = List.copyOf(defaultRequirements);
        dockerScopes = Map.copyOf(dockerScopes);
    }

    /**
     * The requirements for {@code ref}: those of the most specific matching docker scope (full
     * reference, repository, namespaces, host, host wildcards), else the docker transport's
     * {@code ""} scope, else {@code default}.
     */
    public ScopedRequirements requirementsFor(DockerReference ref) {
        for (String candidate : ref.scopeCandidates()) {
            List<PolicyRequirement> reqs = dockerScopes.get(candidate);
            if (reqs != null) {
                return new ScopedRequirements("docker:" + candidate, reqs);
            }
        }
        List<PolicyRequirement> transportDefault = dockerScopes.get("");
        if (transportDefault != null) {
            return new ScopedRequirements("docker (transport default)", transportDefault);
        }
        return new ScopedRequirements("default", defaultRequirements);
    }

    /** Requirements and the scope they came from, for error messages. */
    public record ScopedRequirements(String scope, List<PolicyRequirement> requirements) {}
}
