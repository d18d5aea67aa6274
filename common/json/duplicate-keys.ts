// JSON objects that name a key twice. JSON.parse keeps the last of a repeated key, so
// `"kind":7,"kind":1` reads as kind 1 here while another reader of the same signed bytes may see
// 7: a signed body that repeats a key is refused rather than guessed at. Shared by the anchor
// service (every JSON body but the fast path's) and the institution node (node-to-node requests).

/**
 * The path of the first key an object of `b` names twice (`records[0].kind`), or undefined. `b`
 * must be valid JSON (JSON.parse accepted it). Keys are compared as decoded strings, so an
 * escaped spelling of a key (`"kin\u0064"`) repeats it too.
 */
export function duplicateKeyIn(b: Uint8Array): string | undefined {
  // one frame per open object (its keys so far) or array (its index)
  const stack: Array<{ keys: Set<string> | undefined; name: string; index: number }> = [];
  const bytes = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let expectKey = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 34) {
      const start = i;
      let escaped = false;
      for (i++; bytes[i] !== 34; i++) {
        if (bytes[i] === 92) {
          escaped = true;
          i++;
        }
      }
      if (!expectKey) continue;
      expectKey = false;
      const key = escaped
        ? (JSON.parse(bytes.toString("utf8", start, i + 1)) as string)
        : bytes.toString("utf8", start + 1, i);
      const top = stack[stack.length - 1]!;
      if (top.keys!.has(key)) return pathOf(stack, key);
      top.keys!.add(key);
      top.name = key;
    } else if (c === 123) {
      stack.push({ keys: new Set(), name: "", index: 0 });
      expectKey = true;
    } else if (c === 91) {
      stack.push({ keys: undefined, name: "", index: 0 });
      expectKey = false;
    } else if (c === 125 || c === 93) {
      stack.pop();
      expectKey = false;
    } else if (c === 44) {
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined) expectKey = true;
      else if (top !== undefined) top.index++;
    }
  }
  return undefined;
}

function pathOf(
  stack: Array<{ keys: Set<string> | undefined; name: string; index: number }>,
  key: string,
): string {
  let path = "";
  for (let d = 0; d < stack.length - 1; d++) {
    const f = stack[d]!;
    path += f.keys === undefined ? `[${f.index}]` : `${path === "" ? "" : "."}${f.name}`;
  }
  return `${path}${path === "" ? "" : "."}${key}`;
}
