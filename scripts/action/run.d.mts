// Types of scripts/action/run.mjs (plain Node, no build step), for the tests that import it.
export interface ActionInputs {
  readonly command: "validate" | "plan" | "apply";
  readonly file: string;
  readonly environment: string;
  readonly format: "github" | "text";
  readonly comment: boolean;
  readonly state: string;
  readonly rehearse: boolean;
  readonly token: string;
}
export const COMMANDS: readonly string[];
export const FORMATS: readonly string[];
export const MAX_COMMENT: number;
export class ActionInputError extends Error {}
export class GitHubApiError extends Error {
  readonly status: number;
}
export function readInputs(env: Record<string, string | undefined>): ActionInputs;
export function commentMarker(inputs: Pick<ActionInputs, "file" | "environment">): string;
export function commandArgs(inputs: ActionInputs, extra?: { out?: string; against?: string }): string[];
export function pullRequestNumber(env: Record<string, string | undefined>): number | undefined;
export function upsertComment(options: {
  apiUrl: string;
  repository: string;
  issue: number;
  token: string;
  marker: string;
  body: string;
  fetchImpl?: typeof fetch;
}): Promise<{ action: "created" | "updated" | "unchanged"; id: number | undefined; url: string | undefined }>;
export function commentBody(markdown: string, runUrl: string): string;
export function main(env?: Record<string, string | undefined>, log?: (line: string) => void): Promise<number>;
