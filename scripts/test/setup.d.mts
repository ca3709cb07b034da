import type { DockerSetup } from './docker.mjs';
export declare const APT_LOG: string;
export declare function backgroundDockerSetup(): DockerSetup | undefined;
export declare function setUp(o?: { needs?: Set<string>; background?: boolean }): Promise<void>;
export default function globalSetup(): Promise<void>;
