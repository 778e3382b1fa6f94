/** A key of everything the CLI bundle is built from (every file under `src`, the build settings, the versions). */
export function sourceKey(src?: string): string;
/** The file: URL of the CLI bundle, built first if the sources changed; null where that cannot be done. */
export function bundledCli(): Promise<string | null>;
