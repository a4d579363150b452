package org.cvmagent.transport;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serves a virtio-serial port (e.g. {@code /dev/virtio-ports/agent.channel.0}), which carries one
 * peer at a time: {@link #accept()} opens the device and returns it as a connection; the next
 * {@code accept()} waits until that connection is closed and its fd released, then opens the device
 * again (the kernel allows only one opener of a port).
 *
 * <p>How the guest kernel presents the host side (drivers/char/virtio_console.c): while the host
 * end is not connected, {@code poll} reports POLLHUP and no POLLOUT, {@code read} returns 0 and
 * {@code write} blocks. So {@code accept()} waits for POLLOUT — the host is there — before it hands
 * out the port, and a host that goes away shows up as end of stream on {@code input()}: the server
 * closes the connection and accepts again, which reopens the port. kata's former Go agent waited
 * the same way, with edge-triggered epoll on EPOLLOUT.
 *
 * <p>Waiting and reading are blocking FFM downcalls that pin a virtual thread's carrier: call
 * {@code accept()} and read from platform threads.
 */
final class SerialListener implements Listener {

    /**
     * POLLHUP is level-triggered while the host is absent, so a poll for POLLOUT would return at
     * once again and again; between looks we sleep this long.
     */
    private static final int HOST_ABSENT_RECHECK_MILLIS = 100;

    private final Libc libc;
    private final AgentAddress.Serial address;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition portReleased = lock.newCondition();
    private boolean closed;
    private boolean portInUse;
    private NativeFd opening;
    private long opened;

    SerialListener(Libc libc, AgentAddress.Serial address) {
        this.libc = Objects.requireNonNull(libc, "libc");
        this.address = Objects.requireNonNull(address, "address");
    }

    @Override
    public Connection accept() throws IOException {
        long sequence = reservePort();
        NativeFd fd = openPort(sequence);
        try {
            publishOpening(fd);
            awaitHost(fd);
            finishOpening(fd);
            return new NativeConnection(fd);
        } catch (IOException | RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    private long reservePort() throws IOException {
        lock.lock();
        try {
            while (portInUse && !closed) {
                portReleased.await();
            }
            if (closed) {
                throw new ClosedChannelException();
            }
            portInUse = true;
            return ++opened;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + address + " to be released");
        } finally {
            lock.unlock();
        }
    }

    private NativeFd openPort(long sequence) throws IOException {
        // O_NOCTTY: if the device is a tty it must never become our controlling terminal.
        int raw = libc.open(address.device().toString(),
                Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (raw < 0) {
            releasePort();
            throw libc.failure("open " + address, raw);
        }
        return NativeFd.adopt(libc, raw, false, address + "#" + sequence, this::releasePort);
    }

    private void awaitHost(NativeFd fd) throws IOException {
        while (true) {
            short revents = fd.await(Libc.POLLOUT, -1);
            if ((revents & Libc.POLLOUT) != 0) {
                return;
            }
            if ((revents & (Libc.POLLERR | Libc.POLLNVAL)) != 0) {
                throw new IOException("serial port " + address + " reports an error (poll events 0x"
                        + Integer.toHexString(revents & 0xFFFF) + ")");
            }
            fd.pause(HOST_ABSENT_RECHECK_MILLIS);
        }
    }

    /** Makes the port being opened visible to {@link #close()}, which must be able to wake its wait. */
    private void publishOpening(NativeFd fd) throws ClosedChannelException {
        lock.lock();
        try {
            if (closed) {
                throw new ClosedChannelException();
            }
            opening = fd;
        } finally {
            lock.unlock();
        }
    }

    private void finishOpening(NativeFd fd) throws ClosedChannelException {
        lock.lock();
        try {
            opening = null;
            if (closed) {
                throw new ClosedChannelException();
            }
        } finally {
            lock.unlock();
        }
    }

    private void releasePort() {
        lock.lock();
        try {
            portInUse = false;
            portReleased.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String address() {
        return address.toString();
    }

    @Override
    public boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops accepting: wakes an {@code accept()} waiting for the port or for the host. A connection
     * already handed out stays open; its owner closes it.
     */
    @Override
    public void close() {
        NativeFd beingOpened;
        lock.lock();
        try {
            closed = true;
            beingOpened = opening;
            opening = null;
            portReleased.signalAll();
        } finally {
            lock.unlock();
        }
        if (beingOpened != null) {
            beingOpened.close();
        }
    }

    @Override
    public String toString() {
        return "SerialListener[" + address + "]";
    }
}
