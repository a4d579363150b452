package org.cvmagent.attestation.cdh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.cvmagent.attestation.kbs.ResourcePath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResourceUriTest {

    @Test
    void anEmptyHostMeansTheConfiguredKbs() throws Exception {
        ResourceUri uri = ResourceUri.parse("kbs:///default/key/1");

        assertEquals(Optional.empty(), uri.kbsAuthority());
        assertEquals(new ResourcePath("default", "key", "1"), uri.path());
        assertEquals("kbs:///default/key/1", uri.toString());
    }

    @Test
    void aHostAndPortAreKept() throws Exception {
        ResourceUri uri = ResourceUri.parse("kbs://kbs.example.io:8080/my-repo/security-policy/test_v1.2");

        assertEquals(Optional.of("kbs.example.io:8080"), uri.kbsAuthority());
        assertEquals("my-repo/security-policy/test_v1.2", uri.path().path());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|empty resource URI",
        "kbs://|malformed",
        "kbs://kbs.example|has no path",
        "kbs:///default/key|2 path segments, not 3",
        "kbs:///default/key/1/extra|4 path segments, not 3",
        "kbs:///default//1|type is empty",
        "kbs:///default/key/|tag is empty",
        "kbs:///../key/1|must be letters",
        "kbs:///default/key/a%2Fb|must be letters",
        "https://kbs/default/key/1|must use the kbs scheme",
        "default/key/1|must use the kbs scheme",
        "kbs+pkcs11:///default/key/1|plugin scheme",
        "kbs:///default/key/1?version=2|query",
        "kbs://user@host/default/key/1|user info",
        "kbs:///default key/1|malformed",
    })
    void malformedUrisAreClearErrors(String uri, String fragment) {
        InvalidResourceUriException e = assertThrows(InvalidResourceUriException.class, () -> ResourceUri.parse(uri));

        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
