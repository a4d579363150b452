package org.cvmagent.attestation.kbs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TeeKeyPairTest {
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void ecPublicJwkHasExactlyTheTeePubKeyMembers() throws Exception {
        ObjectNode jwk = TeeKeyPair.generate(TeeKeyAlgorithm.ECDH_ES_A256KW_P256).publicJwk(json);

        assertEquals(List.of("kty", "crv", "alg", "x", "y"), iterableNames(jwk));
        assertEquals("P-256", jwk.get("crv").asText());
        assertEquals("ECDH-ES+A256KW", jwk.get("alg").asText());
        assertEquals(32, Base64URL.from(jwk.get("x").asText()).decode().length, "fixed-length coordinate as Trustee requires");
        assertFalse(jwk.has("d"), "no private part");
    }

    @Test
    void rsaPublicJwkHasExactlyTheTeePubKeyMembers() throws Exception {
        ObjectNode jwk = TeeKeyPair.generate(TeeKeyAlgorithm.RSA_OAEP_256).publicJwk(json);

        assertEquals(List.of("kty", "alg", "n", "e"), iterableNames(jwk));
        assertEquals("RSA-OAEP-256", jwk.get("alg").asText());
        assertEquals(256, Base64URL.from(jwk.get("n").asText()).decode().length);
    }

    @Test
    void decryptsAFlattenedJweAsTrusteeSendsIt() throws Exception {
        TeeKeyPair key = TeeKeyPair.generate(TeeKeyAlgorithm.ECDH_ES_A256KW_P256);
        ECKey pub = ECKey.parse(json.writeValueAsString(key.publicJwk(json)));

        String jwe = flattened(JWEAlgorithm.ECDH_ES_A256KW, new ECDHEncrypter(pub), "hello");

        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), key.decrypt(jwe));
    }

    @Test
    void refusesAResponseWrappedWithAnotherAlgorithm() throws Exception {
        TeeKeyPair key = TeeKeyPair.generate(TeeKeyAlgorithm.RSA_OAEP_256);
        RSAKey pub = RSAKey.parse(json.writeValueAsString(key.publicJwk(json)));
        @SuppressWarnings("deprecation")
        String jwe = flattened(JWEAlgorithm.RSA1_5, new RSAEncrypter(pub), "downgraded");

        KbsException e = assertThrows(KbsException.class, () -> key.decrypt(jwe));

        assertEquals(KbsException.Kind.DECRYPTION, e.kind());
        assertTrue(e.getMessage().contains("RSA1_5"), e.getMessage());
    }

    @Test
    void refusesAResponseEncryptedToAnotherKey() throws Exception {
        TeeKeyPair key = TeeKeyPair.generate(TeeKeyAlgorithm.ECDH_ES_A256KW_P256);
        TeeKeyPair other = TeeKeyPair.generate(TeeKeyAlgorithm.ECDH_ES_A256KW_P256);
        String jwe = flattened(JWEAlgorithm.ECDH_ES_A256KW,
                new ECDHEncrypter(ECKey.parse(json.writeValueAsString(other.publicJwk(json)))), "not for you");

        KbsException e = assertThrows(KbsException.class, () -> key.decrypt(jwe));

        assertEquals(KbsException.Kind.DECRYPTION, e.kind());
    }

    @Test
    void refusesSomethingThatIsNotAJwe() throws Exception {
        TeeKeyPair key = TeeKeyPair.generate(TeeKeyAlgorithm.ECDH_ES_A256KW_P256);

        assertEquals(KbsException.Kind.PROTOCOL, assertThrows(KbsException.class, () -> key.decrypt("{\"x\":1}")).kind());
    }

    @Test
    void toStringShowsNoKeyMaterial() throws Exception {
        assertEquals("TeeKeyPair[ECDH-ES+A256KW-P256]", TeeKeyPair.generate(TeeKeyAlgorithm.ECDH_ES_A256KW_P256).toString());
    }

    private String flattened(JWEAlgorithm alg, com.nimbusds.jose.JWEEncrypter encrypter, String payload) throws Exception {
        JWEObject jwe = new JWEObject(new JWEHeader(alg, EncryptionMethod.A256GCM), new Payload(payload));
        jwe.encrypt(encrypter);
        Base64URL[] parts = JWEObject.split(jwe.serialize());
        return json.writeValueAsString(Map.of("protected", parts[0].toString(), "encrypted_key", parts[1].toString(),
                "iv", parts[2].toString(), "ciphertext", parts[3].toString(), "tag", parts[4].toString()));
    }

    private static List<String> iterableNames(ObjectNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
