package org.cvmagent.agent.server;

import io.grpc.ManagedChannel;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import org.cvmagent.transport.AgentAddress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * gRPC servers and channels (grpc-netty-shaded) on our address forms: {@code tcp://} and
 * {@code unix://}. gRPC is for tools and peer pods; the shim's vsock path is ttRPC only.
 */
public final class GrpcEndpoints {

    private GrpcEndpoints() {
    }

    /** A running gRPC server and the event loop it owns (unix sockets need their own epoll loop). */
    public record GrpcServer(io.grpc.Server server, Optional<EventLoopGroup> loop) {

        /** Stops accepting, waits up to {@code grace} for calls in flight, then forces the rest. */
        public void shutdown(Duration grace) throws InterruptedException {
            server.shutdown();
            if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(5, TimeUnit.SECONDS);
            }
            if (loop.isPresent()) {
                loop.get().shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
            }
        }
    }

    /** A server whose handlers run on virtual threads (they may block), started. */
    public static GrpcServer start(AgentAddress address, List<ServerServiceDefinition> services) throws IOException {
        NettyServerBuilder builder;
        Optional<EventLoopGroup> loop = Optional.empty();
        switch (address) {
            case AgentAddress.Tcp tcp -> builder = NettyServerBuilder.forAddress(new InetSocketAddress(tcp.host(), tcp.port()));
            case AgentAddress.Unix unix -> {
                Files.deleteIfExists(unix.path());
                EventLoopGroup group = epollLoop();
                loop = Optional.of(group);
                builder = NettyServerBuilder.forAddress(new DomainSocketAddress(unix.path().toString()))
                        .channelType(EpollServerDomainSocketChannel.class)
                        .bossEventLoopGroup(group)
                        .workerEventLoopGroup(group);
            }
            default -> throw new IOException("gRPC is served on tcp:// or unix:// addresses, not " + address);
        }
        builder.executor(Executors.newVirtualThreadPerTaskExecutor());
        services.forEach(builder::addService);
        try {
            return new GrpcServer(builder.build().start(), loop);
        } catch (IOException | RuntimeException e) {
            loop.ifPresent(EventLoopGroup::shutdownGracefully);
            throw e;
        }
    }

    /** A channel to an agent's gRPC address; {@link #close} releases it and its event loop. */
    public record GrpcChannel(ManagedChannel channel, Optional<EventLoopGroup> loop) implements AutoCloseable {
        @Override
        public void close() {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
                if (loop.isPresent()) {
                    loop.get().shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public static GrpcChannel channel(AgentAddress address) throws IOException {
        return switch (address) {
            case AgentAddress.Tcp tcp -> new GrpcChannel(
                    NettyChannelBuilder.forAddress(tcp.host(), tcp.port()).usePlaintext().build(), Optional.empty());
            case AgentAddress.Unix unix -> {
                EventLoopGroup group = epollLoop();
                yield new GrpcChannel(NettyChannelBuilder.forAddress(new DomainSocketAddress(unix.path().toString()))
                        .channelType(EpollDomainSocketChannel.class)
                        .eventLoopGroup(group)
                        .usePlaintext()
                        .build(), Optional.of(group));
            }
            default -> throw new IOException("gRPC clients dial tcp:// or unix:// addresses, not " + address);
        };
    }

    private static EventLoopGroup epollLoop() {
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    }
}
