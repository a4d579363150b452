/**
 * Image signature policy verification: containers-policy.json(5) and containers-registries.d(5)
 * semantics, checked before any layer of an image is fetched.
 *
 * <h2>Using it from the puller</h2>
 * <ol>
 *   <li>Build a verifier once per policy: {@link org.cvmagent.image.signature.SignaturePolicyLoader#load}
 *       with the policy location (absolute path or {@code kbs:///repo/type/tag}) and the registries.d
 *       location (directory, {@code kbs://} YAML resource, or null). It needs a
 *       {@link org.cvmagent.image.signature.ResourceFetcher} (the attestation-agent's KBS client), a
 *       {@link java.net.http.HttpClient} for lookaside stores (its proxy, TLS and redirect settings
 *       apply as configured; the JDK default follows no redirects, so a redirect fails closed), and a
 *       {@link org.cvmagent.image.signature.RegistryReader} that reads manifests by tag and blobs by
 *       digest with the registry client's own auth, and OCI 1.1 referrers indexes — used only for
 *       sigstore {@code .sig} attachments and cosign v3 Sigstore bundles.</li>
 *   <li>After resolving the reference to its top-level manifest (an index stays an index), call
 *       {@link org.cvmagent.image.signature.ManifestVerifier#verify} with
 *       {@code DockerReference.parse(reference)} (with an explicit tag or digest), the exact manifest
 *       bytes and the digest they were served under. Only a normal return allows fetching layers.</li>
 *   <li>A refusal is a {@link org.cvmagent.image.signature.SignatureVerificationException} whose
 *       {@link org.cvmagent.image.signature.SignatureVerificationException.Reason} is what the shim
 *       should report (rejected by policy, no signature, wrong key, digest mismatch, identity
 *       mismatch, invalid signature, invalid policy, resource unavailable).</li>
 * </ol>
 *
 * <h2>Deliberate differences from containers/image</h2>
 * <ul>
 *   <li>Unknown keys in registries.d files are errors (containers/image ignores them).</li>
 *   <li>Without any registries.d lookaside entry no simple-signing signatures are looked for; the
 *       built-in {@code file:///var/lib/containers/sigstore} default is not used.</li>
 *   <li>Signed Docker schema 1 manifests are refused.</li>
 *   <li>{@code remapIdentity}: a bare-host prefix does not match the same host with a port.</li>
 *   <li>Ours: {@code sigstoreSigned} also verifies cosign v3 Sigstore bundles attached through OCI
 *       1.1 referrers ({@link org.cvmagent.image.signature.BundleVerifier}), with trust from the
 *       existing fields or from a Sigstore trusted root ({@code trustedRootPath}/{@code trustedRootData}).</li>
 *   <li>Not supported (refused as unknown fields): {@code sigstoreSigned.pki}, Rekor key lists
 *       ({@code rekorPublicKeyPaths}/{@code rekorPublicKeyDatas}), and {@code signedBy} key types
 *       other than {@code GPGKeys}.</li>
 * </ul>
 */
package org.cvmagent.image.signature;
