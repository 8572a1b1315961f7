// Expands JSON-LD documents with jsonld.js (the JSON-LD processor of the W3C VC ecosystem,
// independent of certreg) in safe mode, which refuses a document instead of silently
// dropping a term no context defines, or keeping a relative IRI.
//
// stdin:  {"contexts": {"<url>": {...context document...}, ...},
//          "documents": [{"label": "...", "document": {...}}, ...]}
// stdout: [{"label": ..., "ok": true, "expanded": [...]} | {"label": ..., "ok": false, "error": ...}, ...]
//
// The document loader serves only the contexts given: nothing is fetched from the network.
import jsonld from 'jsonld'

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))

const documentLoader = async (url) => {
  if (!Object.hasOwn(input.contexts, url)) {
    throw new Error(`not pinned: ${url}`)
  }
  return { contextUrl: null, documentUrl: url, document: input.contexts[url] }
}

const results = []
for (const { label, document } of input.documents) {
  try {
    const expanded = await jsonld.expand(document, { documentLoader, safe: true })
    results.push({ label, ok: true, expanded })
  } catch (error) {
    const details = error.details ? JSON.stringify(error.details.event ?? error.details) : ''
    results.push({ label, ok: false, error: `${error.name}: ${error.message} ${details}` })
  }
}
process.stdout.write(JSON.stringify(results))
