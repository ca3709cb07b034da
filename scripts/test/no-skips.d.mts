export interface RunResults {
  testResults: { testFilePath: string; testResults: { status: string; fullName: string }[] }[];
}
export default class NoSkipsReporter {
  constructor(
    globalConfig: { testNamePattern?: string; rootDir?: string },
    options?: { write?: (text: string) => void },
  );
  onRunComplete(contexts: unknown, results: RunResults): void;
  getLastError(): Error | undefined;
}
