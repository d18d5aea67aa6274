// How the tests expect a refusal: thrown (or rejected) as the module's own error class, with the
// code from its catalogue. Returns the error so a test can look further (details, message).
// (No describe/it here: Hardhat mocha loads it like a test.)
import { expect } from "chai";

export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

/** The error `fn` throws, which must be a `cls`. */
export function thrownBy<E extends Error>(fn: () => unknown, cls: ErrorClass<E>, label = ""): E {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${label}: expected a ${cls.name}, nothing thrown`).to.be.instanceOf(cls);
  return caught as E;
}

/** The error `fn` throws, which must be a `cls` with `code`. */
export function expectCode<E extends Error & { code: string }>(
  fn: () => unknown,
  cls: ErrorClass<E>,
  code: string,
  label = "",
): E {
  const error = thrownBy(fn, cls, `${label}: expected ${code}`);
  expect(error.code, `${label}: ${error.message}`).to.equal(code);
  return error;
}

/** The error `promise` rejects with, which must be a `cls`. */
export async function rejectedBy<E extends Error>(
  promise: Promise<unknown>,
  cls: ErrorClass<E>,
  label = "",
): Promise<E> {
  try {
    await promise;
  } catch (e) {
    expect(e, label).to.be.instanceOf(cls);
    return e as E;
  }
  throw new Error(`${label}: expected a ${cls.name}, but the promise resolved`);
}

/** The code of the `cls` error `fn` throws (another error fails the test), or undefined when it throws nothing. */
export function codeThrown<E extends Error & { code: string }>(
  fn: () => unknown,
  cls: ErrorClass<E>,
): E["code"] | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(cls);
    return (error as E).code;
  }
  return undefined;
}
