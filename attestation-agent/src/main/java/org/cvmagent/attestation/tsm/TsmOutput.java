package org.cvmagent.attestation.tsm;

import java.util.Optional;

/** What a configfs-tsm report request returned: the quote or report, and the supplemental data. */
public record TsmOutput(byte[] outblob, Optional<byte[]> auxblob) {
}
