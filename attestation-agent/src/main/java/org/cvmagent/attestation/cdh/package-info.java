/**
 * The confidential data hub's resource API: {@code kbs://} resource URIs resolved through the
 * configured KBS. The ttRPC service that exposes it is built on top of
 * {@link org.cvmagent.attestation.cdh.ResourceFetcher}.
 */
package org.cvmagent.attestation.cdh;
