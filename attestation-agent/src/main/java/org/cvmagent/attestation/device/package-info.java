/**
 * TEE guest devices ({@code /dev/sev-guest}, {@code /dev/tdx_guest}) reached with ioctl(2)
 * through the FFM API. {@link org.cvmagent.attestation.device.DeviceIoctl} is the seam: the
 * attesters lay out the kernel's request structures in native memory and hand them over, and tests
 * stand in a fake device that reads those structures and answers with recorded firmware output.
 */
package org.cvmagent.attestation.device;
