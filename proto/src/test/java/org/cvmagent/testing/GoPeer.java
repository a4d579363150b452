package org.cvmagent.testing;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The real Go ttRPC peer (containerd's ttrpc as packaged by Debian) for interop tests and benchmarks.
 *
 * <p>{@link #get()} builds {@code proto/src/test/go/ttrpc-peer} with the Debian Go toolchain in GOPATH
 * mode (offline: {@code GOPATH=/usr/share/gocode GO111MODULE=off}) into the calling module's
 * {@code target/go-bin/}, rebuilding only when the Go sources or the toolchain changed. A missing
 * toolchain or library is a test failure, never a skip.
 *
 * <p>Subcommands, all taking {@code --socket PATH}: {@code check} (calls an agent like a kata shim),
 * {@code call} (one raw call), {@code serve} (service {@code cvmagent.test.Echo}: Echo, Fail, Sleep,
 * Metadata), {@code bench} (load on Echo) and {@code pod} (a whole pod as kata's runtime drives it;
 * run through {@link #run} by the agent's tests). See the Go sources for the JSON they print.
 */
public final class GoPeer {

  /** Message every missing-prerequisite failure starts with. */
  public static final String MISSING = "Go toolchain or ttrpc package missing: run scripts/setup";

  /** Where the Go peer's sources live, relative to the repository root. */
  public static final Path SOURCE_DIR = Path.of("proto", "src", "test", "go", "ttrpc-peer");

  private static final String GOPATH = System.getProperty("cvmagent.gopath", "/usr/share/gocode");
  private static final List<String> REQUIRED_GO_PACKAGES = List.of(
      "github.com/containerd/ttrpc", "google.golang.org/protobuf/encoding/protowire",
      "google.golang.org/grpc/status");
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(5);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};
  private static final Map<Path, GoPeer> BUILT = new ConcurrentHashMap<>();
  private static final ExecutorService DRAINERS = Executors.newCachedThreadPool(
      Thread.ofPlatform().name("go-peer-pipe-", 0).daemon().factory());

  private final Path binary;

  private GoPeer(Path binary) {
    this.binary = binary;
  }

  /**
   * The peer built from this repository's sources into {@code <module>/target/go-bin}, where
   * {@code <module>} is Surefire's {@code basedir} (or the working directory).
   */
  public static GoPeer get() {
    Path module = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
    return build(findSourceDir(module), module.resolve("target").resolve("go-bin"));
  }

  /** The peer built from {@code sourceDir} into {@code outputDir} (binary {@code ttrpc-peer}). */
  public static GoPeer build(Path sourceDir, Path outputDir) {
    Path out = outputDir.toAbsolutePath().normalize();
    return BUILT.computeIfAbsent(out, o -> new GoPeer(buildInto(sourceDir.toAbsolutePath().normalize(), o)));
  }

  /** Walks up from {@code start} to the directory holding {@link #SOURCE_DIR}, and returns that source dir. */
  public static Path findSourceDir(Path start) {
    for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(SOURCE_DIR);
      if (Files.isRegularFile(candidate.resolve("main.go"))) {
        return candidate;
      }
    }
    throw new IllegalStateException("no " + SOURCE_DIR + " above " + start);
  }

  public Path binary() {
    return binary;
  }

  // ---------------------------------------------------------------------------------------------
  // Building

  private static Path buildInto(Path sourceDir, Path outputDir) {
    Path go = findGo();
    for (String pkg : REQUIRED_GO_PACKAGES) {
      if (!Files.isDirectory(Path.of(GOPATH, "src").resolve(pkg))) {
        throw new IllegalStateException(MISSING + " (no Go package " + pkg + " under " + GOPATH + "/src)");
      }
    }
    try {
      Files.createDirectories(outputDir);
      Path bin = outputDir.resolve("ttrpc-peer");
      Path stamp = outputDir.resolve("ttrpc-peer.sha256");
      // Lock against other JVMs (parallel module builds) building into the same directory.
      try (FileChannel lockFile = FileChannel.open(outputDir.resolve(".lock"),
              StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = lockFile.lock()) {
        String hash = sourceHash(sourceDir, goVersion(go));
        if (Files.isExecutable(bin) && Files.isRegularFile(stamp)
            && Files.readString(stamp).strip().equals(hash)) {
          return bin;
        }
        Path tmp = outputDir.resolve("ttrpc-peer.tmp");
        // GOPATH mode refuses absolute package paths: build "." from inside the source dir.
        List<String> cmd = List.of(go.toString(), "build", "-o", tmp.toString(), ".");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(sourceDir.toFile());
        Map<String, String> env = pb.environment();
        env.put("GOPATH", GOPATH);
        env.put("GO111MODULE", "off");
        env.put("GOCACHE", outputDir.resolve("gocache").toString());
        env.put("CGO_ENABLED", "0"); // static binary; no C compiler needed
        env.put("GOFLAGS", "");
        env.put("GOTOOLCHAIN", "local");
        Result r = run(pb, BUILD_TIMEOUT);
        if (r.exitCode() != 0) {
          throw new IllegalStateException("building the Go ttRPC peer failed (exit " + r.exitCode() + "): "
              + String.join(" ", cmd) + " in " + sourceDir + "\n" + r.stderr()
              + (r.stderr().contains("cannot find package") ? "\n" + MISSING : ""));
        }
        Files.move(tmp, bin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.writeString(stamp, hash + "\n");
        return bin;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("building the Go ttRPC peer into " + outputDir, e);
    }
  }

  private static Path findGo() {
    List<Path> candidates = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String dir : path.split(":")) {
        if (!dir.isEmpty()) {
          candidates.add(Path.of(dir, "go"));
        }
      }
    }
    candidates.add(Path.of("/usr/lib/go/bin/go"));
    candidates.add(Path.of("/usr/bin/go"));
    for (Path c : candidates) {
      if (Files.isRegularFile(c) && Files.isExecutable(c)) {
        return c;
      }
    }
    throw new IllegalStateException(MISSING + " (no 'go' on PATH)");
  }

  private static String goVersion(Path go) {
    Result r = run(new ProcessBuilder(go.toString(), "version"), Duration.ofSeconds(30));
    if (r.exitCode() != 0) {
      throw new IllegalStateException(MISSING + " ('" + go + " version' failed: " + r.stderr().strip() + ")");
    }
    return r.stdout().strip();
  }

  /** SHA-256 over the toolchain version and every file of the source dir (names and contents). */
  private static String sourceHash(Path sourceDir, String goVersion) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    sha.update((goVersion + "\0" + GOPATH + "\0CGO_ENABLED=0\0").getBytes(StandardCharsets.UTF_8));
    List<Path> files;
    try (Stream<Path> s = Files.walk(sourceDir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      sha.update((sourceDir.relativize(f) + "\0").getBytes(StandardCharsets.UTF_8));
      byte[] content = Files.readAllBytes(f);
      sha.update((content.length + "\0").getBytes(StandardCharsets.UTF_8));
      sha.update(content);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  // ---------------------------------------------------------------------------------------------
  // Running

  /** What a finished run of the peer left. */
  public record Result(int exitCode, String stdout, String stderr) {}

  /** Runs {@code ttrpc-peer args...} with stdin closed; kills it and throws after {@code timeout}. */
  public Result run(Duration timeout, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(args);
    return run(new ProcessBuilder(cmd), timeout);
  }

  /** Runs {@code check} against the agent on {@code socket}; the parsed JSON object. */
  public Map<String, Object> check(Path socket, Duration timeout, Map<String, String> metadata) {
    List<String> args = new ArrayList<>(List.of("check", "--socket", socket.toString(),
        "--timeout", goDuration(timeout)));
    addMetadata(args, metadata);
    return json("check", run(overall(timeout, 5), args));
  }

  public Map<String, Object> check(Path socket) {
    return check(socket, Duration.ofSeconds(10), Map.of());
  }

  /**
   * One call of {@code fullMethod} ("service/method") with raw request bytes; the parsed JSON
   * (keys method, ok, code, code_name, message, elapsed_us, response_hex or transport_error). An
   * error status is returned, not thrown; a transport failure (exit 1) is thrown.
   */
  public Map<String, Object> call(Path socket, String fullMethod, byte[] request, Duration timeout,
      Map<String, String> metadata) {
    List<String> args = new ArrayList<>(List.of("call", "--socket", socket.toString(), "--method", fullMethod,
        "--request-hex", HexFormat.of().formatHex(request), "--timeout", goDuration(timeout)));
    addMetadata(args, metadata);
    return json("call", run(overall(timeout, 1), args));
  }

  /** Starts {@code serve} on {@code socket} and returns once it printed READY. */
  public Server serve(Path socket, String... extraArgs) {
    List<String> cmd = new ArrayList<>(List.of(binary.toString(), "serve", "--socket", socket.toString()));
    cmd.addAll(List.of(extraArgs));
    return new Server(cmd, socket);
  }

  /** Runs {@code bench} against a {@code cvmagent.test.Echo} server on {@code socket}. */
  public BenchResult bench(Path socket, BenchOptions o) {
    List<String> args = new ArrayList<>(List.of("bench", "--socket", socket.toString(),
        "--concurrency", Integer.toString(o.concurrency()),
        "--connections", Integer.toString(o.connections()),
        "--payload", Integer.toString(o.payloadBytes()),
        "--timeout", goDuration(o.callTimeout())));
    Duration limit;
    if (o.calls() > 0) {
      args.addAll(List.of("--calls", Long.toString(o.calls())));
      limit = Duration.ofMinutes(5);
    } else {
      args.addAll(List.of("--duration", goDuration(o.duration())));
      limit = o.duration().plus(o.callTimeout()).plusSeconds(30);
    }
    if (!o.warmup().isZero()) {
      args.addAll(List.of("--warmup", goDuration(o.warmup())));
      limit = limit.plus(o.warmup());
    }
    Map<String, Object> m = json("bench", run(limit, args));
    return new BenchResult(
        num(m, "calls").longValue(), num(m, "errors").longValue(), num(m, "seconds").doubleValue(),
        num(m, "calls_per_sec").doubleValue(), num(m, "p50_us").doubleValue(), num(m, "p90_us").doubleValue(),
        num(m, "p99_us").doubleValue(), num(m, "max_us").doubleValue(), num(m, "mean_us").doubleValue(),
        num(m, "warmup_calls").longValue(), (String) m.getOrDefault("first_error", ""), m);
  }

  /**
   * Options for {@code bench}: exactly one of {@code calls > 0} or a positive {@code duration}.
   */
  public record BenchOptions(int concurrency, int connections, int payloadBytes, long calls, Duration duration,
      Duration warmup, Duration callTimeout) {
    public BenchOptions {
      Objects.requireNonNull(duration);
      Objects.requireNonNull(warmup);
      Objects.requireNonNull(callTimeout);
      if ((calls > 0) == (duration.compareTo(Duration.ZERO) > 0)) {
        throw new IllegalArgumentException("give exactly one of calls > 0 or a positive duration");
      }
    }

    public static BenchOptions calls(long calls) {
      return new BenchOptions(1, 1, 64, calls, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(10));
    }

    public static BenchOptions duration(Duration duration) {
      return new BenchOptions(1, 1, 64, 0, duration, Duration.ZERO, Duration.ofSeconds(10));
    }

    public BenchOptions concurrency(int n) {
      return new BenchOptions(n, connections, payloadBytes, calls, duration, warmup, callTimeout);
    }

    public BenchOptions connections(int k) {
      return new BenchOptions(concurrency, k, payloadBytes, calls, duration, warmup, callTimeout);
    }

    public BenchOptions payload(int bytes) {
      return new BenchOptions(concurrency, connections, bytes, calls, duration, warmup, callTimeout);
    }

    public BenchOptions warmup(Duration d) {
      return new BenchOptions(concurrency, connections, payloadBytes, calls, duration, d, callTimeout);
    }

    public BenchOptions callTimeout(Duration d) {
      return new BenchOptions(concurrency, connections, payloadBytes, calls, duration, warmup, d);
    }
  }

  /** {@code bench}'s output; {@code calls} counts failed calls too, {@code raw} is the whole JSON. */
  public record BenchResult(long calls, long errors, double seconds, double callsPerSec, double p50Us,
      double p90Us, double p99Us, double maxUs, double meanUs, long warmupCalls, String firstError,
      Map<String, Object> raw) {}

  /** A running {@code serve}; {@link #close()} stops it (SIGTERM) and waits. */
  public static final class Server implements AutoCloseable {
    private final Process process;
    private final Path socket;
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Thread stdoutReader;
    private final Thread stderrReader;
    private volatile int exitCode = -1;
    private volatile boolean readyLine;

    Server(List<String> cmd, Path socket) {
      this.socket = socket;
      try {
        process = new ProcessBuilder(cmd).start();
      } catch (IOException e) {
        throw new UncheckedIOException("starting " + cmd, e);
      }
      stderrReader = Thread.ofPlatform().daemon().name("go-peer-serve-stderr").start(() -> copy(process.getErrorStream(), stderr));
      stdoutReader = Thread.ofPlatform().daemon().name("go-peer-serve-stdout").start(this::readStdout);
      try {
        boolean ok = ready.await(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS) && readyLine;
        if (!ok) {
          close();
          throw new IllegalStateException("Go ttRPC peer `serve` did not become READY (exit " + exitCode
              + "): " + String.join(" ", cmd) + "\n" + stderr());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new IllegalStateException("interrupted waiting for READY", e);
      }
    }

    private void readStdout() {
      try (var r = process.inputReader(StandardCharsets.UTF_8)) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.strip().equals("READY")) {
            readyLine = true;
            ready.countDown();
          }
        }
      } catch (IOException ignored) {
        // process gone
      } finally {
        ready.countDown();
      }
    }

    public Path socket() {
      return socket;
    }

    public long pid() {
      return process.pid();
    }

    public boolean isAlive() {
      return process.isAlive();
    }

    /** What the server wrote on stderr so far. */
    public String stderr() {
      synchronized (stderr) {
        return stderr.toString(StandardCharsets.UTF_8);
      }
    }

    /** The exit code once closed (-1 before). */
    public int exitCode() {
      return exitCode;
    }

    @Override
    public void close() {
      try {
        process.destroy(); // SIGTERM: graceful shutdown
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
        try {
          process.getOutputStream().close();
        } catch (IOException ignored) {
          // already gone
        }
        stdoutReader.join(Duration.ofSeconds(5));
        stderrReader.join(Duration.ofSeconds(5));
        if (!process.isAlive()) {
          exitCode = process.exitValue();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static Result run(ProcessBuilder pb, Duration timeout) {
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("starting " + pb.command(), e);
    }
    try {
      p.getOutputStream().close();
      // Own threads for both pipes, so a chatty child never blocks on a full pipe.
      CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> slurp(p.getInputStream()), DRAINERS);
      CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> slurp(p.getErrorStream()), DRAINERS);
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
        String stderr;
        try {
          stderr = err.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          stderr = "(unreadable)";
        }
        throw new IllegalStateException("timed out after " + timeout + ": " + String.join(" ", pb.command())
            + "\nstderr: " + stderr);
      }
      return new Result(p.exitValue(), out.get(30, TimeUnit.SECONDS), err.get(30, TimeUnit.SECONDS));
    } catch (IOException e) {
      p.destroyForcibly();
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + pb.command(), e);
    } catch (ExecutionException | TimeoutException e) {
      p.destroyForcibly();
      throw new IllegalStateException("reading output of " + pb.command(), e);
    }
  }

  private static String slurp(InputStream in) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    copy(in, buf);
    return buf.toString(StandardCharsets.UTF_8);
  }

  private static void copy(InputStream in, OutputStream sink) {
    byte[] b = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(b)) >= 0) {
        synchronized (sink) {
          sink.write(b, 0, n);
        }
      }
    } catch (IOException ignored) {
      // the process went away; keep what we have
    }
  }

  private static Map<String, Object> json(String what, Result r) {
    if (r.exitCode() != 0) {
      throw new IllegalStateException("ttrpc-peer " + what + " failed (exit " + r.exitCode() + "): "
          + r.stderr().strip() + (r.stdout().isBlank() ? "" : "\nstdout: " + r.stdout().strip()));
    }
    try {
      return JSON.readValue(r.stdout(), MAP);
    } catch (IOException e) {
      throw new IllegalStateException("ttrpc-peer " + what + " printed no JSON object: " + r.stdout(), e);
    }
  }

  private static void addMetadata(List<String> args, Map<String, String> metadata) {
    for (Map.Entry<String, String> e : new LinkedHashMap<>(metadata).entrySet()) {
      args.add("--metadata");
      args.add(e.getKey() + "=" + e.getValue());
    }
  }

  /** Overall wall-clock limit for a command making {@code calls} calls of at most {@code perCall} each. */
  private static Duration overall(Duration perCall, int calls) {
    return perCall.multipliedBy(calls + 1).plusSeconds(30);
  }

  /** A duration in Go's time.ParseDuration syntax. */
  static String goDuration(Duration d) {
    return d.toNanos() + "ns";
  }

  private static Number num(Map<String, Object> m, String key) {
    Object v = m.get(key);
    if (v instanceof Number n) {
      return n;
    }
    throw new IllegalStateException("bench JSON has no number '" + key + "': " + m);
  }
}
