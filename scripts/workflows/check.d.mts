export interface Finding {
  file: string;
  line: number;
  rule: 'schema' | 'actionlint' | 'uses' | 'outputs' | 'untrusted' | 'shellcheck' | string;
  message: string;
}
export declare const REPO: string;
export declare const OWN_REPO: string;
export declare const OWN_MAJOR: string;
export declare const ACTIONLINT_FALSE_POSITIVES: RegExp[];
export declare function workflowFiles(dir?: string): string[];
export declare function checkWorkflows(
  files: readonly string[],
  o?: { root?: string; shellcheck?: boolean },
): Promise<Finding[]>;
export declare function formatFinding(f: Finding, root?: string): string;
export declare function localWorkflowPath(ref: string, root?: string): string | undefined;
export declare function checkSchema(file: string, o?: { root?: string }): Promise<Finding[]>;
export declare function checkActionlint(file: string): Promise<Finding[]>;
export declare function checkStructure(file: string, o?: { root?: string }): Finding[];
export declare function checkShell(file: string): Finding[];
export declare function hasShellcheck(): boolean;
export declare function runOutputs(script: string): string[];
export declare function ownAction(
  name: string,
  root?: string,
): { inputs: Record<string, boolean>; outputs: string[] } | undefined;
export declare function classifyUses(
  uses: string,
):
  | { kind: 'own'; name: string; canonical: boolean }
  | { kind: 'third'; repo: string; ref: string }
  | { kind: 'workflow' | 'docker' | 'other' };
