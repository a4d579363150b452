package org.cvmagent.agent.server;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.cvmagent.image.signature.KbsResourceUri;
import org.cvmagent.image.signature.ResourceFetcher;
import org.cvmagent.proto.cdh.GetResourceRequest;
import org.cvmagent.proto.cdh.GetResourceResponse;
import org.cvmagent.rpc.RpcException;
import org.cvmagent.transport.AgentAddress;
import org.cvmagent.transport.Transports;
import org.cvmagent.ttrpc.TtrpcClient;

/**
 * Fetches {@code kbs:///} resources for the image service from the confidential data hub's ttRPC
 * socket, as CoCo's image-rs does: the same call works against the data hub this agent serves and
 * against CoCo's own, and the KBS key and token stay inside the data hub. One connection per fetch,
 * because resources are fetched rarely (a policy and its keys, once).
 */
public final class CdhResourceClient implements ResourceFetcher {
    static final String SERVICE = "api.GetResourceService";
    static final String METHOD = "GetResource";

    private final Path socket;
    private final Transports transports;
    private final Duration timeout;

    /** @param timeout for the whole call, which includes attesting to the KBS on the first one */
    public CdhResourceClient(Path socket, Transports transports, Duration timeout) {
        this.socket = Objects.requireNonNull(socket);
        this.transports = Objects.requireNonNull(transports);
        this.timeout = Objects.requireNonNull(timeout);
    }

    @Override
    public byte[] fetch(KbsResourceUri uri) throws IOException {
        try (TtrpcClient client = new TtrpcClient(transports.dial(AgentAddress.parse("unix://" + socket), timeout))) {
            GetResourceResponse response = client.call(SERVICE, METHOD,
                    GetResourceRequest.newBuilder().setResourcePath(uri.toString()).build(),
                    GetResourceResponse.parser(), timeout, Map.of());
            return response.getResource().toByteArray();
        } catch (RpcException e) {
            throw new IOException("confidential data hub at " + socket + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while fetching " + uri);
        } catch (IOException e) {
            throw new IOException("confidential data hub at " + socket + ": " + e.getMessage(), e);
        }
    }
}
