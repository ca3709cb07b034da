export declare const WITH_LOCK: string;
export declare const LOCK_TIMEOUT_EXIT: number;
export declare function lockFile(name: string, env?: NodeJS.ProcessEnv): string;
export declare function runLocked(
  name: string,
  argv: string[],
  options?: { logFile?: string; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
