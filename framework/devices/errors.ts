/**
 * A phone operation that did not get done, and why: "cannot" when the phone or devices.json does
 * not allow it at all (no root, no MPTCP kernel, captures off), "failed" when it was tried and did
 * not work, "usage" when what was asked is malformed (a capture name, a scheduler name). The CLI
 * turns the kind into its exit status.
 */
export class PhoneOpError extends Error {
  constructor(
    message: string,
    readonly kind: 'cannot' | 'failed' | 'usage' = 'failed',
  ) {
    super(message);
    this.name = new.target.name;
  }
}
