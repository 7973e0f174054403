import { parseArgs } from 'node:util';
import { log } from '../../common/log.js';
import { startOrigin } from './server.js';

/** `node testbed/bin/origin.js --host IP --http 80,443 --messaging 5222 [--no-mptcp]`; prints "ready". */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '0.0.0.0' },
      http: { type: 'string', default: '80' },
      messaging: { type: 'string', default: '5222' },
      'no-mptcp': { type: 'boolean', default: false },
    },
  });
  const httpPorts = values.http.split(',').map(Number);
  const options = { host: values.host, httpPorts, messagingPort: Number(values.messaging), mptcp: !values['no-mptcp'] };
  const origin = await startOrigin(options);
  const logger = log('origin');
  logger.info(options, 'origin ready');
  process.stdout.write('ready\n');
  const stop = (): void => {
    void origin.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
