/**
 * The server's errors: the W3C WebDriver error names and their HTTP status codes, sent as
 * `{"value": {"error", "message", "stacktrace"}}` as the UiAutomator2 server does.
 */
export const ERROR_STATUS = {
  'no such element': 404,
  'stale element reference': 404,
  'invalid selector': 400,
  'invalid argument': 400,
  'invalid element state': 400,
  'element not interactable': 400,
  'invalid session id': 404,
  'unknown command': 404,
  'unknown method': 405,
  'session not created': 500,
  'unsupported operation': 500,
  'unknown error': 500,
} as const;

export type ErrorName = keyof typeof ERROR_STATUS;

export class ServerError extends Error {
  constructor(
    readonly error: ErrorName,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.error];
  }

  /** The response body, with a Java-looking stack trace as the server's clients expect one. */
  body(sessionId: string | null): unknown {
    const exception = this.error.replace(/(^|\s)(\w)/g, (_, s: string, c: string) => c.toUpperCase()).replace(/\s/g, '');
    return {
      sessionId,
      value: { error: this.error, message: this.message, stacktrace: `io.appium.uiautomator2.common.exceptions.${exception}Exception: ${this.message}\n\tat io.appium.uiautomator2.server.AppiumServlet.handleRequest` },
    };
  }
}
