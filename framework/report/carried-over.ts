import { connectionKey, type AnalyzerRecords } from './model.js';

/** What a report left out: connections, with their subflows, of tests that were open before the test began. */
export interface LeftOut {
  tests: number;
  connections: number;
  subflows: number;
}

/**
 * A test's records without the connections that were open before it. `mplab run` starts its
 * captures after the app's reset and before the scenario opens the app, so every connection of the
 * test has its opening handshake in the capture. One whose initial SYN the capture did not see
 * (`synSeen` false) was open before the test: typically an earlier test's connection stuck on a
 * path that went down (a handover test in TCP mode), whose data the proxy sends again once the path
 * is back, answered by the phone's RST. It is not the app's traffic in this test.
 *
 * Only for tests (a result.json): an `mplab analyze` folder is a capture of any kind, in which a
 * connection may well have begun before the capture did. What it leaves out is added to `leftOut`.
 */
export function openedDuringTest(records: AnalyzerRecords, leftOut: LeftOut): AnalyzerRecords {
  if (records.connections.every((c) => c.synSeen !== false)) return records;
  const kept = new Set<number>();
  const connections = records.connections.filter((c) => {
    if (c.synSeen === false) return false;
    kept.add(connectionKey(c.trace, c.id));
    return true;
  });
  const subflows = records.subflows.filter((s) => kept.has(connectionKey(s.trace, s.connection)));
  leftOut.tests++;
  leftOut.connections += records.connections.length - connections.length;
  leftOut.subflows += records.subflows.length - subflows.length;
  return { connections, subflows };
}
