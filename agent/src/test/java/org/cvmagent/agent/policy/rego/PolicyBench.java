package org.cvmagent.agent.policy.rego;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Agent policy figures on kata's genpolicy test cases; prints, never judges. Run with
 * {@code bin/bench policy [--rounds N] [--warmup N] [--cases DIR]}: per case, the parse (compile) time of its
 * policy.rego, the heap a loaded policy holds, and per-decision latency (p50/p99 after warm-up)
 * over all its requests and over its CreateContainerRequests alone.
 */
public final class PolicyBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PolicyBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = 20;
        int warmup = 20;
        Path cases = Path.of("../shared/testdata/kata-policy");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--cases" -> cases = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --rounds N, --warmup N, --cases DIR)");
            }
        }
        List<Path> dirs;
        try (Stream<Path> list = Files.list(cases)) {
            dirs = list.filter(Files::isDirectory).sorted().toList();
        }
        // The JIT compiles the evaluator for whatever runs first: without a pass over every case
        // first, the first case's figures would be those of a half-compiled evaluator.
        long cold = -1;
        for (Path dir : dirs) {
            long first = warmUp(dir, warmup);
            cold = cold < 0 ? first : cold;
        }
        System.out.printf("%-16s %9s %9s %9s %9s %11s %11s %11s  (%d rounds)%n", "case", "parse ms", "heap MiB",
                "all p50", "all p99", "CreateC p50", "CreateC p99", "CreateC cpu", rounds);
        for (Path dir : dirs) {
            bench(dir, rounds, warmup);
        }
        System.out.printf("latencies in ms per decision after %d warm-up rounds of every case, state carried between"
                + " requests as in the agent; CreateC cpu = p50 of the calling thread's CPU time per"
                + " CreateContainerRequest%n", warmup);
        if (cold >= 0) {
            System.out.printf("cold: the run's first CreateContainerRequest (%s, nothing compiled yet, as in a new guest's"
                    + " first pod) took %.3f ms%n", dirs.getFirst().getFileName(), cold / 1e6);
        }
    }

    /** Rounds over a case's requests, measuring nothing but the first CreateContainerRequest (-1 if none). */
    private static long warmUp(Path dir, int rounds) throws Exception {
        RegoPolicy policy = RegoPolicy.compile(List.of(Files.readString(dir.resolve("policy.rego"))));
        List<KataPolicyTest.Request> requests = KataPolicyTest.requests(dir);
        long first = -1;
        for (int round = 0; round < rounds; round++) {
            JsonNode data = JSON.createObjectNode().set("pstate", JSON.createObjectNode());
            for (KataPolicyTest.Request request : requests) {
                long start = System.nanoTime();
                QueryResult result = policy.query("data.agent_policy." + request.rule(), request.input(), data);
                if (first < 0 && request.rule().equals("CreateContainerRequest")) {
                    first = System.nanoTime() - start;
                }
                data = next(data, result);
            }
        }
        return first;
    }

    /** The policy state after a decision: its {allowed, ops} patches applied, as the agent does. */
    private static JsonNode next(JsonNode data, QueryResult result) {
        JsonNode value = result.value().orElse(null);
        if (value != null && value.isObject() && value.has("ops")) {
            return org.cvmagent.agent.policy.JsonPatch.apply(data, value.get("ops"));
        }
        return data;
    }

    private static void bench(Path dir, int rounds, int warmup) throws Exception {
        String source = Files.readString(dir.resolve("policy.rego"));
        for (int i = 0; i < 5; i++) {
            RegoPolicy.compile(List.of(source)); // warm up the parser
        }
        long[] parses = new long[10];
        for (int i = 0; i < parses.length; i++) {
            long start = System.nanoTime();
            RegoPolicy.compile(List.of(source));
            parses[i] = System.nanoTime() - start;
        }
        long heapBefore = usedHeap();
        RegoPolicy policy = RegoPolicy.compile(List.of(source));
        long heap = usedHeap() - heapBefore;
        List<KataPolicyTest.Request> requests = KataPolicyTest.requests(dir);
        List<Long> all = new ArrayList<>();
        List<Long> create = new ArrayList<>();
        List<Long> createCpu = new ArrayList<>();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int round = -warmup; round < rounds; round++) {
            JsonNode data = JSON.createObjectNode().set("pstate", JSON.createObjectNode());
            for (KataPolicyTest.Request request : requests) {
                long cpuStart = threads.getCurrentThreadCpuTime();
                long start = System.nanoTime();
                QueryResult result = policy.query("data.agent_policy." + request.rule(), request.input(), data);
                long elapsed = System.nanoTime() - start;
                long cpu = threads.getCurrentThreadCpuTime() - cpuStart;
                data = next(data, result);
                if (round >= 0) {
                    all.add(elapsed);
                    if (request.rule().equals("CreateContainerRequest")) {
                        create.add(elapsed);
                        createCpu.add(cpu);
                    }
                }
            }
        }
        System.out.printf("%-16s %9.1f %9.1f %9.3f %9.3f %11s %11s %11s%n", dir.getFileName(), median(parses) / 1e6,
                heap / 1048576.0, pct(all, 50), pct(all, 99),
                create.isEmpty() ? "-" : String.format("%.3f", pct(create, 50)),
                create.isEmpty() ? "-" : String.format("%.3f", pct(create, 99)),
                create.isEmpty() ? "-" : String.format("%.3f", pct(createCpu, 50)));
        Reference.reachabilityFence(policy); // measured above: keep it alive until here
    }

    private static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static double pct(List<Long> nanos, int percentile) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        return sorted[Math.min(sorted.length - 1, sorted.length * percentile / 100)] / 1e6;
    }

    private static long median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
