package org.cvmagent.attestation.attester;

import java.util.Arrays;
import java.util.Optional;

/**
 * The TEE kinds Trustee knows, under the names its KBS protocol ({@code "tee"} in the Request) and
 * its verifiers use. The wire names are those of the {@code kbs-types} crate's {@code Tee} enum.
 */
public enum TeeType {
    AZ_SNP_VTPM("az-snp-vtpm"),
    AZ_TDX_VTPM("az-tdx-vtpm"),
    NVIDIA("nvidia"),
    SGX("sgx"),
    SNP("snp"),
    TDX("tdx"),
    CCA("cca"),
    CSV("csv"),
    SE("se"),
    HYGON_DCU("hygondcu"),
    TPM("tpm"),
    /** For development and tests only: evidence that no hardware signs. */
    SAMPLE("sample"),
    /** For development and tests only: a sample secondary device. */
    SAMPLE_DEVICE("sampledevice");

    private final String wireName;

    TeeType(String wireName) {
        this.wireName = wireName;
    }

    /** The name used on the wire and in Trustee's configuration. */
    public String wireName() {
        return wireName;
    }

    /** The TEE type with this wire name, if there is one. */
    public static Optional<TeeType> fromWireName(String name) {
        return Arrays.stream(values()).filter(t -> t.wireName.equals(name)).findFirst();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
