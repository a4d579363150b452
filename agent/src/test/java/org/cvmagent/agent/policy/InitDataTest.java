package org.cvmagent.agent.policy;

import org.cvmagent.agent.initdata.MeasuredInitData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InitDataTest {

    static final String TOML = """
            algorithm = "sha384"
            version = "0.1.0"

            [data]
            "aa.toml" = '''
            [token_configs.kbs]
            url = "http://kbs.example:8080"
            '''

            "policy.rego" = '''
            package agent_policy

            default ExecProcessRequest := false
            '''
            """;

    @TempDir
    Path dir;

    static String gzipBase64(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
            gzip.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    @Test
    void plainToml() {
        InitData initData = InitData.parse(TOML);
        assertEquals("sha384", initData.algorithm());
        assertEquals("0.1.0", initData.version());
        assertTrue(initData.data().get("aa.toml").contains("kbs.example"));
        assertEquals("package agent_policy\n\ndefault ExecProcessRequest := false\n", initData.policy().orElseThrow());
    }

    @Test
    void gzipBase64AsOpenShiftPassesIt() {
        assertEquals(InitData.parse(TOML), InitData.parse(gzipBase64(TOML)));
        String wrapped = gzipBase64(TOML).replaceAll("(.{76})", "$1\n");
        assertEquals(InitData.parse(TOML), InitData.parse(wrapped + "\n"));
    }

    @Test
    void withoutAPolicy() {
        assertEquals(Optional.empty(), InitData.parse("algorithm = \"sha256\"\nversion = \"0.1.0\"\n").policy());
    }

    @Test
    void malformedInitDataIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> InitData.parse("version = \"0.1.0\""));
        assertThrows(IllegalArgumentException.class, () -> InitData.parse("algorithm = = ="));
        assertThrows(IllegalArgumentException.class, () -> InitData.parse("H4sIAAAA"));
        assertThrows(IllegalArgumentException.class, () -> InitData.parse(
                "algorithm = \"sha384\"\nversion = \"0.1.0\"\n[data]\n\"policy.rego\" = 3\n"));
    }

    @Test
    void initDataPolicyWinsOverTheDefaultFile() throws Exception {
        Path file = dir.resolve("default-policy.rego");
        Files.writeString(file, "package agent_policy\n");
        MeasuredInitData initData = MeasuredInitData.of(TOML.getBytes(StandardCharsets.UTF_8), "kernel command line");
        PolicySource fromInitData = PolicySource.resolve(file, Optional.of(initData)).orElseThrow();
        assertTrue(fromInitData.text().contains("ExecProcessRequest"));
        assertTrue(fromInitData.origin().contains("kernel command line"));

        PolicySource fallback = PolicySource.resolve(file, Optional.empty()).orElseThrow();
        assertEquals(file.toString(), fallback.origin());
        assertEquals(Optional.empty(), PolicySource.resolve(dir.resolve("none"), Optional.empty()));
    }
}
