#!/usr/bin/env node
// The lab's origin servers (testbed/origin/server.ts), run inside the origin namespace.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../origin/main.ts');
await main(process.argv.slice(2));
