export interface Probe {
  exists(path: string): boolean;
  which(command: string): boolean;
  postgresBinDir(): string | undefined;
}
export interface SystemPackage {
  readonly name: string;
  readonly usedFor: string;
  present(probe: Probe): boolean;
}
export declare const PACKAGES_MJS: string;
export declare const SYSTEM_PACKAGES: readonly SystemPackage[];
export declare function machineProbe(env?: NodeJS.ProcessEnv): Probe;
export declare function missingPackages(probe?: Probe, packages?: readonly SystemPackage[]): string[];
export declare function aptCommand(names: string[]): string;
export declare function ensurePackages(o?: {
  probe?: Probe;
  uid?: number;
  installer?: string[];
  logFile?: string;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  packages?: readonly SystemPackage[];
}): Promise<string[]>;
export declare function tail(file: string | undefined, lines?: number): string;
