package org.cvmagent.attestation.kbs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObjectJSON;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.text.ParseException;

/**
 * The ephemeral key pair a KBS session encrypts resources to. The private key never leaves this
 * object: it is generated in memory, never serialised, and {@link #toString()} does not show it.
 */
public final class TeeKeyPair {
    private static final int RSA_BITS = 2048;

    private final TeeKeyAlgorithm algorithm;
    private final JWK key;

    private TeeKeyPair(TeeKeyAlgorithm algorithm, JWK key) {
        this.algorithm = algorithm;
        this.key = key;
    }

    public static TeeKeyPair generate(TeeKeyAlgorithm algorithm) throws KbsException {
        try {
            JWK key = switch (algorithm) {
                case ECDH_ES_A256KW_P256 -> new ECKeyGenerator(Curve.P_256).generate();
                case ECDH_ES_A256KW_P521 -> new ECKeyGenerator(Curve.P_521).generate();
                case RSA_OAEP_256 -> new RSAKeyGenerator(RSA_BITS).generate();
            };
            return new TeeKeyPair(algorithm, key);
        } catch (JOSEException e) {
            throw new KbsException(KbsException.Kind.CONFIGURATION, "cannot generate a " + algorithm.configName() + " TEE key", e);
        }
    }

    public TeeKeyAlgorithm algorithm() {
        return algorithm;
    }

    /**
     * The public key as the {@code tee-pubkey} JWK. It carries exactly the members of
     * {@code kbs-types}' {@code TeePubKey}: Trustee re-serialises the key it parsed when it
     * recomputes the report data, so any extra member would break the binding.
     */
    public ObjectNode publicJwk(ObjectMapper json) {
        ObjectNode jwk = json.createObjectNode();
        switch (key) {
            case ECKey ec -> {
                jwk.put("kty", "EC");
                jwk.put("crv", ec.getCurve().getName());
                jwk.put("alg", algorithm.jweAlgorithm());
                jwk.put("x", ec.getX().toString());
                jwk.put("y", ec.getY().toString());
            }
            case RSAKey rsa -> {
                jwk.put("kty", "RSA");
                jwk.put("alg", algorithm.jweAlgorithm());
                jwk.put("n", rsa.getModulus().toString());
                jwk.put("e", rsa.getPublicExponent().toString());
            }
            default -> throw new IllegalStateException("unexpected key type " + key.getKeyType());
        }
        return jwk;
    }

    /**
     * Decrypts a resource response: a JWE in flattened JSON serialization, its content key wrapped
     * to this key with the algorithm announced in the tee-pubkey and the content in A256GCM. Any
     * other algorithm is refused, whatever nimbus could do with it (no RSA1_5 downgrade).
     */
    public byte[] decrypt(String jweJson) throws KbsException {
        JWEObjectJSON jwe;
        try {
            jwe = JWEObjectJSON.parse(jweJson);
        } catch (ParseException e) {
            throw new KbsException(KbsException.Kind.PROTOCOL, "resource response is not a JWE in JSON serialization: " + e.getMessage(), e);
        }
        JWEHeader header = jwe.getHeader();
        if (header == null || header.getAlgorithm() == null || !algorithm.jweAlgorithm().equals(header.getAlgorithm().getName())) {
            throw new KbsException(KbsException.Kind.DECRYPTION, "resource response key algorithm "
                    + (header == null ? null : header.getAlgorithm()) + " does not match the TEE key's " + algorithm.jweAlgorithm());
        }
        if (!EncryptionMethod.A256GCM.equals(header.getEncryptionMethod())) {
            throw new KbsException(KbsException.Kind.DECRYPTION, "resource response content encryption "
                    + header.getEncryptionMethod() + " is not A256GCM");
        }
        try {
            jwe.decrypt(decrypter());
        } catch (JOSEException | IllegalStateException e) {
            throw new KbsException(KbsException.Kind.DECRYPTION, "resource response does not decrypt with the TEE key: " + e.getMessage(), e);
        }
        return jwe.getPayload().toBytes();
    }

    private JWEDecrypter decrypter() throws JOSEException {
        return switch (key) {
            case ECKey ec -> new ECDHDecrypter(ec);
            case RSAKey rsa -> new RSADecrypter(rsa);
            default -> throw new IllegalStateException("unexpected key type " + key.getKeyType());
        };
    }

    @Override
    public String toString() {
        return "TeeKeyPair[" + algorithm.configName() + "]";
    }
}
