export declare function needsLast<T extends { path: string }>(
  tests: T[],
  needs?: (path: string) => Set<string>,
): T[];
declare const RollwaySequencer: new () => { sort<T extends { path: string }>(tests: T[]): Promise<T[]> };
export default RollwaySequencer;
