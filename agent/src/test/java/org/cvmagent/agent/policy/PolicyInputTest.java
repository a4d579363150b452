package org.cvmagent.agent.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import org.cvmagent.proto.agent.CopyFileRequest;
import org.cvmagent.proto.agent.LinuxSyscall;
import org.cvmagent.proto.agent.MemAgentMemcgConfig;
import org.cvmagent.proto.agent.WriteStreamRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyInputTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final RequestTypes types = RequestTypes.agentService();

    /**
     * The main proof of the shape: every request kata logged in the test data, read into our
     * protobuf message and written back, is the same JSON.
     */
    @Test
    void everyLoggedKataRequestRoundTrips() {
        List<String> mismatches = new ArrayList<>();
        Set<String> seenTypes = new TreeSet<>();
        int checked = 0;
        for (KataPolicyCases.Line line : KataPolicyCases.lines()) {
            if (line.requestType().equals("AllowRequestsFailingPolicy")) {
                continue;
            }
            Message.Builder builder = types.builder(line.requestType())
                    .orElseThrow(() -> new AssertionError("unknown request type " + line));
            JsonNode back;
            try {
                back = roundTrip(KataProtoDrift.upgrade(line.input()), builder);
            } catch (RuntimeException e) {
                mismatches.add(line + ": " + e.getMessage());
                continue;
            }
            List<String> differences = new ArrayList<>();
            KataProtoDrift.diff("", KataProtoDrift.upgrade(line.input()), back, differences);
            if (!differences.isEmpty()) {
                mismatches.add(line + ": " + differences);
            }
            seenTypes.add(line.requestType());
            checked++;
        }
        assertEquals(List.of(), mismatches, String.join("\n", mismatches));
        assertTrue(checked >= 250, "checked " + checked);
        assertTrue(seenTypes.containsAll(Set.of("CreateContainerRequest", "CreateSandboxRequest", "CopyFileRequest",
                "ExecProcessRequest", "UpdateInterfaceRequest", "UpdateRoutesRequest")), seenTypes.toString());
    }

    /** CopyFile lines carry kata's pre-processing: the symlink target returns as the data it came from. */
    private static JsonNode roundTrip(JsonNode input, Message.Builder builder) {
        if (builder instanceof CopyFileRequest.Builder copyFile) {
            ObjectNode fields = input.deepCopy();
            String target = fields.remove("symlink_src").asText();
            PolicyInput.fromJson(fields, copyFile).setData(ByteString.copyFromUtf8(target));
            return PolicyInput.forPolicy(copyFile.build(), CopyFileInput.Shape.SYMLINK_SRC);
        }
        return PolicyInput.forPolicy(PolicyInput.fromJson(input, builder).build(), CopyFileInput.Shape.KATA);
    }

    @Test
    void copyFileInKataShapeLeavesTheDataOutAndNamesTheFileType() throws Exception {
        CopyFileRequest link = CopyFileRequest.newBuilder().setPath("/run/x/lnk").setFileMode(0120777)
                .setDirMode(0x800001e8).setData(ByteString.copyFromUtf8("..data/token")).build();
        assertEquals(JSON.readTree("""
                {"path":"/run/x/lnk","file_type":"Symlink","symlink_target":"..data/token","file_size":0,
                 "file_mode":41471,"dir_mode":2147484136,"uid":0,"gid":0,"offset":0}"""),
                PolicyInput.forPolicy(link, CopyFileInput.Shape.KATA));
        CopyFileRequest file = CopyFileRequest.newBuilder().setPath("/f").setFileMode(0100644).setFileSize(3)
                .setData(ByteString.copyFromUtf8("abc")).build();
        JsonNode json = PolicyInput.forPolicy(file, CopyFileInput.Shape.KATA);
        assertEquals("Regular", json.get("file_type").asText());
        assertTrue(json.get("symlink_target").isNull());
        assertTrue(!json.has("data"));
        assertEquals("Directory", CopyFileInput.fileType(040755));
        assertEquals("Unknown", CopyFileInput.fileType(0140755));
        assertEquals("Unknown", CopyFileInput.fileType(0));
    }

    @Test
    void aSymlinkTargetThatIsNotUtf8IsRefused() {
        CopyFileRequest bad = CopyFileRequest.newBuilder().setFileMode(0120777)
                .setData(ByteString.copyFrom(new byte[]{0, (byte) 0xff, (byte) 0xff, 0})).build();
        assertThrows(IllegalArgumentException.class, () -> PolicyInput.forPolicy(bad, CopyFileInput.Shape.KATA));
        assertThrows(IllegalArgumentException.class, () -> PolicyInput.forPolicy(bad, CopyFileInput.Shape.SYMLINK_SRC));
    }

    @Test
    void bytesAreArraysOfNumbersAndDefaultsAreWritten() throws Exception {
        WriteStreamRequest write = WriteStreamRequest.newBuilder().setContainerId("c")
                .setData(ByteString.copyFrom("hi\u00ff", StandardCharsets.ISO_8859_1)).build();
        assertEquals(JSON.readTree("{\"container_id\":\"c\",\"exec_id\":\"\",\"data\":[104,105,255]}"),
                PolicyInput.toJson(write));
        assertEquals(write, PolicyInput.fromJson(PolicyInput.toJson(write), WriteStreamRequest.newBuilder()).build());
    }

    @Test
    void unknownFieldsAndWrongTypesAreErrors() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> PolicyInput.fromJson(
                JSON.readTree("{\"containerId\":\"c\"}"), WriteStreamRequest.newBuilder()));
        assertThrows(IllegalArgumentException.class, () -> PolicyInput.fromJson(
                JSON.readTree("{\"container_id\":1}"), WriteStreamRequest.newBuilder()));
    }

    @Test
    void oneofIsTaggedOrNullAndProto3OptionalIsValueOrNull() throws Exception {
        LinuxSyscall withErrno = LinuxSyscall.newBuilder().addNames("ptrace").setAction("SCMP_ACT_ERRNO")
                .setErrnoret(1).build();
        assertEquals(JSON.readTree("{\"Names\":[\"ptrace\"],\"Action\":\"SCMP_ACT_ERRNO\",\"ErrnoRet\":{\"errnoret\":1},\"Args\":[]}"),
                PolicyInput.toJson(withErrno));
        LinuxSyscall without = LinuxSyscall.newBuilder().setAction("SCMP_ACT_ALLOW").build();
        assertTrue(PolicyInput.toJson(without).get("ErrnoRet").isNull());
        for (LinuxSyscall syscall : List.of(withErrno, without)) {
            assertEquals(syscall, PolicyInput.fromJson(PolicyInput.toJson(syscall), LinuxSyscall.newBuilder()).build());
        }
        MemAgentMemcgConfig memcg = MemAgentMemcgConfig.newBuilder().setSwap(true).setPeriodSecs(-1L).build();
        JsonNode json = PolicyInput.toJson(memcg);
        assertTrue(json.get("disabled").isNull());
        assertTrue(json.get("swap").asBoolean());
        assertEquals("18446744073709551615", json.get("period_secs").asText(), "uint64 is unsigned");
        assertEquals(memcg, PolicyInput.fromJson(json, MemAgentMemcgConfig.newBuilder()).build());
    }

    @Test
    void rustKeywordsGetAnUnderscore() {
        assertEquals("type_", PolicyInput.rustName("type"));
        assertEquals("ref_", PolicyInput.rustName("ref"));
        assertEquals("path", PolicyInput.rustName("path"));
    }
}
