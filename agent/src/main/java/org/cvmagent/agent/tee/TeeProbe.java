package org.cvmagent.agent.tee;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.cvmagent.attestation.device.LinuxDeviceFile;
import org.cvmagent.attestation.se.SeAttester;
import org.cvmagent.attestation.se.UvDevice;
import org.cvmagent.attestation.snp.SevGuestReportSource;
import org.cvmagent.attestation.snp.SnpReportSource;
import org.cvmagent.attestation.snp.TsmSnpReportSource;
import org.cvmagent.attestation.tdx.IoctlTdxRegisters;
import org.cvmagent.attestation.tdx.SysfsTdxRegisters;
import org.cvmagent.attestation.tdx.TdxAttester;
import org.cvmagent.attestation.tsm.TsmReport;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds the TEE as guest-components does: TDX through a {@code tdx_guest} configfs-tsm provider or
 * /dev/tdx_guest; SNP through configfs-tsm or /dev/sev-guest; IBM SE through /dev/uv; the sample TEE
 * only when the caller allows it (development: CoCo's {@code AA_SAMPLE_ATTESTER_TEST}; confidential:
 * only a test image).
 */
public final class TeeProbe {
    static final Path SEV_GUEST_DEVICE = Path.of("/dev/sev-guest");
    static final Path TDX_GUEST_DEVICE = Path.of("/dev/tdx_guest");
    static final Path UV_DEVICE = Path.of("/dev/uv");

    private final TsmReport tsm;
    private final boolean sampleAllowed;

    public TeeProbe(TsmReport tsm, boolean sampleAllowed) {
        this.tsm = tsm;
        this.sampleAllowed = sampleAllowed;
    }

    public Optional<DetectedTee> detect() throws IOException {
        // TDX: without configfs-tsm there is no quote (evidence fails saying so), but the registers
        // still serve runtime measurements and the init-data check
        SysfsTdxRegisters sysfs = new SysfsTdxRegisters(SysfsTdxRegisters.DEFAULT_PATH);
        IoctlTdxRegisters ioctl = new IoctlTdxRegisters(new LinuxDeviceFile(TDX_GUEST_DEVICE));
        if (tsm.provides(TdxAttester.TSM_PROVIDER) || ioctl.available()) {
            return Optional.of(new DetectedTee.Tdx(tsm, sysfs.available() ? sysfs : ioctl));
        }
        // SNP: configfs-tsm first (the kernel's preferred interface), else the sev-guest ioctl
        for (SnpReportSource source : List.<SnpReportSource>of(new TsmSnpReportSource(tsm),
                new SevGuestReportSource(new LinuxDeviceFile(SEV_GUEST_DEVICE)))) {
            if (source.available()) {
                return Optional.of(new DetectedTee.Snp(source));
            }
        }
        SeAttester se = new SeAttester(new UvDevice(new LinuxDeviceFile(UV_DEVICE)), SeAttester.DEFAULT_PV_GUEST,
                new ObjectMapper());
        if (se.detect()) {
            return Optional.of(new DetectedTee.SecureExecution(se));
        }
        return sampleAllowed ? Optional.of(new DetectedTee.Sample()) : Optional.empty();
    }
}
