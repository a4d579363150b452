package org.cvmagent.attestation.kbs;

import java.util.Arrays;
import java.util.Optional;

/**
 * The TEE key kinds, named as guest-components' {@code tee_key_algorithm} setting names them, with
 * the JWE key-management algorithm Trustee wraps the content key with for each.
 */
public enum TeeKeyAlgorithm {
    /** guest-components' default: an EC P-256 key, ECDH-ES+A256KW. */
    ECDH_ES_A256KW_P256("ECDH-ES+A256KW-P256", "ECDH-ES+A256KW"),
    ECDH_ES_A256KW_P521("ECDH-ES+A256KW-P521", "ECDH-ES+A256KW"),
    /** RSA 2048, RSA-OAEP with SHA-256. */
    RSA_OAEP_256("RSA-OAEP-256", "RSA-OAEP-256");

    public static final TeeKeyAlgorithm DEFAULT = ECDH_ES_A256KW_P256;

    private final String configName;
    private final String jweAlgorithm;

    TeeKeyAlgorithm(String configName, String jweAlgorithm) {
        this.configName = configName;
        this.jweAlgorithm = jweAlgorithm;
    }

    /** The name in aa.toml's {@code tee_key_algorithm}. */
    public String configName() {
        return configName;
    }

    /** The JWE {@code alg} of the key, as sent in the tee-pubkey JWK and expected in responses. */
    public String jweAlgorithm() {
        return jweAlgorithm;
    }

    public static Optional<TeeKeyAlgorithm> fromConfigName(String name) {
        return Arrays.stream(values()).filter(a -> a.configName.equals(name)).findFirst();
    }
}
