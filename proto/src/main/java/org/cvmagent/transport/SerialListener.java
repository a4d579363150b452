package org.cvmagent.transport;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
 * closes the connection and accepts again. The port itself stays open across host sessions: the
 * kernel drops a port's unread data when it is released, which would lose a request the next host
 * sent before the previous session was closed ({@link SerialConnection}); it is reopened only when
 * a session ended otherwise, or when the device path names another device. kata's former Go agent
 * waited for the host the same way, with edge-triggered epoll on EPOLLOUT.
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
    /** The port, open, between two host sessions; see {@link SerialConnection}. */
    private NativeFd kept;
    private long sessions;

    SerialListener(Libc libc, AgentAddress.Serial address) {
        this.libc = Objects.requireNonNull(libc, "libc");
        this.address = Objects.requireNonNull(address, "address");
    }

    @Override
    public Connection accept() throws IOException {
        while (true) {
            reservePort();
            NativeFd kept = takeKeptPort();
            NativeFd fd = kept != null ? kept : openPort();
            try {
                publishOpening(fd);
                boolean samePort = awaitHost(fd, kept != null);
                finishOpening(fd);
                if (samePort) {
                    return new SerialConnection(fd, address + "#" + nextSession(), this::keepPort);
                }
                // The kept port's device was replaced (a new host side, as a test's pty pair):
                // closing it releases the reservation, and the next round opens the device anew.
                fd.close();
            } catch (IOException | RuntimeException e) {
                fd.close();
                throw e;
            }
        }
    }

    private void reservePort() throws IOException {
        lock.lock();
        try {
            while (portInUse && !closed) {
                portReleased.await();
            }
            if (closed) {
                throw new ClosedChannelException();
            }
            portInUse = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + address + " to be released");
        } finally {
            lock.unlock();
        }
    }

    /** Numbers the sessions handed out, for logs: {@code serial:///dev/...#N}. */
    private long nextSession() {
        lock.lock();
        try {
            return ++sessions;
        } finally {
            lock.unlock();
        }
    }

    private NativeFd openPort() throws IOException {
        // O_NOCTTY: if the device is a tty it must never become our controlling terminal.
        int raw = libc.open(address.device().toString(),
                Libc.O_RDWR | Libc.O_NOCTTY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (raw < 0) {
            releasePort();
            throw libc.failure("open " + address, raw);
        }
        return NativeFd.adopt(libc, raw, false, address.toString(), this::releasePort);
    }

    /**
     * Waits until the host is connected; false if {@code kept} and, while the host was absent, the
     * device path came to name another device than the port held open.
     */
    private boolean awaitHost(NativeFd fd, boolean kept) throws IOException {
        while (true) {
            // A kept port's identity is checked first: a pty whose other side is gone (a test's
            // host double) reports POLLOUT although nobody is there.
            if (kept && !stillTheDevice(fd)) {
                return false;
            }
            short revents = fd.await(Libc.POLLOUT, -1);
            if ((revents & Libc.POLLOUT) != 0) {
                return true;
            }
            if ((revents & (Libc.POLLERR | Libc.POLLNVAL)) != 0) {
                throw new IOException("serial port " + address + " reports an error (poll events 0x"
                        + Integer.toHexString(revents & 0xFFFF) + ")");
            }
            fd.pause(HOST_ABSENT_RECHECK_MILLIS);
        }
    }

    /**
     * Whether the device path still resolves to the file {@code fd} has open. A virtio-serial port
     * is one device for the guest's life; a test's pty pair is replaced by a new one per host.
     */
    private boolean stillTheDevice(NativeFd fd) throws IOException {
        String held = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd.call(raw -> raw))).toString();
        try {
            return address.device().toRealPath().toString().equals(held);
        } catch (NoSuchFileException e) {
            return false; // opening it again fails clearly, and the server retries
        }
    }

    /** Where a session whose host left returns the open port (see {@link SerialConnection}). */
    private void keepPort(NativeFd fd) {
        boolean stopped;
        lock.lock();
        try {
            stopped = closed;
            if (!stopped) {
                kept = fd;
                portInUse = false;
                portReleased.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (stopped) {
            fd.close();
        }
    }

    private NativeFd takeKeptPort() {
        lock.lock();
        try {
            NativeFd fd = kept;
            kept = null;
            return fd;
        } finally {
            lock.unlock();
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
        NativeFd idle;
        lock.lock();
        try {
            closed = true;
            beingOpened = opening;
            opening = null;
            idle = kept;
            kept = null;
            portReleased.signalAll();
        } finally {
            lock.unlock();
        }
        if (beingOpened != null) {
            beingOpened.close();
        }
        if (idle != null) {
            idle.close();
        }
    }

    @Override
    public String toString() {
        return "SerialListener[" + address + "]";
    }
}
