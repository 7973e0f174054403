import { fileURLToPath } from 'node:url';

/** The checkout's root folder (where bin/ and testbed/ are). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
