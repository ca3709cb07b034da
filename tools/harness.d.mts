export interface WorkflowCommand {
  command: string;
  props: string;
  message: string;
}
export interface StepResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  commands: WorkflowCommand[];
  firstLineMs?: number;
}
export interface ActionResult extends StepResult {
  signal: NodeJS.Signals | null;
  durationMs: number;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  post?: StepResult;
  masks: string[];
  leaks: string[];
}
export interface RunOptions {
  inputs?: Record<string, string>;
  env?: Record<string, string | undefined>;
  postEnv?: Record<string, string | undefined>;
  post?: boolean;
  timeoutMs?: number;
  signalAfterMs?: number;
  signal?: NodeJS.Signals;
  onStdout?: (chunk: string, child: import('node:child_process').ChildProcess) => void;
  secrets?: string[];
  cwd?: string;
  keepFiles?: boolean;
}
export const repoRoot: string;
export function actionNode(): string;
export function runAction(name: string, options?: RunOptions): Promise<ActionResult>;
export function parseCommandFile(text: string): Record<string, string>;
export function parseWorkflowCommands(stdout: string): WorkflowCommand[];
export interface ActionMetadata {
  name: string;
  inputs?: Record<string, { description?: string; default?: string; required?: boolean }>;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
  branding?: Record<string, string>;
}
export function loadActionMetadata(name: string): {
  meta: ActionMetadata;
  main: string;
  post?: string;
  postIf: string;
};
