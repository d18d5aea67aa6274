// The RFC 9162 §2.1.3.2 inclusion check, step by step, for the page's expert view: the browser
// recomputes the root from the leaf hash and the audit path itself, so an expert can follow
// each hash instead of trusting the service's "pass".
import { fromHex, sha256, toHex } from "./sha256.js";

async function hashChildren(left, right) {
  const buffer = new Uint8Array(1 + left.length + right.length);
  buffer[0] = 0x01;
  buffer.set(left, 1);
  buffer.set(right, 1 + left.length);
  return sha256(buffer);
}

/**
 * Recomputes the root. Returns { steps: [{ sibling, side, result }], root, matches }, where side
 * says on which side the sibling hash stands; root is null when the path cannot apply.
 */
export async function recomputeRoot(leafIndex, treeSize, leafHashHex, proofHex, rootHex) {
  const steps = [];
  if (!(leafIndex < treeSize)) return { steps, root: null, matches: false };
  // plain arithmetic, not 32-bit shifts: tree sizes go beyond 2^32
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = fromHex(leafHashHex);
  for (const p of proofHex) {
    if (sn === 0) return { steps, root: null, matches: false };
    const sibling = fromHex(p);
    if (fn % 2 === 1 || fn === sn) {
      r = await hashChildren(sibling, r);
      steps.push({ sibling: p.toLowerCase(), side: "left", result: toHex(r) });
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await hashChildren(r, sibling);
      steps.push({ sibling: p.toLowerCase(), side: "right", result: toHex(r) });
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  const root = toHex(r);
  return { steps, root, matches: sn === 0 && root === rootHex.toLowerCase() };
}
