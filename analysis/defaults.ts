/** Defaults of `mplab analyze`, in a module of their own so that the CLI can show them without loading the analyzer. */
export const DEFAULTS = {
  /** seconds between a connection's first packet and a proxy-log entry's start that still match */
  proxyLogTolerance: 2,
  /** seconds of trace time a closed connection waits for late packets */
  graceSeconds: 60,
  /** seconds of trace time without a packet after which an open connection is written (TCP's keepalive time) */
  idleSeconds: 7200,
} as const;
