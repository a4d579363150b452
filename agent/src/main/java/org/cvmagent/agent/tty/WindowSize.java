package org.cvmagent.agent.tty;

/** A terminal's size in character cells, as {@code struct winsize} holds it (pixel sizes are not used). */
public record WindowSize(int rows, int columns) {

    public WindowSize {
        // struct winsize holds unsigned shorts; a larger value would be silently truncated by the kernel.
        if (rows < 0 || rows > 0xffff || columns < 0 || columns > 0xffff) {
            throw new IllegalArgumentException("window size out of range: " + rows + "x" + columns);
        }
    }
}
