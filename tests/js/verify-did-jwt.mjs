// Verifies certreg's vc+jwt documents with did-jwt and did-resolver, implementations
// independent of certreg, given nothing but the DID document certreg serves.
//
// stdin:  {"didDocument": {...}, "tokens": ["<compact JWS>", ...], "now": <unix seconds>}
// stdout: [{"ok": true, "kid": ..., "alg": ..., "signer": ..., "iss": ...} | {"ok": false, "error": ...}, ...]
//
// The key is found from the JWS kid alone: did-resolver parses it as a DID URL and resolves
// its DID (to the one document given: any other DID is not found), and did-jwt's verifyJWT,
// told that the issuer is that DID URL, verifies with the verification method whose id is
// exactly the kid. One step of did-jwt is done here instead: its resolveAuthenticator keeps
// only method types it lists, and did-jwt 8 lists JsonWebKey2020 but not JsonWebKey, the
// type of Controlled Identifiers 1.0 that VC-JOSE-COSE §4.3 requires. So the assertion
// methods are taken here, as resolveAuthenticator(..., 'assertionMethod') takes them, without
// that type filter; did-jwt still reads each method's publicKeyJwk and checks the signature,
// and the iat/nbf/exp claims.
import { decodeJWT, verifyJWT } from 'did-jwt'
import { Resolver, parse } from 'did-resolver'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const served = input.didDocument

const resolver = new Resolver({
  web: async (did) =>
    did === served.id
      ? {
          didResolutionMetadata: { contentType: 'application/did+json' },
          didDocument: served,
          didDocumentMetadata: {},
        }
      : { didResolutionMetadata: { error: 'notFound' }, didDocument: null, didDocumentMetadata: {} },
})

async function verify(jwt) {
  const { header, payload } = decodeJWT(jwt)
  const kid = parse(header.kid)
  if (!kid || !kid.fragment) throw new Error(`the kid is not a DID URL: ${header.kid}`)
  if (kid.did !== payload.iss) throw new Error(`the kid ${header.kid} is not a key of iss ${payload.iss}`)
  const resolution = await resolver.resolve(header.kid, { accept: 'application/did+json' })
  const document = resolution.didDocument
  if (!document) throw new Error(`cannot resolve ${kid.did}: ${resolution.didResolutionMetadata.error}`)
  const methods = document.verificationMethod ?? []
  const authenticators = (document.assertionMethod ?? [])
    .map((ref) => (typeof ref === 'string' ? methods.find((m) => m.id === ref) : ref))
    .filter((method) => method !== undefined)
  const verified = await verifyJWT(jwt, {
    resolver,
    didAuthenticator: { didResolutionResult: resolution, authenticators, issuer: header.kid },
    policies: { now: input.now },
  })
  if (verified.signer.id !== header.kid) throw new Error(`verified by ${verified.signer.id}, not ${header.kid}`)
  return { ok: true, kid: header.kid, alg: header.alg, signer: verified.signer.id, iss: payload.iss }
}

const results = []
for (const token of input.tokens) {
  try {
    results.push(await verify(token))
  } catch (error) {
    results.push({ ok: false, error: String(error.message ?? error) })
  }
}
process.stdout.write(JSON.stringify(results))
