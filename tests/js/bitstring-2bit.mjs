// Reads two-bit entries of W3C Bitstring Status List v1.0 encodedList values, written from
// the Recommendation's text with Node's own zlib and nothing of certreg: drop the multibase
// prefix "u", base64url-decode, GUNZIP, then read statusSize bits at bit position
// statusListIndex * statusSize, most significant bit first (sections 2.1, 3.2, 3.3).
// stdin: {"lists": [{"encodedList": "u...", "statusSize": 2, "indexes": [0, 1, ...]}]}
// stdout: [{"entries": <whole entries in the list>, "values": {"<index>": <value>}}]
import { gunzipSync } from "node:zlib";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const answers = request.lists.map(({ encodedList, statusSize, indexes }) => {
  if (!encodedList.startsWith("u")) throw new Error("no multibase prefix u");
  const bytes = gunzipSync(Buffer.from(encodedList.slice(1), "base64url"));
  const values = {};
  for (const index of indexes) {
    let value = 0;
    for (let bit = 0; bit < statusSize; bit++) {
      const position = index * statusSize + bit;
      value = (value << 1) | ((bytes[position >> 3] >> (7 - (position & 7))) & 1);
    }
    values[String(index)] = value;
  }
  return { entries: Math.floor((bytes.length * 8) / statusSize), values };
});
process.stdout.write(JSON.stringify(answers));
