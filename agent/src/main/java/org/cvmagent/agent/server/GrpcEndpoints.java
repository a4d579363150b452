package org.cvmagent.agent.server;

import io.grpc.ManagedChannel;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import org.cvmagent.transport.AgentAddress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * gRPC servers and channels (grpc-netty-shaded) on our address forms: {@code tcp://} and
 * {@code unix://}. gRPC is for tools and peer pods; the shim's vsock path is ttRPC only.
 */
public final class GrpcEndpoints {

    private GrpcEndpoints() {
    }

    /** A server, not yet started, whose handlers run on virtual threads (they may block). */
    public static io.grpc.Server server(AgentAddress address, List<ServerServiceDefinition> services)
            throws IOException {
        NettyServerBuilder builder = switch (address) {
            case AgentAddress.Tcp tcp -> NettyServerBuilder.forAddress(new InetSocketAddress(tcp.host(), tcp.port()));
            case AgentAddress.Unix unix -> {
                Files.deleteIfExists(unix.path());
                EventLoopGroup group = new EpollEventLoopGroup(1);
                yield NettyServerBuilder.forAddress(new DomainSocketAddress(unix.path().toString()))
                        .channelType(EpollServerDomainSocketChannel.class)
                        .bossEventLoopGroup(group)
                        .workerEventLoopGroup(group);
            }
            default -> throw new IOException("gRPC is served on tcp:// or unix:// addresses, not " + address);
        };
        builder.executor(Executors.newVirtualThreadPerTaskExecutor());
        services.forEach(builder::addService);
        return builder.build();
    }

    public static ManagedChannel channel(AgentAddress address) throws IOException {
        NettyChannelBuilder builder = switch (address) {
            case AgentAddress.Tcp tcp -> NettyChannelBuilder.forAddress(tcp.host(), tcp.port());
            case AgentAddress.Unix unix -> NettyChannelBuilder.forAddress(new DomainSocketAddress(unix.path().toString()))
                    .channelType(EpollDomainSocketChannel.class)
                    .eventLoopGroup(new EpollEventLoopGroup(1));
            default -> throw new IOException("gRPC clients dial tcp:// or unix:// addresses, not " + address);
        };
        return builder.usePlaintext().build();
    }
}
