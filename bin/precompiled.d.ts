/** See precompiled.js. */
export function precompiled(name: string, entry: string, options?: { root?: string; cacheDir?: string }): Promise<{ url: string; built: boolean } | null>;
