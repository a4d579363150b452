package org.cvmagent.bench;

import org.cvmagent.proto.test.EchoMessage;
import org.cvmagent.rpc.CallGate;
import org.cvmagent.rpc.Dispatcher;
import org.cvmagent.rpc.ServiceRegistry;
import org.cvmagent.testing.EchoService;
import org.cvmagent.testing.GoPeer;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.ServerOptions;
import org.cvmagent.ttrpc.TtrpcClient;
import org.cvmagent.ttrpc.TtrpcServer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Unary ttRPC round trips over a unix socket (service {@code cvmagent.test.Echo/Echo}) for three
 * pairings: our server + our client, our server + containerd's Go client, and containerd's Go
 * server + Go client. Prints p50, p99 and calls/s per payload size and caller count, and the
 * ratios of our server to the Go server (both driven by the Go client).
 *
 * <p>Run: {@code bin/bench [--duration 5s] [--warmup 2s]}. Figures, not pass/fail.
 */
public final class TtrpcBench {

    private static final Transports TRANSPORTS = new Transports();
    private static final int[] PAYLOADS = {64, 4096, 1 << 20};
    private static final int[] CALLERS = {1, 64};

    private record Figures(double p50Us, double p99Us, double callsPerSec, long errors) {
    }

    public static void main(String[] args) throws Exception {
        Duration duration = Duration.ofSeconds(5);
        Duration warmup = Duration.ofSeconds(2);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--duration" -> duration = Duration.ofMillis(millis(args[++i]));
                case "--warmup" -> warmup = Duration.ofMillis(millis(args[++i]));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (expected --duration D, --warmup D)");
            }
        }
        Path dir = Files.createTempDirectory("ttrpc-bench");
        GoPeer peer = GoPeer.get();
        Path ourSocket = dir.resolve("ours.sock");
        EchoService echo = new EchoService();
        TtrpcServer ours = new TtrpcServer(new Dispatcher(new ServiceRegistry(List.of(echo.binding())),
                CallGate.ALLOW_ALL), ServerOptions.DEFAULTS);
        ours.serve(TRANSPORTS.listen(AgentAddress.parse("unix://" + ourSocket)));

        System.out.printf(Locale.ROOT, "ttRPC unary Echo over a unix socket; %d cores; %s per cell after %s warm-up%n",
                Runtime.getRuntime().availableProcessors(), duration, warmup);
        System.out.printf(Locale.ROOT, "%-8s %-7s | %-27s | %-27s | %-27s | %-15s%n", "payload", "callers",
                "our server + our client", "our server + Go client", "Go server + Go client", "ours/Go (Go cl.)");
        System.out.printf(Locale.ROOT, "%-8s %-7s | %8s %8s %9s | %8s %8s %9s | %8s %8s %9s | %7s %7s%n", "", "",
                "p50 µs", "p99 µs", "calls/s", "p50 µs", "p99 µs", "calls/s", "p50 µs", "p99 µs", "calls/s",
                "p50", "calls/s");
        try (GoPeer.Server goServer = peer.serve(dir.resolve("go.sock"))) {
            for (int payload : PAYLOADS) {
                for (int callers : CALLERS) {
                    Figures javaJava = javaClient(ourSocket, payload, callers, warmup, duration);
                    Figures javaGo = goClient(peer, ourSocket, payload, callers, warmup, duration);
                    Figures goGo = goClient(peer, goServer.socket(), payload, callers, warmup, duration);
                    System.out.printf(Locale.ROOT,
                            "%-8s %-7d | %8.0f %8.0f %9.0f | %8.0f %8.0f %9.0f | %8.0f %8.0f %9.0f | %6.2fx %6.2fx%n",
                            size(payload), callers,
                            javaJava.p50Us, javaJava.p99Us, javaJava.callsPerSec,
                            javaGo.p50Us, javaGo.p99Us, javaGo.callsPerSec,
                            goGo.p50Us, goGo.p99Us, goGo.callsPerSec,
                            javaGo.p50Us / goGo.p50Us, javaGo.callsPerSec / goGo.callsPerSec);
                    long errors = javaJava.errors + javaGo.errors + goGo.errors;
                    if (errors > 0) {
                        System.out.println("  errors in this cell: " + errors);
                    }
                }
            }
        } finally {
            ours.close();
        }
        System.out.println("ours/Go: our server vs containerd's Go server, both driven by the Go client;"
                + " p50 below 1 and calls/s above 1 favour ours.");
    }

    private static Figures goClient(GoPeer peer, Path socket, int payload, int callers, Duration warmup,
                                    Duration duration) {
        GoPeer.BenchResult r = peer.bench(socket, GoPeer.BenchOptions.duration(duration)
                .concurrency(callers).payload(payload).warmup(warmup));
        return new Figures(r.p50Us(), r.p99Us(), r.callsPerSec(), r.errors());
    }

    private static Figures javaClient(Path socket, int payload, int callers, Duration warmup, Duration duration)
            throws Exception {
        EchoMessage request = EchoService.message(payload);
        try (TtrpcClient client = new TtrpcClient(TRANSPORTS.dial(AgentAddress.parse("unix://" + socket),
                Duration.ofSeconds(5)))) {
            run(client, request, callers, warmup, null);
            List<long[]> latencies = new ArrayList<>();
            AtomicLong errors = new AtomicLong();
            long start = System.nanoTime();
            run(client, request, callers, duration, new Recorder(latencies, errors));
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] all = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
            return new Figures(percentile(all, 0.50) / 1e3, percentile(all, 0.99) / 1e3, all.length / seconds,
                    errors.get());
        }
    }

    private record Recorder(List<long[]> latencies, AtomicLong errors) {
        synchronized void add(long[] values) {
            latencies.add(values);
        }
    }

    private static void run(TtrpcClient client, EchoMessage request, int callers, Duration length, Recorder recorder)
            throws InterruptedException {
        long end = System.nanoTime() + length.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            threads.add(Thread.ofVirtual().start(() -> {
                long[] mine = new long[1024];
                int n = 0;
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    try {
                        EchoMessage answer = client.call("cvmagent.test.Echo", "Echo", request, EchoMessage.parser());
                        if (answer.getPayload().size() != request.getPayload().size()) {
                            throw new IllegalStateException("echo changed the payload");
                        }
                    } catch (Exception e) {
                        if (recorder != null) {
                            recorder.errors().incrementAndGet();
                        }
                        continue;
                    }
                    if (n == mine.length) {
                        mine = Arrays.copyOf(mine, n * 2);
                    }
                    mine[n++] = System.nanoTime() - t0;
                }
                if (recorder != null) {
                    recorder.add(Arrays.copyOf(mine, n));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
    }

    private static String size(int bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : bytes >= 1024 ? (bytes >> 10) + " KiB" : bytes + " B";
    }

    private static long millis(String text) {
        if (text.endsWith("ms")) {
            return Long.parseLong(text.substring(0, text.length() - 2));
        }
        if (text.endsWith("s")) {
            return Long.parseLong(text.substring(0, text.length() - 1)) * 1000;
        }
        return Long.parseLong(text) * 1000;
    }
}
