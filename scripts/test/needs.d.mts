export declare const KNOWN_NEEDS: Readonly<Record<string, string>>;
export declare function parseNeeds(source: string, file?: string): Set<string>;
export declare function needsOf(file: string): Set<string>;
export declare function recordSelectedTests(paths: readonly string[]): void;
export declare function selectedTests(): string[] | undefined;
export declare function needsOfAll(paths: readonly string[] | undefined): Set<string>;
