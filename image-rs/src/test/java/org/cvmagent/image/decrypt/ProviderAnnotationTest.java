package org.cvmagent.image.decrypt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.cvmagent.image.registry.Digest;
import org.cvmagent.image.signature.ResourceFetcher;
import org.junit.jupiter.api.Test;

/** CoCo's key-provider annotation: the layer options sealed with a KBS key-encryption key. */
class ProviderAnnotationTest {
    private static final Digest LAYER = Digest.sha256(new byte[]{1});
    private static final String KID = "kbs:///default/image-kek/one";
    private final SecureRandom random = new SecureRandom();

    private Map<String, String> annotations(byte[] kek, byte[] options) throws Exception {
        byte[] iv = new byte[12];
        random.nextBytes(iv);
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
        String packet = "{\"kid\":\"" + KID + "\",\"wrapped_data\":\"" + Base64.getEncoder().encodeToString(gcm.doFinal(options))
                + "\",\"iv\":\"" + Base64.getEncoder().encodeToString(iv) + "\",\"wrap_type\":\"A256GCM\"}";
        return Map.of(EncryptedLayers.PROVIDER_KEYS, Base64.getEncoder().encodeToString(packet.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theKidNamesTheKbsKeyThatUnwrapsTheOptions() throws Exception {
        byte[] kek = new byte[32];
        random.nextBytes(kek);
        byte[] options = "{\"symkey\":\"AAAA\"}".getBytes(StandardCharsets.UTF_8);
        ResourceFetcher kbs = uri -> {
            assertEquals(KID, uri.toString());
            return kek;
        };
        assertArrayEquals(options, new KeyUnwrapper().unwrap(LAYER, annotations(kek, options), PrivateKeys.none(), kbs));

        byte[] other = new byte[32];
        random.nextBytes(other);
        LayerDecryptionException wrong = assertThrows(LayerDecryptionException.class,
                () -> new KeyUnwrapper().unwrap(LAYER, annotations(other, options), PrivateKeys.none(), kbs));
        assertEquals(LayerDecryptionException.Reason.WRONG_KEY, wrong.reason());
        assertTrue(wrong.getMessage().startsWith("layer " + LAYER + ": wrong key: "), wrong.getMessage());

        LayerDecryptionException unavailable = assertThrows(LayerDecryptionException.class,
                () -> new KeyUnwrapper().unwrap(LAYER, annotations(kek, options), PrivateKeys.none(), uri -> {
                    throw new IOException("not attested");
                }));
        assertEquals(LayerDecryptionException.Reason.NO_KEY, unavailable.reason());
        LayerDecryptionException noKbs = assertThrows(LayerDecryptionException.class,
                () -> new KeyUnwrapper().unwrap(LAYER, annotations(kek, options), PrivateKeys.none(), null));
        assertEquals(LayerDecryptionException.Reason.NO_KEY, noKbs.reason());
    }

    @Test
    void anUnsupportedCipherIsNamed() {
        String pub = Base64.getEncoder().encodeToString("{\"cipher\":\"AES_128_GCM\",\"hmac\":\"\"}".getBytes(StandardCharsets.UTF_8));
        LayerDecryptionException e = assertThrows(LayerDecryptionException.class, () -> LayerCipher.parse(LAYER,
                "{\"symkey\":\"AAAA\"}".getBytes(StandardCharsets.UTF_8), pub));
        assertEquals(LayerDecryptionException.Reason.UNSUPPORTED, e.reason());
        assertTrue(e.getMessage().contains("AES_128_GCM"), e.getMessage());
    }
}
