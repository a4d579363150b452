package org.cvmagent.rootfs;

import org.cvmagent.agent.cli.AgentClient;
import org.cvmagent.agent.cli.PodClient;
import org.cvmagent.proto.agent.CheckRequest;
import org.cvmagent.proto.agent.HealthCheckResponse;
import org.cvmagent.proto.agent.HealthGrpc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * crun against runc in the guest (issue 16): boots the bench-only variants of the test image
 * {@code rootfs-bench-runc.img} and {@code rootfs-bench-crun.img} (the same files, their measured
 * agent.toml naming runc, and crun; {@code rootfs/build --bench-runtimes}), and in each runs a sandbox
 * container, then N lifecycles of {@code /bin/true}: CreateContainer, StartContainer, WaitProcess,
 * RemoveContainer, under the image's confidential default policy, timed from the host over
 * virtio-serial. Prints p50/p90 per step and runtime; never judges them. The runtime is never
 * chosen by the host: each image's own file says it.
 *
 * <p>Run with {@code bin/bench guest-runtime [--iterations N] [--rounds R]}; rounds alternate the
 * images (runc, crun, runc, crun, ...) so both see the machine's load alike.
 */
public final class GuestRuntimeBench {

    private static final String[] STEPS = {"CreateContainer", "StartContainer", "WaitProcess", "RemoveContainer",
        "lifecycle"};
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);

    private GuestRuntimeBench() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = 20;
        int rounds = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--iterations" -> iterations = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (expected --iterations N, --rounds R)");
            }
        }
        GuestImage image = GuestImage.ofCheckout();
        Map<String, String> images = new LinkedHashMap<>();
        images.put("runc", "rootfs-bench-runc.img");
        images.put("crun", "rootfs-bench-crun.img");
        Map<String, List<long[]>> results = new LinkedHashMap<>();
        Path work = Files.createTempDirectory("cvm-bench-guest-runtime");
        System.out.printf("guest runtime benchmark: %d lifecycles of /bin/true per boot, %d round(s), QEMU TCG, %d vCPU%n",
                iterations, rounds, Integer.parseInt(System.getenv().getOrDefault("CVM_GUEST_CPUS", "1")));
        for (int round = 1; round <= rounds; round++) {
            for (Map.Entry<String, String> entry : images.entrySet()) {
                Path dir = work.resolve(entry.getKey() + "-" + round);
                Files.createDirectories(dir);
                long[][] times = runOne(image, entry.getValue(), dir, iterations);
                List<long[]> all = results.computeIfAbsent(entry.getKey(), k -> new ArrayList<>());
                if (all.isEmpty()) {
                    for (int s = 0; s < STEPS.length; s++) {
                        all.add(new long[0]);
                    }
                }
                for (int s = 0; s < STEPS.length; s++) {
                    long[] joined = Arrays.copyOf(all.get(s), all.get(s).length + times[s].length);
                    System.arraycopy(times[s], 0, joined, all.get(s).length, times[s].length);
                    all.set(s, joined);
                }
                System.out.printf("  round %d %s (%s): lifecycle p50 %.1f ms%n", round, entry.getKey(), entry.getValue(),
                        percentile(times[STEPS.length - 1], 0.5) / 1e6);
            }
        }
        System.out.printf("%-18s %12s %12s %12s %12s %10s%n", "step", "runc p50", "crun p50", "runc p90", "crun p90",
                "crun/runc");
        for (int s = 0; s < STEPS.length; s++) {
            long[] runc = results.get("runc").get(s);
            long[] crun = results.get("crun").get(s);
            System.out.printf("%-18s %9.1f ms %9.1f ms %9.1f ms %9.1f ms %9.2fx%n", STEPS[s],
                    percentile(runc, 0.5) / 1e6, percentile(crun, 0.5) / 1e6, percentile(runc, 0.9) / 1e6,
                    percentile(crun, 0.9) / 1e6, (double) percentile(crun, 0.5) / percentile(runc, 0.5));
        }
        System.out.println("(n=" + results.get("runc").get(0).length + " per runtime; times from the host over "
                + "virtio-serial, so each includes a ttRPC round trip; consoles under " + work + ")");
    }

    /** One boot of {@code imageName}: sandbox, 2 warm-up lifecycles, {@code iterations} timed ones, DestroySandbox. */
    private static long[][] runOne(GuestImage image, String imageName, Path dir, int iterations) throws Exception {
        long[][] times = new long[STEPS.length][iterations];
        try (Guest guest = Guest.boot(image, dir, List.of("--image", imageName), List.of())) {
            try (AgentClient client = guest.connect(Duration.ofSeconds(30))) {
                HealthCheckResponse health = (HealthCheckResponse) client.call(HealthGrpc.getCheckMethod(),
                        CheckRequest.getDefaultInstance(), Duration.ofMinutes(4));
                if (health.getStatus() != HealthCheckResponse.ServingStatus.SERVING) {
                    throw new IllegalStateException(imageName + ": not serving: " + health.getStatus());
                }
                PodClient pod = new PodClient(client, CALL_TIMEOUT);
                pod.createSandbox(GuestPodRequests.sandbox("bench-pod"));
                pod.createContainer(GuestPodRequests.container("bench-pod", GuestPodRequests.process("sleep", "100000")));
                pod.startContainer("bench-pod");
                for (int i = -2; i < iterations; i++) {
                    long[] split = lifecycle(pod, "true-" + (i + 2));
                    if (i >= 0) {
                        for (int s = 0; s < STEPS.length; s++) {
                            times[s][i] = split[s];
                        }
                    }
                }
                pod.destroySandbox();
                String runtime = runtimeBinary(imageName);
                if (!guest.console().contains("containers run with the OCI runtime " + runtime)) {
                    throw new IllegalStateException(imageName + ": the agent did not say it runs " + runtime);
                }
            } catch (Exception e) {
                System.out.println(imageName + " console (" + dir.resolve("console.log") + "):\n" + guest.console());
                throw e;
            }
            if (!guest.awaitExit(Duration.ofMinutes(1))) {
                System.out.println(imageName + ": the guest did not power off after DestroySandbox");
            }
        }
        return times;
    }

    private static String runtimeBinary(String imageName) {
        return imageName.contains("crun") ? "/usr/bin/crun" : "/usr/sbin/runc";
    }

    private static long[] lifecycle(PodClient pod, String id) throws Exception {
        long t0 = System.nanoTime();
        pod.createContainer(GuestPodRequests.container(id, GuestPodRequests.process("true")));
        long t1 = System.nanoTime();
        pod.startContainer(id);
        long t2 = System.nanoTime();
        int code = pod.waitProcess(id, "");
        long t3 = System.nanoTime();
        pod.removeContainer(id, 0);
        long t4 = System.nanoTime();
        if (code != 0) {
            throw new IllegalStateException(id + " exited " + code);
        }
        return new long[] {t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0};
    }

    private static long percentile(long[] nanos, double p) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))];
    }
}
