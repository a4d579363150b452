package org.cvmagent.agent.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Optional;
import org.cvmagent.attestation.EvidenceFormatException;
import org.cvmagent.attestation.eventlog.CcEventLog;
import org.cvmagent.attestation.eventlog.EventLogClaims;
import org.cvmagent.attestation.snp.SnpReport;
import org.cvmagent.attestation.tdx.TdxClaims;
import org.cvmagent.attestation.tdx.TdxQuoteParser;

/**
 * {@code cvm-agent-ctl attest show}: an operator's view of TEE evidence — a TDX quote (with the CC
 * event log), an SNP report (with its VCEK) — printed as the claims a verifier derives from it.
 */
final class AttestCommands {

    static final String USAGE = """
              attest show [--tdx-quote FILE] [--ccel FILE] [--snp-report FILE [--vcek FILE]]
                                         print the measurements in TEE evidence as JSON claims (TDX
                                         quote v4/v5 + CC event log, e.g.
                                         /sys/firmware/acpi/tables/data/CCEL; SNP report, signature
                                         checked with the VCEK certificate when given)
            """;

    private final PrintStream out;
    private final PrintStream err;

    AttestCommands(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    int run(Deque<String> args) throws AgentCtl.UsageException {
        if (args.isEmpty() || !args.removeFirst().equals("show")) {
            throw new AgentCtl.UsageException("attest needs the subcommand show");
        }
        Optional<Path> quote = Optional.empty();
        Optional<Path> ccel = Optional.empty();
        Optional<Path> snp = Optional.empty();
        Optional<Path> vcek = Optional.empty();
        while (!args.isEmpty()) {
            String option = args.removeFirst();
            if (args.isEmpty()) {
                throw new AgentCtl.UsageException(option + " needs a FILE");
            }
            Path file = Path.of(args.removeFirst());
            switch (option) {
                case "--tdx-quote" -> quote = Optional.of(file);
                case "--ccel" -> ccel = Optional.of(file);
                case "--snp-report" -> snp = Optional.of(file);
                case "--vcek" -> vcek = Optional.of(file);
                default -> throw new AgentCtl.UsageException("unknown attest option " + option);
            }
        }
        if (quote.isEmpty() && ccel.isEmpty() && snp.isEmpty()) {
            throw new AgentCtl.UsageException("attest show needs --tdx-quote, --ccel or --snp-report");
        }
        if (vcek.isPresent() && snp.isEmpty()) {
            throw new AgentCtl.UsageException("--vcek checks an --snp-report");
        }
        try {
            ObjectNode shown = JsonNodeFactory.instance.objectNode();
            Optional<CcEventLog> log = ccel.isPresent() ? Optional.of(CcEventLog.parse(read(ccel.get())))
                    : Optional.empty();
            if (quote.isPresent()) {
                shown.set("tdx", TdxClaims.of(new TdxQuoteParser().parse(read(quote.get())), log));
            } else if (log.isPresent()) {
                shown.set("uefi_event_logs", EventLogClaims.toJson(log.get()));
            }
            if (snp.isPresent()) {
                shown.set("snp", snpClaims(SnpReport.parse(read(snp.get())), vcek));
            }
            out.println(shown.toPrettyString());
            return AgentCtl.EXIT_OK;
        } catch (EvidenceFormatException e) {
            err.println("cvm-agent-ctl: evidence does not parse: " + e.getMessage());
            return AgentCtl.EXIT_RPC_ERROR;
        }
    }

    private static ObjectNode snpClaims(SnpReport r, Optional<Path> vcek) throws AgentCtl.UsageException,
            EvidenceFormatException {
        HexFormat hex = HexFormat.of();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("version", r.version());
        o.put("guest_svn", r.guestSvn());
        o.put("policy", "0x" + Long.toHexString(r.policy()));
        o.put("vmpl", r.vmpl());
        o.put("measurement", hex.formatHex(r.measurement()));
        o.put("host_data", hex.formatHex(r.hostData()));
        o.put("report_data", hex.formatHex(r.reportData()));
        o.put("id_key_digest", hex.formatHex(r.idKeyDigest()));
        o.put("author_key_digest", hex.formatHex(r.authorKeyDigest()));
        o.put("chip_id", hex.formatHex(r.chipId()));
        o.put("reported_tcb", "0x" + Long.toHexString(r.reportedTcb()));
        o.put("platform_info", "0x" + Long.toHexString(r.platformInfo()));
        if (vcek.isPresent()) {
            try {
                X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(read(vcek.get())));
                o.put("signature_valid", r.signedBy(cert));
            } catch (CertificateException e) {
                throw new AgentCtl.UsageException("the VCEK certificate does not parse: " + e.getMessage());
            }
        }
        return o;
    }

    private static byte[] read(Path file) throws AgentCtl.UsageException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new AgentCtl.UsageException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
