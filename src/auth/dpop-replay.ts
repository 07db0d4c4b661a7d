// The resource server's memory of DPoP proofs already used (RFC 9449 §11.1), kept where oidc-provider
// keeps its own: rows of the shared store that expire, so a proof replayed on another node is refused
// too, and nothing is remembered longer than a proof could pass the freshness check.
import type Provider from 'oidc-provider';
import type { DpopProofReplay } from '../api/dpop.ts';

/** Keeps the resource server's entries apart from the token endpoint's (oidc-provider's own `iss`). */
const RESOURCE_SERVER_LABEL = 'ginko-resource-server-dpop';

export function dpopProofReplay(provider: Provider): DpopProofReplay {
  return {
    firstUse: (jkt, jti, rememberUntil) =>
      provider.ReplayDetection.unique(`${RESOURCE_SERVER_LABEL}:${jkt}`, jti, Math.ceil(rememberUntil.getTime() / 1000)),
  };
}
