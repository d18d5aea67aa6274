// Assertions shared by the channel tests.
import { expect } from "chai";
import { ChannelError, type ChannelErrorCode } from "../../../nodes/src/channels/errors.ts";
import { PERSONAL } from "../../support/channel-fixtures.ts";

/** The ChannelError `fn` throws; fails the test if it throws nothing or something else. */
export function channelError(fn: () => unknown): ChannelError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ChannelError) return e;
    throw e;
  }
  expect.fail("expected a ChannelError, nothing was thrown");
}

/** Asserts the code, that `field` is among the details, and that no personal data leaked into the message. */
export function expectFieldError(fn: () => unknown, code: ChannelErrorCode, field: string): ChannelError {
  const e = channelError(fn);
  expect(e.code, e.message).to.equal(code);
  expect(
    e.details.map((d) => d.field),
    e.message,
  ).to.include(field);
  expect(e.message).to.include(field);
  for (const secret of PERSONAL)
    expect(e.message.includes(secret), `message leaks personal data: ${e.message}`).to.equal(false);
  return e;
}
