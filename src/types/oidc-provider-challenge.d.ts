// oidc-provider's server challenge (DPoP nonces), an internal module without types of its own; used by
// auth/dpop-nonces.ts so the bank APIs mint and accept exactly the nonces the token endpoint does.
declare module 'oidc-provider/lib/helpers/challenge.js' {
  export default class ServerChallenge {
    constructor(secret: Buffer, info: string);
    nextChallenge(): string;
    checkChallenge(challenge: string): boolean;
  }
}
