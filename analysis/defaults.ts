/** Defaults of `mplab analyze`, in a module of their own so that the CLI can show them without loading the analyzer. */
export const DEFAULTS = {
  /** seconds between a connection's first packet and a proxy-log entry's start that still match */
  proxyLogTolerance: 2,
  /** seconds of trace time a closed connection waits for late packets */
  graceSeconds: 60,
  /** seconds of trace time without a packet after which an open connection is written (TCP's keepalive time) */
  idleSeconds: 7200,
} as const;

/**
 * V8 flags that `mplab analyze` sets for its own process (the library's analyzeFiles leaves its
 * host's alone), see docs/analyzer.md "Memory" and "Start-up":
 * - a heap let grow to 1.3 times what is alive after a full collection (V8: up to 4 times): the
 *   analyzer's state is small and its garbage dies young, so this costs little more collection and
 *   keeps memory flat however many connections wait out --grace;
 * - half V8's default inlining budget (920): its optimizing compiler takes a third of the CPU of a
 *   run on a capture of a million packets, and with this budget it compiles less for code as fast.
 */
export const ANALYZE_V8_FLAGS = ['--heap-growing-percent=30', '--max-inlined-bytecode-size-cumulative=460'] as const;
