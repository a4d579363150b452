package org.cvmagent.attestation.attester;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;

/**
 * Evidence without hardware, for development and tests: Trustee's sample verifier accepts it and
 * checks only that {@code report_data} equals the expected binding. The shape is that of
 * guest-components' sample attester, {@code {"svn": "1", "report_data": base64(reportData)}} with
 * standard (padded) base64, which is what the verifier decodes.
 *
 * <p>It proves nothing about the platform; whether it may be used is the caller's decision.
 */
public final class SampleAttester implements Attester {
    /** The sample TEE's fixed security version, as guest-components reports it. */
    static final String SVN = "1";

    private final ObjectMapper json;

    public SampleAttester(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public TeeType tee() {
        return TeeType.SAMPLE;
    }

    @Override
    public String evidence(byte[] reportData) throws AttesterException {
        if (reportData == null) {
            throw new AttesterException("sample evidence needs report data");
        }
        ObjectNode quote = json.createObjectNode();
        quote.put("svn", SVN);
        quote.put("report_data", Base64.getEncoder().encodeToString(reportData));
        try {
            return json.writeValueAsString(quote);
        } catch (JsonProcessingException e) {
            throw new AttesterException("serialising sample evidence failed", e);
        }
    }
}
