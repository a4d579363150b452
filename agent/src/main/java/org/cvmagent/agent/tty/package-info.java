/**
 * Terminals of container processes, as runc hands them over.
 *
 * <p>The flow for a process with {@code terminal: true}: {@link org.cvmagent.agent.tty.ConsoleSocket#listen}
 * at a path in a root-only directory, run {@code runc create} or {@code runc exec} with
 * {@code --console-socket} at that path (runc sends the pty master and exits), then
 * {@link org.cvmagent.agent.tty.ConsoleSocket#receiveMaster} and close the socket. The
 * {@link org.cvmagent.agent.tty.PtyMaster} is then the process's stdin and stdout (a terminal has
 * no separate stderr) and takes kata's TtyWinResize.
 */
package org.cvmagent.agent.tty;
