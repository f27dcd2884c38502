/**
 * Where a run came from: user, source, git commit/branch/dirty state and tool versions, recorded
 * as tags so that a run can be reproduced and audited later.
 */
import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";
import { MLFLOW_TAGS } from "./entities.js";

/** The git state of a working tree. */
export interface GitInfo {
  commit: string;
  branch: string;
  dirty: boolean;
  repoUrl?: string;
}

const gitCache = new Map<string, GitInfo | null>();

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

/** Read commit, branch and dirty flag of the repository around `cwd` (null outside git). */
export function gitInfo(cwd: string = process.cwd()): GitInfo | null {
  const cached = gitCache.get(cwd);
  if (cached !== undefined) return cached;
  const commit = git(cwd, ["rev-parse", "HEAD"]);
  let info: GitInfo | null = null;
  if (commit) {
    const status = git(cwd, ["status", "--porcelain", "--untracked-files=no"]) ?? "";
    info = {
      commit,
      branch: git(cwd, ["rev-parse", "--abbrev-ref", "HEAD"]) ?? "",
      dirty: status.length > 0,
      repoUrl: git(cwd, ["config", "--get", "remote.origin.url"]) || undefined,
    };
  }
  gitCache.set(cwd, info);
  return info;
}

/** The name of the user running the process. */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? "unknown";
  }
}

/** The workbench's own version, from package.json. */
export const WORKBENCH_VERSION = "0.1.0";

/** Tags every run carries: user, source, git state and versions. */
export function provenanceTags(options: { sourceName?: string; sourceType?: "LOCAL" | "NOTEBOOK" | "JOB" | "PROJECT"; cwd?: string }): Record<string, string> {
  const tags: Record<string, string> = {
    [MLFLOW_TAGS.user]: currentUser(),
    [MLFLOW_TAGS.sourceName]: options.sourceName ?? process.argv[1] ?? "node",
    [MLFLOW_TAGS.sourceType]: options.sourceType ?? "LOCAL",
    "workbench.version": WORKBENCH_VERSION,
    "workbench.node_version": process.version,
  };
  const info = gitInfo(options.cwd);
  if (info) {
    tags[MLFLOW_TAGS.gitCommit] = info.commit;
    tags[MLFLOW_TAGS.gitBranch] = info.branch;
    tags["workbench.git.dirty"] = String(info.dirty);
    if (info.repoUrl) tags[MLFLOW_TAGS.gitRepoUrl] = info.repoUrl;
  }
  return tags;
}
