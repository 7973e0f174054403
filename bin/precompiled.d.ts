/** See precompiled.js. */
export interface Precompiled {
  exports: Record<string, unknown>;
  built: boolean;
  saveCodeCache(complete: boolean): void;
}

export function loadPrecompiled(name: string, entry: string, options?: { root?: string; cacheDir?: string }): Promise<Precompiled | null>;
