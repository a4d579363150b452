package org.cvmagent.agent.sandbox;

import org.cvmagent.transport.NativeFd;

import java.util.concurrent.CountDownLatch;

/**
 * One output fd registered with the {@link OutputPoller}, and the {@link OutputPump} it fills.
 *
 * <p>The registration holds a {@link NativeFd.Lease}, so the fd number the poll array names stays
 * this stream's even when its owner closes the fd meanwhile (the number is released with the
 * lease). Only the poller thread releases the lease, after it took the fd out of its array; a
 * {@link #close()} asks it to and waits for that, as the old pump's close joined its thread.
 */
final class PolledStream implements OutputPump.Source {

    private final OutputPoller poller;
    private final NativeFd fd;
    private final NativeFd.Lease lease;
    private final OutputPump pump;
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile boolean closing;
    /** Whether the stream reached its end; only the poller thread reads and writes it. */
    private boolean ended;

    PolledStream(OutputPoller poller, NativeFd fd, NativeFd.Lease lease, String name) {
        this.poller = poller;
        this.fd = fd;
        this.lease = lease;
        this.pump = new OutputPump(name, this);
    }

    OutputPump pump() {
        return pump;
    }

    /** The fd number, valid while the poller holds the stream. */
    int fd() {
        return lease.fd();
    }

    /** Whether the poller should drop the stream: it was closed, or it ended. Poller thread only. */
    boolean finished() {
        return closing || ended;
    }

    /** The stream reached its end (EOF, hang-up, error); the poller drops it. Poller thread only. */
    void end(String why) {
        ended = true;
        pump.ended(why);
    }

    /** Gives the fd back (it is really closed now if its owner closed it); the poller's last word. */
    void release() {
        lease.close();
        released.countDown();
    }

    @Override
    public void wake() {
        poller.wake();
    }

    /** Closes the fd and waits until the poller has dropped it; idempotent. */
    @Override
    public void close() throws InterruptedException {
        closing = true;
        fd.close();
        poller.wake();
        released.await();
    }

    @Override
    public String toString() {
        return pump.toString();
    }
}
