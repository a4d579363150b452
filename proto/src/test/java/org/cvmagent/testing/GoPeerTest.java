package org.cvmagent.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Go ttRPC peer against itself: containerd's ttrpc client and server, both in Go. */
class GoPeerTest {

  static GoPeer peer;

  @TempDir
  Path dir;

  @BeforeAll
  static void build() {
    peer = GoPeer.get();
  }

  @Test
  void benchAgainstServe() {
    try (GoPeer.Server server = peer.serve(dir.resolve("echo.sock"))) {
      GoPeer.BenchResult r = peer.bench(server.socket(),
          GoPeer.BenchOptions.calls(1000).concurrency(4).payload(64));
      assertEquals(1000, r.calls(), r.raw().toString());
      assertEquals(0, r.errors(), r.firstError());
      assertTrue(r.callsPerSec() > 0 && r.p50Us() > 0 && r.p99Us() >= r.p50Us(), r.raw().toString());
    }
  }

  @Test
  void benchForADurationOverSeveralConnections() {
    try (GoPeer.Server server = peer.serve(dir.resolve("echo.sock"))) {
      GoPeer.BenchResult r = peer.bench(server.socket(), GoPeer.BenchOptions.duration(Duration.ofMillis(300))
          .warmup(Duration.ofMillis(100)).concurrency(4).connections(2).payload(4096));
      assertTrue(r.calls() > 0, r.raw().toString());
      assertEquals(0, r.errors(), r.firstError());
      assertTrue(r.warmupCalls() > 0, r.raw().toString());
      assertEquals(2, ((Number) r.raw().get("connections")).intValue());
    }
  }

  @Test
  void serveStopsOnCloseAndRemovesItsSocket() {
    Path socket = dir.resolve("stop.sock");
    GoPeer.Server server = peer.serve(socket);
    assertTrue(Files.exists(socket));
    server.close();
    assertFalse(server.isAlive());
    assertEquals(0, server.exitCode(), server.stderr());
    assertFalse(Files.exists(socket));
  }

  @Test
  void echoFailSleepAndMetadata() {
    try (GoPeer.Server server = peer.serve(dir.resolve("echo.sock"))) {
      Duration t = Duration.ofSeconds(5);
      // EchoRequest{payload = "hi"}: field 1, wire type 2.
      Map<String, Object> echo = peer.call(server.socket(), "cvmagent.test.Echo/Echo",
          HexFormat.of().parseHex("0a026869"), t, Map.of());
      assertEquals(true, echo.get("ok"), echo.toString());
      assertEquals("0a026869", echo.get("response_hex"));

      Map<String, Object> fail = peer.call(server.socket(), "cvmagent.test.Echo/Fail", new byte[0], t, Map.of());
      assertEquals(false, fail.get("ok"));
      assertEquals(9, fail.get("code"));
      assertEquals("FAILED_PRECONDITION", fail.get("code_name"));
      assertEquals("fail requested", fail.get("message"));

      // SleepRequest{millis = 10}
      Map<String, Object> sleep = peer.call(server.socket(), "cvmagent.test.Echo/Sleep",
          HexFormat.of().parseHex("080a"), t, Map.of());
      assertEquals(true, sleep.get("ok"), sleep.toString());

      Map<String, Object> md = peer.call(server.socket(), "cvmagent.test.Echo/Metadata", new byte[0], t,
          Map.of("X-Test", "v1"));
      byte[] resp = HexFormat.of().parseHex((String) md.get("response_hex"));
      // MetadataResponse{payload = JSON}: tag 0x0a, one-byte length, then the JSON text.
      assertEquals(0x0a, resp[0]);
      assertEquals("{\"x-test\":[\"v1\"]}", new String(resp, 2, resp[1], StandardCharsets.UTF_8));

      Map<String, Object> missing = peer.call(server.socket(), "cvmagent.test.Echo/Nope", new byte[0], t, Map.of());
      assertEquals("UNIMPLEMENTED", missing.get("code_name"));
      assertEquals("method Nope", missing.get("message"));
    }
  }

  @Test
  void sleepHonoursTheCallDeadline() {
    try (GoPeer.Server server = peer.serve(dir.resolve("echo.sock"))) {
      // SleepRequest{millis = 5000} with a 200 ms deadline. Either side may notice first: the Go
      // client's own deadline (`call` reports a transport-level failure, exit 1) or the server,
      // which got the deadline as timeout_nano (a DEADLINE_EXCEEDED status, exit 0). Both are right.
      GoPeer.Result r = peer.run(Duration.ofSeconds(30), List.of("call", "--socket", server.socket().toString(),
          "--method", "cvmagent.test.Echo/Sleep", "--request-hex", "08883b", "--timeout", "200ms"));
      assertTrue(r.exitCode() == 0 || r.exitCode() == 1, "exit " + r.exitCode() + ": " + r.stderr());
      assertTrue(r.stdout().contains("\"code_name\":\"DEADLINE_EXCEEDED\""), r.stdout());
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void checkDecodesAgentAnswers() {
    try (GoPeer.Server server = peer.serve(dir.resolve("agent.sock"), "--fake-agent")) {
      Map<String, Object> out = peer.check(server.socket(), Duration.ofSeconds(5), Map.of("k", "v"));

      Map<String, Object> health = (Map<String, Object>) out.get("health_check");
      assertEquals(true, health.get("ok"), out.toString());
      assertEquals("SERVING", ((Map<String, Object>) health.get("response")).get("status_name"));

      Map<String, Object> version = (Map<String, Object>) ((Map<String, Object>) out.get("health_version"))
          .get("response");
      assertEquals("0.0.0-ttrpc-peer-fake", version.get("agent_version"));

      Map<String, Object> details = (Map<String, Object>) ((Map<String, Object>) out.get("guest_details"))
          .get("response");
      assertEquals(134217728, ((Number) details.get("mem_block_size_bytes")).intValue());
      assertEquals(true, details.get("support_mem_hotplug_probe"));
      Map<String, Object> agent = (Map<String, Object>) details.get("agent_details");
      assertEquals(List.of("blk", "scsi"), agent.get("device_handlers"));
      assertEquals(List.of("ephemeral"), agent.get("storage_handlers"));
      assertEquals(true, agent.get("supports_seccomp"));

      Map<String, Object> noSuch = (Map<String, Object>) out.get("no_such_method");
      assertEquals(12, noSuch.get("code"));
      assertEquals("UNIMPLEMENTED", noSuch.get("code_name"));
      assertEquals("method NoSuchMethod", noSuch.get("message"));
      assertEquals("UNIMPLEMENTED", ((Map<String, Object>) out.get("create_container")).get("code_name"));
    }
  }

  @Test
  void checkFailsOnTransportFailure() {
    GoPeer.Result r = peer.run(Duration.ofSeconds(30),
        List.of("check", "--socket", dir.resolve("nobody-listens.sock").toString(), "--timeout", "1s"));
    assertEquals(1, r.exitCode());
    assertTrue(r.stderr().contains("connect"), r.stderr());
  }
}
