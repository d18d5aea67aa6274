// Keys and secrets for a generated network: secp256k1 node keys (a validator's node key is also
// its QBFT signing key, so its address goes into the genesis), account keys, and 32-byte secrets.
// With a seed everything is derived from it (reproducible tests); without one, from the OS's
// random source.
import { randomBytes } from "node:crypto";
import { SigningKey, computeAddress, keccak256, toUtf8Bytes } from "ethers";

/** The secp256k1 group order: a private key must be in [1, n). */
const SECP256K1_N = 0xffff_ffff_ffff_ffff_ffff_ffff_ffff_fffe_baae_dce6_af48_a03b_bfd2_5e8c_d036_4141n;

export type SecretSource = {
  /** 32 bytes as 0x-prefixed hex, the same for the same label and seed. */
  bytes32(label: string): string;
  /** A valid secp256k1 private key. */
  privateKey(label: string): string;
};

export function secretSource(seed?: string): SecretSource {
  const bytes32 = (label: string) =>
    seed === undefined
      ? `0x${randomBytes(32).toString("hex")}`
      : keccak256(toUtf8Bytes(`jointledger.besu.v1\u0000${seed}\u0000${label}`));
  return {
    bytes32,
    privateKey(label) {
      let key = bytes32(label);
      // a hash outside [1, n) happens with probability ~2^-128; re-hash rather than bias
      while (BigInt(key) === 0n || BigInt(key) >= SECP256K1_N) key = keccak256(key);
      return key;
    },
  };
}

export type KeyPair = {
  privateKey: string;
  /** Uncompressed public key without the 0x04 prefix: 128 hex digits (the enode id). */
  publicKey: string;
  address: string;
};

export function keyPair(privateKey: string): KeyPair {
  const signing = new SigningKey(privateKey);
  return {
    privateKey: signing.privateKey,
    publicKey: signing.publicKey.slice(4),
    address: computeAddress(signing.publicKey),
  };
}

export function enodeUrl(publicKey: string, host: string, port: number): string {
  return `enode://${publicKey}@${host}:${port}`;
}
