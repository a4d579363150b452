/**
 * The pod network inside the guest, as kata's shim sets it up through the agent: interfaces,
 * routes, ARP neighbours and iptables. The agent drives iproute2 and iptables rather than speaking
 * rtnetlink itself: the same kernel interface, the kernel's own error text in every failure, and
 * no hand-written netlink codec in the trusted agent; the guest image ships both tools.
 */
package org.cvmagent.agent.network;
