package org.cvmagent.proto;

import static org.cvmagent.proto.DescriptorTables.assertFields;
import static org.cvmagent.proto.DescriptorTables.assertMethods;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Descriptors.FileDescriptor;
import org.cvmagent.proto.attestation.AttestationAgentProto;
import org.cvmagent.proto.attestation.ExtendRuntimeMeasurementRequest;
import org.cvmagent.proto.cdh.ConfidentialDataHubProto;
import org.cvmagent.proto.cdh.SecureMountRequest;
import org.junit.jupiter.api.Test;

/**
 * The CoCo guest-components APIs, written out from guest-components main (8246e5e0977f):
 * protos/protos/attestation-agent/attestation-agent.proto and
 * protos/protos/confidential-data-hub/api.proto.
 */
class CocoServicesContractTest {

    @Test
    void attestationAgentService() {
        FileDescriptor file = AttestationAgentProto.getDescriptor();
        assertEquals("attestation_agent", file.getPackage());
        assertEquals(1, file.getServices().size());
        assertMethods(file.findServiceByName("AttestationAgentService"),
                "GetEvidence(attestation_agent.GetEvidenceRequest) -> attestation_agent.GetEvidenceResponse",
                "GetAdditionalEvidence(attestation_agent.GetAdditionalEvidenceRequest) -> attestation_agent.GetEvidenceResponse",
                "GetToken(attestation_agent.GetTokenRequest) -> attestation_agent.GetTokenResponse",
                "ExtendRuntimeMeasurement(attestation_agent.ExtendRuntimeMeasurementRequest) -> attestation_agent.ExtendRuntimeMeasurementResponse",
                "BindInitData(attestation_agent.BindInitDataRequest) -> attestation_agent.BindInitDataResponse",
                "GetTeeType(attestation_agent.GetTeeTypeRequest) -> attestation_agent.GetTeeTypeResponse",
                "GetAdditionalTees(attestation_agent.GetAdditionalTeesRequest) -> attestation_agent.GetAdditionalTeesResponse");
        assertFields(ExtendRuntimeMeasurementRequest.getDescriptor(),
                "1 Domain string",
                "2 Operation string",
                "3 Content string",
                "4 RegisterIndex optional uint64");
    }

    @Test
    void confidentialDataHubServices() {
        FileDescriptor file = ConfidentialDataHubProto.getDescriptor();
        assertEquals("api", file.getPackage());
        assertEquals(4, file.getServices().size());
        assertMethods(file.findServiceByName("SealedSecretService"),
                "UnsealSecret(api.UnsealSecretInput) -> api.UnsealSecretOutput");
        assertMethods(file.findServiceByName("GetResourceService"),
                "GetResource(api.GetResourceRequest) -> api.GetResourceResponse");
        assertMethods(file.findServiceByName("SecureMountService"),
                "SecureMount(api.SecureMountRequest) -> api.SecureMountResponse");
        assertMethods(file.findServiceByName("ImagePullService"),
                "PullImage(api.ImagePullRequest) -> api.ImagePullResponse");
        assertFields(SecureMountRequest.getDescriptor(),
                "1 volume_type string",
                "2 options map<string,string>",
                "3 flags repeated string",
                "4 mount_point string");
    }
}
