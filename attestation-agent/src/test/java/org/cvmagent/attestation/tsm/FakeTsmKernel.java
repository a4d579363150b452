package org.cvmagent.attestation.tsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * configfs-tsm with the kernel's semantics, for tests: each request has provider and generation
 * attributes from the start; writing inblob bumps generation and makes outblob the TEE's answer
 * (computed by the given function, as a recorded device would answer); auxblob exists when the
 * provider has one; removing a request drops its attributes. {@link #interferingWriter} makes a
 * second process write inblob between ours and our outblob read.
 */
public final class FakeTsmKernel implements ConfigfsTsm {
    private final String provider;
    private final UnaryOperator<byte[]> device;
    private final byte[] auxblob;
    private final Map<String, Map<String, byte[]>> requests = new HashMap<>();
    private final AtomicInteger names = new AtomicInteger();
    private boolean interferingWriter;
    private int removed;

    public FakeTsmKernel(String provider, UnaryOperator<byte[]> device, byte[] auxblob) {
        this.provider = provider;
        this.device = device;
        this.auxblob = auxblob;
    }

    public synchronized void interferingWriter(boolean on) {
        interferingWriter = on;
    }

    public synchronized int openRequests() {
        return requests.size();
    }

    public synchronized int removedRequests() {
        return removed;
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public synchronized String createRequest() {
        String name = "req" + names.incrementAndGet();
        Map<String, byte[]> attrs = new HashMap<>();
        attrs.put("provider", (provider + "\n").getBytes(StandardCharsets.US_ASCII));
        attrs.put("generation", "0\n".getBytes(StandardCharsets.US_ASCII));
        if (auxblob != null) {
            attrs.put("auxblob", auxblob);
        }
        requests.put(name, attrs);
        return name;
    }

    @Override
    public synchronized byte[] read(String request, String attribute) throws IOException {
        byte[] v = attrs(request).get(attribute);
        if (v == null) {
            throw new NoSuchFileException(request + "/" + attribute);
        }
        return v.clone();
    }

    @Override
    public synchronized void write(String request, String attribute, byte[] value) throws IOException {
        Map<String, byte[]> attrs = attrs(request);
        attrs.put(attribute, value.clone());
        if (attribute.equals("inblob")) {
            int generation = Integer.parseInt(new String(attrs.get("generation"), StandardCharsets.US_ASCII).strip()) + 1;
            if (interferingWriter) {
                generation++;
            }
            attrs.put("generation", (generation + "\n").getBytes(StandardCharsets.US_ASCII));
            attrs.put("outblob", device.apply(value.clone()));
        }
    }

    @Override
    public synchronized boolean has(String request, String attribute) {
        Map<String, byte[]> attrs = requests.get(request);
        return attrs != null && attrs.containsKey(attribute);
    }

    @Override
    public synchronized void remove(String request) throws IOException {
        if (requests.remove(request) == null) {
            throw new NoSuchFileException(request);
        }
        removed++;
    }

    private Map<String, byte[]> attrs(String request) throws IOException {
        Map<String, byte[]> attrs = requests.get(request);
        if (attrs == null) {
            throw new NoSuchFileException(request);
        }
        return attrs;
    }
}
