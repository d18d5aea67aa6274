// node:fs/promises in the browser bundle: trust anchors come as PEM text there, never from files.
export function readFile(): never {
  throw new Error("no file system in the browser: give the trust anchors as PEM text");
}
