// A wallet, as an independent OpenID4VCI 1.0 client library drives it: resolve the offer
// URI, read the issuer and authorization server metadata, trade the pre-authorized code and
// the transaction code for an access token, get a c_nonce, prove possession of a key this
// script generates, and receive the credential, in the configuration the offer names (or, to
// see the issuer refuse it, in another: "ask").
//
// stdin:  {"offer": "openid-credential-offer://?credential_offer_uri=…", "tx_code": "…",
//          "alg": "ES256" | "EdDSA", "holder": "jwk" | "did", "ask": "<configuration id>"?}
// stdout: {"credential": "…", "public_jwk": {…}, "configuration_id": "…",
//          "credential_issuer": "…", "token_type": "…", "metadata": {…}}
//         or, when the credential endpoint refuses, "refused": {"error": …, …} in place of
//         "credential"
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { Openid4vciClient } from "@openid4vc/openid4vci";
import { clientAuthenticationAnonymous } from "@openid4vc/oauth2";
import { setGlobalConfig } from "@openid4vc/utils";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => { text += chunk; });
  process.stdin.on("end", () => resolve(text));
}));

// The server under test runs on http://127.0.0.1 (no TLS in the test suite).
setGlobalConfig({ allowInsecureUrls: true });

const b64url = (bytes) => Buffer.from(bytes).toString("base64url");
const alg = input.alg ?? "ES256";
const { privateKey, publicKey } = alg === "EdDSA"
  ? generateKeyPairSync("ed25519")
  : generateKeyPairSync("ec", { namedCurve: "P-256" });
const exported = publicKey.export({ format: "jwk" });
const publicJwk = alg === "EdDSA"
  ? { kty: "OKP", crv: "Ed25519", x: exported.x }
  : { kty: "EC", crv: "P-256", x: exported.x, y: exported.y };

const signer = input.holder === "did"
  ? { method: "did", alg, didUrl: `did:jwk:${b64url(JSON.stringify(publicJwk))}#0` }
  : { method: "jwk", alg, publicJwk };

const callbacks = {
  fetch: globalThis.fetch,
  hash: (data, name) => new Uint8Array(createHash(name.replace("-", "").toLowerCase()).update(data).digest()),
  generateRandom: (length) => new Uint8Array(randomBytes(length)),
  clientAuthentication: clientAuthenticationAnonymous(),
  signJwt: async (jwtSigner, { header, payload }) => {
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = alg === "EdDSA"
      ? sign(null, Buffer.from(signingInput), privateKey)
      : sign("sha256", Buffer.from(signingInput), { key: privateKey, dsaEncoding: "ieee-p1363" });
    return { jwt: `${signingInput}.${b64url(signature)}`, signerJwk: publicJwk };
  },
};

const client = new Openid4vciClient({ callbacks });
const offer = await client.resolveCredentialOffer(input.offer);
const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer);
const configurationId = input.ask ?? offer.credential_configuration_ids[0];
const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer: offer,
  issuerMetadata,
  txCode: input.tx_code,
});
const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata });
const { jwt: proof } = await client.createCredentialRequestJwtProof({
  issuerMetadata,
  credentialConfigurationId: configurationId,
  signer,
  nonce,
});
let credential;
let refused;
try {
  const response = await client.retrieveCredentials({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    credentialConfigurationId: configurationId,
    proofs: { jwt: [proof] },
  });
  [{ credential }] = response.credentialResponse.credentials;
} catch (error) {
  // The library's error for an issuer's refusal carries the OAuth error response.
  const body = error?.response?.credentialErrorResponseResult?.data ?? error?.errorResponse;
  if (!body) throw error;
  refused = body;
}
process.stdout.write(JSON.stringify({
  ...(refused ? { refused } : { credential }),
  public_jwk: publicJwk,
  configuration_id: configurationId,
  credential_issuer: offer.credential_issuer,
  token_type: accessTokenResponse.token_type,
  metadata: issuerMetadata.credentialIssuer,
}));
