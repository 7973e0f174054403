import { fileURLToPath } from 'node:url';

/** The checkout's root folder (where bin/, testbed/ and runs/ are). */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The `mplab` command's entry point, for running it as a process of its own. */
export const MPLAB_CLI = fileURLToPath(new URL('../bin/mplab.js', import.meta.url));
