// Types for tests (TypeScript) that share the scripts' OPA lookup.
export declare const repoRoot: string;
export declare function opaVersion(): string;
export declare function opaPath(): string;
export declare function opaPathOrExit(name: string): string;
export declare function runOpa(
  args: string[],
  opts?: { cwd?: string; inherit?: boolean },
): { status: number; stdout: string; stderr: string };
