// Builds a vp+jwt presentation with did-jwt, an implementation independent of certreg, for
// certreg's verifier to check: the holder is a fresh P-256 key named by its did:jwk, and
// did-jwt's createJWT signs the VC 2.0 presentation with typ vp+jwt and the kid #0.
//
// stdin:  {"credential": "<vc+jwt>", "nonce": ..., "audience": ..., "iat": s, "exp": s}
// stdout: {"presentation": "<vp+jwt>", "holder": "did:jwk:..."}
import { generateKeyPairSync } from 'node:crypto'
import { ES256Signer, createJWT } from 'did-jwt'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = privateKey.export({ format: 'jwk' })
const publicJwk = { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
const holder = 'did:jwk:' + Buffer.from(JSON.stringify(publicJwk)).toString('base64url')

const presentation = await createJWT(
  {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    type: ['VerifiablePresentation'],
    holder,
    verifiableCredential: [
      {
        '@context': 'https://www.w3.org/ns/credentials/v2',
        type: 'EnvelopedVerifiableCredential',
        id: `data:application/vc+jwt,${input.credential}`,
      },
    ],
    nonce: input.nonce,
    aud: input.audience,
    iat: input.iat,
    exp: input.exp,
  },
  { issuer: holder, signer: ES256Signer(Buffer.from(jwk.d, 'base64url')) },
  { alg: 'ES256', typ: 'vp+jwt', cty: 'vp', kid: `${holder}#0` },
)
process.stdout.write(JSON.stringify({ presentation, holder }))
