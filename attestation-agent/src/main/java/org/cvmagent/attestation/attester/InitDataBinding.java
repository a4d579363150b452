package org.cvmagent.attestation.attester;

import java.io.IOException;

/**
 * A TEE field set at launch that init-data is bound to (TDX MRCONFIGID, SNP HOST_DATA): the guest
 * checks that the init-data it was given is the one the host launched it with.
 */
public interface InitDataBinding {
    /** Whether the launch-time field holds the init-data digest (padded or cut to the field's size). */
    boolean initDataMatches(byte[] initDataDigest) throws IOException;
}
