// Issues, presents and verifies SD-JWT VCs with @sd-jwt/sd-jwt-vc (OpenWallet Foundation's
// TypeScript implementation) and @sd-jwt/crypto-nodejs, independently of certreg.
//
// stdin, one of:
//   {"op": "issue", "claims": {...}, "disclosureFrame": {"_sd": [...]}, "issuerKey": <private JWK>,
//    "kid": "...", "typ": "dc+sd-jwt"}
//     → {"ok": true, "credential": "<JWT>~<disclosures>~"}   (put the holder's cnf in claims)
//   {"op": "present", "credential": "...", "presentationFrame": {"given_name": true},
//    "holderKey": <private JWK>, "nonce": "...", "aud": "...", "iat": <unix seconds>}
//     → {"ok": true, "presentation": "<JWT>~<disclosures>~<KB-JWT>"}
//   {"op": "verify", "credential": "...", "issuerPublicKey": <JWK>, "now": <unix seconds>,
//    "nonce": "..." (then key binding is required), "audience": "...",
//    "statusLists": {"<uri>": "<status list token>"}}
//     → {"ok": true, "claims": {...}, "kb": {...} | null} | {"ok": false, "error": "..."}
//
// Only ES256 keys. Status List Tokens are never fetched: the library asks this script, which
// answers from "statusLists" (a credential with status and no list given fails to verify).
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const hasher = (data, alg) => digest(data, alg)

async function issue() {
  const sdjwt = new SDJwtVcInstance({
    signer: await ES256.getSigner(input.issuerKey),
    signAlg: ES256.alg,
    hasher,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
  })
  const header = { kid: input.kid }
  if (input.typ) header.typ = input.typ
  const credential = await sdjwt.issue(input.claims, input.disclosureFrame, { header })
  return { ok: true, credential }
}

async function present() {
  const sdjwt = new SDJwtVcInstance({
    hasher,
    hashAlg: 'sha-256',
    kbSigner: await ES256.getSigner(input.holderKey),
    kbSignAlg: ES256.alg,
  })
  const presentation = await sdjwt.present(input.credential, input.presentationFrame, {
    kb: { payload: { iat: input.iat, aud: input.aud, nonce: input.nonce } },
  })
  return { ok: true, presentation }
}

async function verify() {
  const issuerVerifier = await ES256.getVerifier(input.issuerPublicKey)
  const lists = input.statusLists ?? {}
  const sdjwt = new SDJwtVcInstance({
    hasher,
    verifier: issuerVerifier,
    kbVerifier: async (data, sig, payload) => {
      const holder = payload?.cnf?.jwk
      if (!holder) throw new Error('the credential names no holder key (cnf.jwk)')
      return (await ES256.getVerifier(holder))(data, sig)
    },
    statusListFetcher: async (uri) => {
      if (!(uri in lists)) throw new Error(`no status list token given for ${uri}`)
      return lists[uri]
    },
  })
  const options = { currentDate: input.now, allowedIssuerAlgorithms: ['ES256'] }
  if (input.nonce !== undefined) {
    options.keyBindingNonce = input.nonce
    options.expectedKeyBindingAudience = input.audience
    options.allowedKeyBindingAlgorithms = ['ES256']
  }
  try {
    const result = await sdjwt.verify(input.credential, options)
    return { ok: true, claims: result.payload, header: result.header, kb: result.kb ?? null }
  } catch (error) {
    return { ok: false, error: String(error?.message ?? error) }
  }
}

const ops = { issue, present, verify }
if (!(input.op in ops)) throw new Error(`unknown op ${input.op}`)
process.stdout.write(JSON.stringify(await ops[input.op]()))
