// Types for the CLI (TypeScript), which reports OPA errors as the scripts do.
export declare function opaErrorLines(text: string, opts?: { base?: string }): string[] | null;
