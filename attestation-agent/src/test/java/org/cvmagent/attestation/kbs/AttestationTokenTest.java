package org.cvmagent.attestation.kbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.PlainHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.Test;

class AttestationTokenTest {

    @Test
    void isReusableUntilShortlyBeforeExp() throws Exception {
        Instant exp = Instant.parse("2030-01-01T00:00:00Z");
        AttestationToken token = AttestationToken.parse(jwt(new JWTClaimsSet.Builder().expirationTime(Date.from(exp)).build()));

        assertTrue(token.reusableAt(exp.minusSeconds(60)));
        assertFalse(token.reusableAt(exp.minusSeconds(5)));
        assertFalse(token.reusableAt(exp.plusSeconds(1)));
        assertEquals("AttestationToken[exp=2030-01-01T00:00:00Z]", token.toString());
    }

    @Test
    void aTokenWithoutExpIsNeverReused() throws Exception {
        AttestationToken token = AttestationToken.parse(jwt(new JWTClaimsSet.Builder().issuer("kbs").build()));

        assertFalse(token.reusableAt(Instant.now()));
    }

    @Test
    void somethingThatIsNotAJwtIsAProtocolError() {
        assertEquals(KbsException.Kind.PROTOCOL, assertThrows(KbsException.class, () -> AttestationToken.parse("nope")).kind());
        assertEquals(KbsException.Kind.PROTOCOL, assertThrows(KbsException.class, () -> AttestationToken.parse("")).kind());
    }

    private static String jwt(JWTClaimsSet claims) {
        return new PlainJWT(new PlainHeader(), claims).serialize();
    }
}
