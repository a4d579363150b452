package org.cvmagent.agent.tee;

import org.cvmagent.attestation.aael.AaelSource;
import org.cvmagent.attestation.attester.InitDataBinding;
import org.cvmagent.attestation.se.SeAttester;
import org.cvmagent.attestation.snp.SnpAttester;
import org.cvmagent.attestation.snp.SnpReportSource;
import org.cvmagent.attestation.tdx.TdxAttester;
import org.cvmagent.attestation.tdx.TdxRegisters;
import org.cvmagent.attestation.tsm.TsmReport;

import java.util.Optional;

/** The TEE the guest runs in, as {@link TeeProbe} found it; the attester is built from it later. */
public sealed interface DetectedTee {

    /** The name used in messages and in CoCo's tee type. */
    String name();

    /** The launch-time field init-data is bound to, where the TEE has one. */
    Optional<InitDataBinding> initDataBinding();

    /** Intel TDX: MRCONFIGID holds the init-data digest. */
    record Tdx(TsmReport tsm, TdxRegisters registers) implements DetectedTee {
        @Override
        public String name() {
            return "tdx";
        }

        @Override
        public Optional<InitDataBinding> initDataBinding() {
            return Optional.of(new TdxAttester(tsm, TdxAttester.DEFAULT_CCEL, registers, AaelSource.NONE));
        }
    }

    /** AMD SEV-SNP: HOST_DATA holds the init-data digest. */
    record Snp(SnpReportSource source) implements DetectedTee {
        @Override
        public String name() {
            return "snp";
        }

        @Override
        public Optional<InitDataBinding> initDataBinding() {
            return Optional.of(new SnpAttester(source));
        }
    }

    /** IBM Secure Execution: no launch field for init-data (the KBS sees it in the evidence). */
    record SecureExecution(SeAttester attester) implements DetectedTee {
        @Override
        public String name() {
            return "se";
        }

        @Override
        public Optional<InitDataBinding> initDataBinding() {
            return Optional.empty();
        }
    }

    /** CoCo's sample TEE: evidence that proves nothing, for tests only. */
    record Sample() implements DetectedTee {
        @Override
        public String name() {
            return "sample";
        }

        @Override
        public Optional<InitDataBinding> initDataBinding() {
            return Optional.empty();
        }
    }
}
