export declare const SETUP_SH: string;
export declare const REGISTRY_ADDR: string;
export declare const STAND_INS: string[];
export declare const DOCKER_SETUP_LOG: string;
export interface DockerSetup {
  readonly pid: number | undefined;
  readonly logFile: string;
  /** True once setup.sh has exited. */
  readonly finished: boolean;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>;
}
export declare function dockerProblems(): Promise<string[]>;
export declare function startDockerSetup(logFile?: string): DockerSetup;
export declare function dockerSetupCommand(): string;
export declare function ensureDocker(o?: { logFile?: string; log?: (line: string) => void }): Promise<void>;
