package org.cvmagent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** An unbounded in-memory byte stream between threads, with socket-like close semantics. */
final class ByteQueue {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readable = lock.newCondition();
    private byte[] buffer = new byte[8192];
    private int head;
    private int tail;
    private boolean writerClosed;
    private boolean readerClosed;

    final InputStream input = new InputStream() {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            lock.lock();
            try {
                while (head == tail && !writerClosed && !readerClosed) {
                    readable.await();
                }
                if (readerClosed) {
                    throw new IOException("stream closed");
                }
                if (head == tail) {
                    return -1;
                }
                int n = Math.min(len, tail - head);
                System.arraycopy(buffer, head, b, off, n);
                head += n;
                return n;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            closeReader();
        }
    };

    final OutputStream output = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            lock.lock();
            try {
                if (writerClosed || readerClosed) {
                    throw new IOException("broken pipe");
                }
                ensure(len);
                System.arraycopy(b, off, buffer, tail, len);
                tail += len;
                readable.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            closeWriter();
        }
    };

    private void ensure(int extra) {
        if (tail + extra <= buffer.length) {
            return;
        }
        int live = tail - head;
        byte[] bigger = live + extra <= buffer.length ? buffer : new byte[Math.max(buffer.length * 2, live + extra)];
        System.arraycopy(buffer, head, bigger, 0, live);
        buffer = bigger;
        head = 0;
        tail = live;
    }

    void closeWriter() {
        lock.lock();
        try {
            writerClosed = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void closeReader() {
        lock.lock();
        try {
            readerClosed = true;
            readable.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
