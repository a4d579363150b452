package org.cvmagent.attestation.tdx;

import java.util.Optional;

/**
 * A TDX quote (version 4, or version 5 with a TDX 1.0 or 1.5 body): header, TD report body and the
 * ECDSA quote signature data with the QE's certification data. The v5 body type (2 = TDX 1.0,
 * 3 = TDX 1.5) and size are kept as read.
 */
public record TdxQuote(QuoteHeader header, Optional<Integer> v5BodyType, Optional<Long> v5BodySize, TdReport body,
        QuoteSignature signature) {
}
