// SM2 digital signatures (GB/T 32918.2-2016) over the recommended curve (GB/T 32918.5-2017).
// The curve arithmetic is @noble/curves' (audited, maintained); what is here is the scheme
// itself: the signer's Z value over the user id, e = SM3(Z ‖ M), and the standard's r, s
// equations. Node's OpenSSL signs with SM2 keys too, but it cannot be given the user id, and
// GB/T 32918 makes the id part of what is signed.
//
// Keys: private 32 bytes; public 65 bytes, uncompressed (0x04 ‖ x ‖ y). Signatures: 64 bytes,
// r ‖ s, each 32 bytes big-endian (the form GM/T 0009 calls "raw"; DER is not used here).
import { randomBytes } from "node:crypto";
import { Field, mod, invert } from "@noble/curves/abstract/modular.js";
import { weierstrassPoints } from "@noble/curves/abstract/weierstrass.js";
import { bytesEqual } from "../bytes.ts";
import { sm3 } from "./sm3.ts";

/** The GB/T 32918 default user id, "1234567812345678" (GM/T 0009 §10). */
export const SM2_DEFAULT_USER_ID = "1234567812345678";
export const SM2_PUBLIC_KEY_BYTES = 65;
export const SM2_SIGNATURE_BYTES = 64;

export type Sm2CurveParams = { p: bigint; a: bigint; b: bigint; n: bigint; gx: bigint; gy: bigint };

/** The recommended 256-bit curve of GB/T 32918.5-2017 (sm2p256v1). */
export const SM2_P256: Sm2CurveParams = {
  p: 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn,
  a: 0xfffffffeffffffffffffffffffffffffffffffff00000000fffffffffffffffcn,
  b: 0x28e9fa9e9d9f5e344d5a9e4bcf6509a7f39789f515ab8f92ddbcbd414d940e93n,
  n: 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n,
  gx: 0x32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7n,
  gy: 0xbc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0n,
};

export type Sm2SignOptions = {
  /** GB/T 32918 ID_A; default "1234567812345678". */
  userId?: string | Uint8Array;
  /** The per-signature secret k. Only for known-answer tests: a reused or guessable k reveals the key. */
  k?: bigint;
};

export type Sm2 = ReturnType<typeof sm2Over>;

/** SM2 over one curve: the recommended curve is `sm2`; the standard's test curves run through here too. */
export function sm2Over(params: Sm2CurveParams) {
  const { n } = params;
  const { ProjectivePoint: Point } = weierstrassPoints({
    Fp: Field(params.p),
    a: params.a,
    b: params.b,
    n,
    Gx: params.gx,
    Gy: params.gy,
    h: 1n,
  });
  const fieldBytes = 32;

  const scalarOf = (privateKey: Uint8Array): bigint => {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== fieldBytes) {
      throw new RangeError(`an SM2 private key is ${fieldBytes} bytes`);
    }
    const d = toBigInt(privateKey);
    // d = n − 1 is excluded: the signature divides by 1 + d
    if (d < 1n || d >= n - 1n) throw new RangeError("SM2 private key out of range [1, n-2]");
    return d;
  };

  const pointOf = (publicKey: Uint8Array) => {
    if (
      !(publicKey instanceof Uint8Array) ||
      publicKey.length !== SM2_PUBLIC_KEY_BYTES ||
      publicKey[0] !== 4
    ) {
      throw new RangeError("an SM2 public key is 65 bytes, 0x04 ‖ x ‖ y");
    }
    const point = Point.fromAffine({
      x: toBigInt(publicKey.subarray(1, 33)),
      y: toBigInt(publicKey.subarray(33)),
    });
    point.assertValidity(); // on the curve and not infinity
    return point;
  };

  /** Z_A = SM3(ENTL_A ‖ ID_A ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A) (GB/T 32918.2 §5.5). */
  const z = (publicKey: Uint8Array, userId: string | Uint8Array = SM2_DEFAULT_USER_ID): Uint8Array => {
    const id = typeof userId === "string" ? new TextEncoder().encode(userId) : userId;
    const bits = id.length * 8;
    if (bits > 0xffff) throw new RangeError("an SM2 user id is at most 8191 bytes");
    pointOf(publicKey);
    return sm3(
      concat(
        new Uint8Array([bits >> 8, bits & 0xff]),
        id,
        toBytes(params.a),
        toBytes(params.b),
        toBytes(params.gx),
        toBytes(params.gy),
        publicKey.subarray(1),
      ),
    );
  };

  const digestOf = (publicKey: Uint8Array, message: Uint8Array, userId?: string | Uint8Array): bigint =>
    toBigInt(sm3(concat(z(publicKey, userId), message)));

  const publicKeyOf = (privateKey: Uint8Array): Uint8Array =>
    Point.BASE.multiply(scalarOf(privateKey)).toRawBytes(false);

  return {
    params,
    z,
    publicKeyOf,

    /** A fresh key pair from the CSPRNG. */
    generateKeyPair(): { privateKey: Uint8Array; publicKey: Uint8Array } {
      for (;;) {
        const privateKey = new Uint8Array(randomBytes(fieldBytes));
        const d = toBigInt(privateKey);
        if (d >= 1n && d < n - 1n) return { privateKey, publicKey: publicKeyOf(privateKey) };
      }
    },

    /** GB/T 32918.2 §6.1: (r, s) as 64 bytes. */
    sign(privateKey: Uint8Array, message: Uint8Array, options: Sm2SignOptions = {}): Uint8Array {
      const d = scalarOf(privateKey);
      const e = digestOf(publicKeyOf(privateKey), message, options.userId);
      const dInverse = invert(1n + d, n);
      for (;;) {
        const k = options.k ?? randomScalar(n);
        if (k < 1n || k >= n) throw new RangeError("SM2 k out of range [1, n-1]");
        const x1 = Point.BASE.multiply(k).toAffine().x;
        const r = mod(e + x1, n);
        const s = mod(dInverse * (k - r * d), n);
        if (r !== 0n && r + k !== n && s !== 0n) return concat(toBytes(r), toBytes(s));
        if (options.k !== undefined) throw new RangeError("the given k yields no SM2 signature");
      }
    },

    /** GB/T 32918.2 §7.1. Malformed keys or signatures verify false rather than throw. */
    verify(
      publicKey: Uint8Array,
      message: Uint8Array,
      signature: Uint8Array,
      userId?: string | Uint8Array,
    ): boolean {
      if (!(signature instanceof Uint8Array) || signature.length !== SM2_SIGNATURE_BYTES) return false;
      let point;
      try {
        point = pointOf(publicKey);
      } catch {
        return false;
      }
      const r = toBigInt(signature.subarray(0, 32));
      const s = toBigInt(signature.subarray(32));
      if (r < 1n || r >= n || s < 1n || s >= n) return false;
      const t = mod(r + s, n);
      if (t === 0n) return false;
      const sum = Point.BASE.multiply(s).add(point.multiply(t));
      if (sum.equals(Point.ZERO)) return false;
      const expected = mod(digestOf(publicKey, message, userId) + sum.toAffine().x, n);
      return bytesEqual(toBytes(expected), toBytes(r));
    },
  };
}

/** SM2 over the recommended curve. */
export const sm2 = sm2Over(SM2_P256);

function randomScalar(n: bigint): bigint {
  for (;;) {
    const k = toBigInt(new Uint8Array(randomBytes(32)));
    if (k >= 1n && k < n) return k;
  }
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
}

function toBytes(value: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(value.toString(16).padStart(64, "0"), "hex"));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
