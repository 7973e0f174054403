#!/usr/bin/env node
// The sources are TypeScript; tsx compiles them on load so that `npx mplab` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../framework/cli/main.ts');
