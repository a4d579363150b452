package org.cvmagent.proto;

import static org.cvmagent.proto.DescriptorTables.assertFields;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import org.cvmagent.proto.agent.AgentDetails;
import org.cvmagent.proto.agent.CopyFileRequest;
import org.cvmagent.proto.agent.CreateContainerRequest;
import org.cvmagent.proto.agent.Device;
import org.cvmagent.proto.agent.ExecProcessRequest;
import org.cvmagent.proto.agent.GuestDetailsResponse;
import org.cvmagent.proto.agent.LinuxSyscall;
import org.cvmagent.proto.agent.Process;
import org.cvmagent.proto.agent.ReadStreamRequest;
import org.cvmagent.proto.agent.ReadStreamResponse;
import org.cvmagent.proto.agent.Spec;
import org.cvmagent.proto.agent.Storage;
import org.cvmagent.proto.agent.MemAgentMemcgConfig;
import org.cvmagent.proto.types.Interface;
import org.cvmagent.proto.types.Route;
import org.junit.jupiter.api.Test;

/**
 * Field numbers, names and types of the messages the agent relies on most, written out from
 * kata-containers main (agent.proto, oci.proto, types.proto). Each table is the complete
 * field list, so an added or dropped field fails too.
 */
class MessageFieldContractTest {

    @Test
    void createContainerRequest() {
        assertFields(CreateContainerRequest.getDescriptor(),
                "1 container_id string",
                "2 exec_id string",
                "3 string_user grpc.StringUser",
                "4 devices repeated grpc.Device",
                "5 storages repeated grpc.Storage",
                "6 OCI grpc.Spec",
                "7 sandbox_pidns bool",
                "8 shared_mounts repeated grpc.SharedMount",
                "9 stdin_port uint32",
                "10 stdout_port uint32",
                "11 stderr_port uint32");
    }

    @Test
    void execProcessRequest() {
        assertFields(ExecProcessRequest.getDescriptor(),
                "1 container_id string",
                "2 exec_id string",
                "3 string_user grpc.StringUser",
                "4 process grpc.Process",
                "5 stdin_port uint32",
                "6 stdout_port uint32",
                "7 stderr_port uint32");
    }

    @Test
    void readStream() {
        assertFields(ReadStreamRequest.getDescriptor(),
                "1 container_id string",
                "2 exec_id string",
                "3 len uint32");
        assertFields(ReadStreamResponse.getDescriptor(),
                "1 data bytes");
    }

    @Test
    void guestDetails() {
        assertFields(GuestDetailsResponse.getDescriptor(),
                "1 mem_block_size_bytes uint64",
                "2 agent_details grpc.AgentDetails",
                "3 support_mem_hotplug_probe bool");
        assertFields(AgentDetails.getDescriptor(),
                "1 version string",
                "2 init_daemon bool",
                "3 device_handlers repeated string",
                "4 storage_handlers repeated string",
                "5 supports_seccomp bool",
                "6 extra_features repeated string");
    }

    @Test
    void storageAndDevice() {
        assertFields(Storage.getDescriptor(),
                "1 driver string",
                "2 driver_options repeated string",
                "3 source string",
                "4 fstype string",
                "5 options repeated string",
                "6 mount_point string",
                "7 fs_group grpc.FSGroup",
                "8 shared bool");
        assertFields(Device.getDescriptor(),
                "1 id string",
                "2 type string",
                "3 vm_path string",
                "4 container_path string",
                "5 options repeated string");
    }

    @Test
    void networkTypes() {
        assertFields(Interface.getDescriptor(),
                "1 device string",
                "2 name string",
                "3 IPAddresses repeated types.IPAddress",
                "4 mtu uint64",
                "5 hwAddr string",
                "6 devicePath string",
                "7 type string",
                "8 raw_flags uint32");
        assertFields(Route.getDescriptor(),
                "1 dest string",
                "2 gateway string",
                "3 device string",
                "4 source string",
                "5 scope uint32",
                "6 family types.IPFamily",
                "7 flags uint32",
                "8 mtu uint32");
    }

    @Test
    void ociSpecAndProcess() {
        assertFields(Spec.getDescriptor(),
                "1 Version string",
                "2 Process grpc.Process",
                "3 Root grpc.Root",
                "4 Hostname string",
                "5 Mounts repeated grpc.Mount",
                "6 Hooks grpc.Hooks",
                "7 Annotations map<string,string>",
                "8 Linux grpc.Linux",
                "9 Solaris grpc.Solaris",
                "10 Windows grpc.Windows");
        assertFields(Process.getDescriptor(),
                "1 Terminal bool",
                "2 ConsoleSize grpc.Box",
                "3 User grpc.User",
                "4 Args repeated string",
                "5 Env repeated string",
                "6 Cwd string",
                "7 Capabilities grpc.LinuxCapabilities",
                "8 Rlimits repeated grpc.POSIXRlimit",
                "9 NoNewPrivileges bool",
                "10 ApparmorProfile string",
                "11 OOMScoreAdj int64",
                "12 SelinuxLabel string");
    }

    @Test
    void copyFileRequest() {
        assertFields(CopyFileRequest.getDescriptor(),
                "1 path string",
                "2 file_size int64",
                "3 file_mode uint32",
                "4 dir_mode uint32",
                "5 uid int32",
                "6 gid int32",
                "7 offset int64",
                "8 data bytes");
    }

    @Test
    void oneofAndProto3Optional() {
        assertFields(LinuxSyscall.getDescriptor(),
                "1 Names repeated string",
                "2 Action string",
                "3 errnoret oneof ErrnoRet uint32",
                "4 Args repeated grpc.LinuxSeccompArg");
        assertFields(MemAgentMemcgConfig.getDescriptor(),
                "1 disabled optional bool",
                "2 swap optional bool",
                "3 swappiness_max optional uint32",
                "4 period_secs optional uint64",
                "5 period_psi_percent_limit optional uint32",
                "6 eviction_psi_percent_limit optional uint32",
                "7 eviction_run_aging_count_min optional uint64");
    }

    @Test
    void readStreamRequestBytesOnTheWire() throws Exception {
        // tag 0x0a "c1", tag 0x12 "e1", tag 0x18 varint 1024 (0x80 0x08)
        byte[] wire = {0x0a, 2, 'c', '1', 0x12, 2, 'e', '1', 0x18, (byte) 0x80, 0x08};
        ReadStreamRequest req = ReadStreamRequest.newBuilder()
                .setContainerId("c1").setExecId("e1").setLen(1024).build();
        assertArrayEquals(wire, req.toByteArray());
        assertEquals(req, ReadStreamRequest.parseFrom(wire));
        assertEquals(ByteString.copyFromUtf8("x"),
                ReadStreamResponse.parseFrom(new byte[] {0x0a, 1, 'x'}).getData());
    }
}
